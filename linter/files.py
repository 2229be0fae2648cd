"""Output files that are whole or absent: written to a temporary file in the same folder and renamed
into place only when complete, so an interrupted or failed run leaves the previous file exactly as
it was. Missing folders of the path are created."""

from __future__ import annotations

import os
import sys
import tempfile
from typing import IO


class AtomicFile:
    """``with AtomicFile(path) as handle: ...``: binary writes that replace ``path`` on success only."""

    def __init__(self, path: str):
        self.path = path
        self._handle: IO[bytes] | None = None
        self._temporary = ""

    def open(self) -> IO[bytes]:
        """Create the folder and the temporary file (OSError when that is impossible)."""
        if self._handle is None:
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, exist_ok=True)
            descriptor, self._temporary = tempfile.mkstemp(prefix=f".{os.path.basename(self.path)}.", suffix=".tmp",
                                                           dir=folder)
            self._handle = os.fdopen(descriptor, "wb")
        return self._handle

    def commit(self) -> None:
        """The file is complete: put it in place (keeping an existing file's permissions)."""
        handle = self.open()
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        try:
            os.chmod(self._temporary, os.stat(self.path).st_mode & 0o7777)
        except OSError:
            os.chmod(self._temporary, 0o666 & ~_umask())
        os.replace(self._temporary, self.path)
        self._handle = None

    def discard(self) -> None:
        """The run failed or was interrupted: the previous file stays as it was."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._temporary and os.path.exists(self._temporary):
            os.unlink(self._temporary)

    def __enter__(self) -> IO[bytes]:
        return self.open()

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def write_atomically(path: str, data: bytes | str) -> None:
    """``path`` holds ``data`` afterwards, or (on any failure) what it held before."""
    with AtomicFile(path) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


class OutputError(Exception):
    """An output file that cannot be written; the message names it and says why."""


def write_output(data: str | bytes, path: str | None) -> None:
    """A command's output: on standard output when ``path`` is None, else as the whole of ``path``
    (``write_atomically``); OutputError when the file cannot be written."""
    if path is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        sys.stdout.flush()
        return
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
