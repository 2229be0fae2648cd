from __future__ import annotations

import json

from kube_audit_lint import INFORMATION_URI, __version__
from kube_audit_lint.findings import Report
from kube_audit_lint.output import json as json_output
from kube_audit_lint.lint.fingerprint import fingerprint
from test_output_support import SOURCE, WITNESS, sample_report


def test_json_structure(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = sample_report(tmp_path, relative=True)
    document = json.loads(json_output.render(report))
    assert list(document) == ["version", "tool", "files", "skipped", "skipReasons", "skippedBlocks", "findings", "summary"]
    assert document["version"] == 1
    assert document["tool"] == {"name": "kube-audit-lint", "version": __version__, "informationUri": INFORMATION_URI}
    assert document["files"] == ["policies/audit.yaml"]
    assert document["summary"] == {"errors": 1, "warnings": 1, "notes": 1, "suppressed": 1, "displayed": 3}
    assert [(f["code"], f["line"]) for f in document["findings"]] == [
        ("KAL003", 6), ("KAL001", 8), ("KAL004", 12), ("KAL010", 13),
    ]
    error = document["findings"][1]
    assert error == {
        "code": "KAL001",
        "name": "sensitive-body-captured",
        "severity": "error",
        "message": "secrets can be logged at RequestResponse by rule 1",
        "file": "policies/audit.yaml",
        "line": 8,
        "column": 5,
        "endLine": 8,
        "endColumn": 27,
        "rule": 1,
        "witness": WITNESS,
        "fix": "log secrets at Metadata in a rule before rule 1",
        "autofix": None,
        "fingerprint": fingerprint(report.findings[1], SOURCE, str(tmp_path)),
        "suppressed": False,
        "suppression": None,
        "groupedUnder": None,
        "grouped": [],
    }


def test_json_nulls_and_suppression(tmp_path):
    document = json.loads(json_output.render(sample_report(tmp_path)))
    suppressed, _error, warning, note = document["findings"]
    assert suppressed["suppressed"] is True
    assert suppressed["suppression"] == {"kind": "inline", "justification": "health checks are handled upstream"}
    assert suppressed["severity"] == "warning"
    assert warning["witness"] is None and warning["fix"] is None
    assert note["endLine"] is None and note["endColumn"] is None
    assert note["severity"] == "note"
    assert len({f["fingerprint"] for f in document["findings"]}) == 4


def test_json_empty_report():
    document = json.loads(json_output.render(Report(findings=[])))
    assert document["findings"] == []
    assert document["summary"] == {"errors": 0, "warnings": 0, "notes": 0, "suppressed": 0, "displayed": 0}
