"""The pre-commit hooks, run for real with `pre-commit try-repo` against this repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

BAD_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
  - level: RequestResponse
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers: [{name: web, image: nginx}]
"""

HELM_VALUES = """\
replicaCount: 2
image:
  repository: nginx
  tag: "{{ .Chart.AppVersion }}"
rules:
  - host: example.com
"""

HELM_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "app.fullname" . }}
"""


def pre_commit() -> str:
    found = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    if not os.path.exists(found):
        pytest.skip("pre-commit is not installed (pip install '.[test]')")
    return found


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    if not (REPO / ".git").exists():
        pytest.skip("pre-commit try-repo needs this checkout to be a git repository")
    root = tmp_path_factory.mktemp("precommit")
    work = root / "repo"
    (work / "policies").mkdir(parents=True)
    (work / "charts" / "app" / "templates").mkdir(parents=True)
    shutil.copy(REPO / "examples" / "audit-policy.yaml", work / "policies" / "good.yaml")
    (work / "policies" / "bad.yaml").write_text(BAD_POLICY)
    (work / "deployment.yaml").write_text(DEPLOYMENT)
    (work / "charts" / "app" / "values.yaml").write_text(HELM_VALUES)
    (work / "charts" / "app" / "templates" / "configmap.yaml").write_text(HELM_TEMPLATE)
    git(work, "init", "-q")
    git(work, "config", "user.email", "test@example.com")
    git(work, "config", "user.name", "test")
    git(work, "add", "-A")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRE_COMMIT")}
    env["PRE_COMMIT_HOME"] = str(root / "cache")
    return work, env


def try_repo(work: Path, env: dict, hook: str) -> subprocess.CompletedProcess:
    return subprocess.run([pre_commit(), "try-repo", str(REPO), hook, "--all-files", "--verbose"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=900)


def test_lint_hook_fails_on_the_bad_policy_only_and_passes_when_fixed(project):
    work, env = project
    result = try_repo(work, env, "kube-audit-lint")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "policies/bad.yaml" in output
    assert "sensitive-body-captured" in output
    for unrelated in ("deployment.yaml", "values.yaml", "configmap.yaml", "good.yaml:"):
        assert unrelated not in output.replace("policies/bad.yaml", ""), output

    # fixed: the same file now holds a policy that keeps bodies out of the log
    (work / "policies" / "bad.yaml").write_text((REPO / "examples" / "audit-policy.yaml").read_text())
    git(work, "add", "-A")
    try:
        result = try_repo(work, env, "kube-audit-lint")
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        (work / "policies" / "bad.yaml").write_text(BAD_POLICY)
        git(work, "add", "-A")


def test_validate_hook_skips_unrelated_yaml(project):
    work, env = project
    result = try_repo(work, env, "kube-audit-lint-validate")
    output = result.stdout + result.stderr
    # every policy in the repository loads in kube-apiserver; unrelated YAML is skipped silently
    assert result.returncode == 0, output
    assert "deployment.yaml" not in output and "values.yaml" not in output
