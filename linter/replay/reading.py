"""Reading audit logs: files, stdin (``-``), compressed with gzip, bzip2, xz or zstd (recognised by
their magic bytes; zstd needs the ``zstandard`` package, extra ``[zstd]``); JSON lines or one JSON
document (an ``EventList``, a pretty-printed event or export envelope); cut into line-aligned
chunks and decoded into events, with every line that is not an event reported by file and line
number. What each managed platform wraps the events in is unwrapped by ``formats``.

JSON lines are streamed chunk by chunk, so memory does not grow with the log; a line longer than
the maximum event size is skipped while it is read (counted as an oversized line), so a line with
no end or a decompression bomb costs at most that much memory. A whole-document input (a
pretty-printed ``EventList``, as webhook payloads are) is read whole, up to
``DOCUMENT_FACTOR`` times the maximum event size. A compressed stream that ends early, or a last
line cut mid-event, gives every complete event and is counted as the input's cut.
"""

from __future__ import annotations

import io
import operator
import os
import sys
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterator, Union

import msgspec

from kube_audit_lint.escape import one_line
from kube_audit_lint.replay import formats
from kube_audit_lint.replay.events import Event, SizedEvent
from kube_audit_lint.replay.shallow import top_level_fields, without_lone_surrogates

GZIP_MAGIC = b"\x1f\x8b"
MAGIC = ((GZIP_MAGIC, "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"))
BOM = b"\xef\xbb\xbf"
CHUNK_SIZE = 256 << 10  # bytes decoded at a time: the chunk's events stay in the CPU's cache while they are counted
MAX_EVENT_SIZE = 16 << 20  # the default of --max-event-size
DOCUMENT_FACTOR = 4  # a whole JSON document (an EventList, an export) may be this many times the maximum event size
STDIN = "-"
MESSAGE_LIMIT = 200  # characters of a bad line's message shown

_kind_of = operator.attrgetter("kind")
# the top-level fields a deeply nested event is decided from (bodies are measured, not parsed)
_KEYS = {key: msgspec.json.encode(key) + b":" for key in Event.__struct_fields__ + ("stageTimestamp",)}
Piece = Union[bytes, memoryview]  # whole lines of input


class LogError(Exception):
    """An audit log that cannot be read at all (missing, unreadable, corrupt compression)."""


class Oversized:
    """Stands for a line longer than the maximum event size, skipped while it was read."""

    __slots__ = ("size",)

    def __init__(self, size: int):
        self.size = size  # the bytes read of it before giving up (at least the limit)

    def __len__(self) -> int:
        return 0


@dataclass(frozen=True)
class BadLine:
    source: str
    line: int
    message: str

    def render(self) -> str:
        """``FILE:LINE: what is wrong``, on one line, without control characters, and short: a
        value the line holds is never echoed at length."""
        message = one_line(self.message)
        if len(message) > MESSAGE_LIMIT:
            message = message[:MESSAGE_LIMIT] + "…"
        return f"{one_line(self.source)}:{self.line}: {message}"


class Source:
    """One input, opened for reading its (decompressed) bytes. A compressed stream that ends before
    its end marker reads as ending there: ``cut`` says so."""

    def __init__(self, name: str, raw: BinaryIO, size: int | None, owned: bool):
        self.name = name
        self.raw = raw  # the bytes as stored, for progress
        self.size = size  # stored size, None when unknown (stdin)
        self._owned = owned
        self.cut = False  # the compressed stream ended early
        head = raw.peek(8)[:8] if hasattr(raw, "peek") else b""
        self.compression = next((name for magic, name in MAGIC if head.startswith(magic)), None)
        self.stream: BinaryIO = _decompressing(self.compression, raw, self.display) if self.compression else raw
        self._started = False

    @property
    def compressed(self) -> bool:
        return self.compression is not None

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
        if self.cut:
            return b""
        try:
            if self.compressed:
                block = self._read_compressed(size)
            elif self.size is None and hasattr(self.stream, "read1"):
                # a pipe (a log still being written): what has arrived, so the run keeps up with it
                block = self.stream.read1(size)
            else:
                block = self.stream.read(size)
        except (OSError, ValueError) as exc:  # gzip.BadGzipFile, zlib, lzma, zstd errors
            raise LogError(f"{self.display}: cannot read: {describe_error(exc)}") from None
        if not self._started:
            self._started = True
            if block.startswith(BOM):
                block = block[len(BOM):] or self.read(size)
        return block

    def _read_compressed(self, size: int) -> bytes:
        """Up to ``size`` decompressed bytes, one decompression step at a time, so that a stream that
        ends early still gives everything before its end (a whole read would lose it)."""
        parts, got = [], 0
        read1 = self.stream.read1  # type: ignore[attr-defined]
        while got < size:
            try:
                block = read1(size - got)
            except EOFError:  # the stream ends before its end marker: a cut log
                self.cut = True
                break
            if not block:
                break
            parts.append(block)
            got += len(block)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        if self.compressed:
            try:
                self.stream.close()
            except (OSError, EOFError, ValueError):
                pass
        if self._owned:
            self.raw.close()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _decompressing(compression: str, raw: BinaryIO, display: str) -> BinaryIO:
    if compression == "gzip":
        import gzip

        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == "bzip2":
        import bz2

        return bz2.BZ2File(raw, mode="rb")  # type: ignore[return-value]
    if compression == "xz":
        import lzma

        return lzma.LZMAFile(raw, mode="rb")  # type: ignore[return-value]
    try:
        import zstandard
    except ImportError:
        raise LogError(f"{display}: zstd-compressed: install the zstandard package "
                       "(pip install 'kube-audit-lint[zstd]') or decompress it first (zstd -dc)") from None
    return _ZstdStream(raw, zstandard.ZstdDecompressor().decompressobj)  # type: ignore[return-value]


class _ZstdStream:
    """A zstd stream of any number of frames, decompressed a little input at a time (so that the
    output of one step stays small even for a decompression bomb), which says when the input ends
    inside a frame (EOFError), as the standard library's readers do."""

    FEED = 1024  # compressed bytes per step: at most ~32 MiB out, ~10 KiB for a JSON log

    def __init__(self, raw: BinaryIO, new_frame):
        self._raw = raw
        self._new_frame = new_frame
        self._frame = None  # the frame being decompressed
        self._input = memoryview(b"")
        self._fed = False  # some input of the current frame was fed

    def read1(self, size: int) -> bytes:
        while True:
            if not self._input:
                block = self._raw.read(1 << 16)
                if not block:
                    if self._frame is not None and self._fed:
                        self._frame = None
                        raise EOFError("compressed file ended before the end of a zstd frame")
                    return b""
                self._input = memoryview(block)
            if self._frame is None:
                self._frame, self._fed = self._new_frame(), False
            piece, self._input = self._input[:self.FEED], self._input[self.FEED:]
            try:
                out = self._frame.decompress(bytes(piece))
            except Exception as exc:  # zstandard.ZstdError
                raise OSError(f"zstd: {exc}") from None
            self._fed = True
            if self._frame.eof:
                unused = self._frame.unused_data
                if unused:
                    self._input = memoryview(unused + bytes(self._input))
                self._frame = None
            if out:
                return out  # may exceed size: the caller joins what it gets

    def close(self) -> None:
        pass


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1 << 10, "m": 1000 ** 2, "mb": 1000 ** 2, "mib": 1 << 20,
          "g": 1000 ** 3, "gb": 1000 ** 3, "gib": 1 << 30}


def parse_size(text: str) -> int:
    """``16MiB`` -> 16777216; ``512KB``, ``1000000`` and so on. ValueError when it is not a size."""
    import re

    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size; expected bytes, e.g. 16MiB, 512KiB or 1000000")
    size = int(match.group(1)) * _UNITS[unit]
    if size < 1024:
        raise ValueError(f"{text!r} is too small; an audit event takes at least 1KiB")
    return size


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


def split_lines(read: Callable[[int], bytes], chunk_size: int | None = None,
                max_size: int | None = None) -> Iterator[tuple[Piece | Oversized, int]]:
    """The bytes from ``read`` in pieces of whole lines (the last may lack its newline), each with
    its number of lines. Most pieces are views of the block read rather than copies: the line a
    read cuts in two comes out as a small piece of its own.

    A line longer than ``max_size`` is not kept: what was read of it is dropped and the rest is
    skipped up to its newline, and it comes out as an ``Oversized`` piece of one line. (Blocks are
    at most ``max_size`` long, so a longer line always spans blocks.)"""
    max_size = max_size or MAX_EVENT_SIZE
    chunk_size = min(chunk_size or CHUNK_SIZE, max_size)
    rest: list[bytes] = []
    rest_size = 0
    skipping = 0  # bytes of an oversized line read so far, while skipping it
    while True:
        block = read(chunk_size)
        if not block:
            if skipping:
                yield Oversized(skipping), 1
            elif rest:
                yield b"".join(rest), 1
            return
        first_end = block.find(b"\n") + 1
        if first_end == 0:  # a line longer than the block: keep reading
            if skipping:
                skipping += len(block)
            elif rest_size + len(block) > max_size:
                skipping, rest, rest_size = rest_size + len(block), [], 0
            else:
                rest.append(block)
                rest_size += len(block)
            continue
        if skipping:
            yield Oversized(skipping + first_end), 1
            skipping = 0
        elif rest_size + first_end > max_size:
            yield Oversized(rest_size + first_end), 1
        else:
            yield b"".join(rest) + block[:first_end], 1
        last_end = block.rfind(b"\n") + 1
        if last_end > first_end:
            yield memoryview(block)[first_end:last_end], block.count(b"\n", first_end, last_end)
        rest = [block[last_end:]] if last_end < len(block) else []
        rest_size = len(block) - last_end


def read_range(f: BinaryIO, start: int, end: int) -> Callable[[int], bytes]:
    """A ``read`` for split_lines that stops at ``end``."""
    if start == 0 and f.read(len(BOM)) == BOM:
        start = len(BOM)
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
    first_line = head.removeprefix(BOM).lstrip().split(b"\n", 1)[0].rstrip()
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
    """The events of one chunk, with the bad lines and, when asked for, each event's size; events
    and skipped records counted by format (see ``formats``)."""

    events: list
    bad: list[BadLine]
    sizes: list[int] | None = None
    formats: dict[str, int] = field(default_factory=dict)  # format -> events
    skipped: dict[tuple[str, str], int] = field(default_factory=dict)  # (format, reason) -> records
    truncated: dict[str, int] = field(default_factory=dict)  # format -> events cut by the sink, decided
    cut: bool = False  # the input's last line is an event cut short (a log still being written, a cut stream)
    records: list | None = None  # with keep_records: (JSON bytes, format) of each event, for filter


class ChunkDecoder:
    """Decodes chunks of JSON lines into events: one C call per chunk when every line is a plain
    event, line by line (to name the bad lines and take wrappers apart) otherwise.

    ``only`` is a format name (``--input-format``): records of other formats are skipped."""

    def __init__(self, sized: bool = False, only: str | None = None, max_size: int | None = None,
                 keep_records: bool = False):
        self.sized = sized
        self.keep_records = keep_records
        self.only = only
        self.max_size = max_size or MAX_EVENT_SIZE
        self.event_type = SizedEvent if sized else Event
        self._decoder = msgspec.json.Decoder(self.event_type)

    def decode(self, chunk: Piece | Oversized, first_line: int, source: str, label: str = "raw") -> Decoded:
        if type(chunk) is Oversized:
            return self.oversized(chunk, first_line, source, label)
        if self.only is None or self.only == label:
            fast = self._fast(chunk, label)
            if fast is not None:
                return fast
        return self._line_by_line(chunk, first_line, source, label)

    def shallow_event(self, data: bytes):
        """The event of JSON too deeply nested to parse whole, from its top-level fields (the
        request attributes); None when they do not make one."""
        fields = top_level_fields(data)
        if fields is None:
            return None
        wanted = b",".join(_KEYS[key] + bytes(value) for key, value in fields.items() if key in _KEYS)
        try:
            event = self._decoder.decode(b"{" + wanted + b"}")
        except (msgspec.DecodeError, RecursionError):
            return None
        if self.sized:
            event.requestObject = fields.get("requestObject", msgspec.Raw(b""))
            event.responseObject = fields.get("responseObject", msgspec.Raw(b""))
        return event

    def oversized(self, chunk: Oversized, number: int, source: str, label: str) -> Decoded:
        message = (f"{formats.OVERSIZED}: {chunk.size:,} bytes or more, over the maximum event size of "
                   f"{self.max_size:,} (--max-event-size); skipped unread")
        return Decoded([], [BadLine(source, number, message)], [] if self.sized else None,
                       skipped={(label, formats.OVERSIZED): 1}, records=[] if self.keep_records else None)

    def _fast(self, chunk: Piece, label: str) -> Decoded | None:
        records = None
        try:
            if self.sized or self.keep_records:
                lines = list(filter(None, bytes(chunk).split(b"\n")))
                events = list(map(self._decoder.decode, lines))
                sizes = list(map(len, lines)) if self.sized else None
                records = [(line, label) for line in lines] if self.keep_records else None
            else:
                events = self._decoder.decode_lines(chunk)
                sizes = None
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return None
        if None in map(_kind_of, events):
            return None  # kind-less objects need a closer look
        return Decoded(events, [], sizes, {label: len(events)} if events else {}, records=records)

    def _new(self) -> Decoded:
        return Decoded([], [], [] if self.sized else None, records=[] if self.keep_records else None)

    def _line_by_line(self, chunk: Piece, first_line: int, source: str, label: str) -> Decoded:
        out = self._new()
        into = _Into(self, out, source)
        data = bytes(chunk)
        last_cut = not data.endswith(b"\n")  # the input's last line, without its newline
        lines = data.split(b"\n")
        for offset, line in enumerate(lines):
            if line.strip():
                into.line(line, first_line + offset, label, last=last_cut and offset == len(lines) - 1)
        return out

    def decode_document(self, data: bytes, source: str, label: str = "raw") -> Decoded:
        """A whole JSON document: an EventList, an export envelope or array, or one event. Input
        that is not one JSON document after all is read as JSON lines."""
        out = self._new()
        data = data.removeprefix(BOM)
        try:
            msgspec.json.decode(data, type=msgspec.Raw)
        except msgspec.DecodeError as exc:
            if "trailing characters" not in str(exc):
                return self._line_by_line(data, 1, source, label)
        except RecursionError:
            pass
        formats.record(data, 1, _Into(self, out, source), label)
        return out


class _Into:
    """Takes the records of one chunk apart into a Decoded (the formats.Sink of ChunkDecoder)."""

    def __init__(self, decoder: ChunkDecoder, out: Decoded, source: str):
        self.decoder = decoder
        self.out = out
        self.source = source
        self.only = decoder.only

    def line(self, line: bytes, number: int, label: str, last: bool = False) -> None:
        try:
            event = self.decoder._decoder.decode(line)
        except msgspec.ValidationError:  # (a subclass of DecodeError): an EventList, or an event gone wrong
            formats.record(line, number, self, label)
            return
        except msgspec.DecodeError as exc:
            if last and "truncated" in str(exc):
                self.out.cut = True  # the last line, cut short: the input's cut, not a bad line
                return
            repaired = without_lone_surrogates(line)
            if repaired is not None:
                self.line(repaired, number, label, last)
                return
            formats.record(line, number, self, label)  # several JSON documents on a line, or not JSON
            return
        except RecursionError:  # a body nested deeper than the parser goes: decide from the top level
            event = self.decoder.shallow_event(line)
            if event is None:
                self.skip(label, formats.NESTED, number, f"not an audit event: {formats.NESTED}")
                return
        if event.looks_like_event():
            self.add(event, len(line), label, number, data=line)
        else:
            formats.record(line, number, self, label)

    def add(self, event, size: int, fmt: str, number: int, where: str = "", data: bytes | None = None) -> None:
        if self.only is not None and fmt != self.only:
            self.skip(fmt, formats.OTHER_FORMAT, number, f"{where}a {fmt} record, not {self.only} (--input-format)")
            return
        out = self.out
        out.events.append(event)
        out.formats[fmt] = out.formats.get(fmt, 0) + 1
        if out.sizes is not None:
            out.sizes.append(size)
        if out.records is not None:
            out.records.append((data, fmt))

    def skip(self, fmt: str, reason: str, number: int, message: str | None = None) -> None:
        key = (fmt, reason)
        self.out.skipped[key] = self.out.skipped.get(key, 0) + 1
        if message is not None:
            self.out.bad.append(BadLine(self.source, number, message))

    # --- formats.Sink ---

    def event(self, data: bytes, fmt: str, number: int, where: str) -> None:
        decode = self.decoder._decoder.decode
        try:
            event = decode(data)
        except msgspec.ValidationError as exc:
            self.skip(fmt, formats.NOT_EVENT, number, f"{where}not an audit event: {exc}")
            return
        except msgspec.DecodeError as exc:
            if "truncated" not in str(exc):
                self.skip(fmt, formats.NOT_JSON, number, f"{where}not JSON: {exc}")
                return
            whole = formats.salvage(data)
            try:
                event = decode(whole) if whole is not None else None
            except (msgspec.DecodeError, msgspec.ValidationError):
                event = None
            if event is None:
                self.skip(fmt, formats.CUT_LOST, number,
                          f"{where}{formats.CUT_LOST} ({len(data):,} bytes kept of the event)")
                return
            self.out.truncated[fmt] = self.out.truncated.get(fmt, 0) + 1
            size, data = len(data), whole  # the bytes the sink kept; the fields that survived whole
            self._add_checked(event, size, fmt, number, where, data)
            return
        except RecursionError:
            event = self.decoder.shallow_event(data)
            if event is None:
                self.skip(fmt, formats.NESTED, number, f"{where}not an audit event: {formats.NESTED}")
                return
        self._add_checked(event, len(data), fmt, number, where, data)

    def _add_checked(self, event, size: int, fmt: str, number: int, where: str, data: bytes) -> None:
        if not event.looks_like_event():
            self.skip(fmt, formats.NOT_EVENT, number,
                      f"{where}not an audit event: no kind, verb, requestURI or objectRef")
            return
        self.add(event, size, fmt, number, where, data=data)

    def raw_item(self, data: bytes, fmt: str, number: int, where: str) -> None:
        try:
            event = self.decoder._decoder.decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self.skip(fmt, formats.NOT_EVENT, number, f"{where}not an audit event: {exc}")
            return
        except RecursionError:
            event = self.decoder.shallow_event(data)
            if event is None:
                self.skip(fmt, formats.NESTED, number, f"{where}not an audit event: {formats.NESTED}")
                return
        if not event.looks_like_event():
            self.skip(fmt, formats.NOT_EVENT, number,
                      f"{where}not an audit event: no kind, verb, requestURI or objectRef")
            return
        self.add(event, len(data), fmt, number, where, data=data)

    def struct_event(self, event, size: int, fmt: str, number: int = 0, data: bytes | None = None) -> None:
        if self.decoder.sized and not isinstance(event, SizedEvent):
            event = SizedEvent(**{f: getattr(event, f) for f in event.__struct_fields__})
        self.add(event, size, fmt, number, data=data)
