"""One problem, one displayed finding, and each check's truth reported alone (real corpus policies)."""

from __future__ import annotations

import json
import re

import pytest
from kube_audit_lint.commands.lint import LintOptions
from kube_audit_lint.lint.config import Settings
from kube_audit_lint.lint.pipeline import lint_report, lint_verdict, select_checks
from kube_audit_lint.output import render
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.load import lint_read

HEADLINE = re.compile(r"^\S.*:\d+:\d+: (KAL\d{3}) \[(error|warning|note)\] (.*) \([a-z-]+\)$")


def report_of(path, **options):
    report, _ = lint_report(LintOptions(paths=[str(path)], **options))
    return report


def test_the_policy_that_drops_everything_is_one_displayed_problem(corpus_policies):
    report = report_of(corpus_policies / "rke2-default.yaml")
    [shown] = report.displayed
    assert shown.code == "KAL030" and shown.severity.label == "error"
    members = report.grouping().members(shown)
    assert {f.code for f in members} >= {"KAL024", "KAL029", "KAL050"}
    assert all(f.rule_index == shown.rule_index == 0 for f in members)
    text = render(report, "text")
    assert len([line for line in text.splitlines() if HEADLINE.match(line)]) == 1
    assert "= also: security-event-not-logged, unauthenticated-not-logged and " in text


def test_ignoring_the_primary_brings_the_others_back(corpus_policies):
    report = report_of(corpus_policies / "rke2-default.yaml", ignore=["KAL030", "KAL050"])
    codes = {f.code for f in report.active}
    assert {"KAL024", "KAL029"} <= codes  # the policy logs nothing: other checks still say so
    [shown] = report.displayed
    assert shown.code == "KAL024" and [f.code for f in report.grouping().members(shown)] == ["KAL029"]


def test_json_keeps_every_finding_and_says_where_it_is_shown(corpus_policies):
    report = report_of(corpus_policies / "rke2-default.yaml")
    document = json.loads(render(report, "json"))
    findings = document["findings"]
    assert len(findings) == len(report.active)
    [primary] = [f for f in findings if f["groupedUnder"] is None]
    assert primary["code"] == "KAL030"
    assert sorted(primary["grouped"]) == sorted(f["fingerprint"] for f in findings if f is not primary)
    assert all(f["groupedUnder"] == primary["fingerprint"] for f in findings if f is not primary)
    assert document["summary"]["displayed"] == 1


def test_sarif_and_github_show_one_result_per_problem(corpus_policies):
    report = report_of(corpus_policies / "rke2-default.yaml")
    sarif = json.loads(render(report, "sarif"))
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "KAL030" and "Also (same cause): " in result["message"]["text"]
    [annotation] = render(report, "github").splitlines()
    assert "title=KAL030" in annotation and "Also (same cause)" in annotation


def test_each_check_alone_reports_exactly_what_it_reports_in_a_full_run(corpus_policies):
    """`--select X` shows the X findings of a full run, for every check and every corpus policy."""
    settings = Settings()
    specs = [spec for spec in select_checks(settings) if spec.scope != "findings"]  # they judge the others' findings
    for path in sorted(corpus_policies.glob("*.yaml")):
        for verdict in lint_read(str(path), versions.DEFAULT).verdicts:
            together = lint_verdict(verdict, specs, settings, versions.DEFAULT)
            for spec in specs:
                alone = lint_verdict(verdict, [spec], settings, versions.DEFAULT)
                assert alone == [f for f in together if f.code == spec.code], (path.name, spec.code)


def test_select_on_the_command_line_matches_the_full_run(corpus_policies):
    full = report_of(corpus_policies / "cloudnative-pg.yaml")
    for code in ("KAL023", "KAL024", "KAL050"):
        selected = report_of(corpus_policies / "cloudnative-pg.yaml", select=[code])
        assert [f.message for f in selected.active] == [f.message for f in full.active if f.code == code], code
    [exec_lost] = [f for f in report_of(corpus_policies / "cloudnative-pg.yaml", select=["security-event-not-logged"]).active]
    assert "exec into a container" in exec_lost.message and "matches no rule" in exec_lost.message


def test_displayed_findings_on_the_corpus_stay_few_and_keep_every_check(corpus_policies):
    report = report_of(corpus_policies)
    assert len(report.displayed) <= 200, len(report.displayed)
    # grouping hides no kind of problem: every check that found something is shown somewhere
    shown = {f.code for f in report.displayed}
    grouping = report.grouping()
    assert {f.code for f in report.active} == shown | {m.code for f in report.displayed for m in grouping.members(f)}


def test_text_headlines_are_at_most_120_characters(corpus_policies, repo_root):
    for path in (corpus_policies, repo_root / "examples"):
        text = render(report_of(path), "text")
        headlines = [HEADLINE.match(line) for line in text.splitlines()]
        assert any(headlines)
        assert all(len(match.group(3)) <= 120 for match in headlines if match), path


@pytest.mark.parametrize("message", [
    "short enough",
    "a" * 80 + ": " + "b" * 80,
    "x" * 400,
    "get nodes/example by system:node:node-1 (groups system:authenticated, system:nodes) is logged at Request; " * 3,
])
def test_a_long_message_is_broken_without_losing_a_character(message):
    from kube_audit_lint.findings import with_headline

    lines = with_headline(message).split("\n")
    assert all(len(line) <= 120 for line in lines)
    assert " ".join(lines).replace("  ", " ") == message.replace("  ", " ") or "".join(lines) == message


SHADOWED = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
  - level: RequestResponse
    omitStages: ["ResponseComplete"]
    resources:
      - group: ""
        resources: ["pods"]
"""


def test_settings_checks_skip_rules_no_request_reaches(tmp_path):
    """Rule 1 is shadowed by the catch-all: only unreachable-rule speaks of it."""
    path = tmp_path / "policy.yaml"
    path.write_text(SHADOWED)
    codes = {f.code for f in report_of(path).active}
    assert "KAL022" in codes
    assert not codes & {"KAL008", "KAL011"}, codes
    reachable = SHADOWED.replace("  - level: Metadata\n  - level: RequestResponse", "  - level: RequestResponse", 1)
    reachable += "  - level: Metadata\n"
    path.write_text(reachable)
    codes = {f.code for f in report_of(path).active}
    assert {"KAL008", "KAL011"} <= codes and "KAL022" not in codes
