"""One recorded event, by file and line (``explain --event FILE:LINE``), in any format replay reads.

The line is decoded as replay decodes it (raw events, EventList, every managed-cluster export in
``formats``; compressed or not). A line or document that holds several events (an export envelope)
needs ``index`` (1-based) to say which; a whole JSON document spread over lines (a pretty-printed
EventList or export) is line 1.
"""

from __future__ import annotations

from kube_audit_lint.policy.yamlnodes import InputError
from kube_audit_lint.replay.events import Event
from kube_audit_lint.replay.reading import (
    MAX_EVENT_SIZE, ChunkDecoder, LogError, Oversized, is_whole_document, open_input, split_lines,
)
from kube_audit_lint.replay.runner import line_label


def event_at(path: str, line: int, index: int | None = None) -> tuple[Event, str]:
    """The event on ``line`` of ``path`` and its format. InputError with a one-line reason when the
    file cannot be read, has fewer lines, or holds no such event."""
    if line < 1:
        raise InputError(path, line, 1, "line numbers start at 1")
    try:
        with open_input(path) as source:
            pieces = split_lines(source.read, chunk_size=1 << 16)
            number = 0
            first = None
            for piece, count in pieces:
                if first is None:
                    first = piece
                    if type(piece) is not Oversized and is_whole_document(bytes(piece)):
                        return _whole_document(path, line, index, piece, pieces)
                for text in _lines(piece, count):
                    number += 1
                    if number == line:
                        return _pick(path, line, index, text, line_label(first))
    except LogError as exc:
        raise InputError(path, line, 1, str(exc).removeprefix(f"{path}: ")) from None
    raise InputError(path, line, 1, f"the file has only {number} line(s)")


def _lines(piece, count: int):
    if type(piece) is Oversized:
        yield piece
        return
    data = bytes(piece)
    parts = data.split(b"\n")
    yield from parts[:count] if data.endswith(b"\n") else parts


def _whole_document(path: str, line: int, index: int | None, first, pieces) -> tuple[Event, str]:
    if line != 1:
        raise InputError(path, line, 1, "the file is one JSON document (an EventList or an export): "
                                        "it is line 1, with --event-index to choose among its events")

    data = bytes(first) + b"".join(bytes(p) for p, _ in pieces if type(p) is not Oversized)
    decoded = ChunkDecoder().decode_document(data, path, line_label(data))
    return _choose(path, line, index, decoded)


def _pick(path: str, line: int, index: int | None, text, label: str) -> tuple[Event, str]:
    if type(text) is Oversized:
        raise InputError(path, line, 1, f"a line of {text.size:,} bytes or more, over the maximum event size "
                                        f"({MAX_EVENT_SIZE:,} bytes)")
    if not text.strip():
        raise InputError(path, line, 1, "empty line, not an audit event")
    decoded = ChunkDecoder().decode(text + b"\n", line, path, label)
    return _choose(path, line, index, decoded)


def _choose(path: str, line: int, index: int | None, decoded) -> tuple[Event, str]:
    events = decoded.events
    formats = [fmt for fmt, n in decoded.formats.items() for _ in range(n)]
    if not events:
        reason = decoded.bad[0].message if decoded.bad else "not an audit event"
        raise InputError(path, line, 1, reason)
    if index is None:
        if len(events) > 1:
            raise InputError(path, line, 1, f"holds {len(events)} events ({formats[0]}): "
                                            f"choose one with --event-index 1..{len(events)}")
        index = 1
    if not 1 <= index <= len(events):
        raise InputError(path, line, 1, f"--event-index {index}: it holds {len(events)} event(s)")
    return events[index - 1], formats[min(index - 1, len(formats) - 1)]
