"""GitLab Code Quality report (a JSON array; ``artifacts: reports: codequality``), shown in merge
requests and pipelines.

One object per problem (suppressed and accepted findings left out)::

    {"description": "...", "check_name": "KAL020", "fingerprint": "...", "severity": "critical",
     "categories": ["Security"], "location": {"path": "policies/audit.yaml", "lines": {"begin": 8}}}

``fingerprint`` is the finding's stable fingerprint (``kube_audit_lint.lint.fingerprint``: the same
across unrelated edits and line moves), so GitLab tells new findings from fixed ones. Severities:
error -> ``critical``, warning -> ``major``, note -> ``info``. ``location.path`` is relative to the
repository root (the caller passes git's top level; default: the report's root).
"""

from __future__ import annotations

import json
from dataclasses import replace

from kube_audit_lint.findings import Report, Severity
from kube_audit_lint.output.common import (
    check_categories, detailed_message, display_path, fingerprints_by_finding, problems,
)

SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.NOTE: "info"}
# Code Climate categories, from the check's CATEGORY
CATEGORIES = {"security": "Security", "correctness": "Bug Risk", "cost": "Performance", "style": "Style",
              "suppression": "Clarity"}


def render(report: Report, *, root: str | None = None) -> str:
    if root is not None:
        report = replace(report, root=root)
    fingerprints = fingerprints_by_finding(report)
    categories = check_categories(report)
    issues = []
    for finding, grouped in problems(report):
        issue = {
            "description": f"{finding.code} {detailed_message(finding, grouped)} ({finding.name})",
            "check_name": finding.code,
            "fingerprint": fingerprints[id(finding)],
            "severity": SEVERITIES[finding.severity],
            "categories": [CATEGORIES.get(categories.get(finding.code, ""), "Bug Risk")],
            "location": {
                "path": display_path(finding.location.path, report.root),
                "lines": {"begin": max(finding.location.line, 1)},
            },
        }
        if finding.location.end_line is not None:
            issue["location"]["lines"]["end"] = max(finding.location.end_line, issue["location"]["lines"]["begin"])
        issues.append(issue)
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
