"""The GitHub Action, run step by step as a runner would, on a workspace with a good and a bad policy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from action_runner import run_action

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

BAD_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: RequestResponse
"""


@pytest.fixture(scope="module")
def action_python(tmp_path_factory) -> Path:
    """A virtual environment (seeing the already installed dependencies) for the install step."""
    env_dir = tmp_path_factory.mktemp("action-venv")
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    return env_dir / "bin"


@pytest.fixture(scope="module")
def action_dir(tmp_path_factory) -> Path:
    """The action as a runner checks it out: the repository's files in a folder of their own, so
    that its install step builds there and the source tree stays as it was."""
    target = tmp_path_factory.mktemp("action") / "kube-audit-lint"
    shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__",
                                                              ".mypy_cache", ".ruff_cache"))
    return target


def make_workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    (workspace / "policies").mkdir(parents=True)
    shutil.copy(REPO / "examples" / "audit-policy.yaml", workspace / "policies" / "good.yaml")
    (workspace / "policies" / "bad.yaml").write_text(BAD_POLICY)
    (workspace / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n")
    return workspace


def run(tmp_path, action_python, action_dir, **inputs):
    workspace = make_workspace(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env["PATH"] = f"{action_python}{os.pathsep}{env['PATH']}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return workspace, run_action(action_dir, inputs, workspace, env)


def test_action_metadata_validates_against_the_github_actions_schema():
    check = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    result = subprocess.run([check, "--builtin-schema", "vendor.github-actions", str(REPO / "action.yml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_validate_against_the_github_workflows_schema():
    check = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    workflows = sorted(str(p) for p in (REPO / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = subprocess.run([check, "--builtin-schema", "vendor.github-workflows", *workflows],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_bad_policy_fails_after_sarif_is_written_and_uploaded(tmp_path, action_python, action_dir):
    workspace, result = run(tmp_path, action_python, action_dir, paths="policies deploy.yaml", category="policies")
    assert result.steps_run[0] == "Install kube-audit-lint"
    # findings: the step that fails is the last one, after the upload
    assert result.failed_step == "Fail on findings", result.stdout
    assert result.status == 1
    uploads = [w for action, w in result.uses if action.startswith("github/codeql-action/upload-sarif")]
    assert len(uploads) == 1 and uploads[0]["category"] == "policies"
    sarif_file = Path(result.action_outputs["sarif-file"])
    assert uploads[0]["sarif_file"] == str(sarif_file)
    sarif = json.loads(sarif_file.read_text())
    results = sarif["runs"][0]["results"]
    assert results and all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "policies/bad.yaml"
                           for r in results if "suppressions" not in r)
    assert int(result.action_outputs["findings"]) == len([r for r in results if "suppressions" not in r])
    assert int(result.action_outputs["errors"]) >= 1
    # inline annotations for the bad policy only, none for the good one or the Deployment
    annotations = [line for line in result.stdout.splitlines() if line.startswith(("::error ", "::warning ", "::notice "))]
    assert annotations and all("file=policies/bad.yaml" in line for line in annotations)
    assert "sensitive-body-captured" in result.stdout
    # the summary lists every finding
    assert result.summary.count("policies/bad.yaml") >= int(result.action_outputs["findings"])


def test_good_policy_passes(tmp_path, action_python, action_dir):
    workspace, result = run(tmp_path, action_python, action_dir, paths="policies/good.yaml", **{"upload-sarif": "false"})
    assert result.failed_step is None, result.stdout
    assert result.action_outputs["findings"] == "0"
    assert not result.uses[1:], "no upload when upload-sarif is false"


def test_fail_on_never_and_no_annotations(tmp_path, action_python, action_dir):
    workspace, result = run(tmp_path, action_python, action_dir, paths="policies", **{"fail-on": "never", "annotations": "false"})
    assert result.failed_step is None
    assert int(result.action_outputs["findings"]) > 0
    assert "::error " not in result.stdout and "::warning " not in result.stdout


def test_only_new_with_accepted_file(tmp_path, action_python, action_dir):
    workspace = make_workspace(tmp_path)
    accepted = workspace / "accepted.json"
    subprocess.run([sys.executable, "-m", "kube_audit_lint", "lint", "policies", "--write-accepted", str(accepted)],
                   cwd=workspace, check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env["PATH"] = f"{action_python}{os.pathsep}{env['PATH']}"
    result = run_action(action_dir, {"paths": "policies", "only-new": "accepted.json", "upload-sarif": "false"},
                        workspace, env)
    assert result.failed_step is None, result.stdout
    assert result.action_outputs["findings"] == "0"


def test_configuration_error_fails_with_status_2(tmp_path, action_python, action_dir):
    workspace, result = run(tmp_path, action_python, action_dir, paths="policies", select="no-such-check")
    assert result.failed_step == "Fail on findings"
    assert result.status == 2
    assert "::error title=kube-audit-lint::" in result.stdout
