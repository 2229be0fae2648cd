from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from kube_audit_lint.findings import Finding, Location, Report, Severity
from kube_audit_lint.output import junit
from test_output_support import SPECS, sample_report


def parse(report: Report) -> ET.Element:
    text = junit.render(report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n') and text.endswith("\n")
    return ET.fromstring(text.encode("utf-8"))


def test_one_testcase_per_check_and_file_and_a_failure_per_finding(tmp_path):
    root = parse(sample_report(tmp_path))
    assert root.tag == "testsuites" and root.get("name") == "kube-audit-lint"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["policies/audit.yaml"]
    cases = suites[0].findall("testcase")
    assert [c.get("name") for c in cases] == [f"{s.code} {s.name}" for s in SPECS]
    assert {c.get("classname") for c in cases} == {"policies/audit.yaml"}
    assert {c.get("file") for c in cases} == {"policies/audit.yaml"}
    failures = {c.get("name"): c.findall("failure") for c in cases}
    # the suppressed KAL003 finding is not a failure
    assert [len(failures[f"{s.code} {s.name}"]) for s in SPECS] == [1, 0, 1, 1]
    error = failures["KAL001 sensitive-body-captured"][0]
    assert error.get("message") == "policies/audit.yaml:8:5: secrets can be logged at RequestResponse by rule 1"
    assert error.get("type") == "error"
    assert "Example: get secrets/db-password -n prod by alice" in error.text
    assert "Fix: log secrets at Metadata in a rule before rule 1" in error.text
    assert failures["KAL010 verbose-read-logging"][0].get("message").startswith("policies/audit.yaml:13:5: ")


def test_counts_on_every_suite(tmp_path):
    report = sample_report(tmp_path)
    other = tmp_path / "policies" / "clean.yaml"
    other.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n")
    report.files.append(str(other))
    root = parse(report)
    first, second = root.findall("testsuite")
    assert (first.get("tests"), first.get("failures"), first.get("errors"), first.get("skipped")) == ("4", "3", "0", "0")
    assert second.get("name") == str(other) or second.get("name").endswith("policies/clean.yaml")
    assert (second.get("tests"), second.get("failures")) == ("4", "0")
    assert not second.findall(".//failure")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("8", "3", "0")


def test_no_policy_no_findings():
    root = parse(Report(findings=[], checks=SPECS))
    assert (root.get("tests"), root.get("failures")) == ("0", "0")


def test_every_string_is_escaped(tmp_path):
    hostile = 'a <b> & "c" \'d\' ]]> \x00\x1b\x7f done \u2603'
    path = str(tmp_path / 'we<ird> & "name".yaml')
    finding = Finding("KAL001", "sensitive-body-captured", Severity.ERROR, hostile, Location(path, 3, 4),
                      fix=hostile, witness={"odd": hostile})
    report = Report(findings=[finding], files=[path], checks=(replace(SPECS[0], name='n<a>m"e'),), root=str(tmp_path))
    root = parse(report)  # well-formed XML despite markup and control characters
    case = root.find("testsuite/testcase")
    assert case.get("name") == 'KAL001 n<a>m"e'
    assert case.get("file") == 'we<ird> & "name".yaml'
    failure = case.find("failure")
    assert failure.get("message") == 'we<ird> & "name".yaml:3:4: a <b> & "c" \'d\' ]]> \\x00\\x1b\x7f done \u2603'
    assert "Fix: a <b> & " in failure.text and "\x00" not in failure.text


def test_grouped_findings_are_one_failure(tmp_path):
    report = sample_report(tmp_path)
    report.grouped_under = {2: 1}  # the note shown under the error
    root = parse(report)
    failures = root.findall(".//failure")
    assert len(failures) == 2
    assert any("Also (same cause): verbose-read-logging" in f.text for f in failures)
