"""Markdown output for ``$GITHUB_STEP_SUMMARY`` and pull-request comments.

Counts by severity, a table of every finding that is not suppressed (GitHub shows only a few
annotations per step, so this table is the complete list), and the suppressed findings with their
justification in a collapsed ``<details>`` block. Locations link to the line: to
``$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA/<path>#L<line>`` when those variables are
set (inside GitHub Actions), else to the path relative to the report root.

GitHub refuses a job summary of 1 MiB or more, so the output stays below ``SIZE_LIMIT`` bytes:
when it would not, findings are dropped from the end (suppressed ones first, then the last rows
of the table) and a closing line says how many were left out and where the full list is.
"""

from __future__ import annotations

import os
import re
from typing import Mapping
from urllib.parse import quote

from kube_audit_lint.escape import terminal
from kube_audit_lint.findings import Finding, Report
from kube_audit_lint.lint.grouping import also_summary
from kube_audit_lint.output.common import (
    counts, describe_witness, display_path, ordered, plural, relative_path, severity_breakdown,
)

TITLE = "## kube-audit-lint"
_PUNCTUATION = re.compile(r"([\\*_\[\]()!|~])")  # not `: check messages mark code with it
SIZE_LIMIT = 1024 * 1024 - 1024  # bytes: GitHub's step-summary limit (1 MiB), with room for a newline or two
FULL_LIST = "the full list: `kube-audit-lint lint ... --format json` (or the SARIF file, in code scanning)"


def render(report: Report, *, env: Mapping[str, str] | None = None, limit: int = SIZE_LIMIT) -> str:
    env = os.environ if env is None else env
    findings = ordered(report)
    grouping = report.grouping()
    active = [finding for finding in findings if not finding.suppressed and grouping.shown(finding)]
    suppressed = [finding for finding in findings if finding.suppressed]
    total = len(active) + len(suppressed)
    text = _render(report, env, grouping, active, suppressed, total)
    if _size(text) < limit:
        return text
    # the most findings that fit: fewer findings, never a longer text, so a binary search finds it
    low, high = 0, total - 1
    while low < high:
        middle = (low + high + 1) // 2
        if _size(_render(report, env, grouping, active, suppressed, middle)) < limit:
            low = middle
        else:
            high = middle - 1
    return _render(report, env, grouping, active, suppressed, low)


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _render(report: Report, env, grouping, active: list[Finding], suppressed: list[Finding], kept: int) -> str:
    """The summary with the first ``kept`` findings (active ones first, then suppressed ones)."""
    tally = counts(report)
    parts = [TITLE, headline(tally, len(report.files))]
    parts.append(
        "| Errors | Warnings | Notes | Suppressed |\n| ---: | ---: | ---: | ---: |\n"
        f"| {tally.errors} | {tally.warnings} | {tally.notes} | {tally.suppressed} |"
    )
    shown_active, shown_suppressed = active[:kept], suppressed[: max(0, kept - len(active))]
    if shown_active:
        parts.append(findings_table(shown_active, report.root, env, grouping))
    if shown_suppressed:
        parts.append(suppressed_details(shown_suppressed, report.root, env))
    left_out = len(active) + len(suppressed) - len(shown_active) - len(shown_suppressed)
    if left_out:
        parts.append(f"**{plural(left_out, 'more finding')} left out** to keep this summary under GitHub's "
                     f"1 MiB limit; {FULL_LIST}.")
    return "\n\n".join(parts) + "\n"


def headline(tally, file_count: int) -> str:
    where = f" in {plural(file_count, 'policy file')}" if file_count else ""
    if not tally.active:
        return f"No findings{where}."
    return f"**{plural(tally.active, 'finding')}**{where}: {severity_breakdown(tally)}."


def findings_table(findings: list[Finding], root: str, env: Mapping[str, str], grouping=None) -> str:
    rows = ["| Severity | Check | Location | Message |", "| --- | --- | --- | --- |"]
    for finding in findings:
        grouped = grouping.members(finding) if grouping is not None else []
        also = f"<br>Also (same cause): {cell(also_summary(grouped))}" if grouped else ""
        rows.append(
            f"| {finding.severity.label} | {check_cell(finding)} | {location_link(finding, root, env)} "
            f"| {message_cell(finding)}{also} |"
        )
    return "\n".join(rows)


def suppressed_details(findings: list[Finding], root: str, env: Mapping[str, str]) -> str:
    rows = ["| Check | Location | Message | Suppressed by | Justification |", "| --- | --- | --- | --- | --- |"]
    for finding in findings:
        suppression = finding.suppression
        rows.append(
            f"| {check_cell(finding)} | {location_link(finding, root, env)} | {cell(finding.message)} "
            f"| {cell(suppression.kind)} | {cell(suppression.justification) or '*none given*'} |"
        )
    summary = f"{plural(len(findings), 'suppressed finding')}"
    return f"<details>\n<summary>{summary}</summary>\n\n" + "\n".join(rows) + "\n\n</details>"


def check_cell(finding: Finding) -> str:
    return f"{cell(finding.code)} {cell(finding.name)}"


def message_cell(finding: Finding) -> str:
    text = cell(finding.message)
    if finding.witness:
        text += f"<br>Example: {cell(describe_witness(finding.witness))}"
    if finding.fix:
        text += f"<br>Fix: {cell(finding.fix)}"
    return text


def location_link(finding: Finding, root: str, env: Mapping[str, str]) -> str:
    location = finding.location
    shown = display_path(location.path, root)
    text = cell(f"{shown}:{location.line}")
    relative = relative_path(location.path, root)
    if relative is None:  # outside the repository: nothing to link to
        return text
    return f"[{text}]({line_url(relative, location.line, env)})"


def line_url(relative: str, line: int, env: Mapping[str, str]) -> str:
    path = quote(relative, safe="/")
    server, repository, sha = (env.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    if server and repository and sha:
        return f"{server.rstrip('/')}/{repository}/blob/{sha}/{path}#L{line}"
    return f"{path}#L{line}"


def cell(text: str) -> str:
    """Text safe in a table cell: control characters shown as \\xNN, HTML specials as entities,
    the Markdown punctuation that starts a link, image, emphasis or code escaped, ``|`` escaped,
    line breaks as <br>."""
    text = terminal(text).replace("\r\n", "\n")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _PUNCTUATION.sub(r"\\\1", text)
    return text.replace("\n", "<br>")
