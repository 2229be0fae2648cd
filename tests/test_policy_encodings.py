"""Policy files in the encodings kube-apiserver's reader (go-yaml) takes: UTF-8 with or without a
byte-order mark, UTF-16 LE or BE with one (go-yaml's yaml_parser_determine_encoding). Anything else
is a clear error at 1:1, never a silent pass."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app

POLICY = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n    verbs: [\"gett\"]\n"


def run(*args):
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("name, data", [
    ("utf-8 with bom", b"\xef\xbb\xbf" + POLICY.encode()),
    ("utf-16 le with bom", b"\xff\xfe" + POLICY.encode("utf-16-le")),
    ("utf-16 be with bom", b"\xfe\xff" + POLICY.encode("utf-16-be")),
])
def test_read_as_the_apiserver_reads_them(tmp_path, name, data):
    path = tmp_path / "policy.yaml"
    path.write_bytes(data)
    assert run("validate", str(path)).exit_code == 0
    lint = run("lint", str(path), "--format", "json")
    findings = json.loads(lint.stdout)["findings"]
    # the misspelt verb is found on the line it is on, whatever the encoding
    assert any(f["line"] == 5 for f in findings), findings


@pytest.mark.parametrize("name, data, words", [
    ("utf-32 le", POLICY.encode("utf-32"), "UTF-32 text"),
    ("utf-32 be", b"\x00\x00\xfe\xff" + POLICY.encode("utf-32-be"), "UTF-32 text"),
    ("utf-16 without bom", POLICY.encode("utf-16-le"), "UTF-16 text without a byte-order mark"),
])
def test_other_encodings_are_clear_errors(tmp_path, name, data, words):
    path = tmp_path / "policy.yaml"
    path.write_bytes(data)
    validate = run("validate", str(path))
    assert validate.exit_code in (1, 2) and f"{path}:1:1: {words}" in validate.output
    lint = run("lint", str(path), "--format", "json")
    assert lint.exit_code == 1
    (finding,) = json.loads(lint.stdout)["findings"]
    assert finding["code"] == "KAL001" and words in finding["message"]
