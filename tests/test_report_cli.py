"""``kube-audit-lint report``: its options, where it writes, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: Metadata
"""
EVENT = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "stage": "ResponseComplete", "verb": "get",
         "requestURI": "/api/v1/namespaces/default/pods", "user": {"username": "alice", "groups": ["system:authenticated"]},
         "objectRef": {"resource": "pods", "namespace": "default"}}


def run(*args):
    """The report on standard output unless the test names a file."""
    extra = [] if "--output" in args else ["--output", "-"]
    return CliRunner().invoke(app, ["report", *args, *extra])


def test_the_report_goes_to_a_file_by_default_and_says_where(policy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", policy, "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "kube-audit-lint: wrote the md report to audit-policy-report.md" in result.output
    text = (tmp_path / "audit-policy-report.md").read_text()
    assert text.index("## 3. Controls") < text.index("## 7. Appendix: lint findings")


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return str(path)


@pytest.fixture
def log(tmp_path):
    def write(name: str, count: int):
        path = tmp_path / name
        path.write_text("".join(json.dumps(EVENT) + "\n" for _ in range(count)), encoding="utf-8")
        return str(path)

    return write


def test_json_on_stdout_with_every_option(policy, log, tmp_path):
    manifest = tmp_path / "flags.txt"
    manifest.write_text("--audit-policy-file=/etc/kubernetes/policy.yaml --audit-log-path=/var/log/audit.log\n")
    result = run(policy, "--format", "json", "--events", log("a.log", 2), "--events", log("b.log", 3),
                 "--framework", "cis,falco", "--baseline", "cis", "--apiserver-manifest", str(manifest),
                 "--kube-version", "1.30")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    ident = report["identification"]
    assert [e["path"].rsplit("/", 1)[-1] for e in ident["events"]] == ["a.log", "b.log"]
    assert report["replay"]["events"] == 5
    assert [f["name"] for f in ident["frameworks"]] == ["cis", "falco"]
    assert ident["baseline"]["name"] == "cis"
    assert ident["kubeVersion"] == "1.30"
    assert ident["apiserverManifest"]["path"].endswith("flags.txt")


def test_output_file(policy, tmp_path):
    target = tmp_path / "report.md"
    result = run(policy, "--format", "md", "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("# Kubernetes audit policy compliance report")


def test_html_is_the_default_format(policy):
    pytest.importorskip("jinja2", reason="the report extra (Jinja2) is not installed")
    result = run(policy)
    assert result.exit_code == 0
    assert result.stdout.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("args, message", [
    (["missing.yaml"], "missing.yaml:1:1:"),
    (["{policy}", "--framework", "cis,sox"], "unknown framework 'sox'"),
    (["{policy}", "--events", "missing.log"], "missing.log: cannot read"),
    (["{policy}", "--apiserver-manifest", "{notes}"], "not a kube-apiserver manifest"),
    (["{notes}"], "not an audit policy"),
    (["{policy}", "--baseline", "nope"], "unknown baseline 'nope'"),
    (["{policy}", "--kube-version", "2.0"], "--kube-version"),
])
def test_bad_input_is_one_line_and_exit_2(policy, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    notes = tmp_path / "notes.yaml"
    notes.write_text("kind: ConfigMap\napiVersion: v1\n", encoding="utf-8")
    result = run(*[a.format(policy=policy, notes=notes) for a in args], "--format", "json")
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_html_and_pdf_without_jinja2_name_the_extra(policy, monkeypatch):
    monkeypatch.setitem(sys.modules, "jinja2", None)  # import jinja2 now raises ImportError
    for fmt in ("html", "pdf"):
        result = run(policy, "--format", fmt)
        assert result.exit_code == 2
        assert "pip install 'kube-audit-lint[report]'" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert run(policy, "--format", "md").exit_code == 0
    assert run(policy, "--format", "json").exit_code == 0


def test_pdf_without_chromium_says_so(policy, monkeypatch, tmp_path):
    pytest.importorskip("jinja2", reason="the report extra (Jinja2) is not installed")
    monkeypatch.setenv("KUBE_AUDIT_LINT_CHROMIUM", str(tmp_path / "no-such-browser"))
    result = run(policy, "--format", "pdf", "--output", str(tmp_path / "r.pdf"))
    assert result.exit_code == 2
    assert "needs Chromium" in result.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_unknown_format_is_a_usage_error(policy):
    result = run(policy, "--format", "docx")
    assert result.exit_code == 2
