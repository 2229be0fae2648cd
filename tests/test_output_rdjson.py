from __future__ import annotations

import json

from kube_audit_lint import INFORMATION_URI, __version__
from kube_audit_lint.findings import Finding, Location, Report, Severity
from kube_audit_lint.output import rdjson
from test_output_support import SPECS, sample_report


def render(report: Report) -> dict:
    return json.loads(rdjson.render(report))


def test_diagnostic_result_shape(tmp_path):
    document = render(sample_report(tmp_path))
    assert set(document) == {"source", "severity", "diagnostics"}
    assert document["source"] == {"name": "kube-audit-lint", "url": INFORMATION_URI}
    assert document["severity"] == "ERROR"
    diagnostics = document["diagnostics"]
    assert [d["code"]["value"] for d in diagnostics] == ["KAL001", "KAL004", "KAL010"]  # KAL003 is suppressed
    assert [d["severity"] for d in diagnostics] == ["ERROR", "WARNING", "INFO"]
    error = diagnostics[0]
    assert set(error) == {"message", "location", "severity", "code"}
    assert error["location"] == {"path": "policies/audit.yaml",
                                 "range": {"start": {"line": 8, "column": 5}, "end": {"line": 8, "column": 27}}}
    assert error["code"]["url"] == f"{INFORMATION_URI}/blob/v{__version__}/docs/checks.md#kal001-sensitive-body-captured"
    assert error["message"].startswith("secrets can be logged at RequestResponse by rule 1\n")
    assert diagnostics[2]["location"]["range"] == {"start": {"line": 13, "column": 5}}


def test_columns_are_utf8_bytes(tmp_path):
    path = tmp_path / "p.yaml"
    text = 'rules:\n  - level: None  # é€ x\n'
    path.write_text(text, encoding="utf-8")
    column = text.splitlines()[1].index("x") + 1
    finding = Finding("KAL001", "sensitive-body-captured", Severity.WARNING, "m", Location(str(path), 2, column))
    report = Report(findings=[finding], files=[str(path)], checks=SPECS, root=str(tmp_path), sources={str(path): text})
    start = render(report)["diagnostics"][0]["location"]["range"]["start"]
    assert start == {"line": 2, "column": column + 1 + 2}  # é is 2 bytes, € 3


def test_no_findings():
    document = render(Report(findings=[], checks=SPECS))
    assert document["diagnostics"] == [] and document["severity"] == "INFO"
