"""Small helpers every formatter shares: paths relative to the report root, ordering, counts."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any, Iterable

from kube_audit_lint.engine.request import Request
from kube_audit_lint.findings import STDIN_NAMES, Finding, Report, Severity, order_key, relative_path
from kube_audit_lint.lint.fingerprint import report_fingerprints
from kube_audit_lint.lint.grouping import also_summary

__all__ = ["STDIN_NAMES", "order_key", "relative_path"]  # with the helpers below


def display_path(path: str, root: str) -> str:
    """The path to show a user or a CI system: relative to ``root`` when possible, else absolute."""
    if path in STDIN_NAMES:
        return path
    relative = relative_path(path, root)
    if relative is not None:
        return relative
    return os.path.abspath(path).replace(os.sep, "/")


def ordered(report: Report) -> list[Finding]:
    """Findings by file (in the order the files were given), then position, then code."""
    return sorted(report.findings, key=order_key(report))


def group_by_file(findings: Iterable[Finding]) -> list[tuple[str, list[Finding]]]:
    """Consecutive runs of findings on the same file (``findings`` already ordered)."""
    groups: list[tuple[str, list[Finding]]] = []
    for finding in findings:
        if groups and groups[-1][0] == finding.location.path:
            groups[-1][1].append(finding)
        else:
            groups.append((finding.location.path, [finding]))
    return groups


@dataclass(frozen=True)
class Counts:
    errors: int
    warnings: int
    notes: int
    suppressed: int

    @property
    def active(self) -> int:
        return self.errors + self.warnings + self.notes


def counts(report: Report) -> Counts:
    return Counts(
        errors=report.count(Severity.ERROR),
        warnings=report.count(Severity.WARNING),
        notes=report.count(Severity.NOTE),
        suppressed=sum(1 for finding in report.findings if finding.suppressed),
    )


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def severity_breakdown(tally: Counts) -> str:
    """``1 error, 2 warnings`` (severities with no findings left out)."""
    parts = [
        plural(n, noun)
        for n, noun in ((tally.errors, "error"), (tally.warnings, "warning"), (tally.notes, "note"))
        if n
    ]
    return ", ".join(parts)


def source_line(report: Report, path: str, line: int) -> str | None:
    """Line ``line`` (1-based) of ``path`` as read for the lint, without its line break."""
    text = report.sources.get(path)
    if text is None or line < 1:
        return None
    lines = _lines(text)
    return lines[line - 1] if line <= len(lines) else None


@functools.lru_cache(maxsize=4)
def _lines(text: str) -> tuple[str, ...]:
    """The lines of a source, split once for all the findings in it (not once per finding)."""
    return tuple(text.splitlines())


def describe_witness(witness: dict[str, Any]) -> str:
    """A witness request (``Request.as_dict()``) in kubectl-like words; JSON for anything else."""
    try:
        if "path" in witness and "resource" not in witness:
            request = Request(
                user=witness.get("user", ""),
                groups=tuple(witness.get("groups") or ()),
                verb=witness.get("verb", ""),
                resource_request=False,
                path=witness.get("path", ""),
            )
        else:
            request = Request(
                user=witness.get("user", ""),
                groups=tuple(witness.get("groups") or ()),
                verb=witness.get("verb", ""),
                api_group=witness.get("apiGroup", ""),
                resource=witness.get("resource", ""),
                subresource=witness.get("subresource", ""),
                namespace=witness.get("namespace", ""),
                name=witness.get("name", ""),
            )
        return request.describe()
    except (TypeError, AttributeError):  # a third-party check's own shape of witness
        import json

        return json.dumps(witness, sort_keys=True)


def problems(report: Report) -> list[tuple[Finding, list[Finding]]]:
    """One entry per problem, in report order: each active finding that is shown itself, with the
    findings of the same cause shown under it (suppressed and accepted findings left out)."""
    grouping = report.grouping()
    return [(finding, grouping.members(finding)) for finding in ordered(report)
            if not finding.suppressed and grouping.shown(finding)]


def detailed_message(finding: Finding, grouped: list[Finding] = (), headline: str | None = None) -> str:
    """The message (or ``headline``), then the example request, the fix and what else the same cause
    does, one a line."""
    lines = [finding.message if headline is None else headline]
    if finding.witness:
        lines.append(f"Example: {describe_witness(finding.witness)}")
    if finding.fix:
        lines.append(f"Fix: {finding.fix}")
    if grouped:
        lines.append(f"Also (same cause): {also_summary(grouped)}")
    return "\n".join(lines)


def fingerprints_by_finding(report: Report) -> dict[int, str]:
    """The stable fingerprint of every finding (``kube_audit_lint.lint.fingerprint``), by identity."""
    return {id(finding): value for finding, value in zip(report.findings, report_fingerprints(report))}


def check_categories(report: Report) -> dict[str, str]:
    """Check code -> its CATEGORY (security, correctness, cost, style, suppression; "" if none)."""
    return {spec.code: getattr(spec, "category", "") for spec in report.checks}
