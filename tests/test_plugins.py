"""Plugin checks: the example plugin installed and run end to end; broken plugins named, not fatal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PLUGIN_SOURCE = REPO / "examples" / "plugin"
KAL = Path(sys.executable).parent / "kube-audit-lint"

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: RequestResponse
    resources:
      - group: "apps"
        resources: ["deployments"]
  - level: Metadata
"""


def run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([str(KAL), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> Path:
    """examples/plugin installed into a folder of its own (built from a copy: the tree stays clean)."""
    root = tmp_path_factory.mktemp("plugin")
    shutil.copytree(PLUGIN_SOURCE, root / "src")
    site = root / "site"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                             "--disable-pip-version-check", "--target", str(site), str(root / "src")],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.skip(f"the example plugin could not be built here: {result.stderr.strip()[-300:]}")
    return site


def fake_distribution(site: Path, name: str, version: str, module: str, code: str) -> None:
    """An installed distribution with one check entry point and the module's source."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[kube_audit_lint.checks]\n{module} = {module}\n")
    (site / f"{module}.py").write_text(code)


def test_example_plugin_is_listed_selected_and_reported(example_site, tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    listed = run(example_site, tmp_path, "checks")
    assert "XMP001" in listed.stdout and "no-response-bodies" in listed.stdout
    result = run(example_site, tmp_path, "lint", "policy.yaml", "--select", "XMP001", "--format", "json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["code"], f["line"]) for f in findings] == [("XMP001", 5)]


def test_example_plugin_option_and_its_own_docs_url(example_site, tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / ".kube-audit-lint.yaml").write_text("checks:\n  no-response-bodies:\n    allowed_resources: [deployments]\n")
    quiet = run(example_site, tmp_path, "lint", "policy.yaml", "--select", "XMP001")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    (tmp_path / ".kube-audit-lint.yaml").unlink()
    sarif = json.loads(run(example_site, tmp_path, "lint", "policy.yaml", "--select", "XMP001", "--format", "sarif").stdout)
    rules = {rule["id"]: rule for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["XMP001"]["helpUri"] == "https://example.com/kube-audit-lint-example-plugin#xmp001"


def test_example_plugin_examples_behave_as_documented(example_site):
    """The plugin's docstring examples, through the same library entry as ours."""
    sys.path.insert(0, str(example_site))
    try:
        from kube_audit_lint_example import xmp001_no_response_bodies as module

        from kube_audit_lint.lint.registry import run_check, spec_from_module
        from kube_audit_lint.lint import registry
        from kube_audit_lint.policy.validate import apiserver_verdict
        from kube_audit_lint.policy.yamlnodes import parse_documents
        from kube_audit_lint.policy import versions

        spec = spec_from_module(module)
        sections = {title: body for title, body in ((t, spec.section(t)) for t in ("Example", "Use instead"))}
        for title, expected in (("Example", 1), ("Use instead", 0)):
            text = sections[title].split("```yaml\n", 1)[1].split("```", 1)[0]
            verdict = apiserver_verdict(parse_documents("x.yaml", text)[0], versions.DEFAULT)
            ctx = registry.CheckContext(verdict.policy, verdict, spec, versions.DEFAULT)
            assert len(run_check(spec, ctx)) == expected, title
    finally:
        sys.path.remove(str(example_site))
        for name in [n for n in sys.modules if n.startswith("kube_audit_lint_example")]:
            del sys.modules[name]


def test_a_plugin_that_cannot_load_is_named_and_the_other_checks_run(tmp_path):
    site = tmp_path / "site"
    fake_distribution(site, "broken-plugin", "2.3", "broken_check", "raise ImportError('needs a module that is gone')\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "policy.yaml").write_text(POLICY.replace("omitStages: [\"RequestReceived\"]\n", ""))
    out = work / "out.json"
    result = run(site, work, "lint", "policy.yaml", "--format", "json", "--output", str(out))
    assert result.returncode == 2
    assert ("kube-audit-lint: error: plugin check broken_check from broken-plugin 2.3 cannot be used: "
            "ImportError: needs a module that is gone") in result.stderr
    assert "Traceback" not in result.stderr and "bug in kube-audit-lint" not in result.stderr
    codes = {f["code"] for f in json.loads(out.read_text())["findings"]}
    assert "KAL006" in codes  # missing omitStages: the built-in checks ran and the output was written


def test_a_plugin_that_fails_while_running_is_named_and_the_other_checks_run(tmp_path):
    site = tmp_path / "site"
    fake_distribution(site, "flaky-plugin", "0.9", "flaky_check", (
        '"""Fails on every policy."""\nCODE = "FLK001"\nNAME = "flaky"\nSEVERITY = "note"\n'
        "def check(ctx):\n    raise KeyError('rules')\n    yield\n"))
    (tmp_path / "policy.yaml").write_text(POLICY)
    result = run(site, tmp_path, "lint", "policy.yaml", "--format", "json")
    assert result.returncode == 2
    assert "plugin check flaky_check from flaky-plugin 0.9 cannot be used: failed on policy.yaml: KeyError" in result.stderr
    assert json.loads(result.stdout)["findings"], "the built-in checks' findings are still written"


def test_a_plugin_cannot_take_a_builtin_code(tmp_path):
    site = tmp_path / "site"
    fake_distribution(site, "copycat", "1.0", "copycat_check", (
        '"""Claims KAL001."""\nCODE = "KAL001"\nNAME = "copycat"\nSEVERITY = "note"\n'
        "def check(ctx):\n    return []\n"))
    (tmp_path / "policy.yaml").write_text(POLICY)
    result = run(site, tmp_path, "lint", "policy.yaml")
    assert result.returncode == 2
    assert "plugin check copycat_check from copycat 1.0 cannot be used: KAL001 is already declared by " \
           "kube_audit_lint.checks.kal001_invalid_policy" in result.stderr


def test_a_builtin_check_failure_is_a_bug_not_a_plugin_problem(monkeypatch):
    from kube_audit_lint.lint.registry import find_check, run_check

    spec = find_check("KAL001")

    def explode(ctx):
        raise RuntimeError("boom")

    from dataclasses import replace

    with pytest.raises(RuntimeError):
        run_check(replace(spec, run=explode), None)
