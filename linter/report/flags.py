"""The kube-apiserver audit flags of ``--apiserver-manifest``, as a table an auditor can check.

Each flag listed in ``audit-flags.yaml``: its value and the line that sets it, or the default
kube-apiserver uses; a note where the value is not what the report expects; and the lint findings
reported on that line (the flag checks, KAL060-KAL064). Other ``--audit-*`` flags set in the
manifest follow the listed ones.
"""

from __future__ import annotations

import functools

from kube_audit_lint.datafiles import read_data
from kube_audit_lint.kube.flags import retention_default
from kube_audit_lint.policy.yamlnodes import parse_documents
from kube_audit_lint.report.controls import Subject


@functools.lru_cache(maxsize=1)
def known_flags() -> tuple[dict, ...]:
    text = read_data("report/audit-flags.yaml")
    return tuple(parse_documents("linter/data/report/audit-flags.yaml", text)[0].data["flags"])


def flag_table(subject: Subject, findings: list[dict]) -> dict | None:
    """None without a manifest."""
    config = subject.apiserver
    if config is None:
        return None
    by_line: dict[int, list[dict]] = {}
    for finding in findings:
        if finding["file"] == subject.apiserver_path and not finding["suppressed"]:
            by_line.setdefault(finding["line"], []).append(
                {"code": finding["code"], "name": finding["name"], "severity": finding["severity"],
                 "message": finding["message"]})
    rows = []
    listed = set()
    for known in known_flags():
        name = known["flag"]
        listed.add(name)
        default = retention_default(name, subject.kube_version) if known.get("retention") else known.get("default")
        rows.append(_row(name, known["means"], config.get(name), default, known.get("expect"), by_line, subject))
    for name in sorted(config.flags):
        if name.startswith("audit-") and name not in listed:
            rows.append(_row(name, "", config.get(name), None, None, by_line, subject))
    anchor_findings = by_line.get(config.anchor.line, []) if config.anchor else []
    return {"path": subject.apiserver_path, "kind": config.kind, "flags": rows,
            "findings": [f for f in anchor_findings if not any(f in r["findings"] for r in rows)]}


def _row(name: str, means: str, flag, default, expect, by_line: dict, subject: Subject) -> dict:
    value = flag.value if flag is not None else default
    note = None
    if expect and value is not None and value not in expect["values"]:
        note = f"expected {' or '.join(expect['values'])}: {expect['why']}"
    line = flag.span.line if flag is not None else None
    return {
        "flag": name,
        "means": means,
        "value": value,
        "origin": "set" if flag is not None else ("default" if default is not None else "unset"),
        "file": subject.apiserver_path,
        "line": line,
        "note": note,
        "findings": by_line.get(line, []) if line else [],
    }
