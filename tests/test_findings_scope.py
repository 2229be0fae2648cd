"""Checks of the findings scope: they run on each file after every other check, read its findings
and suppression comments, and are selected, ignored and rated as any check is."""

from __future__ import annotations

import datetime
import json
import re
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app
from kube_audit_lint.findings import Finding, Location, Report, Severity
from kube_audit_lint.lint import registry
from kube_audit_lint.lint.config import Settings
from kube_audit_lint.lint.pipeline import LintOptions, apply_suppressions, lint_report, lint_text
from kube_audit_lint.lint.registry import FINDINGS_SCOPE, FindingsContext, spec_from_module

REPO = Path(__file__).resolve().parents[1]

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    resources:
      - group: {group}{comment}
        resources: ["events"]
  - level: Metadata
"""
SHARED = "  # kube-audit-lint: disable=versioned-group -- shared"
MANIFEST = """\
apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
    - name: kube-apiserver
      command:
        - kube-apiserver
        - --audit-log-path=/var/log/kubernetes/audit.log
"""


def policy(group: str = "v1", comment: str = "") -> str:
    return POLICY.format(group=group, comment=comment)


def _tally(ctx: FindingsContext):
    codes = ",".join(sorted({f.code for f in ctx.findings}))
    suppressed = sum(f.suppressed for f in ctx.findings)
    used = sum(d.used for d in ctx.directives)
    yield ctx.finding(
        Location(ctx.path, 1, 1, None, None),
        f"{len(ctx.findings)} findings, {suppressed} suppressed, of {codes}; {used}/{len(ctx.directives)} comments used;"
        f" KAL003 ran: {'KAL003' in ctx.ran}; today {ctx.today.isoformat()}",
    )


def plugin(name: str, check) -> registry.CheckSpec:
    module = types.ModuleType(name)
    module.__doc__ = "Tallies each file's findings."
    module.CODE, module.NAME, module.SEVERITY, module.SCOPE = "TFS001", "findings-tally", "note", "findings"
    module.check = check
    return spec_from_module(module, "tally-plugin 1.0")


@pytest.fixture
def tally(monkeypatch):
    """The built-in checks and a plugin check of the findings scope, registered in-process."""
    builtin = registry.all_checks()
    spec = plugin("tally_plugin", _tally)
    monkeypatch.setattr(registry, "all_checks", lambda: (*builtin, spec))
    return spec


def comment_proof() -> set[str]:
    return {spec.code for spec in registry.all_checks() if spec.scope == FINDINGS_SCOPE}


def test_a_findings_check_reads_the_findings_of_the_other_checks(tally):
    findings = lint_text(policy(comment=SHARED), path="policy.yaml")
    [tallied] = [f for f in findings if f.code == "TFS001"]
    others = [f for f in findings if f.code not in comment_proof()]
    assert tallied.message.startswith(f"{len(others)} findings, 1 suppressed, of ")
    assert "KAL003" in tallied.message and "1/1 comments used" in tallied.message
    assert (tallied.location.path, tallied.severity, tallied.name) == ("policy.yaml", Severity.NOTE, "findings-tally")


def test_it_runs_after_the_checks_of_the_manifest(tally):
    findings = lint_text(policy(), path="policy.yaml", apiserver_manifest_text=MANIFEST)
    [on_manifest] = [f for f in findings if f.code == "TFS001" and f.location.path == "<apiserver-manifest>"]
    assert "KAL060" in on_manifest.message.split(";")[0]


def test_it_sees_today_and_the_checks_that_ran(tally):
    text = policy(comment=SHARED)
    finding = Finding("KAL003", "versioned-group", Severity.ERROR, "m", Location("policy.yaml", 7, 7, None, None))
    report = Report(findings=[finding], files=["policy.yaml"], sources={"policy.yaml": text})
    [tallied] = [f for f in apply_suppressions(report, Settings(), datetime.date(2030, 1, 2)).findings if f.code == "TFS001"]
    assert tallied.message == ("1 findings, 1 suppressed, of KAL003; 1/1 comments used; KAL003 ran: True; "
                               "today 2030-01-02")
    ignored = apply_suppressions(report, Settings(ignore=["KAL003"]), datetime.date(2030, 1, 2)).findings
    assert "KAL003 ran: False" in next(f for f in ignored if f.code == "TFS001").message


def test_selecting_it_alone_runs_the_other_checks_unreported(tally):
    findings = lint_text(policy(comment=SHARED), path="policy.yaml", select=["findings-tally"])
    assert [f.code for f in findings] == ["TFS001"]
    assert "KAL003" in findings[0].message and "1 suppressed" in findings[0].message


def test_its_findings_cannot_be_suppressed_by_a_comment(tally):
    text = "# kube-audit-lint: disable-file=findings-tally -- noisy\n" + policy()
    findings = lint_text(text, path="policy.yaml")
    [tallied] = [f for f in findings if f.code == "TFS001"]
    assert not tallied.suppressed
    [not_allowed] = [f for f in findings if f.code == "KAL093"]
    assert not_allowed.message.startswith("TFS001 (findings-tally) cannot be suppressed: findings about suppressions")


def test_a_findings_plugin_that_fails_is_a_plugin_problem(monkeypatch, tmp_path):
    def broken(ctx):
        raise KeyError("findings")
        yield

    builtin = registry.all_checks()
    spec = plugin("broken_tally", broken)
    monkeypatch.setattr(registry, "all_checks", lambda: (*builtin, spec))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.yaml").write_text(policy())
    report, _ = lint_report(LintOptions(paths=["policy.yaml"]))
    assert report.plugin_problems == [
        "plugin check broken_tally from tally-plugin 1.0 cannot be used: failed on policy.yaml: KeyError: 'findings'"]
    assert any(f.code == "KAL003" for f in report.findings)


def test_a_plugin_with_an_unknown_scope_cannot_be_used():
    module = types.ModuleType("odd_scope")
    module.CODE, module.NAME, module.SEVERITY, module.SCOPE = "ODD001", "odd", "note", "cluster"
    module.check = lambda ctx: ()
    with pytest.raises(ValueError, match="SCOPE 'cluster' is not one of policy, manifest, findings"):
        spec_from_module(module)


# --- the checks about suppressions, through the command ------------------------------------------------


def lint(tmp_path, monkeypatch, text: str, *args: str, config: str | None = None):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.yaml").write_text(text, encoding="utf-8")
    if config is not None:
        (tmp_path / ".kube-audit-lint.yaml").write_text(config, encoding="utf-8")
    result = CliRunner().invoke(app, ["lint", "policy.yaml", "--format", "json", *args])
    return result, [(f["code"], f["severity"], f["suppressed"]) for f in json.loads(result.stdout)["findings"]]


def test_selecting_only_unused_suppression_still_judges(tmp_path, monkeypatch):
    stale = policy(group='""', comment=SHARED)
    result, found = lint(tmp_path, monkeypatch, stale, "--select", "KAL090")
    assert found == [("KAL090", "note", False)]
    assert result.exit_code == 0
    report, _ = lint_report(LintOptions(paths=["policy.yaml"], select=["KAL090"]))
    assert [spec.code for spec in report.checks] == ["KAL090"]
    _, found = lint(tmp_path, monkeypatch, policy(comment=SHARED), "--select", "KAL090")
    assert found == []  # the suppression is used: the versioned group ran, unreported


def test_ignoring_unused_suppression_removes_its_findings(tmp_path, monkeypatch):
    stale = policy(group='""', comment=SHARED)
    _, found = lint(tmp_path, monkeypatch, stale)
    assert ("KAL090", "note", False) in found
    result, found = lint(tmp_path, monkeypatch, stale, "--ignore", "KAL090")
    assert not any(code == "KAL090" for code, _, _ in found)
    _, found = lint(tmp_path, monkeypatch, stale, config="per-file-ignores:\n  policy.yaml: [unused-suppression]\n")
    assert not any(code == "KAL090" for code, _, _ in found)


def test_require_reasons_makes_a_suppression_without_reason_an_error(tmp_path, monkeypatch):
    text = policy(comment="  # kube-audit-lint: disable=KAL003")
    result, found = lint(tmp_path, monkeypatch, text, "--select", "KAL091", "--fail-on", "error")
    assert (found, result.exit_code) == ([("KAL091", "note", False)], 0)
    result, found = lint(tmp_path, monkeypatch, text, "--select", "KAL091", "--fail-on", "error",
                         config="require-reasons: true\n")
    assert (found, result.exit_code) == ([("KAL091", "error", False)], 1)
    assert "(required by require-reasons)" in json.loads(result.stdout)["findings"][0]["message"]
    # the configured severity of the check wins, as for every check
    _, found = lint(tmp_path, monkeypatch, text, "--select", "KAL091",
                    config="require-reasons: true\nseverity:\n  suppression-without-reason: warning\n")
    assert found == [("KAL091", "warning", False)]


# --- no special case by check code -------------------------------------------------------------------------


def test_the_pipeline_names_no_check():
    source = (REPO / "linter" / "lint" / "pipeline.py").read_text(encoding="utf-8")
    assert not re.findall(r"\b[A-Z]{2,5}\d{3,4}\b", source)
    assert "PASS_CODES" not in source and "KAL09" not in source
    suppressions = (REPO / "linter" / "lint" / "suppressions.py").read_text(encoding="utf-8")
    assert "KAL09" not in suppressions and "PASS_CODES" not in suppressions


def test_the_checks_about_suppressions_are_checks_of_the_findings_scope():
    judged = {spec.code for spec in registry.all_checks() if spec.scope == FINDINGS_SCOPE}
    assert judged == {"KAL090", "KAL091", "KAL092", "KAL093", "KAL094"}
    assert not any(spec.suppressible_by_comment for spec in registry.all_checks() if spec.code in judged)
