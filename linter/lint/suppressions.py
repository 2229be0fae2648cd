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
it). The suppressions themselves are judged by the checks KAL090-KAL094; those findings cannot be
suppressed by comments (configuration can ignore them or change their severity). A suppression of a
check that did not run on the file (not selected, or ignored) is not judged: nothing shows whether
it is still needed.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from dataclasses import dataclass, field

from kube_audit_lint.findings import Finding, Location, Report, Severity, Suppression

# The checks this pass reports as (documented in checks/kal09x_*.py).
UNUSED = ("KAL090", "unused-suppression")
WITHOUT_REASON = ("KAL091", "suppression-without-reason")
EXPIRED = ("KAL092", "expired-suppression")
NOT_ALLOWED = ("KAL093", "suppression-not-allowed")
INVALID = ("KAL094", "invalid-suppression")
PASS_CHECKS = (UNUSED, WITHOUT_REASON, EXPIRED, NOT_ALLOWED, INVALID)
PASS_CODES = frozenset(code for code, _ in PASS_CHECKS)
DEFAULT_SEVERITY = {
    UNUSED[0]: Severity.NOTE, WITHOUT_REASON[0]: Severity.NOTE, EXPIRED[0]: Severity.WARNING,
    NOT_ALLOWED[0]: Severity.WARNING, INVALID[0]: Severity.WARNING,
}

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
    from kube_audit_lint.policy.yamlnodes import looks_like_json

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
    from kube_audit_lint.lint.registry import find_check

    _, equals, value = token.partition("=")
    if not equals:
        return []
    entries = []
    offset = token_start + token.index("=") + 1
    for match in re.finditer(r"[^\s,]+", value.lstrip()):
        column = line.index(match.group(), offset) + 1
        offset = column - 1 + len(match.group())
        spec = find_check(match.group())
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


def apply_to_report(report: Report, settings, today: datetime.date | None = None) -> Report:
    """``report`` with its findings suppressed by the comments in its sources, and the findings
    about the suppressions themselves added (for the checks among KAL090-KAL094 that run)."""
    today = today or datetime.date.today()
    directives = {path: parse_directives(path, text) for path, text in report.sources.items()}
    blocked = _non_suppressible_codes(settings)
    findings = [_suppress(f, directives.get(f.location.path, ()), blocked, today) for f in report.findings]
    for path, found in directives.items():
        findings += judge(path, found, settings, today)
    findings.sort(key=lambda f: (f.location.path, f.location.line, f.location.column, f.code, f.message))
    return dataclasses.replace(report, findings=findings)


def _non_suppressible_codes(settings) -> set[str]:
    from kube_audit_lint.lint.registry import find_check

    codes = set(PASS_CODES)
    for name in settings.non_suppressible:
        spec = find_check(name)
        if spec is not None:
            codes.add(spec.code)
    return codes


def _suppress(finding: Finding, directives, blocked: set[str], today: datetime.date) -> Finding:
    """``finding`` suppressed by the most specific live directive that names it, if any."""
    if finding.suppressed or finding.code in PASS_CODES:
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


def judge(path: str, directives: list[Directive], settings, today: datetime.date) -> list[Finding]:
    """The findings about ``path``'s suppressions, for the pass checks that run on ``path``."""
    if not directives:
        return []
    from kube_audit_lint.lint.pipeline import select_checks

    ran = {spec.code: spec for spec in select_checks(settings, path)}
    reporter = _Reporter(ran, settings)
    for directive in directives:
        reporter.directive(directive, today)
    return reporter.findings


class _Reporter:
    def __init__(self, ran: dict, settings):
        self.ran = ran
        self.settings = settings
        self.blocked = _non_suppressible_codes(settings)
        self.findings: list[Finding] = []

    def add(self, check: tuple[str, str], location: Location, message: str, subject: str, fix: str) -> None:
        code, name = check
        if code not in self.ran:
            return
        self.findings.append(Finding(
            code=code, name=name, severity=self.severity(code), message=message, location=location,
            fix=fix, subject=subject,
        ))

    def severity(self, code: str) -> Severity:
        if code == WITHOUT_REASON[0] and self.settings.require_reasons:
            return Severity.ERROR
        spec = self.ran[code]
        for key in (spec.code, spec.name):
            if key in self.settings.severity:
                return Severity.parse(self.settings.severity[key])
        return spec.severity

    def directive(self, d: Directive, today: datetime.date) -> None:
        if d.problem:
            self.add(INVALID, d.location, f"invalid suppression: {d.problem}", f"invalid suppression: {d.problem}",
                     "write '# kube-audit-lint: disable=CHECK[,CHECK] [until=YYYY-MM-DD] -- reason'")
            return
        if not d.reason:
            required = " (required by require-reasons)" if self.settings.require_reasons else ""
            self.add(WITHOUT_REASON, d.location, f"suppression without a reason{required}: add '-- why' after the checks",
                     "suppression without a reason", "add ' -- <why this finding is acceptable here>'")
        for entry in d.entries:
            self.entry(d, entry, today)
        if d.expired(today):
            what = ", ".join(e.written for e in d.entries) or "every check in this file"
            reason = f" (reason given: {d.reason})" if d.reason else ""
            self.add(EXPIRED, d.location,
                     f"suppression expired on {d.until.isoformat()}: {what} is reported again{reason}",
                     f"expired suppression of {what}",
                     "fix the finding, or renew the suppression with a new date and reason")
        elif not d.entries:
            for code, name in sorted(d.blocked.items()):
                self.not_allowed(d.location, code, name)
            if not d.used and not d.blocked:
                self.add(UNUSED, d.location, "unused suppression: nothing in this file to suppress",
                         "unused disable-file", "remove the comment")

    def entry(self, d: Directive, entry: Entry, today: datetime.date) -> None:
        location = d.entry_location(entry)
        if entry.code is None:
            self.add(UNUSED, location, f"unused suppression: unknown check {entry.written!r} (see: kube-audit-lint checks)",
                     f"unknown check {entry.written}", "name a check by its code or name, or remove it")
            return
        if entry.code in self.blocked:
            self.not_allowed(location, entry.code, entry.name)
            return
        if d.expired(today) or entry.used or entry.code not in self.ran:
            return
        where = "in this file"
        if d.scope == "line" and d.target:
            where = f"on line {d.target}" if d.target == d.target_end else f"on lines {d.target}-{d.target_end}"
        self.add(UNUSED, location, f"unused suppression: {entry.code} ({entry.name}) reports nothing {where}",
                 f"unused suppression of {entry.code}", f"remove {entry.written} from the comment")

    def not_allowed(self, location: Location, code: str, name: str) -> None:
        if code in PASS_CODES:
            why = "findings about suppressions cannot be suppressed by a comment; use ignore or severity in the configuration"
        else:
            origin = self.settings.origins.get("non_suppressible", "the configuration")
            why = f"it is non-suppressible ({origin}); the finding is reported"
        self.add(NOT_ALLOWED, location, f"{code} ({name}) cannot be suppressed: {why}",
                 f"suppression of non-suppressible {code}", "fix the finding; remove the suppression")
