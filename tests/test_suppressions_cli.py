"""Configuration and suppressions end to end: the real CLI, the real checks."""

from __future__ import annotations

import json
import textwrap

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app
from kube_audit_lint.lint.pipeline import lint_text

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    resources:
      - group: v1{comment}
        resources: ["events"]
  - level: Metadata
"""


def lint(tmp_path, monkeypatch, comment: str = "", *args: str, config: str | None = None):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.yaml").write_text(POLICY.format(comment=comment), encoding="utf-8")
    if config is not None:
        (tmp_path / ".kube-audit-lint.yaml").write_text(textwrap.dedent(config), encoding="utf-8")
    result = CliRunner().invoke(app, ["lint", "policy.yaml", *args])
    return result


def findings(result) -> list[tuple]:
    document = json.loads(result.stdout)
    return [(f["code"], f["line"], f["suppressed"], (f["suppression"] or {}).get("justification"))
            for f in document["findings"]]


SELECT = ["--select", "versioned-group,unused-suppression,suppression-without-reason,expired-suppression,"
          "suppression-not-allowed,invalid-suppression", "--format", "json"]


def test_unsuppressed_finding_fails_the_run(tmp_path, monkeypatch):
    result = lint(tmp_path, monkeypatch, "", *SELECT)
    assert result.exit_code == 1
    assert findings(result) == [("KAL003", 7, False, None)]


def test_suppressed_finding_is_kept_and_passes_the_run(tmp_path, monkeypatch):
    result = lint(tmp_path, monkeypatch, "  # kube-audit-lint: disable=versioned-group -- shared with 1.8 clusters", *SELECT)
    assert result.exit_code == 0, result.output
    assert findings(result) == [("KAL003", 7, True, "shared with 1.8 clusters")]


def test_expired_suppression_fails_the_run(tmp_path, monkeypatch):
    result = lint(tmp_path, monkeypatch, "  # kube-audit-lint: disable=KAL003 until=2001-01-01 -- old", *SELECT)
    assert result.exit_code == 1
    assert findings(result) == [("KAL003", 7, False, None), ("KAL092", 7, False, None)]


def test_future_until_still_suppresses(tmp_path, monkeypatch):
    result = lint(tmp_path, monkeypatch, "  # kube-audit-lint: disable=KAL003 until=2999-12-31 -- later", *SELECT)
    assert result.exit_code == 0
    assert findings(result) == [("KAL003", 7, True, "later")]


def test_require_reasons_from_the_configuration_file(tmp_path, monkeypatch):
    result = lint(tmp_path, monkeypatch, "  # kube-audit-lint: disable=KAL003", *SELECT, config="require-reasons: true\n")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert [(f["code"], f["severity"], f["suppressed"]) for f in document["findings"]] == [
        ("KAL003", "error", True), ("KAL091", "error", False),
    ]


def test_non_suppressible_from_the_configuration_file(tmp_path, monkeypatch):
    result = lint(tmp_path, monkeypatch, "  # kube-audit-lint: disable=KAL003 -- please", *SELECT,
                  config="non-suppressible: [versioned-group]\n")
    assert result.exit_code == 1
    assert findings(result) == [("KAL003", 7, False, None), ("KAL093", 7, False, None)]
    assert ".kube-audit-lint.yaml:1" in json.loads(result.stdout)["findings"][1]["message"]


def test_configuration_select_and_fail_on(tmp_path, monkeypatch):
    config = "select: [versioned-group]\nfail-on: never\n"
    result = lint(tmp_path, monkeypatch, "", "--format", "json", config=config)
    assert result.exit_code == 0
    assert findings(result) == [("KAL003", 7, False, None)]
    assert lint(tmp_path, monkeypatch, "", "--format", "json", "--fail-on", "error", config=config).exit_code == 1


def test_exit_zero_on_the_command_line(tmp_path, monkeypatch):
    assert lint(tmp_path, monkeypatch, "", "--select", "KAL003", "--exit-zero").exit_code == 0


def test_sarif_leaves_a_suppressed_finding_out_and_json_keeps_it(tmp_path, monkeypatch):
    comment = "  # kube-audit-lint: disable=versioned-group -- shared"
    result = lint(tmp_path, monkeypatch, comment, "--select", "KAL003", "--format", "sarif")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["runs"][0]["results"] == []  # code scanning would show it as open
    result = lint(tmp_path, monkeypatch, comment, "--select", "KAL003", "--format", "json")
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["suppressed"] and finding["suppression"]["justification"] == "shared"


@pytest.mark.parametrize("config, expected", [
    ("fail_on: error\n", ".kube-audit-lint.yaml:1:1: unknown key 'fail_on' (did you mean 'fail-on'?)"),
    ("severity:\n  versioned-group: fatal\n", ".kube-audit-lint.yaml:2:20: severity.versioned-group: expected one of"),
    ("ignore: [no-such-check]\n", ".kube-audit-lint.yaml:1:10: unknown check 'no-such-check'"),
])
def test_bad_configuration_exits_2_with_a_position(tmp_path, monkeypatch, config, expected):
    result = lint(tmp_path, monkeypatch, "", config=config)
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_explicit_config_file(tmp_path, monkeypatch):
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "pyproject.toml").write_text('[tool.kube-audit-lint]\nfail-on = "never"\n')
    result = lint(tmp_path, monkeypatch, "", "--select", "KAL003", "--config", "ci/pyproject.toml")
    assert result.exit_code == 0
    result = lint(tmp_path, monkeypatch, "", "--config", "ci/missing.yaml")
    assert result.exit_code == 2 and "ci/missing.yaml:1:1: no such configuration file" in result.output


def test_show_config(tmp_path, monkeypatch):
    result = lint(tmp_path, monkeypatch, "", "--show-config", "--fail-on", "error", config="ignore: [KAL003]\n")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "# configuration file: .kube-audit-lint.yaml"
    assert any(line.startswith('ignore = ["KAL003"]') and line.endswith("# .kube-audit-lint.yaml:1") for line in lines)
    assert any(line.startswith('fail-on = "error"') and line.endswith("# command line") for line in lines)
    assert any(line.startswith('baseline = "recommended"') and line.endswith("# default") for line in lines)


def test_health_endpoint_suppressed_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.yaml").write_text(textwrap.dedent("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: ["RequestReceived"]
        rules:
          # kube-audit-lint: disable=health-endpoint-logged -- probes are rare on this cluster
          - level: Metadata
        """))
    args = ["lint", "policy.yaml", "--select", "health-endpoint-logged,unused-suppression", "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["findings"] and all(f["suppressed"] and f["code"] != "KAL090" for f in document["findings"])


def test_lint_text_applies_suppressions_and_judges_them_with_every_check():
    text = POLICY.format(comment="  # kube-audit-lint: disable=versioned-group -- shared")
    [finding] = lint_text(text, select=["versioned-group"])
    assert finding.suppressed
    stale = POLICY.replace("group: v1", 'group: ""').format(comment="  # kube-audit-lint: disable=versioned-group -- shared")
    assert [f.code for f in lint_text(stale, select=["unused-suppression"])] == ["KAL090"]
    assert lint_text(text, select=["unused-suppression"]) == []
