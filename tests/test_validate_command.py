"""The validate command: verdict lines, the apiserver's messages with positions, exit codes, JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app

GOOD = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n"
BAD_LEVEL = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: metadata\n"
V1BETA1 = "apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n  - level: Metadata\n"
UNKNOWN_FIELD = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n    verb: [get]\n  - level: Metadata\n"


def run(*args: str, stdin: str | None = None):
    result = CliRunner().invoke(app, ["validate", *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_loadable_policy_exits_0_with_a_verdict_line(write_policy):
    path = write_policy(GOOD)
    result = run(path)
    assert result.exit_code == 0
    assert result.stdout == f"{path}: kube-apiserver 1.33-1.36 would load this policy (1 rule)\n"


def test_refused_policy_exits_1_with_the_apiserver_message_and_position(write_policy):
    path = write_policy(BAD_LEVEL)
    result = run(path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (f'{path}:4:12: error: rules[0].level: Unsupported value: "metadata": supported values: '
                        '"None", "Metadata", "Request", "RequestResponse"')
    assert lines[1] == f"{path}:4:12: note: values are exact and case-sensitive: Metadata"
    assert lines[-1] == f"{path}: kube-apiserver 1.33-1.36 would refuse this policy (1 error)"


def test_one_refused_file_among_several_exits_1(write_policy):
    good, bad = write_policy(GOOD, "good.yaml"), write_policy(BAD_LEVEL, "bad.yaml")
    result = run(good, bad)
    assert result.exit_code == 1
    assert f"{good}: kube-apiserver 1.33-1.36 would load this policy (1 rule)" in result.stdout
    assert f"{bad}: kube-apiserver 1.33-1.36 would refuse this policy (1 error)" in result.stdout


@pytest.mark.parametrize("content, message", [
    (b"kind: Policy\nrules: [\n", "invalid YAML"),
    (b"\x00\x00binary", "binary file"),
    (b"", "empty file"),
    (b'{"kind": "Policy",', "invalid JSON"),
])
def test_unreadable_input_exits_2_with_a_one_line_error(tmp_path, write_policy, content, message):
    path = tmp_path / "broken.yaml"
    path.write_bytes(content)
    good = write_policy(GOOD)
    result = run(str(path), good)
    assert result.exit_code == 2
    error_lines = result.stderr.splitlines()
    assert len(error_lines) == 1 and re.match(rf"^{re.escape(str(path))}:\d+:\d+: .*{message}", error_lines[0])
    assert "Traceback" not in result.output
    assert f"{good}: kube-apiserver 1.33-1.36 would load" in result.stdout  # the other files are still judged


def test_missing_file_exits_2(tmp_path):
    result = run(str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and result.stderr == f"{tmp_path / 'nope.yaml'}:1:1: no such file\n"


def test_kube_version_selects_the_release(write_policy):
    path = write_policy(V1BETA1)
    old = run("--kube-version", "1.23", path)
    assert old.exit_code == 0
    assert f'{path}:1:13: warning: "audit.k8s.io/v1beta1" is deprecated' in old.stdout
    assert f"{path}: kube-apiserver 1.23 would load this policy (1 rule)" in old.stdout
    new = run("--kube-version", "1.36", path)
    assert new.exit_code == 1
    assert f'{path}:1:13: error: failed decoding: no kind "Policy" is registered for version "audit.k8s.io/v1beta1"' in new.stdout


def test_bad_kube_version_is_a_usage_error(write_policy):
    result = run("--kube-version", "2.0", write_policy(GOOD))
    assert result.exit_code == 2


def test_unknown_field_is_a_warning_and_the_policy_loads(write_policy):
    path = write_policy(UNKNOWN_FIELD)
    result = run(path)
    assert result.exit_code == 0
    assert (f'{path}:5:5: warning: Audit policy contains errors, falling back to lenient decoding: strict decoding '
            'error: unknown field "rules[0].verb"') in result.stdout.splitlines()


def test_later_documents_are_ignored_with_a_warning_and_listed_when_verbose(write_policy):
    path = write_policy(GOOD + "---\napiVersion: v1\nkind: ConfigMap\n")
    result = run(path)
    assert result.exit_code == 0
    assert "the 1 document(s) after it are ignored" in result.stdout
    assert "skipped document" not in result.stdout
    verbose = run("--verbose", path)
    assert f"{path}:6:1: note: skipped document 2: kube-apiserver reads only the first document" in verbose.stdout


def test_a_policy_after_another_document_is_not_read(write_policy):
    path = write_policy("apiVersion: v1\nkind: ConfigMap\n---\n" + GOOD)
    result = run(path)
    assert result.exit_code == 1
    assert f'{path}:1:13: error: failed decoding: no kind "ConfigMap" is registered for version "v1"' in result.stdout
    assert f"{path}:4:1: warning: document 2 is an audit policy, but kube-apiserver reads only the first" in result.stdout


def test_standard_input(write_policy):
    result = run("-", stdin=GOOD)
    assert result.exit_code == 0 and result.stdout.startswith("-: kube-apiserver 1.36 would load")


def test_json_output(tmp_path, write_policy):
    good, bad = write_policy(GOOD, "good.yaml"), write_policy(BAD_LEVEL, "bad.yaml")
    missing = str(tmp_path / "missing.yaml")
    result = run("--format", "json", good, bad, missing)
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["kubeVersion"] == "1.33-1.36" and report["accepted"] is False
    first, second, third = report["files"]
    assert first == {"path": good, "readable": True, "accepted": True, "rules": 1,
                     "apiVersion": "audit.k8s.io/v1", "problems": [], "skippedDocuments": []}
    assert second["accepted"] is False
    assert second["problems"] == [{
        "severity": "error", "kind": "validation", "fieldPath": "rules[0].level",
        "message": 'Unsupported value: "metadata": supported values: "None", "Metadata", "Request", "RequestResponse"',
        "hint": "values are exact and case-sensitive: Metadata",
        "line": 4, "column": 12, "endLine": 4, "endColumn": 20}]
    assert third == {"path": missing, "readable": False, "accepted": None,
                     "error": {"message": "no such file", "line": 1, "column": 1}}


def test_json_output_for_a_refused_version(write_policy):
    result = run("--format", "json", write_policy(V1BETA1))
    problem = json.loads(result.stdout)["files"][0]["problems"][0]
    assert (problem["severity"], problem["kind"], problem["fieldPath"]) == ("error", "version", "")


def test_module_entry_point_exit_codes(tmp_path, write_policy):
    """The real console path: python -m kube_audit_lint, no traceback on bad input."""
    good, bad = write_policy(GOOD, "good.yaml"), write_policy(BAD_LEVEL, "bad.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_bytes(b"\x00binary")
    codes = {}
    for name, path in (("good", good), ("bad", bad), ("broken", str(broken))):
        proc = subprocess.run([sys.executable, "-m", "kube_audit_lint", "validate", path], capture_output=True, text=True)
        assert "Traceback" not in proc.stderr
        codes[name] = proc.returncode
    assert codes == {"good": 0, "bad": 1, "broken": 2}
