"""Several formats from one run: ``--format text --format sarif=results.sarif --format junit=junit.xml``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest




@pytest.fixture
def workspace(tmp_path, monkeypatch, repo_root):
    (tmp_path / "policy.yaml").write_text((repo_root / "examples" / "insecure-policy.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_format_from_one_run(cli, workspace):
    code, out, err = cli("lint", "policy.yaml", "--color", "never", "--format", "text",
                         "--format", "sarif=reports/results.sarif", "--format", "junit=junit.xml",
                         "--format", "gitlab=gl-code-quality.json", "--format", "rdjson=rd.json",
                         "--format", "json=findings.json", "--format", "markdown=summary.md",
                         "--format", "github=annotations.txt", "--format", "concise=concise.txt")
    assert code == 1 and err == ""
    assert "policy.yaml:" in out and out.rstrip().splitlines()[-1].startswith("Found ")
    sarif = json.loads((workspace / "reports" / "results.sarif").read_text())
    junit = ET.parse(workspace / "junit.xml").getroot()
    gitlab = json.loads((workspace / "gl-code-quality.json").read_text())
    rdjson = json.loads((workspace / "rd.json").read_text())
    findings = json.loads((workspace / "findings.json").read_text())["findings"]
    problems = len(sarif["runs"][0]["results"])
    assert problems > 0
    assert len(gitlab) == len(rdjson["diagnostics"]) == len(junit.findall(".//failure")) == problems
    assert len(findings) >= problems
    assert (workspace / "summary.md").read_text().startswith("## kube-audit-lint")
    assert (workspace / "annotations.txt").read_text().startswith("::")
    assert len((workspace / "concise.txt").read_text().splitlines()) >= problems
    assert not list(workspace.rglob("*.tmp"))  # written whole, no temporary file left


def test_only_files_leaves_standard_output_empty(cli, workspace):
    code, out, _ = cli("lint", "policy.yaml", "--format", "sarif=a.sarif", "--format", "junit=a.xml")
    assert code == 1 and out == ""
    assert (workspace / "a.sarif").is_file() and (workspace / "a.xml").is_file()


def test_colour_reaches_standard_output_only(cli, workspace):
    code, out, _ = cli("lint", "policy.yaml", "--color", "always", "--format", "text",
                       "--format", "text=plain.txt")
    assert code == 1 and "\x1b[" in out
    assert "\x1b[" not in (workspace / "plain.txt").read_text()


@pytest.mark.parametrize("args, message", [
    (["--format", "text", "--format", "json"], "text and json would both go to standard output"),
    (["--format", "sarif", "--format", "junit", "--format", "gitlab=x.json"], "would both go to standard output"),
    (["--format", "xml=a.xml"], "unknown format 'xml'"),
    (["--format", "sarif=", "--format", "text"], "no path after '='"),
    (["--format", "sarif=same.out", "--format", "junit=same.out"], "two formats would be written to"),
    (["--format", "sarif", "--format", "junit=j.xml", "--output", "o.sarif"], "--output goes with a single --format"),
])
def test_usage_errors_exit_2_before_anything_is_written(cli, workspace, args, message):
    code, out, err = cli("lint", "policy.yaml", *args)
    assert code == 2 and out == ""
    assert message in err
    assert sorted(p.name for p in workspace.iterdir()) == ["policy.yaml"]


def test_a_single_format_and_output_work_as_before(cli, workspace):
    code, out, _ = cli("lint", "policy.yaml", "--format", "sarif")
    assert code == 1 and json.loads(out)["version"] == "2.1.0"
    code, out, _ = cli("lint", "policy.yaml", "--format", "junit", "--output", "out.xml")
    assert code == 1 and out == ""
    assert ET.parse(workspace / "out.xml").getroot().tag == "testsuites"
    code, out, _ = cli("lint", "policy.yaml", "--output-format", "gitlab")
    assert code == 1 and isinstance(json.loads(out), list)


def test_a_file_that_cannot_be_written_is_exit_2(cli, workspace):
    (workspace / "blocked").write_text("a file where a folder is needed")
    code, _, err = cli("lint", "policy.yaml", "--format", "text",
                       "--format", "junit=blocked/junit.xml")
    assert code == 2 and "blocked/junit.xml: cannot write" in err
    assert (workspace / "blocked").read_text() == "a file where a folder is needed"
    assert not list(workspace.rglob("*.tmp"))


def test_statistics_replace_the_standard_output_only(cli, workspace):
    code, out, _ = cli("lint", "policy.yaml", "--statistics", "--format", "text",
                       "--format", "sarif=s.sarif")
    assert code == 1 and "KAL" in out and "policy.yaml:" not in out
    assert json.loads((workspace / "s.sarif").read_text())["runs"][0]["results"]
