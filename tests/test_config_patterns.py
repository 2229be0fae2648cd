"""exclude, per-file-ignores and .gitignore match paths as git does (gitignore syntax via
pathspec): ``**/templates/*`` names a top-level templates/x.yaml, ``clusters/dev/*.yaml`` does not
reach into nested folders, walks skip what .gitignore ignores, and ALL works in per-file-ignores."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app
from kube_audit_lint.lint.patterns import matches

BAD = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  verbs: [gett]\n"


@pytest.mark.parametrize("pattern, path, expected", [
    ("**/templates/*", "templates/x.yaml", True),
    ("**/templates/*", "charts/a/templates/x.yaml", True),
    ("clusters/dev/*.yaml", "clusters/dev/a.yaml", True),
    ("clusters/dev/*.yaml", "clusters/dev/sub/a.yaml", False),
    ("*.bak.yaml", "deep/er/x.bak.yaml", True),
    ("vendor/", "vendor/x/y.yaml", True),
])
def test_gitignore_semantics(tmp_path, pattern, path, expected):
    assert matches((pattern,), str(tmp_path / path), str(tmp_path)) is expected


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for path in ("templates/x.yaml", "clusters/dev/a.yaml", "clusters/dev/sub/b.yaml", "ignored/c.yaml",
                 "kept/d.yaml", "kept/generated.yaml"):
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(BAD)
    (tmp_path / ".gitignore").write_text("ignored/\n")
    (tmp_path / "kept" / ".gitignore").write_text("generated.yaml\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def linted(*args) -> set[str]:
    result = CliRunner().invoke(app, ["lint", ".", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return {os.path.relpath(f) for f in json.loads(result.stdout)["files"]}


def test_exclude_and_gitignore_in_a_walk(repo):
    (repo / ".kube-audit-lint.yaml").write_text('exclude: ["**/templates/*", "clusters/dev/*.yaml"]\n')
    assert linted() == {"clusters/dev/sub/b.yaml", "kept/d.yaml"}


def test_per_file_ignores_take_all(repo):
    (repo / ".kube-audit-lint.yaml").write_text('per-file-ignores:\n  "clusters/**": [ALL]\n')
    result = CliRunner().invoke(app, ["lint", ".", "--format", "json"])
    findings = json.loads(result.stdout)["findings"]
    assert findings and not [f for f in findings if "clusters" in f["file"]]


def test_an_explicitly_named_file_is_read_even_if_gitignored(repo):
    result = CliRunner().invoke(app, ["lint", "ignored/c.yaml", "--format", "json"])
    assert [os.path.relpath(f) for f in json.loads(result.stdout)["files"]] == [os.path.join("ignored", "c.yaml")]
