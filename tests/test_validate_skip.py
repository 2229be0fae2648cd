"""`validate --skip-non-policies`, the mode of the pre-commit hook."""

from __future__ import annotations

import subprocess
import sys


def validate(*args, cwd):
    return subprocess.run([sys.executable, "-m", "kube_audit_lint", "validate", *args], cwd=cwd, capture_output=True, text=True)


def test_unrelated_yaml_and_templates_are_skipped(tmp_path):
    (tmp_path / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n")
    (tmp_path / "template.yaml").write_text("metadata:\n  name: {{ include \"x\" . }}\n  labels: [\n")
    (tmp_path / "policy.yaml").write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n")
    result = validate("--skip-non-policies", "deploy.yaml", "template.yaml", "policy.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "deploy.yaml" not in result.stdout + result.stderr
    assert "template.yaml" not in result.stdout + result.stderr
    assert "policy.yaml: kube-apiserver" in result.stdout


def test_without_the_flag_a_deployment_is_refused(tmp_path):
    (tmp_path / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n")
    assert validate("deploy.yaml", cwd=tmp_path).returncode == 1


def test_a_broken_policy_is_still_reported(tmp_path):
    (tmp_path / "audit.yaml").write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [\n")
    result = validate("--skip-non-policies", "audit.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "audit.yaml:" in result.stderr
