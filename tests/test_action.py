"""The GitHub Action, run step by step as a runner would, on a workspace with a good and a bad policy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from action_runner import run_action, workflow_commands

REPO = Path(__file__).resolve().parents[1]
UPLOAD = "github/codeql-action/upload-sarif"

BAD_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: RequestResponse
"""


@pytest.fixture(scope="module")
def action_dir(tmp_path_factory) -> Path:
    """The action as a runner checks it out: the repository's files in a folder of their own, so
    that its install step builds there and the source tree stays as it was."""
    target = tmp_path_factory.mktemp("action") / "kube-audit-lint"
    shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__",
                                                              ".mypy_cache", ".ruff_cache"))
    return target


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    """Every pinned distribution, downloaded once, so that each install works offline and fast."""
    target = tmp_path_factory.mktemp("wheelhouse")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                    "-d", str(target), "-r", str(REPO / "action-constraints.txt")],
                   cwd=target, check=True, capture_output=True)
    return target


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory) -> Path:
    """One runner temporary directory for the module's runs: the action's environment is installed
    by the first run and reused by the next ones, as a cache hit would."""
    return tmp_path_factory.mktemp("runner-temp")


def runner_env(wheelhouse: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "VIRTUAL_ENV", "PYTHON"))}
    # the job's python3 is the test's (setup-python is not run here)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INDEX"] = "1"
    env["PIP_FIND_LINKS"] = str(wheelhouse)
    return env


def make_workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    (workspace / "policies").mkdir(parents=True)
    shutil.copy(REPO / "examples" / "audit-policy.yaml", workspace / "policies" / "good.yaml")
    (workspace / "policies" / "bad.yaml").write_text(BAD_POLICY)
    (workspace / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n")
    return workspace


def run(tmp_path, action_dir, wheelhouse, runner_temp, workspace=None, github=None, uses_outcomes=None, **inputs):
    workspace = workspace or make_workspace(tmp_path)
    return workspace, run_action(action_dir, inputs, workspace, runner_env(wheelhouse), github=github,
                                 uses_outcomes=uses_outcomes, runner_temp=runner_temp)


def uploads(result) -> list[dict]:
    return [w for action, w in result.uses if action.startswith(UPLOAD + "@")]


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


def test_bad_policy_fails_after_sarif_is_written_and_uploaded(tmp_path, action_dir, wheelhouse, runner_temp):
    workspace, result = run(tmp_path, action_dir, wheelhouse, runner_temp,
                            paths="policies deploy.yaml", category="policies")
    assert "Install kube-audit-lint" in result.steps_run
    # findings: the step that fails is the last one, after the upload
    assert result.failed_step == "Fail on findings", result.stdout
    assert result.status == 1
    assert result.action_outputs["exit-code"] == "1"
    assert len(uploads(result)) == 1 and uploads(result)[0]["category"] == "policies"
    assert result.action_outputs["sarif-uploaded"] == "true"
    sarif_file = Path(result.action_outputs["sarif-file"])
    assert uploads(result)[0]["sarif_file"] == str(sarif_file)
    sarif = json.loads(sarif_file.read_text())
    results = sarif["runs"][0]["results"]
    assert results and all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "policies/bad.yaml"
                           for r in results if "suppressions" not in r)
    assert int(result.action_outputs["findings"]) == len([r for r in results if "suppressions" not in r])
    assert int(result.action_outputs["errors"]) >= 1
    # inline annotations for the bad policy only, none for the good one or the Deployment
    annotations = [c for c in workflow_commands(result.stdout) if c.command in ("error", "warning", "notice")]
    assert annotations and all(c.properties.get("file") == "policies/bad.yaml" for c in annotations)
    assert "sensitive-body-captured" in result.stdout
    # the summary lists every finding
    assert result.summary.count("policies/bad.yaml") >= int(result.action_outputs["findings"])


def test_good_policy_passes(tmp_path, action_dir, wheelhouse, runner_temp):
    workspace, result = run(tmp_path, action_dir, wheelhouse, runner_temp,
                            paths="policies/good.yaml", **{"upload-sarif": "false"})
    assert result.failed_step is None, result.stdout
    assert result.action_outputs["findings"] == "0"
    assert result.action_outputs["exit-code"] == "0"
    assert not uploads(result), "no upload when upload-sarif is false"
    assert result.action_outputs["sarif-uploaded"] == "false"


def test_fail_on_never_and_no_annotations(tmp_path, action_dir, wheelhouse, runner_temp):
    workspace, result = run(tmp_path, action_dir, wheelhouse, runner_temp,
                            paths="policies", **{"fail-on": "never", "annotations": "false"})
    assert result.failed_step is None
    assert int(result.action_outputs["findings"]) > 0
    assert result.action_outputs["exit-code"] == "0"
    assert not [c for c in workflow_commands(result.stdout) if c.command in ("error", "warning")]


def test_only_new_with_accepted_file(tmp_path, action_dir, wheelhouse, runner_temp):
    workspace = make_workspace(tmp_path)
    accepted = workspace / "accepted.json"
    subprocess.run([sys.executable, "-m", "kube_audit_lint", "lint", "policies", "--write-accepted", str(accepted)],
                   cwd=workspace, check=True, capture_output=True)
    workspace, result = run(tmp_path, action_dir, wheelhouse, runner_temp, workspace=workspace,
                            paths="policies", **{"only-new": "accepted.json", "upload-sarif": "false"})
    assert result.failed_step is None, result.stdout
    assert result.action_outputs["findings"] == "0"


def test_configuration_error_fails_with_status_2(tmp_path, action_dir, wheelhouse, runner_temp):
    workspace, result = run(tmp_path, action_dir, wheelhouse, runner_temp, paths="policies", select="no-such-check")
    assert result.failed_step == "Fail on findings"
    assert result.status == 2
    assert result.action_outputs["exit-code"] == "2"
    errors = [c for c in workflow_commands(result.stdout) if c.command == "error"]
    assert errors and errors[0].properties == {"title": "kube-audit-lint"}


def test_working_directory_keeps_paths_relative_to_the_repository(tmp_path, action_dir, wheelhouse, runner_temp):
    repository = tmp_path / "repository"
    repository.mkdir()
    make_workspace(tmp_path).rename(repository / "clusters")
    workspace, result = run(tmp_path, action_dir, wheelhouse, runner_temp, workspace=repository,
                            paths="policies", **{"working-directory": "clusters", "upload-sarif": "false"})
    assert result.failed_step == "Fail on findings", result.stdout
    annotations = [c for c in workflow_commands(result.stdout) if c.command in ("error", "warning", "notice")]
    assert annotations and {c.properties["file"] for c in annotations} == {"clusters/policies/bad.yaml"}
    sarif = json.loads(Path(result.action_outputs["sarif-file"]).read_text())
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {"clusters/policies/bad.yaml"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout


def test_only_new_diff_fetches_the_base_branch(tmp_path, action_dir, wheelhouse, runner_temp):
    """A shallow checkout of the pull request has no origin/<base>: the action fetches it."""
    origin = make_workspace(tmp_path / "origin-src")
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "base")
    git(origin, "checkout", "-q", "-b", "feature")
    (origin / "policies" / "bad.yaml").write_text(BAD_POLICY.replace("omitStages: [RequestReceived]\n", ""))
    git(origin, "commit", "-q", "-am", "change")
    clone = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "feature", "--single-branch", origin.as_uri(), str(clone))
    assert "origin/main" not in git(clone, "branch", "-r")
    workspace, result = run(tmp_path, action_dir, wheelhouse, runner_temp, workspace=clone,
                            github={"base_ref": "main"}, paths="policies", **{"only-new": "diff", "upload-sarif": "false"})
    assert "origin/main" in git(clone, "branch", "-r"), result.stdout
    all_findings = run(tmp_path / "all", action_dir, wheelhouse, runner_temp, workspace=clone,
                       paths="policies", **{"upload-sarif": "false"})[1]
    assert 0 < int(result.action_outputs["findings"]) < int(all_findings.action_outputs["findings"]), result.stdout


def test_a_pull_request_gets_the_policy_diff_in_the_job_summary(tmp_path, action_dir, wheelhouse, runner_temp):
    """A changed policy: the job summary says what the change does to the requests it logs."""
    origin = make_workspace(tmp_path / "origin-src")
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "base")
    git(origin, "checkout", "-q", "-b", "feature")
    good = origin / "policies" / "good.yaml"
    good.write_text(good.read_text().replace("level: Metadata", "level: RequestResponse", 1))
    git(origin, "commit", "-q", "-am", "more logging")
    clone = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "feature", "--single-branch", origin.as_uri(), str(clone))
    _, result = run(tmp_path, action_dir, wheelhouse, runner_temp, workspace=clone, github={"base_ref": "main"},
                    paths="policies", **{"upload-sarif": "false"})
    assert "## What this pull request changes in what is logged" in result.summary, result.stdout
    assert "Metadata" in result.summary and "RequestResponse" in result.summary
    assert "bad.yaml" not in result.summary.split("## What this pull request changes", 1)[1]  # unchanged: no diff
    quiet = run(tmp_path / "off", action_dir, wheelhouse, runner_temp, workspace=clone, github={"base_ref": "main"},
                paths="policies", **{"upload-sarif": "false", "policy-diff": "false"})[1]
    assert "## What this pull request changes" not in quiet.summary


# -- nothing from the workspace runs ------------------------------------------------------------

HOSTILE = """\
import pathlib
pathlib.Path({marker!r}).write_text("imported from the workspace: " + __name__)
raise SystemExit(99)
"""
# what a pull request could add to the workspace, hoping that python -m or pip imports it
HOSTILE_PACKAGES = ("linter", "checks", "kube_audit_lint", "pip", "setuptools", "venv", "ensurepip", "typer",
                    "ruamel", "jsonschema", "wheel", "_distutils_hack")
HOSTILE_MODULES = ("sitecustomize", "usercustomize", "site")


def hostile_workspace(tmp_path: Path) -> tuple[Path, Path]:
    workspace = make_workspace(tmp_path)
    markers = tmp_path / "markers"
    markers.mkdir()
    for name in HOSTILE_PACKAGES:
        (workspace / name).mkdir(exist_ok=True)
        (workspace / name / "__init__.py").write_text(HOSTILE.format(marker=str(markers / name)))
    for name in HOSTILE_MODULES:
        (workspace / f"{name}.py").write_text(HOSTILE.format(marker=str(markers / name)))
    return workspace, markers


def test_nothing_is_imported_from_the_workspace(tmp_path, action_dir, wheelhouse):
    """A fresh install (no cached environment) and a lint, in a workspace full of packages named like
    ours and pip's, with PYTHONPATH pointing at it: none of them is imported."""
    workspace, markers = hostile_workspace(tmp_path)
    env = runner_env(wheelhouse)
    env["PYTHONPATH"] = f"{workspace}{os.pathsep}."
    env["PYTHONSTARTUP"] = str(workspace / "site.py")
    result = run_action(action_dir, {"paths": "policies", "upload-sarif": "false"}, workspace, env,
                        runner_temp=tmp_path / "fresh-runner-temp")
    assert "Install kube-audit-lint" in result.steps_run
    assert list(markers.iterdir()) == [], result.stdout
    assert result.failed_step == "Fail on findings", result.stdout  # it linted, and found the bad policy
    assert result.action_outputs["exit-code"] == "1"
    venv = Path(result.outputs["venv"]["dir"])
    assert venv.parent == tmp_path / "fresh-runner-temp", "the environment lives in the runner's temporary directory"
    assert Path(result.outputs["venv"]["venv-python"]) == venv / "bin" / "python"


def test_the_cached_environment_is_reused_and_the_workspace_still_not_imported(tmp_path, action_dir, wheelhouse,
                                                                                runner_temp):
    workspace, markers = hostile_workspace(tmp_path)
    run(tmp_path, action_dir, wheelhouse, runner_temp, workspace=make_workspace(tmp_path / "first"),
        paths="policies", **{"upload-sarif": "false"})
    workspace, result = run(tmp_path, action_dir, wheelhouse, runner_temp, workspace=workspace,
                            paths="policies", **{"upload-sarif": "false"})
    assert "using the cached environment" in result.stdout
    assert list(markers.iterdir()) == [], result.stdout
    assert result.action_outputs["exit-code"] == "1"


def test_the_install_is_pinned_and_cached_per_ref_and_python(action_dir):
    from ruamel.yaml import YAML

    action = YAML(typ="safe").load((REPO / "action.yml").read_text())
    steps = {step.get("id"): step for step in action["runs"]["steps"]}
    install = steps["install"]["run"]
    assert "-c \"$ACTION_PATH/action-constraints.txt\"" in install and "--no-build-isolation" in install
    assert steps["python"]["with"]["update-environment"] is False
    locate = steps["venv"]["run"]
    assert "$RUNNER_TEMP_DIR/kube-audit-lint-venv" in locate and "${ACTION_REF" in locate and "py$version" in locate
    assert steps["restore"]["with"]["key"] == "${{ steps.venv.outputs.key }}"
    # every Python runs isolated; python -m (venv, pip) only from the runner's temporary directory
    pythons = ('"$python" ', '"$BASE_PYTHON" ', '"$VENV_PYTHON" ')
    for step in action["runs"]["steps"]:
        script = step.get("run", "")
        invocations = [line.strip() for line in script.splitlines() if line.strip().startswith(pythons)
                       or any(f"({p}" in line or f"$({p}" in line for p in pythons)]
        assert all(" -I " in line for line in invocations), step["name"]
        if " -m " in script:
            assert step.get("working-directory") == "${{ runner.temp }}", step["name"]
        assert "python -m" not in script and "python3 -m" not in script
    constraints = [line for line in (REPO / "action-constraints.txt").read_text().splitlines()
                   if line.strip() and not line.startswith("#")]
    assert constraints and all("==" in line for line in constraints)
    names = {line.split("==")[0].lower().replace("_", "-").replace(".", "-") for line in constraints}
    assert {"setuptools", "wheel", "typer", "ruamel-yaml", "jsonschema", "sarif-om", "msgspec", "attrs"} <= names


@pytest.mark.parametrize("version", ["3.10", "3.11", "3.12", "3.13"])
def test_the_constraints_resolve_on_every_supported_python(version, action_dir, tmp_path):
    """One constraints file for every Python the action accepts (markers where releases differ)."""
    python = shutil.which(f"python{version}")
    if not python or subprocess.run([python, "-c", "pass"], capture_output=True).returncode != 0:
        pytest.skip(f"python{version} is not installed (or, with pyenv, not enabled: PYENV_VERSION)")
    result = subprocess.run([python, "-I", "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                             "--disable-pip-version-check", "-c", str(REPO / "action-constraints.txt"),
                             "setuptools", "wheel", str(action_dir)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


# -- workflow commands: only the ones the action means -------------------------------------------

FORGING_NAMES = ("::warning title=x::ok.yaml", "::set-output name=exit-code::0.yaml", "##[error]forged.yaml",
                 "  ::error file=a,line=1::indented.yaml", "new\n::error title=forged::line.yaml")


def test_file_names_cannot_forge_workflow_commands(tmp_path, action_dir, wheelhouse, runner_temp):
    workspace = make_workspace(tmp_path)
    for name in FORGING_NAMES:
        (workspace / "policies" / name.replace("\n", "_").strip()).write_text(BAD_POLICY)
    (workspace / "policies" / FORGING_NAMES[-1]).write_text(BAD_POLICY)  # a real newline in the name
    workspace, result = run(tmp_path, action_dir, wheelhouse, runner_temp, workspace=workspace,
                            paths="policies", **{"upload-sarif": "false"})
    assert "::warning title=x::ok.yaml" in result.stdout, "the text report names the file as it is"
    commands = workflow_commands(result.stdout)
    assert commands, result.stdout
    # the text report was printed with commands stopped, and the stop token was unguessable and ended it
    stops = [line for line in result.stdout.splitlines() if line.startswith("::stop-commands::")]
    assert len(stops) == 1 and len(stops[0]) > len("::stop-commands::") + 30
    token = stops[0].split("::")[2]
    assert f"::{token}::" in result.stdout
    assert not [c for c in commands if c.properties.get("title") in ("x", "forged") or c.command == "set-output"]
    # a second protection under the first: a newline in a file name is shown as \n in the text report,
    # so the name cannot start a line of its own even where commands were not stopped
    assert "new\\n::error title=forged::line.yaml" in result.stdout
    assert result.action_outputs["exit-code"] == "1"
    # the annotations the action means are there, one per file, their file names escaped
    annotated = {c.properties["file"] for c in commands if "file" in c.properties}
    assert {f"policies/{name.replace(chr(10), '_').strip()}" for name in FORGING_NAMES} | {
        f"policies/{FORGING_NAMES[-1]}", "policies/bad.yaml"} == annotated
    assert all(c.command in ("error", "warning", "notice") for c in commands)


def test_annotations_escape_data_and_properties():
    """GitHub's rules: %, CR and LF in data; in properties also : and ,."""
    from kube_audit_lint.output.github import escape_data, escape_property

    assert escape_data("100% sure\r\n::error::x") == "100%25 sure%0D%0A::error::x"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert escape_data("%0A") == "%250A", "a literal %0A is not turned into a new line"


# -- the SARIF upload: never fails the job --------------------------------------------------------

FORK_PR = {"event_name": "pull_request", "repository": "org/repo", "actor": "someone",
           "event.pull_request.head.repo.full_name": "someone/repo", "event.pull_request.head.repo.fork": "true"}
OWN_PR = {"event_name": "pull_request", "repository": "org/repo", "actor": "someone",
          "event.pull_request.head.repo.full_name": "org/repo", "event.pull_request.head.repo.fork": "false"}


@pytest.mark.parametrize(("wanted", "env", "upload", "why"), [
    ("auto", {"EVENT_NAME": "push", "ACTOR": "someone", "REPOSITORY": "org/repo"}, True, ""),
    ("auto", {"EVENT_NAME": "pull_request", "REPOSITORY": "org/repo", "HEAD_REPOSITORY": "org/repo"}, True, ""),
    ("auto", {"EVENT_NAME": "pull_request", "REPOSITORY": "org/repo", "HEAD_REPOSITORY": "someone/repo",
              "HEAD_REPO_FORK": "true"}, False, "fork"),
    # the repository is itself a fork, the pull request comes from one of its own branches
    ("auto", {"EVENT_NAME": "pull_request", "REPOSITORY": "me/repo", "HEAD_REPOSITORY": "me/repo",
              "HEAD_REPO_FORK": "true"}, True, ""),
    ("auto", {"EVENT_NAME": "pull_request", "HEAD_REPO_FORK": "true"}, False, "fork"),
    # pull_request_target runs with the base repository's token
    ("auto", {"EVENT_NAME": "pull_request_target", "REPOSITORY": "org/repo", "HEAD_REPOSITORY": "someone/repo"},
     True, ""),
    ("auto", {"EVENT_NAME": "pull_request", "ACTOR": "dependabot[bot]", "REPOSITORY": "org/repo",
              "HEAD_REPOSITORY": "org/repo"}, False, "Dependabot"),
    ("auto", {"EVENT_NAME": "push", "ACTOR": "dependabot[bot]"}, False, "Dependabot"),
    ("", {"EVENT_NAME": "push"}, True, ""),
    ("true", {"EVENT_NAME": "pull_request", "HEAD_REPOSITORY": "someone/repo", "REPOSITORY": "org/repo"}, True, ""),
    ("false", {"EVENT_NAME": "push"}, False, "false"),
    ("sometimes", {"EVENT_NAME": "push"}, False, "expected auto, true or false"),
])
def test_upload_decision(wanted, env, upload, why):
    from kube_audit_lint.action import upload_decision

    decided, reason = upload_decision({"INPUT_UPLOAD_SARIF": wanted, **env})
    assert decided is upload
    assert why in reason


@pytest.mark.parametrize(("github", "why"), [
    (FORK_PR, "fork"),
    ({**OWN_PR, "actor": "dependabot[bot]"}, "Dependabot"),
])
def test_no_upload_from_a_fork_or_dependabot_and_a_notice_says_why(tmp_path, action_dir, wheelhouse, runner_temp,
                                                                   github, why):
    workspace, result = run(tmp_path, action_dir, wheelhouse, runner_temp, github=github, paths="policies")
    assert not uploads(result)
    notices = [c.data for c in workflow_commands(result.stdout) if c.command == "notice" and "file" not in c.properties]
    assert any("SARIF upload skipped" in n and why in n for n in notices), result.stdout
    assert result.action_outputs["sarif-uploaded"] == "false"
    assert result.failed_step == "Fail on findings" and result.status == 1


def test_own_pull_request_uploads(tmp_path, action_dir, wheelhouse, runner_temp):
    workspace, result = run(tmp_path, action_dir, wheelhouse, runner_temp, github=OWN_PR, paths="policies")
    assert len(uploads(result)) == 1
    assert result.action_outputs["sarif-uploaded"] == "true"


def test_a_failed_upload_does_not_fail_the_job_and_a_notice_says_why(tmp_path, action_dir, wheelhouse, runner_temp):
    workspace, result = run(tmp_path, action_dir, wheelhouse, runner_temp, paths="policies/good.yaml",
                            uses_outcomes={UPLOAD: "failure"})
    assert len(uploads(result)) == 1
    assert result.failed_step is None, result.stdout
    notices = [c.data for c in workflow_commands(result.stdout) if c.command == "notice"]
    assert any("SARIF upload failed" in n and "code scanning" in n for n in notices), result.stdout
    assert result.action_outputs["sarif-uploaded"] == "false"
    # with findings, the job fails on the findings, not on the upload
    workspace, result = run(tmp_path / "bad", action_dir, wheelhouse, runner_temp, paths="policies",
                            uses_outcomes={UPLOAD: "failure"})
    assert result.failed_step == "Fail on findings" and result.status == 1


def test_uses_are_pinned_to_a_commit_with_the_version_in_a_comment():
    """Every ``uses:`` in action.yml and the README's workflow: a full commit SHA, ``# vX.Y.Z``."""
    import re

    text = (REPO / "action.yml").read_text() + readme_github_workflow()
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)", text, re.M)
    assert uses
    # the README names this project's own action by its release tag and says how to pin it: a release
    # commit does not exist before the release
    own = "kube-audit-lint/kube-audit-lint@"
    unpinned = [f"{ref}{rest}" for ref, rest in uses
                if not ref.startswith(("./", own)) and (not re.fullmatch(r"[^@]+@[0-9a-f]{40}", ref)
                                                        or not re.search(r"#\s*v\d+\.\d+\.\d+", rest))]
    assert not unpinned


def readme_github_workflow() -> str:
    """The workflow under "### GitHub Action" in the README."""
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### GitHub Action", 1)[1]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
