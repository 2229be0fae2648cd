"""Line-preserving text edits: positions are those of the YAML nodes (1-based, end exclusive)."""

from __future__ import annotations

import re

from kube_audit_lint.findings import Edit

PLAIN_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


ODD_BREAKS = ("\x85", "\u2028", "\u2029")  # line breaks to the YAML parser, not to these edits


def lines_of(text: str) -> list[str]:
    """The lines of ``text`` as the YAML parser counts them (``\n`` and ``\r\n`` endings kept)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return lines + [parts[-1]] if parts[-1] else lines


def editable(text: str) -> bool:
    """Lines end only in ``\n`` or ``\r\n``, so the parser's line numbers are ours."""
    return not any(mark in text for mark in ODD_BREAKS) and "\r" not in text.replace("\r\n", "")


def offset(text_lines: list[str], line: int, column: int) -> int:
    return sum(len(part) for part in text_lines[:line - 1]) + column - 1


def apply_edits(text: str, edits) -> str:
    """``text`` with ``edits`` made (they must not overlap; insertions at one point keep their order)."""
    text_lines = lines_of(text)
    spans = [(offset(text_lines, e.line, e.column), offset(text_lines, e.end_line, e.end_column), n, e.text)
             for n, e in enumerate(edits)]
    for start, end, _, new in sorted(spans, key=lambda s: (s[0], s[1], s[2]), reverse=True):
        text = text[:start] + new + text[end:]
    return text


def overlaps(a: Edit, b: Edit) -> bool:
    """Two edits touch the same text (or insert at the same point)."""
    a_start, a_end = (a.line, a.column), (a.end_line, a.end_column)
    b_start, b_end = (b.line, b.column), (b.end_line, b.end_column)
    return a_start <= b_end and b_start <= a_end


def token(text_lines: list[str], span) -> str:
    if span.line != span.end_line:
        return ""
    return text_lines[span.line - 1][span.column - 1:span.end_column - 1]


def scalar_like(original: str, value: str) -> str:
    """``value`` written as ``original`` was: in the same quotes, or plain when it can be."""
    quote = original[:1] if original[:1] in ("'", '"') else ""
    if not quote and value and PLAIN_SAFE.fullmatch(value) and value not in ("true", "false", "null", "yes", "no"):
        return value
    return f"{quote or chr(34)}{value}{quote or chr(34)}"


def replace_token(span, new: str) -> Edit:
    return Edit(span.line, span.column, span.end_line, span.end_column, new)


def indentation(line_text: str) -> str:
    return line_text[:len(line_text) - len(line_text.lstrip(" \t"))]


def _is_comment(line_text: str) -> bool:
    return line_text.lstrip().startswith("#")


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def above_comments(text_lines: list[str], line: int) -> int:
    """The first line of the comment lines directly above ``line`` (they describe it), else ``line``."""
    while line > 1 and _is_comment(text_lines[line - 2]):
        line -= 1
    return line


def block_item(text_lines: list[str], span) -> tuple[str, str] | None:
    """(indentation of the ``-``, indentation of the content after it) of a block sequence item
    whose content starts at ``span``; None when it is not a block item alone at the start of its line."""
    line_text = text_lines[span.line - 1]
    before = line_text[:span.column - 1]
    stripped = before.rstrip(" ")
    if not stripped.endswith("-") or stripped[:-1].strip(" "):
        return None
    dash = stripped[:-1]
    return dash, " " * (len(before) - len(dash))


def rule_block(body: list[str], dash: str, content: str, newline: str) -> str:
    """A rule written as a block sequence item: ``body`` lines are ``key: value`` (nested ones
    carry their own extra indentation)."""
    out = [f"{dash}-{content[1:] if content else ' '}{body[0]}"]
    out += [f"{dash}{' ' * len(content) if content else '  '}{line}" for line in body[1:]]
    return "".join(line + newline for line in out)


def insert_rule_before(policy, text: str, index: int, body: list[str]) -> Edit | None:
    """Insert a rule before rule ``index`` (and the comments just above it)."""
    text_lines = lines_of(text)
    item = block_item(text_lines, policy.span(("rules", index)))
    if item is None:
        return None
    line = above_comments(text_lines, policy.span(("rules", index)).line)
    if indentation(text_lines[line - 1]) != item[0]:
        line = policy.span(("rules", index)).line
    return Edit(line, 1, line, 1, rule_block(body, item[0], item[1], newline_of(text)))


def append_rule(policy, text: str, body: list[str]) -> Edit | None:
    """Insert a rule after the last line of the last rule (before any comment that follows it)."""
    if not policy.rules:
        return None
    text_lines = lines_of(text)
    last = policy.span(("rules", len(policy.rules) - 1))
    item = block_item(text_lines, last)
    if item is None:
        return None
    end = min(last.end_line if last.end_column > 1 else last.end_line - 1, len(text_lines))
    while end > last.line and (not text_lines[end - 1].strip() or _is_comment(text_lines[end - 1])):
        end -= 1
    newline = newline_of(text)
    block = rule_block(body, item[0], item[1], newline)
    if not text_lines[end - 1].endswith(("\n", "\r")):
        return Edit(end, len(text_lines[end - 1]) + 1, end, len(text_lines[end - 1]) + 1, newline + block.rstrip("\r\n"))
    return Edit(end + 1, 1, end + 1, 1, block)


def add_to_flow_list(text_lines: list[str], span, items: list, value: str) -> Edit | None:
    """Add ``value`` at the end of a one-line flow list ``[a, b]`` at ``span``."""
    written = token(text_lines, span)
    if not (written.startswith("[") and written.endswith("]")):
        return None
    last_item = items[-1] if items else None
    quoted = scalar_like(token(text_lines, last_item), value) if last_item else f'"{value}"'
    inner = written[1:-1]
    new = f"{written[:-1].rstrip()}, {quoted}]" if inner.strip() else f"[{quoted}]"
    return replace_token(span, new)


def add_to_block_list(text_lines: list[str], item_spans: list, value: str, newline: str) -> Edit | None:
    """Add ``- value`` after the last item of a block sequence."""
    if not item_spans:
        return None
    last = item_spans[-1]
    item = block_item(text_lines, last)
    if item is None or last.end_line != last.line:
        return None
    quoted = scalar_like(token(text_lines, last), value)
    return Edit(last.line + 1, 1, last.line + 1, 1, f"{item[0]}-{item[1][1:] or ' '}{quoted}{newline}")


def add_to_list(policy, text: str, path, value: str) -> Edit | None:
    """Add ``value`` to the string list at ``path``, in the list's own style."""
    text_lines = lines_of(text)
    data = policy.document.data
    for part in path:
        data = data[part]
    spans = [policy.document.spans[path + (i,)] for i in range(len(data)) if path + (i,) in policy.document.spans]
    span = policy.document.spans.get(tuple(path))
    if span is None:
        return None
    flow = add_to_flow_list(text_lines, span, spans, value)
    return flow or add_to_block_list(text_lines, spans, value, newline_of(text))


def stage_lines(policy) -> list[str]:
    """``omitStages`` for a new logging rule, as the policy's logging rules write it: each omits
    RequestReceived on its own (none at the policy level), so the new rule does as well."""
    stage = "RequestReceived"
    if stage in policy.omit_stages:
        return []
    logging = [r for r in policy.rules if r.level not in ("None", "")]
    if logging and all(stage in r.omit_stages for r in logging):
        return [f'omitStages: ["{stage}"]']
    return []
