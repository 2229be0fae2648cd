from __future__ import annotations

from dataclasses import replace

from kube_audit_lint.findings import Finding, Location, Report, Severity
from kube_audit_lint.lint.fingerprint import fingerprint, normalised_line, report_fingerprints, strip_comment
from test_output_support import sample_report


def test_fingerprints_survive_lines_inserted_above(tmp_path):
    before = sample_report(tmp_path)
    after = sample_report(tmp_path, shift=3)
    assert [f.location.line + 3 for f in before.findings] == [f.location.line for f in after.findings]
    assert report_fingerprints(before) == report_fingerprints(after)


def test_fingerprint_independent_of_how_the_path_was_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = "rules:\n  - level: None\n"
    finding = Finding("KAL001", "x", Severity.ERROR, "m", Location("policies/a.yaml", 2, 5))
    dotted = replace(finding, location=replace(finding.location, path="./policies/a.yaml"))
    absolute = replace(finding, location=replace(finding.location, path=str(tmp_path / "policies/a.yaml")))
    prints = {fingerprint(f, source, str(tmp_path)) for f in (finding, dotted, absolute)}
    assert len(prints) == 1


def test_fingerprint_changes_with_what_identifies_a_finding():
    source = "rules:\n  - level: None\n  - level: Metadata\n"
    base = Finding("KAL001", "x", Severity.ERROR, "m", Location("a.yaml", 2, 5), subject="s")
    reference = fingerprint(base, source)
    variants = [
        replace(base, code="KAL002"),
        replace(base, subject="t"),
        replace(base, location=replace(base.location, path="b.yaml")),
        replace(base, location=replace(base.location, line=3)),  # a different line text
    ]
    assert all(fingerprint(v, source) != reference for v in variants)
    # the name, severity, message and column are not part of it
    same = [
        replace(base, name="renamed"),
        replace(base, severity=Severity.NOTE),
        replace(base, message="other words"),
        replace(base, location=replace(base.location, column=9)),
    ]
    assert all(fingerprint(v, source) == reference for v in same)


def test_subject_defaults_to_message():
    base = Finding("KAL001", "x", Severity.ERROR, "message one", Location("a.yaml", 1, 1))
    assert fingerprint(base, "a: b\n") != fingerprint(replace(base, message="message two"), "a: b\n")


def test_comments_and_spacing_do_not_change_fingerprint():
    finding = Finding("KAL001", "x", Severity.ERROR, "m", Location("a.yaml", 1, 3))
    plain = fingerprint(finding, "- level: None\n")
    assert fingerprint(finding, "-   level:   None   # kube-audit-lint: disable=KAL001 -- ok\n") == plain
    assert fingerprint(finding, "- level: Metadata\n") != plain


def test_strip_comment_respects_quotes():
    assert strip_comment('a: "x # y" # c') == 'a: "x # y" '
    assert strip_comment("a: 'x # y' # c") == "a: 'x # y' "
    assert strip_comment("a: it's # c") == "a: it's "
    assert strip_comment("a: b#c") == "a: b#c"
    assert strip_comment("# whole line") == ""


def test_normalised_line_out_of_range():
    assert normalised_line("a\n", 5) == ""
    assert normalised_line(None, 1) == ""


def test_repeated_fingerprints_are_numbered_in_line_order():
    source = "rules:\n  - level: None\n  - level: None\n"
    first = Finding("KAL005", "dup", Severity.NOTE, "m", Location("a.yaml", 2, 5))
    second = replace(first, location=replace(first.location, line=3))
    forward = report_fingerprints(Report(findings=[first, second], sources={"a.yaml": source}))
    backward = report_fingerprints(Report(findings=[second, first], sources={"a.yaml": source}))
    assert forward[1] == forward[0] + ":2"
    assert backward == [forward[1], forward[0]]
