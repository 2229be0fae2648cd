"""Reading audit logs: files, gzip (recognised by its magic bytes), stdin; JSON lines or one JSON
document (an ``EventList``, or a single pretty-printed event); cut into line-aligned chunks and
decoded into events, with every line that is not an event reported by file and line number.

JSON lines are streamed chunk by chunk, so memory does not grow with the log. A whole-document
input (a pretty-printed ``EventList``, as webhook payloads are) is read whole.
"""

from __future__ import annotations

import io
import operator
import os
import sys
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator, Union

import msgspec

from kube_audit_lint.replay.events import Event, EventList, SizedEvent

GZIP_MAGIC = b"\x1f\x8b"
CHUNK_SIZE = 4 << 20
STDIN = "-"

_kind_of = operator.attrgetter("kind")
Piece = Union[bytes, memoryview]  # whole lines of input


class LogError(Exception):
    """An audit log that cannot be read at all (missing, unreadable, corrupt compression)."""


@dataclass(frozen=True)
class BadLine:
    source: str
    line: int
    message: str

    def render(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


class Source:
    """One input, opened for reading its (decompressed) bytes."""

    def __init__(self, name: str, raw: BinaryIO, size: int | None, owned: bool):
        self.name = name
        self.raw = raw  # the bytes as stored, for progress
        self.size = size  # stored size, None when unknown (stdin)
        self.compressed = raw.peek(2)[:2] == GZIP_MAGIC if hasattr(raw, "peek") else False
        self._owned = owned
        if self.compressed:
            import gzip

            self.stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        else:
            self.stream = raw

    @property
    def display(self) -> str:
        return "<stdin>" if self.name == STDIN else self.name

    def position(self) -> int:
        """Stored bytes consumed so far (for progress)."""
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def read(self, size: int) -> bytes:
        try:
            return self.stream.read(size)
        except (OSError, EOFError) as exc:  # gzip.BadGzipFile and zlib errors are OSErrors
            raise LogError(f"{self.display}: cannot read: {describe_error(exc)}") from None

    def close(self) -> None:
        if self.compressed:
            self.stream.close()
        if self._owned:
            self.raw.close()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower() if exc.strerror[0].isupper() else exc.strerror
    return str(exc) or type(exc).__name__


def open_input(name: str) -> Source:
    """Open a log given on the command line (``-`` is stdin). LogError when it cannot be opened."""
    if name == STDIN:
        raw = sys.stdin.buffer
        if not hasattr(raw, "peek"):
            raw = io.BufferedReader(raw)  # type: ignore[arg-type]
        return Source(name, raw, None, owned=False)
    try:
        raw = open(name, "rb")
        size = os.fstat(raw.fileno()).st_size
    except OSError as exc:
        raise LogError(f"{name}: cannot read: {describe_error(exc)}") from None
    return Source(name, raw, size, owned=True)


def split_lines(read: Callable[[int], bytes], chunk_size: int | None = None) -> Iterator[tuple[Piece, int]]:
    """The bytes from ``read`` in pieces of whole lines (the last may lack its newline), each with
    its number of lines. Most pieces are views of the block read rather than copies: the line a
    read cuts in two comes out as a small piece of its own."""
    chunk_size = chunk_size or CHUNK_SIZE
    rest: list[bytes] = []
    while True:
        block = read(chunk_size)
        if not block:
            if rest:
                yield b"".join(rest), 1
            return
        first_end = block.find(b"\n") + 1
        if first_end == 0:  # a line longer than the block: keep reading
            rest.append(block)
            continue
        yield b"".join(rest) + block[:first_end], 1
        last_end = block.rfind(b"\n") + 1
        if last_end > first_end:
            yield memoryview(block)[first_end:last_end], block.count(b"\n", first_end, last_end)
        rest = [block[last_end:]] if last_end < len(block) else []


def read_range(f: BinaryIO, start: int, end: int) -> Callable[[int], bytes]:
    """A ``read`` for split_lines that stops at ``end``."""
    f.seek(start)
    remaining = end - start

    def read(size: int) -> bytes:
        nonlocal remaining
        block = f.read(min(size, remaining)) if remaining > 0 else b""
        remaining -= len(block)
        return block

    return read


def line_count(data: Piece) -> int:
    """Lines in a piece, counting a last line without its newline."""
    data = bytes(data) if isinstance(data, memoryview) else data
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def is_whole_document(head: bytes) -> bool:
    """True when the input is one JSON document spread over lines (a pretty-printed EventList or
    event) rather than JSON lines: its first line opens an object or array and does not close it.
    (A first line that is merely broken JSON is a bad line of a JSON-lines log.)"""
    first_line = head.lstrip().split(b"\n", 1)[0].rstrip()
    if not first_line.startswith((b"{", b"[")) or not first_line.endswith((b"{", b"[")):
        return False
    try:
        msgspec.json.decode(first_line)
    except msgspec.DecodeError:
        return True
    except RecursionError:  # nested too deeply to be an event: a bad line of a JSON-lines log
        return False
    return False


@dataclass
class Decoded:
    """The events of one chunk, with the bad lines and, when asked for, each event's size."""

    events: list
    bad: list[BadLine]
    sizes: list[int] | None = None


class ChunkDecoder:
    """Decodes chunks of JSON lines into events: one C call per chunk when every line is a plain
    event, line by line (to name the bad lines and unpack EventLists) otherwise."""

    def __init__(self, sized: bool = False):
        self.sized = sized
        self.event_type = SizedEvent if sized else Event
        self._decoder = msgspec.json.Decoder(self.event_type)
        self._list_decoder = msgspec.json.Decoder(EventList)

    def decode(self, chunk: Piece, first_line: int, source: str) -> Decoded:
        fast = self._fast(chunk)
        if fast is not None:
            return fast
        return self._line_by_line(chunk, first_line, source)

    def _fast(self, chunk: Piece) -> Decoded | None:
        try:
            if self.sized:
                lines = list(filter(None, bytes(chunk).split(b"\n")))
                events = list(map(self._decoder.decode, lines))
                sizes = list(map(len, lines))
            else:
                events = self._decoder.decode_lines(chunk)
                sizes = None
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return None
        if None in map(_kind_of, events):
            return None  # kind-less objects need a closer look
        return Decoded(events, [], sizes)

    def _line_by_line(self, chunk: Piece, first_line: int, source: str) -> Decoded:
        out = Decoded([], [], [] if self.sized else None)
        for offset, line in enumerate(bytes(chunk).split(b"\n")):
            if line.strip():
                self._decode_line(line, first_line + offset, source, out)
        return out

    def _decode_line(self, line: bytes, number: int, source: str, out: Decoded) -> None:
        try:
            self._add(self._decoder.decode(line), len(line), number, source, out)
            return
        except msgspec.ValidationError as exc:  # (a subclass of DecodeError)
            error = exc
        except msgspec.DecodeError as exc:
            out.bad.append(BadLine(source, number, f"not JSON: {exc}"))
            return
        except RecursionError:  # msgspec's answer to JSON nested deeper than Python's stack
            out.bad.append(BadLine(source, number, "not an audit event: JSON nested too deeply"))
            return
        try:
            items = self._list_decoder.decode(line).items
        except (msgspec.DecodeError, msgspec.ValidationError):
            out.bad.append(BadLine(source, number, f"not an audit event: {error}"))
            return
        self.add_items(items, number, source, out)

    def add_items(self, items: list, number: int, source: str, out: Decoded) -> None:
        """The events of an EventList's ``items``; a bad item is reported as ``items[i]``."""
        for index, raw in enumerate(items):
            try:
                event = self._decoder.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                out.bad.append(BadLine(source, number, f"items[{index}]: not an audit event: {exc}"))
                continue
            self._add(event, len(raw), number, source, out, f"items[{index}]: ")

    def _add(self, event, size: int, number: int, source: str, out: Decoded, where: str = "") -> None:
        if not event.looks_like_event():
            out.bad.append(BadLine(source, number, f"{where}not an audit event: no kind, verb, requestURI or objectRef"))
            return
        out.events.append(event)
        if out.sizes is not None:
            out.sizes.append(size)

    def decode_document(self, data: bytes, source: str) -> Decoded:
        """A whole JSON document: an EventList, or one event. Input that is not one JSON document
        after all is read as JSON lines."""
        out = Decoded([], [], [] if self.sized else None)
        try:
            items = self._list_decoder.decode(data).items
        except msgspec.ValidationError as list_error:
            try:
                self._add(self._decoder.decode(data), len(data), 1, source, out)
            except (msgspec.DecodeError, msgspec.ValidationError):
                out.bad.append(BadLine(source, 1, f"not an audit event or EventList: {list_error}"))
            return out
        except (msgspec.DecodeError, RecursionError):
            return self._line_by_line(data, 1, source)
        self.add_items(items, 1, source, out)
        return out
