"""The top-level fields of a JSON object without parsing what is nested in them.

msgspec, like every recursive parser, gives up on values nested deeper than the interpreter's
recursion limit (about 1,000 levels). An audit event whose request or response body nests deeper
still has its request attributes at the top: ``top_level_fields`` finds each top-level value's
extent with a flat scan (strings skipped whole, brackets counted), so the event can be decided
from the fields the engine reads, and a body is passed on or measured without being parsed.
"""

from __future__ import annotations

import re

import msgspec

# a string literal, or one structural character; everything else (numbers, true, false, null,
# whitespace) lies between the matches
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\]:,]', re.S)


def top_level_fields(data: bytes) -> dict[str, msgspec.Raw] | None:
    """``{key: raw value}`` of the JSON object in ``data``, or None when it is not one object
    (malformed, a string left open, brackets that do not match)."""
    start = data.find(b"{")
    if start < 0 or data[:start].strip():
        return None
    fields: dict[str, msgspec.Raw] = {}
    depth = 0
    key: str | None = None
    expect_key = True
    value_start = scalar_start = -1
    for match in _TOKEN.finditer(data, start):
        token = match.group()
        if token == b"{" or token == b"[":
            if depth == 1 and value_start < 0:
                value_start = match.start()
            depth += 1
        elif token == b"}" or token == b"]":
            depth -= 1
            if depth == 0:
                if key is not None:
                    begin = value_start if value_start >= 0 else scalar_start
                    if begin < 0:
                        return None
                    fields[key] = msgspec.Raw(data[begin:match.start()].strip())
                return fields if not data[match.end():].strip() else None
            if depth < 0:
                return None
        elif depth == 1:
            if token == b":":
                value_start = -1
                expect_key = False
                scalar_start = match.end()
            elif token == b",":
                if key is not None:
                    begin = value_start if value_start >= 0 else scalar_start
                    if begin < 0:
                        return None
                    fields[key] = msgspec.Raw(data[begin:match.start()].strip())
                key, value_start, expect_key = None, -1, True
            elif token.startswith(b'"'):
                if expect_key:
                    try:
                        key = msgspec.json.decode(token, type=str)
                    except msgspec.DecodeError:
                        return None
                elif value_start < 0:
                    value_start = match.start()
    return None


_LONE_HIGH = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})")
_LONE_LOW = re.compile(rb"(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def without_lone_surrogates(data: bytes) -> bytes | None:
    """JSON with each lone UTF-16 surrogate escape (``\\ud800`` not followed by a low one) replaced
    by U+FFFD, as Go's encoder writes an invalid character; None when there is none."""
    if b"\\u" not in data:
        return None
    fixed = _LONE_LOW.sub(rb"\\ufffd", _LONE_HIGH.sub(rb"\\ufffd", data))
    return fixed if fixed != data else None
