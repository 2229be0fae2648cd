"""reviewdog Diagnostic Format (rdjson): ``reviewdog -f=rdjson`` posts the findings as review
comments or annotations.

::

    {"source": {"name": "kube-audit-lint", "url": "https://github.com/kube-audit-lint/kube-audit-lint"},
     "severity": "ERROR",
     "diagnostics": [{"message": "...", "severity": "ERROR", "code": {"value": "KAL020", "url": "..."},
                      "location": {"path": "policies/audit.yaml",
                                   "range": {"start": {"line": 8, "column": 5}, "end": {...}}}}]}

One diagnostic per problem (suppressed and accepted findings left out). Severities: error ->
``ERROR``, warning -> ``WARNING``, note -> ``INFO``; the top-level ``severity`` is the most severe
one present (``INFO`` when there are none). Paths are relative to the report root (the working
directory, as reviewdog reads them); columns are 1-based UTF-8 byte offsets, as rdjson defines them.
``code.url`` is the check's documentation.
"""

from __future__ import annotations

import json

from kube_audit_lint import INFORMATION_URI
from kube_audit_lint.findings import Report, Severity
from kube_audit_lint.lint.checkdocs import docs_url
from kube_audit_lint.output.common import detailed_message, display_path, problems, source_line

SEVERITIES = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.NOTE: "INFO"}


def render(report: Report) -> str:
    specs = {spec.code: spec for spec in report.checks}
    diagnostics = []
    for finding, grouped in problems(report):
        location = finding.location
        start = {"line": max(location.line, 1), "column": byte_column(report, location.path, location.line,
                                                                        location.column)}
        position: dict = {"start": start}
        if location.end_line is not None and location.end_column is not None:
            position["end"] = {"line": max(location.end_line, start["line"]),
                               "column": byte_column(report, location.path, location.end_line, location.end_column)}
        code = {"value": finding.code}
        if finding.code in specs:
            code["url"] = docs_url(specs[finding.code])
        diagnostics.append({
            "message": f"{detailed_message(finding, grouped)} ({finding.name})",
            "location": {"path": display_path(location.path, report.root), "range": position},
            "severity": SEVERITIES[finding.severity],
            "code": code,
        })
    present = [f.severity for f, _ in problems(report)]
    document = {
        "source": {"name": "kube-audit-lint", "url": INFORMATION_URI},
        "severity": SEVERITIES[max(present)] if present else "INFO",
        "diagnostics": diagnostics,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def byte_column(report: Report, path: str, line: int, column: int) -> int:
    """A 1-based column in characters as a 1-based column in UTF-8 bytes (of the line read)."""
    text = source_line(report, path, line)
    if text is None or column < 1:
        return max(column, 1)
    return len(text[: column - 1].encode("utf-8")) + 1 + max(0, column - 1 - len(text))


