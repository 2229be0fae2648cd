"""Strings from policies, logs, test files and file names, made safe for the output they land in.

A user name, a resource, a file name or a test's name is whatever its author typed: terminal
escape sequences, a carriage return or right-to-left override that rewrites what the reader sees,
Markdown or HTML that turns into a link or a script, an XML character JUnit readers choke on. Every
formatter passes such strings through one of these functions: ``terminal``/``one_line`` for text
output, ``markdown`` (text), ``markdown_code`` (inline code) and ``markdown_link`` for Markdown,
``xml`` for XML. (HTML goes through Jinja's autoescaping; SARIF and workflow commands have their
own escaping in output/sarif.py and output/github.py.)
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


def markdown_code(text: str) -> str:
    """``text`` as inline code: on one line, fenced with more backticks than any run inside (code
    spans show everything else literally, HTML included)."""
    text = one_line(text).replace("|", "\\|")  # a table cell ends at a bare |, even in code
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


_SAFE_TARGET = re.compile(r"^(https?://|#|[A-Za-z0-9_./-])")


def markdown_link(text: str, target: str) -> str:
    """A link whose text is literal and whose target is a web or relative address (anything else,
    ``javascript:`` included, is shown as text without a link)."""
    from urllib.parse import quote

    if not _SAFE_TARGET.match(target) or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target) and \
            not target.startswith(("http://", "https://")):
        return markdown(text)
    return f"[{markdown(text)}]({quote(target, safe='/:#?&=%~+@!$,;')})"


def xml(text: str) -> str:
    """Text for an XML attribute or element: the characters XML 1.0 cannot hold are shown as \\xNN;
    the XML writer escapes the rest."""
    return _XML_INVALID.sub(_visible, text)
