"""Inline suppressions: where they apply, what they record, and the findings about them."""

from __future__ import annotations

import datetime
import importlib
import textwrap

import pytest

from kube_audit_lint.lint import registry

from kube_audit_lint.lint.config import Settings
from kube_audit_lint.findings import Report, Severity
from kube_audit_lint.lint.pipeline import apply_suppressions, lint_verdict, select_checks
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.validate import apiserver_verdict, is_audit_policy_document
from kube_audit_lint.policy.yamlnodes import parse_documents
from kube_audit_lint.lint.registry import CheckSpec, spec_from_module
from kube_audit_lint.lint.suppressions import parse_directives, yaml_comments

TODAY = datetime.date(2026, 6, 15)
PATH = "policy.yaml"


def _every_rule(ctx):
    for rule in ctx.policy.rules:
        yield ctx.finding(("rules", rule.index), f"rule {rule.index} seen")


def _body_levels(ctx):
    for rule in ctx.policy.rules:
        if rule.level in ("Request", "RequestResponse"):
            yield ctx.finding(("rules", rule.index, "level"), f"rule {rule.index} logs bodies")


def _nothing(ctx):
    yield from ()


PASS_MODULES = [f"kube_audit_lint.checks.{name}" for name in (
    "kal090_unused_suppression", "kal091_suppression_without_reason", "kal092_expired_suppression",
    "kal093_suppression_not_allowed", "kal094_invalid_suppression",
)]
FAKE_CHECKS = (
    CheckSpec("TST001", "rule-seen", Severity.WARNING, {}, "Sees rules.", _every_rule, "tests.fake"),
    CheckSpec("TST002", "body-level", Severity.ERROR, {}, "Body levels.", _body_levels, "tests.fake"),
    CheckSpec("TST003", "never-fires", Severity.NOTE, {}, "Never.", _nothing, "tests.fake"),
) + tuple(spec_from_module(importlib.import_module(name)) for name in PASS_MODULES)


@pytest.fixture(autouse=True)
def fake_checks(monkeypatch):
    monkeypatch.setattr(registry, "all_checks", lambda: FAKE_CHECKS)


def run(text: str, settings: Settings | None = None, today: datetime.date = TODAY, path: str = PATH) -> Report:
    settings = settings or Settings()
    text = textwrap.dedent(text).lstrip("\n")
    specs = select_checks(settings, path)
    findings = []
    for document in parse_documents(path, text):
        if is_audit_policy_document(document.data):
            findings += lint_verdict(apiserver_verdict(document), specs, settings, versions.DEFAULT)
    return apply_suppressions(Report(findings=findings, files=[path], sources={path: text}), settings, today)


def summary(report: Report) -> list[tuple]:
    """(code, line, suppressed) of every finding, in report order."""
    return [(f.code, f.location.line, f.suppressed) for f in report.findings]


def meta(report: Report) -> list[tuple]:
    return [(f.code, f.location.line, f.location.column, f.message) for f in report.findings if f.code.startswith("KAL09")]


HEADER = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"


# --- where a suppression applies -------------------------------------------------------------------


def test_no_comment_no_change():
    report = run(HEADER + "  - level: RequestResponse\n  - level: Metadata\n")
    assert summary(report) == [("TST001", 4, False), ("TST002", 4, False), ("TST001", 5, False)]


def test_same_line_by_code():
    report = run(HEADER + "  - level: Metadata  # kube-audit-lint: disable=TST001 -- reviewed\n  - level: Metadata\n")
    assert summary(report) == [("TST001", 4, True), ("TST001", 5, False)]
    suppression = report.findings[0].suppression
    assert suppression.kind == "inline"
    assert suppression.justification == "reviewed"
    assert (suppression.location.path, suppression.location.line, suppression.location.column) == (PATH, 4, 22)
    assert meta(report) == []


def test_line_above_by_name():
    report = run(HEADER + "  # kube-audit-lint: disable=rule-seen -- reviewed\n  - level: Metadata\n  - level: Metadata\n")
    assert summary(report) == [("TST001", 5, True), ("TST001", 6, False)]


def test_comment_lines_and_blank_lines_in_between():
    report = run(HEADER + """\
  # kube-audit-lint: disable=rule-seen -- reviewed

  # the catch-all, kept on purpose
  - level: Metadata
""")
    assert summary(report) == [("TST001", 7, True)]


def test_trailing_comment_applies_to_its_own_line_only():
    report = run(HEADER + "  - level: None  # kube-audit-lint: disable=body-level -- x\n  - level: Request\n")
    assert [(c, line, s) for c, line, s in summary(report) if c == "TST002"] == [("TST002", 5, False)]
    assert [m[3] for m in meta(report)] == ["unused suppression: TST002 (body-level) reports nothing on line 4"]


def test_a_comment_above_a_rule_covers_the_lines_nested_under_it():
    report = run(HEADER + """\
  # kube-audit-lint: disable=body-level -- whole rule
  - resources:
      - group: ""
        resources: ["secrets"]
    level: RequestResponse
  - level: Request
""")
    assert [(c, line, s) for c, line, s in summary(report) if c == "TST002"] == [("TST002", 8, True), ("TST002", 9, False)]


def test_several_codes_and_names_in_one_comment():
    report = run(HEADER + "  - level: Request  # kube-audit-lint: disable=TST001, body-level -- both\n")
    assert summary(report) == [("TST001", 4, True), ("TST002", 4, True)]
    assert meta(report) == []


def test_lowercase_code_is_accepted():
    report = run(HEADER + "  - level: Metadata  # kube-audit-lint: disable=tst001 -- x\n")
    assert summary(report) == [("TST001", 4, True)]


def test_disable_file_without_checks_suppresses_everything():
    report = run("# kube-audit-lint: disable-file -- generated\n" + HEADER + "  - level: Request\n")
    assert summary(report) == [("TST001", 5, True), ("TST002", 5, True)]
    assert {f.suppression.kind for f in report.findings} == {"file"}
    assert report.findings[0].suppression.justification == "generated"


def test_disable_file_with_checks_anywhere_in_the_file():
    report = run(HEADER + "  - level: Request\n  - level: Metadata\n# kube-audit-lint: disable-file=body-level -- later\n")
    assert summary(report) == [("TST001", 4, False), ("TST002", 4, True), ("TST001", 5, False)]


def test_the_innermost_suppression_is_recorded_and_the_redundant_one_is_unused():
    report = run("# kube-audit-lint: disable-file=TST001 -- file\n" + HEADER
                 + "  - level: Metadata  # kube-audit-lint: disable=TST001 -- line\n")
    finding = next(f for f in report.findings if f.code == "TST001")
    assert finding.suppression.kind == "inline" and finding.suppression.justification == "line"
    assert [m[:2] for m in meta(report)] == [("KAL090", 1)]


def test_json_policies_have_no_comments():
    text = '{"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "Metadata", "userGroups": ["# kube-audit-lint: disable-file"]}]}'
    report = run(text)
    assert summary(report) == [("TST001", 1, False)]
    assert parse_directives(PATH, text) == []


# --- comments: not fooled by '#' that is not a comment ---------------------------------------------


def test_hash_inside_quotes_and_plain_scalars_is_not_a_comment():
    text = textwrap.dedent("""\
        a: "x # kube-audit-lint: disable-file"
        b: 'it''s # not'
        c: x#y
        d: don't # real one
        e: "multi
          line # still inside"  # after
        """)
    comments = [(c.line, c.text.strip()) for c in yaml_comments(text)]
    assert comments == [(4, "real one"), (6, "after")]


def test_hash_inside_a_block_scalar_is_not_a_comment():
    text = textwrap.dedent("""\
        rules:
          - level: Metadata
            note: |
              # kube-audit-lint: disable-file
              more text
            users: ["x"]  # real
          - text: >-
              # folded
        # top
        """)
    assert [(c.line, c.text.strip()) for c in yaml_comments(text)] == [(6, "real"), (9, "top")]


def test_directive_in_a_block_scalar_suppresses_nothing():
    report = run(HEADER + "  - level: Metadata\n    userGroups:\n      - |\n        # kube-audit-lint: disable-file\n")
    assert summary(report) == [("TST001", 4, False)]


# --- reasons, dates -------------------------------------------------------------------------------


def test_suppression_without_reason_is_a_note_and_still_suppresses():
    report = run(HEADER + "  - level: Metadata  # kube-audit-lint: disable=TST001\n")
    [without] = [f for f in report.findings if f.code == "KAL091"]
    assert without.severity == Severity.NOTE
    assert ("TST001", 4, True) in summary(report)


def test_require_reasons_makes_it_an_error():
    report = run(HEADER + "  - level: Metadata  # kube-audit-lint: disable=TST001 --\n", Settings(require_reasons=True))
    [without] = [f for f in report.findings if f.code == "KAL091"]
    assert without.severity == Severity.ERROR
    assert "required by require-reasons" in without.message


@pytest.mark.parametrize("until, today, suppressed", [
    ("2026-06-15", TODAY, True),  # the last day still counts
    ("2026-12-31", TODAY, True),
    ("2026-06-14", TODAY, False),
])
def test_until(until, today, suppressed):
    report = run(HEADER + f"  - level: Metadata  # kube-audit-lint: disable=TST001 until={until} -- OPS-12\n", today=today)
    assert ("TST001", 4, suppressed) in summary(report)
    expired = [m for m in meta(report) if m[0] == "KAL092"]
    if suppressed:
        assert expired == []
    else:
        assert expired == [("KAL092", 4, 22, f"suppression expired on {until}: TST001 is reported again (reason given: OPS-12)")]
        assert not any(m[0] == "KAL090" for m in meta(report))  # expired, not also unused


def test_expired_disable_file():
    report = run("# kube-audit-lint: disable-file until=2020-01-01 -- old\n" + HEADER + "  - level: Metadata\n")
    assert summary(report)[:1] == [("KAL092", 1, False)]
    assert "every check in this file is reported again" in report.findings[0].message


# --- unused, unknown, not allowed, invalid -----------------------------------------------------------


def test_unused_suppression_points_at_the_check_in_the_comment():
    report = run(HEADER + "  - level: Metadata  # kube-audit-lint: disable=TST001,never-fires -- x\n")
    assert meta(report) == [("KAL090", 4, 56, "unused suppression: TST003 (never-fires) reports nothing on line 4")]
    finding = next(f for f in report.findings if f.code == "KAL090")
    assert (finding.location.end_line, finding.location.end_column) == (4, 67)
    assert finding.severity == Severity.NOTE


def test_unused_disable_file():
    report = run("# kube-audit-lint: disable-file -- x\napiVersion: v1\nkind: ConfigMap\n")
    assert meta(report) == [("KAL090", 1, 1, "unused suppression: nothing in this file to suppress")]


def test_unknown_check_is_reported_not_a_crash():
    report = run(HEADER + "  - level: Metadata  # kube-audit-lint: disable=TST001,KAL999 -- x\n")
    assert ("TST001", 4, True) in summary(report)
    assert [m[3] for m in meta(report)] == ["unused suppression: unknown check 'KAL999' (see: kube-audit-lint checks)"]


def test_a_check_that_did_not_run_is_not_judged():
    text = HEADER + "  - level: Metadata  # kube-audit-lint: disable=body-level -- x\n"
    assert [m[0] for m in meta(run(text))] == ["KAL090"]
    assert meta(run(text, Settings(ignore=["body-level"]))) == []
    assert meta(run(text, Settings(per_file_ignores={"*.yaml": ["TST002"]}))) == []


def test_non_suppressible_check():
    settings = Settings(non_suppressible=["body-level"], origins={"non_suppressible": "pyproject.toml:7"})
    report = run(HEADER + "  - level: Request  # kube-audit-lint: disable=TST001,TST002 -- x\n", settings)
    assert ("TST001", 4, True) in summary(report) and ("TST002", 4, False) in summary(report)
    assert meta(report) == [("KAL093", 4, 55, "TST002 (body-level) cannot be suppressed: it is non-suppressible "
                                              "(pyproject.toml:7); the finding is reported")]


def test_non_suppressible_check_and_disable_file():
    report = run("# kube-audit-lint: disable-file -- x\n" + HEADER + "  - level: Request\n",
                 Settings(non_suppressible=["TST002"]))
    assert ("TST001", 5, True) in summary(report) and ("TST002", 5, False) in summary(report)
    assert [m[:2] for m in meta(report)] == [("KAL093", 1)]


def test_findings_about_suppressions_cannot_be_suppressed_by_a_comment():
    report = run(HEADER + "  - level: Metadata  # kube-audit-lint: disable=TST001,unused-suppression\n")
    codes = [m[0] for m in meta(report)]
    assert codes == ["KAL091", "KAL093"]
    assert not any(f.suppressed for f in report.findings if f.code.startswith("KAL09"))


@pytest.mark.parametrize("comment, problem", [
    ("disable-line=TST001 -- x", "unknown directive 'disable-line' (did you mean 'disable'?)"),
    ("disable", "disable needs the checks it suppresses"),
    ("disable= -- x", "disable needs the checks it suppresses"),
    ("disable=TST001 until=31/12/2026 -- x", "until=31/12/2026: expected a date YYYY-MM-DD"),
    ("disable=TST001 until=2026-02-30 -- x", "until=2026-02-30: expected a date YYYY-MM-DD"),
    ("disable=TST001 because it is fine", "unexpected 'because' (a reason goes after '--')"),
    ("", "expected disable=CHECKS or disable-file"),
    ("disablefile", "did you mean 'disable-file'?"),
])
def test_invalid_directive(comment, problem):
    report = run(HEADER + f"  - level: Metadata  # kube-audit-lint: {comment}\n")
    assert ("TST001", 4, False) in summary(report)
    [(code, line, column, message)] = meta(report)
    assert (code, line, column) == ("KAL094", 4, 22)
    assert problem in message


def test_other_comments_are_left_alone():
    report = run(HEADER + "  - level: Metadata  # kube-audit-lint is great; see kube-audit-lint docs\n")
    assert meta(report) == []


# --- configuration of the checks about suppressions ----------------------------------------------------


def test_pass_checks_follow_select_ignore_and_severity():
    text = HEADER + "  - level: Metadata  # kube-audit-lint: disable=never-fires\n"
    assert sorted(m[0] for m in meta(run(text))) == ["KAL090", "KAL091"]
    assert [m[0] for m in meta(run(text, Settings(ignore=["suppression-without-reason"])))] == ["KAL090"]
    report = run(text, Settings(severity={"KAL090": "error"}))
    assert next(f for f in report.findings if f.code == "KAL090").severity == Severity.ERROR


def test_the_checks_about_suppressions_judge_the_findings_of_the_others():
    specs = {spec.code: spec for spec in FAKE_CHECKS}
    expected = {"KAL090": ("unused-suppression", Severity.NOTE), "KAL091": ("suppression-without-reason", Severity.NOTE),
                "KAL092": ("expired-suppression", Severity.WARNING), "KAL093": ("suppression-not-allowed", Severity.WARNING),
                "KAL094": ("invalid-suppression", Severity.WARNING)}
    for code, (name, severity) in expected.items():
        assert (specs[code].name, specs[code].severity, specs[code].scope) == (name, severity, "findings")
        assert not specs[code].suppressible_by_comment


def test_report_stays_sorted_and_keeps_its_context():
    report = run("# kube-audit-lint: disable-file=TST003\n" + HEADER + "  - level: Request\n")
    keys = [(f.location.line, f.location.column, f.code) for f in report.findings]
    assert keys == sorted(keys)
    assert report.files == [PATH] and PATH in report.sources


def test_no_comment_is_found_in_any_dumped_scalar():
    """Whatever string a YAML writer puts in a value, no '#' in it is taken for a comment."""
    import io

    from hypothesis import given, settings, strategies as st
    from ruamel.yaml import YAML

    text_strategy = st.text(alphabet=st.sampled_from(list("ab #'\":-|>\n\t{}[],")), max_size=30)

    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    styles = st.sampled_from([str, LiteralScalarString, FoldedScalarString])

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.tuples(text_strategy, styles), min_size=1, max_size=4), st.sampled_from([None, False, True]))
    def check(values, flow):
        yaml = YAML()
        yaml.default_flow_style = flow
        out = io.StringIO()
        values = [style(text) if text.strip() else text for text, style in values]
        yaml.dump({"rules": [{"level": v, "users": [v]} for v in values]}, out)
        assert yaml_comments(out.getvalue()) == [], out.getvalue()

    check()
