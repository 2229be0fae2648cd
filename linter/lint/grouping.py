"""One problem, one displayed finding: findings that share a root cause are shown as one.

Checks about what a rule decides (``GROUPED_BY = "deciding-rule"``) report each what they see; when
several of them blame the same rule of the same file, or the absence of a matching rule, the reader
gets one finding, the most severe, that lists what else the same cause does. Grouping runs after
selection, suppressions and only-new, on the findings that are left: ignoring the primary check
brings the others back. The JSON output keeps every finding and says which one it is shown under.
"""

from __future__ import annotations

from kube_audit_lint.findings import Finding, Report

DECIDING_RULE = "deciding-rule"
BASELINE_CHECK = "baseline-expectation-unmet"  # its findings list request classes: counted, not named


def group_report(report: Report, grouped_by: dict[str, str]) -> Report:
    """``report`` with ``grouped_under`` filled; ``grouped_by`` maps a check code to its GROUPED_BY."""
    causes: dict[tuple[str, int | None, int | None], list[int]] = {}
    for index, finding in enumerate(report.findings):
        if finding.suppressed or grouped_by.get(finding.code) != DECIDING_RULE:
            continue
        key = (finding.location.path, finding.policy_line, finding.rule_index)
        causes.setdefault(key, []).append(index)
    grouped_under: dict[int, int] = {}
    for members in causes.values():
        if len(members) < 2:
            continue
        primary = min(members, key=lambda i: _rank(report.findings[i]))
        grouped_under.update({member: primary for member in members if member != primary})
    report.grouped_under = grouped_under
    return report


def _rank(finding: Finding) -> tuple:
    """The finding that speaks for its group: the most severe, a check's own before a baseline's."""
    return (-finding.severity, finding.name == BASELINE_CHECK, finding.code, finding.location.line)


def also_summary(members: list[Finding]) -> str:
    """``security-event-not-logged, unauthenticated-not-logged and 9 baseline expectations``."""
    names = list(dict.fromkeys(f.name for f in members if f.name != BASELINE_CHECK))
    expectations = sum(_expectation_count(f) for f in members if f.name == BASELINE_CHECK)
    if expectations:
        names.append(f"{expectations} baseline expectation{'s' if expectations != 1 else ''}")
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def _expectation_count(finding: Finding) -> int:
    """A baseline finding's subject is ``BASELINE:ID,ID,...``."""
    _, _, ids = finding.subject.partition(":")
    return len([i for i in ids.split(",") if i]) or 1
