from __future__ import annotations

import json

from kube_audit_lint.findings import Report
from kube_audit_lint.lint.fingerprint import report_fingerprints
from kube_audit_lint.output import gitlab
from test_output_support import SPECS, sample_report


def render(report: Report, **options) -> list[dict]:
    return json.loads(gitlab.render(report, **options))


def test_one_issue_per_active_finding_with_the_code_quality_keys(tmp_path):
    issues = render(sample_report(tmp_path))
    assert [i["check_name"] for i in issues] == ["KAL001", "KAL004", "KAL010"]  # KAL003 is suppressed
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "categories", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["path"] == "policies/audit.yaml"
        assert isinstance(issue["location"]["lines"]["begin"], int)
    error = issues[0]
    assert error["severity"] == "critical" and error["categories"] == ["Security"]
    assert error["location"]["lines"] == {"begin": 8, "end": 8}
    assert error["description"].startswith("KAL001 secrets can be logged at RequestResponse by rule 1\n")
    assert "Fix: log secrets at Metadata in a rule before rule 1" in error["description"]
    assert [i["severity"] for i in issues] == ["critical", "major", "info"]
    assert issues[2]["location"]["lines"] == {"begin": 13}


def test_fingerprints_are_the_stable_ones_and_survive_moved_lines(tmp_path):
    report = sample_report(tmp_path)
    issues = render(report)
    expected = dict(zip((f.code for f in report.findings), report_fingerprints(report)))
    assert {i["check_name"]: i["fingerprint"] for i in issues} == {c: expected[c] for c in ("KAL001", "KAL004", "KAL010")}
    moved = render(sample_report(tmp_path, shift=3))
    assert [i["fingerprint"] for i in moved] == [i["fingerprint"] for i in issues]
    assert [i["location"]["lines"]["begin"] for i in moved] == [i["location"]["lines"]["begin"] + 3 for i in issues]
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_paths_are_relative_to_the_root_given(tmp_path):
    issues = render(sample_report(tmp_path), root=str(tmp_path / "policies"))
    assert {i["location"]["path"] for i in issues} == {"audit.yaml"}


def test_no_findings_is_an_empty_array():
    assert gitlab.render(Report(findings=[], checks=SPECS)) == "[]\n"
