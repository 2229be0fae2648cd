"""Rotated log sets given as a folder or a glob: read in time order, only regular files."""

from __future__ import annotations

import gzip
import json
import os

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app
from kube_audit_lint.replay.rotation import expand, time_order_key


def test_time_order_of_backups_numbered_files_and_the_live_file():
    names = ["audit.log", "audit.log.1", "audit.log.2.gz", "audit-2026-12-03T10-00-00.000.log.gz",
             "audit-2026-12-02T23-59-59.999.log", "audit.log.10"]
    assert sorted(names, key=time_order_key) == [
        "audit-2026-12-02T23-59-59.999.log", "audit-2026-12-03T10-00-00.000.log.gz",
        "audit.log.10", "audit.log.2.gz", "audit.log.1", "audit.log"]


def event(audit_id: str) -> str:
    return json.dumps({"kind": "Event", "auditID": audit_id, "stage": "ResponseComplete", "verb": "get",
                       "requestURI": "/healthz", "user": {"username": "a"}}) + "\n"


@pytest.fixture
def rotated(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "audit.log").write_text(event("live"))
    (folder / "audit.log.1").write_text(event("one"))
    (folder / "audit-2026-12-03T10-00-00.000.log.gz").write_bytes(gzip.compress(event("backup").encode()))
    (folder / ".hidden").write_text("not read")
    return folder


def test_a_folder_is_read_in_time_order(rotated, tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n")
    result = CliRunner().invoke(app, ["replay", str(policy), str(rotated), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["auditID"] for x in result.stdout.splitlines()] == ["backup", "one", "live"]
    glob_result = CliRunner().invoke(app, ["replay", str(policy), str(rotated / "audit*"), "--format", "jsonl"])
    assert [json.loads(x)["auditID"] for x in glob_result.stdout.splitlines()] == ["backup", "one", "live"]
    filtered = CliRunner().invoke(app, ["filter", str(policy), str(rotated)])
    assert [json.loads(x)["auditID"] for x in filtered.stdout.splitlines()] == ["backup", "one", "live"]


def test_special_files_are_skipped_with_a_reason(rotated):
    fifo = rotated / "audit.log.2"
    os.mkfifo(fifo)
    files, skipped = expand([str(rotated)])
    assert str(fifo) not in files and len(files) == 3
    assert skipped == [f"{fifo}: skipped: not a regular file (a FIFO, socket or device)"]


def test_a_pattern_matching_nothing_is_an_input_error(tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n")
    result = CliRunner().invoke(app, ["replay", str(policy), str(tmp_path / "none-*.log")])
    assert result.exit_code == 2 and "no file matches" in result.output
