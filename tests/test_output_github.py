from __future__ import annotations

from kube_audit_lint.findings import Finding, Location, Report, Severity
from kube_audit_lint.output import github
from test_output_support import sample_report

def test_annotations_for_the_sample(tmp_path):
    lines = github.render(sample_report(tmp_path)).splitlines()
    assert lines == [
        "::error file=policies/audit.yaml,line=8,col=5,endLine=8,endColumn=27,"
        "title=KAL001::secrets can be logged at RequestResponse by rule 1 (sensitive-body-captured)"
        "%0AExample: get secrets/db-password -n prod by alice%0AFix: log secrets at Metadata in a rule before rule 1",
        # a span over two lines: GitHub takes no columns then
        "::warning file=policies/audit.yaml,line=12,endLine=13,title=KAL004::"
        "rule 2 is never reached: rule 1 matches every request it would (unreachable-rule)",
        "::notice file=policies/audit.yaml,line=13,col=5,title=KAL010::"
        "reads are logged with their request body (verbose-read-logging)",
    ]  # the suppressed KAL003 finding is not annotated


def test_relative_path_when_given_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    output = github.render(sample_report(tmp_path, relative=True))
    assert output.count("file=policies/audit.yaml,") == 3


def test_message_escaping():
    assert github.escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"


def test_property_escaping():
    assert github.escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"


def test_escaping_in_a_command(tmp_path):
    path = tmp_path / "odd,name:1.yaml"
    finding = Finding("KAL002", "some-check", Severity.WARNING, "50% of\nrequests", Location(str(path), 3, 1))
    line = github.render(Report(findings=[finding], root=str(tmp_path)))
    assert line == "::warning file=odd%2Cname%3A1.yaml,line=3,col=1,title=KAL002::50%25 of%0Arequests (some-check)\n"


def test_clean_report_prints_nothing():
    assert github.render(Report(findings=[])) == ""
