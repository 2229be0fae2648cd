"""JSON output: a stable structure for scripts (``--format json``).

The document (version 1; new keys may be added, existing ones keep their meaning)::

    {
      "version": 1,
      "tool": {"name": "kube-audit-lint", "version": "0.1.0", "informationUri": "https://..."},
      "files": ["policies/audit.yaml"],          # policy files that were linted, as given
      "skipped": ["deploy.yaml"],                # files given that held no audit policy
      "skipReasons": {"deploy.yaml": "no audit.k8s.io Policy document"},
      "skippedBlocks": [                         # policies in a script's heredoc or a Terraform
        {"file": "setup.sh", "line": 3,          # heredoc that cannot be read as written
         "column": 5, "reason": "..."}],
      "findings": [
        {
          "code": "KAL001",                      # stable check code
          "name": "sensitive-body-captured",     # stable check name
          "severity": "error",                   # "error" | "warning" | "note" (after overrides)
          "message": "...",
          "file": "policies/audit.yaml",         # as given on the command line
          "line": 12, "column": 5,               # 1-based
          "endLine": 12, "endColumn": 27,        # 1-based, end column exclusive; null if unknown
          "rule": 3,                             # 0-based index into the policy's rules, or null
          "witness": {"user": "alice", "groups": [], "verb": "get", "apiGroup": "",
                      "resource": "secrets", "subresource": "", "namespace": "prod",
                      "name": "db-password"},    # an example request (``path`` instead of the
                                                 # resource fields for a non-resource URL), or null
          "fix": "...",                          # a fix hint, or null
          "autofix": {"description": "...",      # the fix ``lint --fix`` makes, or null
                      "safe": true,              # false: applied only with --unsafe-fixes
                      "reason": "",              # why it is unsafe
                      "edits": [{"line": 3, "column": 1, "endLine": 3, "endColumn": 1,
                                 "text": "..."}]},  # 1-based, end exclusive
          "fingerprint": "3f2a...",              # stable across unrelated edits (see fingerprint.py)
          "suppressed": false,
          "suppression": null,                   # or {"kind": "inline" | "file" | "accepted",
                                                 #     "justification": "..."}
          "groupedUnder": null,                  # the fingerprint of the finding this one is shown
                                                 # under (same root cause), or null when shown itself
          "grouped": []                          # fingerprints of the findings shown under this one
        }
      ],
      "summary": {"errors": 1, "warnings": 0, "notes": 0, "suppressed": 0, "displayed": 1}
    }

Findings are ordered by file (in the order given), line, column and code. ``summary`` counts the
findings that are not suppressed by severity, and the suppressed ones apart; ``displayed`` is how
many of the active ones the other formats show (one per root cause).
"""

from __future__ import annotations

import json
from typing import Any

from kube_audit_lint import INFORMATION_URI, __version__
from kube_audit_lint.findings import Finding, Report
from kube_audit_lint.lint.fingerprint import report_fingerprints
from kube_audit_lint.output.common import counts, order_key

SCHEMA_VERSION = 1


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"


def document(report: Report) -> dict[str, Any]:
    key = order_key(report)
    fingerprints = report_fingerprints(report)
    fingerprint_of = {id(finding): fingerprint for finding, fingerprint in zip(report.findings, fingerprints)}
    pairs = sorted(zip(report.findings, fingerprints), key=lambda pair: key(pair[0]))
    grouping = report.grouping()
    tally = counts(report)
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "kube-audit-lint", "version": __version__, "informationUri": INFORMATION_URI},
        "files": list(report.files),
        "skipped": list(report.skipped),
        "skipReasons": {path: report.skip_reasons.get(path, "skipped") for path in report.skipped},
        "skippedBlocks": [{"file": path, "line": line, "column": column, "reason": reason}
                          for path, line, column, reason in report.skipped_blocks],
        "findings": [
            {**finding_object(finding, fingerprint),
             "groupedUnder": _fingerprint(grouping.primary_of(finding), fingerprint_of),
             "grouped": [fingerprint_of[id(member)] for member in grouping.members(finding)]}
            for finding, fingerprint in pairs
        ],
        "summary": {
            "errors": tally.errors,
            "warnings": tally.warnings,
            "notes": tally.notes,
            "suppressed": tally.suppressed,
            "displayed": len(report.displayed),
        },
    }


def _fingerprint(finding: Finding | None, fingerprint_of: dict[int, str]) -> str | None:
    return None if finding is None else fingerprint_of[id(finding)]


def finding_object(finding: Finding, fingerprint: str) -> dict[str, Any]:
    location = finding.location
    suppression = finding.suppression
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.label,
        "message": finding.message,
        "file": location.path,
        "line": location.line,
        "column": location.column,
        "endLine": location.end_line,
        "endColumn": location.end_column,
        "rule": finding.rule_index,
        "witness": finding.witness,
        "fix": finding.fix,
        "autofix": autofix_object(finding),
        "fingerprint": fingerprint,
        "suppressed": suppression is not None,
        "suppression": (
            {"kind": suppression.kind, "justification": suppression.justification} if suppression else None
        ),
    }


def autofix_object(finding: Finding) -> dict[str, Any] | None:
    fix = finding.autofix
    if fix is None:
        return None
    return {
        "description": fix.description,
        "safe": fix.safe,
        "reason": fix.reason,
        "edits": [{"line": e.line, "column": e.column, "endLine": e.end_line, "endColumn": e.end_column,
                   "text": e.text} for e in fix.edits],
    }
