"""Inline suppressions: ``# kube-audit-lint: disable=...`` comments in the policy files.

Forms (checks named by code or name, comma-separated)::

    - level: RequestResponse  # kube-audit-lint: disable=KAL020 -- why it is fine here
    # kube-audit-lint: disable=KAL020,health-endpoint-logged until=2026-12-31 -- ticket OPS-12
    # kube-audit-lint: disable-file -- generated file
    # kube-audit-lint: disable-file=KAL006 -- why

A trailing comment applies to findings on its own line; a comment on a line of its own applies to
the next line that is neither blank nor a comment. Either way the lines nested under that line
count as the line (a comment above ``- level: None`` covers that rule, one above ``- group: apps``
that entry), judged by indentation. ``disable-file`` applies anywhere in the file.
``until=`` keeps a suppression up to and including that day; after it, the finding is reported again.

A suppressed finding stays in the report with its ``Suppression`` (formatters show it, SARIF keeps
it). This module reads the comments and applies them; the suppressions themselves are judged by
checks of the ``findings`` scope (checks/kal090_*.py to kal094_*.py), which the pipeline runs on each
file next, with the comments as marked here. The findings of such checks cannot be suppressed by
comments (configuration can ignore them or change their severity). A suppression of a check that
did not run on the file (not selected, or ignored) is not judged: nothing shows whether it is still
needed.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from dataclasses import dataclass, field

from kube_audit_lint.findings import Finding, Location, Report, Suppression
from kube_audit_lint.lint import registry  # looked up when called: the checks can be swapped (tests)
from kube_audit_lint.policy.yamlnodes import looks_like_json

DIRECTIVES = ("disable", "disable-file")
_PREFIX = re.compile(r"^\s*kube-audit-lint\s*:\s*", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BLOCK_SCALAR = re.compile(r"(^|[\s:\-])[|>][0-9+\-]*\s*$")


# ---------------------------------------------------------------------------------------------
# Comments in YAML text


@dataclass(frozen=True)
class Comment:
    line: int  # 1-based
    column: int  # 1-based column of '#'
    text: str  # after '#'
    own_line: bool  # nothing but white space before it


def yaml_comments(text: str) -> list[Comment]:
    """The ``#`` comments of a YAML text: not ``#`` inside quoted strings or block scalars.

    Tolerant rather than exact: a line scanner that knows quotes (also across lines) and the
    indentation of ``|``/``>`` block scalars, which covers how policies are written.
    """
    comments: list[Comment] = []
    quote: str | None = None  # an open quoted scalar carried over from an earlier line
    block_parent: int | None = None  # inside a block scalar whose parent sits at this indent
    for number, line in enumerate(text.splitlines(), 1):
        indent = len(line) - len(line.lstrip(" "))
        if block_parent is not None:
            if not line.strip() or indent > block_parent:
                continue
            block_parent = None
        comment, quote = _scan_line(line, quote)
        if comment is not None:
            comments.append(Comment(number, comment + 1, line[comment + 1:], not line[:comment].strip()))
        content = line[:comment] if comment is not None else line
        if quote is None and _BLOCK_SCALAR.search(content.rstrip()):
            block_parent = _block_parent_indent(content)
    return comments


def _scan_line(line: str, quote: str | None) -> tuple[int | None, str | None]:
    """Index of the comment's '#' (or None), and the quote still open at the end of the line."""
    index = 0
    previous = None  # last non-space character outside quotes
    while index < len(line):
        char = line[index]
        if quote == "'":
            if char == "'":
                if line[index + 1: index + 2] == "'":
                    index += 1
                else:
                    quote = None
        elif quote == '"':
            if char == "\\":
                index += 1
            elif char == '"':
                quote = None
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return index, None
        elif char in "'\"" and previous in (None, ":", "-", "[", "{", ",", "?"):
            # only where a scalar can start: an apostrophe inside plain text is just a letter
            quote = char
        if quote is None and not char.isspace():
            previous = char if char not in "'\"" else "x"
        index += 1
    return None, quote


def _block_parent_indent(content: str) -> int:
    """The indent a block scalar's lines must exceed: the column of the key (or dash) that owns it."""
    stripped = content.lstrip(" ")
    column = len(content) - len(stripped)
    while stripped.startswith("- "):
        rest = stripped[2:].lstrip(" ")
        if rest[:1] in "|>":
            return column
        column += len(stripped) - len(rest)
        stripped = rest
    return column


# ---------------------------------------------------------------------------------------------
# Directives


@dataclass
class Entry:
    """One check named in a directive."""

    written: str
    column: int
    code: str | None  # None: no such check
    name: str | None
    used: bool = False


@dataclass
class Directive:
    path: str
    line: int
    column: int
    end_column: int
    scope: str  # "line" or "file"
    entries: list[Entry] = field(default_factory=list)  # empty for a bare disable-file
    until: datetime.date | None = None
    reason: str = ""
    target: int | None = None  # the line a line directive applies to
    target_end: int | None = None  # the last line nested under it (the rule or entry it opens)
    problem: str = ""  # why the comment is not a valid directive
    used: bool = False  # a bare disable-file that suppressed something
    blocked: dict[str, str] = field(default_factory=dict)  # code -> name of non-suppressible checks it met

    @property
    def location(self) -> Location:
        return Location(self.path, self.line, self.column, self.line, self.end_column)

    def entry_location(self, entry: Entry) -> Location:
        return Location(self.path, self.line, entry.column, self.line, entry.column + len(entry.written))

    def expired(self, today: datetime.date) -> bool:
        return self.until is not None and today > self.until

    def names(self, code: str) -> bool:
        return any(entry.code == code for entry in self.entries)


def parse_directives(path: str, text: str) -> list[Directive]:
    """Every ``kube-audit-lint:`` comment in ``text``, valid or not (``problem`` says why not)."""
    if looks_like_json(text) or "kube-audit-lint" not in text.lower():
        return []  # JSON has no comments; most files have no directive at all
    lines = text.splitlines()
    comments = yaml_comments(text)
    comment_lines = {c.line for c in comments if c.own_line}
    directives = []
    for comment in comments:
        prefix = _PREFIX.match(comment.text)
        if not prefix:
            continue
        line_text = lines[comment.line - 1]
        directive = Directive(path, comment.line, comment.column, len(line_text.rstrip()) + 1, "line")
        body_start = comment.column + prefix.end()  # 0-based index of the body in the line
        _parse_body(directive, line_text, body_start)
        if directive.scope == "line":
            directive.target = comment.line if not comment.own_line else _next_code_line(lines, comment.line, comment_lines)
            if directive.target is not None:
                directive.target_end = _nested_end(lines, directive.target, comment_lines)
        directives.append(directive)
    return directives


def _next_code_line(lines: list[str], after: int, comment_lines: set[int]) -> int | None:
    for number in range(after + 1, len(lines) + 1):
        if lines[number - 1].strip() and number not in comment_lines:
            return number
    return None


def _nested_end(lines: list[str], start: int, comment_lines: set[int]) -> int:
    """The last line of the YAML node that starts on line ``start``, judged by indentation.

    ``- level: None`` opens a whole rule, ``- group: apps`` a resources entry, ``resources:`` its
    list; a line with a scalar value is just itself. A finding inside the node is "on" the line.
    """
    opening = lines[start - 1]
    indent = len(opening) - len(opening.lstrip(" "))
    is_key_without_value = not opening.lstrip().startswith("- ") and opening.rstrip().endswith(":")
    end = start
    for number in range(start + 1, len(lines) + 1):
        text = lines[number - 1]
        if not text.strip() or number in comment_lines:
            continue
        current = len(text) - len(text.lstrip(" "))
        nested = current > indent or (is_key_without_value and current == indent and text.lstrip().startswith("- "))
        if not nested:
            break
        end = number
    return end


def _parse_body(directive: Directive, line: str, start: int) -> None:
    """Fill ``directive`` from ``disable=A,B until=DATE -- reason`` (``line[start:]``)."""
    body = line[start:]
    head, separator, reason = body.partition("--")
    directive.reason = reason.strip() if separator else ""
    tokens = list(re.finditer(r"[^\s=,]+(?:\s*=\s*[^\s=,]*(?:\s*,\s*[^\s=,]+)*)?", head))
    if not tokens:
        directive.problem = "expected disable=CHECKS or disable-file after 'kube-audit-lint:'"
        return
    first, *rest = tokens
    name, _, _ = first.group().partition("=")
    name = name.strip().lower()
    if name not in DIRECTIVES:
        directive.problem = f"unknown directive {name!r}{_suggest(name)} (expected disable=CHECKS or disable-file[=CHECKS])"
        return
    directive.scope = "file" if name == "disable-file" else "line"
    directive.entries = _entries(line, start + first.start(), first.group())
    if directive.scope == "line" and not directive.entries:
        directive.problem = "disable needs the checks it suppresses: disable=CODE[,CODE...]"
        return
    for token in rest:
        key, equals, value = (part.strip() for part in token.group().partition("="))
        if key.lower() != "until" or not equals:
            directive.problem = f"unexpected {token.group()!r} (a reason goes after '--')"
            return
        directive.until = _date(value)
        if directive.until is None:
            directive.problem = f"until={value}: expected a date YYYY-MM-DD"
            return


def _entries(line: str, token_start: int, token: str) -> list[Entry]:
    _, equals, value = token.partition("=")
    if not equals:
        return []
    entries = []
    offset = token_start + token.index("=") + 1
    for match in re.finditer(r"[^\s,]+", value.lstrip()):
        column = line.index(match.group(), offset) + 1
        offset = column - 1 + len(match.group())
        spec = registry.find_check(match.group())
        entries.append(Entry(match.group(), column, spec.code if spec else None, spec.name if spec else None))
    return entries


def _date(text: str) -> datetime.date | None:
    if not _DATE.match(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _suggest(name: str) -> str:
    """The directive a habit from another linter most likely meant."""
    import difflib

    squeezed = re.sub(r"[-_ ]", "", name)
    if squeezed in ("disablefile", "ignorefile", "skipfile"):
        return " (did you mean 'disable-file'?)"
    if squeezed.startswith(("disable", "ignore", "noqa", "skip", "nolint")):
        return " (did you mean 'disable'?)"
    close = difflib.get_close_matches(name, DIRECTIVES, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---------------------------------------------------------------------------------------------
# Applying them


def apply_to_report(report: Report, settings, today: datetime.date) -> tuple[Report, dict[str, list[Directive]]]:
    """``report`` with its findings suppressed by the comments in its sources, and those comments
    (by file), marked as used, or as blocked by a finding no comment may suppress. Judging them is
    for the checks of the findings scope, which run next (linter.lint.pipeline)."""
    directives = {path: parse_directives(path, text) for path, text in report.sources.items()}
    comment_proof = comment_proof_codes()
    blocked = comment_proof | non_suppressible_codes(settings)
    findings = [_suppress(f, directives.get(f.location.path, ()), comment_proof, blocked, today) for f in report.findings]
    return dataclasses.replace(report, findings=findings), directives


def comment_proof_codes() -> frozenset[str]:
    """The checks whose findings no comment suppresses: those that judge the others' findings
    (and so the suppressions themselves), declared by their scope."""
    return frozenset(spec.code for spec in registry.all_checks() if not spec.suppressible_by_comment)


def non_suppressible_codes(settings) -> frozenset[str]:
    """The checks the configuration's ``non-suppressible`` names."""
    specs = (registry.find_check(name) for name in settings.non_suppressible)
    return frozenset(spec.code for spec in specs if spec is not None)


def _suppress(finding: Finding, directives, comment_proof: frozenset[str], blocked: frozenset[str],
              today: datetime.date) -> Finding:
    """``finding`` suppressed by the most specific live directive that names it, if any."""
    if finding.suppressed or finding.code in comment_proof:
        return finding
    for directive in _candidates(finding, directives):
        if directive.problem or directive.expired(today):
            continue
        if finding.code in blocked:
            directive.blocked[finding.code] = finding.name
            continue
        for entry in directive.entries:
            if entry.code == finding.code:
                entry.used = True
        directive.used = True
        return finding.with_suppression(Suppression(
            kind="inline" if directive.scope == "line" else "file",
            justification=directive.reason,
            location=directive.location,
        ))
    return finding


def _candidates(finding: Finding, directives) -> list[Directive]:
    """Directives that would suppress ``finding``, the most specific first."""
    line = finding.location.line
    own = [d for d in directives
           if d.scope == "line" and d.target is not None and d.target <= line <= d.target_end and d.names(finding.code)]
    own.sort(key=lambda d: (-d.target, d.line != d.target, -d.line))  # the innermost node, its own line first
    by_code = [d for d in directives if d.scope == "file" and d.names(finding.code)]
    bare = [d for d in directives if d.scope == "file" and not d.entries]
    return own + by_code + bare
