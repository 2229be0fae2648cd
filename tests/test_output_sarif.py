from __future__ import annotations

import json
import sys
import types
from dataclasses import replace

import pytest

from kube_audit_lint import INFORMATION_URI, __version__
from kube_audit_lint.findings import Finding, Location, Report, Severity, Suppression
from kube_audit_lint.output import sarif
from test_output_support import SPECS, sample_report, spec, validate_sarif


def render(report: Report) -> dict:
    return json.loads(sarif.render(report))


def test_sample_validates_against_both_schemas(tmp_path):
    validate_sarif(render(sample_report(tmp_path)))


def test_empty_report_validates():
    document = render(Report(findings=[], checks=SPECS))
    validate_sarif(document)
    assert document["runs"][0]["results"] == []


def test_log_header_and_driver(tmp_path):
    document = render(sample_report(tmp_path))
    assert list(document)[:2] == ["$schema", "version"]
    assert document["version"] == "2.1.0"
    assert len(document["runs"]) == 1
    run = document["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kube-audit-lint"
    assert driver["version"] == driver["semanticVersion"] == __version__
    assert driver["informationUri"] == INFORMATION_URI
    assert run["invocations"] == [{"executionSuccessful": True}]
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file:///") and base.endswith("/")
    assert run["columnKind"] == "unicodeCodePoints"


def test_rules_describe_every_check(tmp_path):
    rules = render(sample_report(tmp_path))["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [s.code for s in SPECS]
    error_rule = rules[0]
    assert error_rule["name"] == "sensitive-body-captured"
    assert error_rule["shortDescription"] == {"text": "Secrets can be logged with their body."}
    assert error_rule["fullDescription"] == {"text": "Looks for sensitive-body-captured."}
    assert error_rule["defaultConfiguration"] == {"level": "error"}
    assert error_rule["helpUri"] == f"{INFORMATION_URI}/blob/main/docs/checks.md#kal001-sensitive-body-captured"
    markdown = error_rule["help"]["markdown"]
    for heading in ("### What it does", "### Why is this bad?", "### Example", "### Use instead", "### Fix", "### Options"):
        assert heading in markdown
    assert "```yaml\nrules:\n  - level: RequestResponse\n```" in markdown
    assert "Why is this bad?\nBecause." in error_rule["help"]["text"]
    assert [r["properties"]["security-severity"] for r in rules] == ["8.0", "5.0", "5.0", "2.0"]
    for r in rules:
        assert {"security", "kubernetes", "audit-policy"} <= set(r["properties"]["tags"])


def test_results_point_at_rules_and_relative_locations(tmp_path):
    run = render(sample_report(tmp_path))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == 4
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "policies/audit.yaml", "uriBaseId": "%SRCROOT%"}
        assert location["region"]["startLine"] >= 1 and location["region"]["startColumn"] >= 1
        assert result["level"] in ("error", "warning", "note")
        assert list(result["partialFingerprints"]) == ["kubeAuditLint/v1"]
    by_code = {r["ruleId"]: r for r in run["results"]}
    error = by_code["KAL001"]
    assert error["level"] == "error"
    assert error["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 8, "startColumn": 5, "endLine": 8, "endColumn": 27,
    }
    assert error["message"]["text"] == (
        "secrets can be logged at RequestResponse by rule 1\n"
        "Example: get secrets/db-password -n prod by alice\n"
        "Fix: log secrets at Metadata in a rule before rule 1"
    )
    assert error["properties"]["witness"]["resource"] == "secrets"
    assert by_code["KAL004"]["level"] == "warning"  # explicit even though it is SARIF's default
    assert by_code["KAL004"]["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 8
    assert by_code["KAL010"]["locations"][0]["physicalLocation"]["region"] == {"startLine": 13, "startColumn": 5}
    assert "suppressions" not in error


def test_level_follows_the_finding_not_the_rule(tmp_path):
    report = sample_report(tmp_path)
    report.findings = [report.findings[1].with_severity(Severity.WARNING)]
    result = render(report)["runs"][0]["results"][0]
    assert result["level"] == "warning"


def test_suppressed_findings_are_kept_with_justification(tmp_path):
    report = sample_report(tmp_path)
    accepted = replace(report.findings[2], suppression=Suppression("accepted", ""))
    report.findings.append(accepted)
    results = render(report)["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 2
    inline = next(r for r in suppressed if r["ruleId"] == "KAL003")
    assert inline["suppressions"][0]["kind"] == "inSource"
    assert inline["suppressions"][0]["justification"] == "health checks are handled upstream"
    assert inline["suppressions"][0]["location"]["physicalLocation"]["region"]["startLine"] == 5
    external = next(r for r in suppressed if r["ruleId"] == "KAL010")
    assert external["suppressions"] == [{"kind": "external"}]
    validate_sarif(render(report))


def test_partial_fingerprints_stable_when_a_line_is_inserted_above(tmp_path):
    before = render(sample_report(tmp_path))["runs"][0]["results"]
    after = render(sample_report(tmp_path, shift=1))["runs"][0]["results"]

    def start_line(result):
        return result["locations"][0]["physicalLocation"]["region"]["startLine"]

    assert [r["partialFingerprints"] for r in before] == [r["partialFingerprints"] for r in after]
    assert [start_line(r) + 1 for r in before] == [start_line(r) for r in after]
    assert len({r["partialFingerprints"]["kubeAuditLint/v1"] for r in before}) == 4


def test_file_outside_root_gets_absolute_uri(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    report = sample_report(tmp_path)
    report.root = str(root)
    document = render(report)
    validate_sarif(document)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (tmp_path / "policies" / "audit.yaml").as_uri()}


def test_path_with_space_is_percent_encoded(tmp_path):
    finding = Finding("KAL001", "sensitive-body-captured", Severity.ERROR, "m", Location(str(tmp_path / "my policies/a b.yaml"), 1, 1))
    document = render(Report(findings=[finding], checks=SPECS, root=str(tmp_path)))
    validate_sarif(document)
    uri = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20policies/a%20b.yaml"


def test_finding_from_an_undeclared_check_gets_a_rule(tmp_path):
    finding = Finding("KAL999", "suppression-without-reason", Severity.NOTE, "m", Location("a.yaml", 1, 1))
    document = render(Report(findings=[finding], checks=SPECS[:1], root=str(tmp_path)))
    validate_sarif(document)
    run = document["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["KAL001", "KAL999"]
    assert run["results"][0]["ruleIndex"] == 1


def test_check_may_set_its_security_severity_and_tags(monkeypatch, tmp_path):
    module = types.ModuleType("tests.fake_strict")
    module.SECURITY_SEVERITY = 9.5
    module.TAGS = ("cis-3.2.2",)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    custom = replace(spec("KAL020", "strict", Severity.WARNING), module=module.__name__)
    rule = render(Report(findings=[], checks=(custom,), root=str(tmp_path)))["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["properties"]["security-severity"] == "9.5"
    assert rule["properties"]["tags"] == ["security", "kubernetes", "audit-policy", "cis-3.2.2"]


@pytest.mark.parametrize("value", ["high", 11, None])
def test_bad_security_severity_falls_back_to_severity(monkeypatch, value):
    module = types.ModuleType("tests.fake_bad")
    module.SECURITY_SEVERITY = value
    monkeypatch.setitem(sys.modules, module.__name__, module)
    custom = replace(spec("KAL021", "bad", Severity.ERROR), module=module.__name__)
    assert sarif.security_severity(custom) == 8.0
