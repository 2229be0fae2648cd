"""Text output (the default): one block per finding, grouped by file, then a closing count.

    policy.yaml:12:5: KAL001 [error] Secrets can be logged with their body (sensitive-body-captured)
       12 |   - level: RequestResponse
          |     ^^^^^^^^^^^^^^^^^^^^^^
          = example: get secrets/db-password -n prod by alice
          = fix: add a Metadata rule for secrets before rule 3

    Found 1 finding: 1 error (1 suppressed)

Suppressed findings are counted, not shown. Colour (ANSI) only when the caller asks for it.
"""

from __future__ import annotations

from kube_audit_lint.escape import one_line, terminal
from kube_audit_lint.findings import Finding, Report, Severity, with_headline
from kube_audit_lint.lint.grouping import also_summary
from kube_audit_lint.output.common import counts, describe_witness, group_by_file, ordered, plural, severity_breakdown, source_line

_RESET = "\033[0m"
_BOLD = "\033[1m"
_DIM = "\033[2m"
_SEVERITY_COLOURS = {Severity.ERROR: "\033[1;31m", Severity.WARNING: "\033[1;33m", Severity.NOTE: "\033[1;36m"}
_CARET_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.NOTE: "\033[36m"}


def render(report: Report, *, color: bool = False, quiet: bool = False) -> str:
    paint = _painter(color)
    blocks: list[str] = []
    grouping = report.grouping()
    shown = [finding for finding in ordered(report) if not finding.suppressed and grouping.shown(finding)]
    for _path, findings in group_by_file(shown):
        blocks.append("\n".join(finding_block(finding, report, paint, grouping.members(finding))
                                for finding in findings))
    if not quiet:
        blocks.append(closing_line(report))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def render_concise(report: Report, *, color: bool = False, quiet: bool = False) -> str:
    """One line per problem: ``path:line:col: CODE [severity] headline (name)``, no excerpt."""
    paint = _painter(color)
    grouping = report.grouping()
    lines = []
    for finding in ordered(report):
        if finding.suppressed or not grouping.shown(finding):
            continue
        headline = terminal(with_headline(finding.message).split("\n", 1)[0])
        also = len(grouping.members(finding))
        more = f" [+{also} same cause]" if also else ""
        lines.append(f"{paint(_BOLD, one_line(str(finding.location)))}: {paint(_BOLD, finding.code)}{fixable(finding)} "
                     f"{paint(_SEVERITY_COLOURS[finding.severity], '[' + finding.severity.label + ']')} "
                     f"{headline}{more} {paint(_DIM, '(' + finding.name + ')')}")
    if not quiet:
        lines.append(closing_line(report))
    return "".join(line + "\n" for line in lines)


def statistics(report: Report) -> str:
    """Counts per check, most frequent first (``--statistics``): active findings, shown or grouped."""
    from collections import Counter

    counts = Counter((f.code, f.name) for f in report.active)
    width = max((len(str(n)) for n in counts.values()), default=1)
    return "".join(f"{n:>{width}}  {code}  {name}\n" for (code, name), n in
                   sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def finding_block(finding: Finding, report: Report, paint, grouped: list[Finding] = ()) -> str:
    location = finding.location
    severity = finding.severity
    headline, *details = terminal(with_headline(finding.message)).split("\n")
    lines = [
        f"{paint(_BOLD, one_line(str(location)))}: {paint(_BOLD, finding.code)}{fixable(finding)} "
        f"{paint(_SEVERITY_COLOURS[severity], '[' + severity.label + ']')} {headline} "
        f"{paint(_DIM, '(' + finding.name + ')')}"
    ]
    gutter = " " * (len(str(location.line)) + 4)
    lines += [f"{gutter}  {detail}" for detail in details]
    lines += excerpt(finding, report, paint)
    if finding.witness:
        example = describe_witness(finding.witness)
        if example not in finding.message.replace("\n", " "):  # the message already names it: printed once
            lines.append(f"{gutter}= {paint(_BOLD, 'example:')} {one_line(example)}")
    if finding.fix:
        lines.append(f"{gutter}= {paint(_BOLD, 'fix:')} {terminal(finding.fix)}")
    if grouped:
        lines.append(f"{gutter}= {paint(_BOLD, 'also:')} {terminal(also_summary(grouped))} (same cause)")
    return "\n".join(lines)


def fixable(finding: Finding) -> str:
    """`` [*]`` after the code when ``lint --fix`` fixes it (as ruff marks it); unsafe fixes are not marked."""
    return " [*]" if finding.autofix is not None and finding.autofix.safe else ""


def excerpt(finding: Finding, report: Report, paint) -> list[str]:
    """The offending source line and a caret under the span (to the end of the line if it goes on)."""
    location = finding.location
    text = source_line(report, location.path, location.line)
    if text is None:
        return []
    text = terminal(text)  # a policy line is shown as written, its control characters as \xNN
    number = str(location.line)
    gutter = " " * len(number)
    caret = underline(text, location.column, location.end_line, location.end_column, location.line)
    return [
        f"   {paint(_DIM, number + ' |')} {text}",
        f"   {paint(_DIM, gutter + ' |')} {paint(_CARET_COLOURS[finding.severity], caret)}",
    ]


def underline(text: str, column: int, end_line: int | None, end_column: int | None, line: int) -> str:
    """Blanks up to ``column`` (tabs kept, so the caret lines up) and ``^`` under the span."""
    start = max(column, 1) - 1
    padding = "".join(char if char == "\t" else " " for char in text[:start])
    if end_column is None or end_line is None:
        width = 1
    elif end_line == line:
        width = end_column - 1 - start
    else:
        width = len(text.rstrip()) - start
    return padding + "^" * max(width, 1)


def closing_line(report: Report) -> str:
    tally = counts(report)
    notes = [f"{tally.suppressed} suppressed"] if tally.suppressed else []
    grouped = tally.active - len(report.displayed)
    if grouped:
        notes.insert(0, f"{plural(len(report.displayed), 'problem')} shown, {grouped} more under them")
    suffix = f" ({'; '.join(notes)})" if notes else ""
    if not tally.active:
        return f"No findings{suffix}."
    return f"Found {plural(tally.active, 'finding')}: {severity_breakdown(tally)}{suffix}"


def _painter(color: bool):
    if not color:
        return lambda _style, text: text
    return lambda style, text: f"{style}{text}{_RESET}"
