"""``git:REF:path``: a policy as it is in a git revision (diff, replay --compare, the Action's
pull-request summary), read into a temporary copy that is removed afterwards.

The path is taken from the repository's top, else from the current directory; the revision is
handed to git after ``--end-of-options``, so a REF that starts with ``-`` is a name, never an option.
"""

from __future__ import annotations

import os
import subprocess
import tempfile


class GitSourceError(ValueError):
    """A ``git:REF:path`` that cannot be read: one line saying why."""


def is_git_spec(spec: str) -> bool:
    return spec.startswith("git:")


class local_copy:
    """A path to read: the file itself, or a temporary copy of ``git:REF:path``."""

    def __init__(self, spec: str):
        self.spec = spec
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> str:
        if not is_git_spec(self.spec):
            return self.spec
        ref, _, path = self.spec[4:].partition(":")
        if not ref or not path:
            raise GitSourceError(f"{self.spec}: expected git:REF:path, e.g. git:main:audit/policy.yaml")
        content = git_show(ref, path)
        self._tmp = tempfile.TemporaryDirectory(prefix="kube-audit-lint-")
        local = os.path.join(self._tmp.name, os.path.basename(path) or "policy.yaml")
        with open(local, "wb") as handle:
            handle.write(content)
        return local

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def git_show(ref: str, path: str) -> bytes:
    """The file at ``path`` (from the repository root, else from the current directory) in ``ref``."""
    attempts = [f"{ref}:{path}"] + ([f"{ref}:./{path}"] if not path.startswith(("/", "./")) else [])
    error = ""
    for spec in attempts:
        try:
            result = subprocess.run(["git", "show", "--end-of-options", spec], capture_output=True, check=False)
        except FileNotFoundError:
            raise GitSourceError("git:REF:path needs git on PATH") from None
        if result.returncode == 0:
            return result.stdout
        error = error or (result.stderr.decode("utf-8", "replace").strip().splitlines() or ["?"])[-1]
    raise GitSourceError(f"git:{ref}:{path}: {error}")
