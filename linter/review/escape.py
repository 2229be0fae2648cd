"""Strings from policies, test files and requests, made safe for the output they land in.

A user name, a resource or a test's name is whatever its author typed: terminal escape sequences,
Markdown that turns into a link, an XML character JUnit readers choke on. Every formatter of this
package passes such strings through one of these functions.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+.!|~:$@])")  # links, emphasis, code, math, mentions
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """No control characters (escape sequences, carriage returns, bidi overrides): shown as \\xNN.
    Tabs and line breaks stay, callers put multi-line values on their own lines."""
    return _CONTROL.sub(_visible, text)


def one_line(text: str) -> str:
    """``terminal`` and no line breaks either."""
    return terminal(text).replace("\n", "\\n").replace("\t", "\\t")


def markdown(text: str) -> str:
    """Literal text in Markdown (a table cell included): every punctuation character that could
    start a construct is backslash-escaped, HTML specials become entities, controls are shown."""
    text = one_line(text)
    text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml(text: str) -> str:
    """Text for an XML attribute or element: the characters XML 1.0 cannot hold are shown as \\xNN;
    the XML writer escapes the rest."""
    return _XML_INVALID.sub(_visible, text)
