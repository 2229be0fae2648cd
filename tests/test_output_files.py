"""Output files are whole or absent: an interrupted or failed run leaves the previous file as it was."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kube_audit_lint.files import AtomicFile, write_atomically

KAL = Path(sys.executable).parent / "kube-audit-lint"


def test_missing_folders_are_created(tmp_path):
    target = tmp_path / "reports" / "today" / "out.sarif"
    write_atomically(str(target), "{}\n")
    assert target.read_text() == "{}\n"
    assert os.listdir(target.parent) == ["out.sarif"]


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("previous run\n")
    with pytest.raises(RuntimeError):
        with AtomicFile(str(target)) as handle:
            handle.write(b"half of a new ")
            raise RuntimeError("interrupted")
    assert target.read_text() == "previous run\n"
    assert os.listdir(tmp_path) == ["out.json"]


def event(i: int) -> str:
    return json.dumps({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": f"id-{i}",
                       "stage": "ResponseComplete", "verb": "get", "requestURI": "/api/v1/namespaces/default/pods",
                       "user": {"username": "alice", "groups": ["system:authenticated"]},
                       "objectRef": {"resource": "pods", "namespace": "default", "apiVersion": "v1"}}) + "\n"


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_replay_leaves_the_previous_output(tmp_path, repo_root, signum, code):
    target = tmp_path / "out.jsonl"
    target.write_text("the previous run's result\n")
    process = subprocess.Popen([str(KAL), "replay", str(repo_root / "examples" / "audit-policy.yaml"), "-",
                                "--format", "jsonl", "--output", str(target), "--jobs", "1"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdin.write("".join(event(i) for i in range(2000)).encode())
    process.stdin.flush()
    time.sleep(1.5)  # the log is still being written: replay waits for more
    process.send_signal(signum)
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == code, err.decode()
    assert b"Traceback" not in err
    assert target.read_text() == "the previous run's result\n"
    assert sorted(os.listdir(tmp_path)) == ["out.jsonl"]
