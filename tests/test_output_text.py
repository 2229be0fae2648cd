from __future__ import annotations

import re

from kube_audit_lint.findings import Finding, Location, Report, Severity, Suppression
from kube_audit_lint.output import text
from test_output_support import sample_report

ANSI = re.compile(r"\x1b\[[0-9;]*m")

EXPECTED = """\
policies/audit.yaml:8:5: KAL001 [error] secrets can be logged at RequestResponse by rule 1 (sensitive-body-captured)
   8 |   - level: RequestResponse
     |     ^^^^^^^^^^^^^^^^^^^^^^
     = example: get secrets/db-password -n prod by alice
     = fix: log secrets at Metadata in a rule before rule 1
policies/audit.yaml:12:5: KAL004 [warning] rule 2 is never reached: rule 1 matches every request it would (unreachable-rule)
   12 |   - level: Request
      |     ^^^^^^^^^^^^^^
policies/audit.yaml:13:5: KAL010 [note] reads are logged with their request body (verbose-read-logging)
   13 |     verbs: ["get"]
      |     ^

Found 3 findings: 1 error, 1 warning, 1 note (1 suppressed)
"""


def test_text_exact_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert text.render(sample_report(tmp_path, relative=True)) == EXPECTED


def test_no_colour_unless_asked(tmp_path):
    report = sample_report(tmp_path)
    assert "\x1b[" not in text.render(report)
    coloured = text.render(report, color=True)
    assert "\x1b[1;31m[error]" in coloured and "\x1b[1;33m[warning]" in coloured
    assert ANSI.sub("", coloured) == text.render(report)


def test_clean_report_says_no_findings():
    assert text.render(Report(findings=[])) == "No findings.\n"


def test_only_suppressed_findings_are_counted_not_shown(tmp_path):
    report = sample_report(tmp_path)
    report.findings = [f for f in report.findings if f.suppressed]
    assert text.render(report) == "No findings (1 suppressed).\n"


def finding(path, line, column, end_line=None, end_column=None, severity=Severity.WARNING, **extra):
    return Finding("KAL002", "some-check", severity, "msg", Location(path, line, column, end_line, end_column), **extra)


def test_findings_grouped_by_file_in_given_order_with_count():
    report = Report(
        findings=[finding("b.yaml", 1, 1), finding("a.yaml", 2, 1), finding("b.yaml", 3, 1, severity=Severity.ERROR)],
        files=["b.yaml", "a.yaml"],
    )
    output = text.render(report)
    headers = [line.split(": ")[0] for line in output.splitlines() if line.startswith(("a.yaml", "b.yaml"))]
    assert headers == ["b.yaml:1:1", "b.yaml:3:1", "a.yaml:2:1"]
    blocks = output.split("\n\n")
    assert len(blocks) == 3  # b.yaml, a.yaml, the count
    assert blocks[-1] == "Found 3 findings: 1 error, 2 warnings\n"


def test_singular_count():
    assert text.render(Report(findings=[finding("a.yaml", 1, 1)])).endswith("Found 1 finding: 1 warning\n")


def test_caret_follows_tabs_and_span():
    source = "a:\n\tkey: value\n"
    report = Report(findings=[finding("a.yaml", 2, 7, 2, 12)], sources={"a.yaml": source})
    lines = text.render(report).splitlines()
    assert lines[1] == "   2 | \tkey: value"
    assert lines[2] == "     | \t     ^^^^^"


def test_span_over_several_lines_is_underlined_to_end_of_first_line():
    source = "rules:\n  - level: None   \n    users: [a]\n"
    report = Report(findings=[finding("a.yaml", 2, 5, 3, 15)], sources={"a.yaml": source})
    assert text.render(report).splitlines()[2] == "     |     ^^^^^^^^^^^"


def test_no_excerpt_without_source():
    report = Report(findings=[finding("a.yaml", 2, 5, fix="do this")])
    lines = text.render(report).splitlines()
    assert lines[0] == "a.yaml:2:5: KAL002 [warning] msg (some-check)"
    assert lines[1] == "     = fix: do this"


def test_non_resource_witness_is_described():
    witness = {"user": None, "groups": [], "verb": "get", "path": "/healthz"}
    report = Report(findings=[finding("a.yaml", 1, 1, witness=witness)])
    assert "= example: get /healthz by an unauthenticated client" in text.render(report)


def test_suppressed_finding_not_shown(tmp_path):
    report = Report(findings=[finding("a.yaml", 1, 1, suppression=Suppression("file", "legacy"))])
    assert "KAL002" not in text.render(report)
