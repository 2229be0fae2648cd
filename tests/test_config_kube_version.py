"""Every command honours the configuration file's kube-version (found from the file it reads, as
lint finds its configuration); --kube-version still wins."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app

V1BETA1 = "apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Metadata\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / ".kube-audit-lint.yaml").write_text('kube-version: "1.23"\n')
    (tmp_path / "policy.yaml").write_text(V1BETA1)
    (tmp_path / "audit.log").write_text(json.dumps({"kind": "Event", "verb": "get", "requestURI": "/x",
                                                    "user": {"username": "a"}, "stage": "ResponseComplete"}) + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the configuration is found from the policy, not the working directory
    return tmp_path


def run(*args):
    return CliRunner().invoke(app, list(args))


def test_validate_explain_replay_and_baseline_diff_read_it(project):
    policy = str(project / "policy.yaml")
    assert "kube-apiserver 1.23 would load this policy" in run("validate", policy).output
    assert run("explain", policy, "--verb", "get", "--resource", "pods").exit_code == 0
    replayed = run("replay", policy, str(project / "audit.log"), "--format", "json")
    assert replayed.exit_code == 0 and json.loads(replayed.stdout)["kubeVersion"] == "1.23"
    assert run("baseline", "diff", policy).exit_code in (0, 1)
    assert run("filter", policy, str(project / "audit.log")).exit_code == 0


def test_the_option_wins(project):
    refused = run("validate", str(project / "policy.yaml"), "--kube-version", "1.30")
    assert refused.exit_code == 1


def test_a_bad_configured_version_is_an_input_error(project):
    (project / ".kube-audit-lint.yaml").write_text("kube-version: 1.3\n")
    result = run("validate", str(project / "policy.yaml"))
    assert result.exit_code == 2 and "kube-version" in result.output
