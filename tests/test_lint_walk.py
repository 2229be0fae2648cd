"""Directory walks that cannot hang: only regular files are read from folders (a FIFO named
*.yaml is skipped with a reason), a symlink loop or an alias bomb is a finding for that file, and
the other files are linted."""

from __future__ import annotations

import json
import os
import shutil

from typer.testing import CliRunner

from kube_audit_lint.cli import app


def alias_bomb() -> str:
    text = 'apiVersion: audit.k8s.io/v1\nkind: Policy\na: &a ["x","x","x","x","x","x","x","x","x"]\n'
    previous = "a"
    for i in range(1, 12):
        text += f"b{i}: &b{i} [" + ",".join([f"*{previous}"] * 9) + "]\n"
        previous = f"b{i}"
    return text + "rules:\n- level: Metadata\n"


def test_a_folder_with_a_fifo_a_symlink_loop_and_an_alias_bomb(tmp_path, repo_root):
    folder = tmp_path / "policies"
    folder.mkdir()
    shutil.copy(repo_root / "examples" / "audit-policy.yaml", folder / "good.yaml")
    (folder / "bomb.yaml").write_text(alias_bomb())
    os.mkfifo(folder / "fifo.yaml")
    os.symlink("loop.yaml", folder / "loop.yaml")
    os.symlink("..", folder / "parent")  # a folder symlink loop: not followed
    result = CliRunner().invoke(app, ["lint", str(folder), "--format", "json", "--verbose"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    by_file = {}
    for finding in report["findings"]:
        by_file.setdefault(os.path.basename(finding["file"]), set()).add(finding["code"])
    assert by_file["bomb.yaml"] == {"KAL001"} and by_file["loop.yaml"] == {"KAL001"}
    assert "fifo.yaml" not in by_file
    assert "fifo.yaml: skipped: not a regular file (a FIFO, socket or device)" in result.stderr
    assert [os.path.basename(f) for f in report["files"]] == ["bomb.yaml", "good.yaml", "loop.yaml"]
