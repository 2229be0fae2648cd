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

from kube_audit_lint.files import AtomicFile, OutputError, write_atomically, write_output

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


def test_command_output_goes_to_standard_output_or_whole_into_its_file(tmp_path, capsysbinary):
    write_output("text\n", None)
    write_output(b"%PDF-", None)
    assert capsysbinary.readouterr().out == b"text\n%PDF-"
    target = tmp_path / "out.md"
    write_output("# report\n", str(target))
    assert target.read_text() == "# report\n" and capsysbinary.readouterr().out == b""


def test_an_output_file_that_cannot_be_written_is_named_with_the_reason(tmp_path):
    (tmp_path / "blocked").write_text("a file where a folder is needed")
    with pytest.raises(OutputError, match=r"blocked/out\.txt: cannot write: "):
        write_output("text\n", str(tmp_path / "blocked" / "out.txt"))


@pytest.mark.parametrize("command", [
    ["sql", "examples/audit-policy.yaml", "--dialect", "duckdb"],
    ["diff", "examples/audit-policy.yaml", "examples/audit-policy.yaml"],
    ["report", "examples/audit-policy.yaml", "--format", "json"],
    ["lint", "examples/audit-policy.yaml"],
], ids=lambda c: c[0])
def test_every_command_says_which_output_it_cannot_write_in_one_line(cli, repo_root, tmp_path, monkeypatch, command):
    (tmp_path / "blocked").write_text("a file where a folder is needed")
    target = str(tmp_path / "blocked" / "out")
    monkeypatch.chdir(repo_root)
    code, _, err = cli(*command, "--output", target)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"kube-audit-lint: error: {target}: cannot write: "), err


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


def _interrupted_stdin_replay(tmp_path, repo_root, signum, *args):
    process = subprocess.Popen([str(KAL), "replay", str(repo_root / "examples" / "audit-policy.yaml"), "-",
                                "--jobs", "1", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdin.write("".join(event(i) for i in range(2000)).encode())
    process.stdin.flush()
    time.sleep(1.5)  # the log is still being written: replay has read what arrived and waits
    process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("signum, code, name", [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")])
def test_stderr_says_how_far_the_interrupted_replay_got(tmp_path, repo_root, signum, code, name):
    returncode, _, err = _interrupted_stdin_replay(tmp_path, repo_root, signum, "--format", "json")
    assert returncode == code
    assert err.strip().splitlines()[-1] == (
        f"kube-audit-lint: replay interrupted after 2,000 events in <stdin> ({name}); no output file was changed")


def test_partial_on_interrupt_writes_the_summary_so_far(tmp_path, repo_root):
    target = tmp_path / "out.json"
    target.write_text("the previous run's result\n")
    returncode, _, err = _interrupted_stdin_replay(tmp_path, repo_root, signal.SIGTERM, "--format", "json",
                                                   "--output", str(target), "--partial-on-interrupt")
    assert returncode == 143, err
    summary = json.loads(target.read_text())
    assert summary["events"] == 2000
    assert summary["interrupted"] == "replay interrupted after 2,000 events in <stdin>"
    assert f"the partial summary of those events was written to {target}" in err
    _, text, _ = _interrupted_stdin_replay(tmp_path, repo_root, signal.SIGINT, "--partial-on-interrupt")
    assert text.startswith("PARTIAL: replay interrupted after 2,000 events in <stdin>")


def _children(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    kids = {int(k) for k in f.read().split()}
                found |= kids
                todo += list(kids)
        except OSError:
            pass
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc to see worker processes")
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_no_worker_outlives_an_interrupted_parallel_replay(tmp_path, repo_root, signum, code):
    import gzip

    block = "".join(event(i) for i in range(1000)).encode() * 300
    logs = []
    for n in range(3):
        path = tmp_path / f"audit-{n}.log.gz"
        path.write_bytes(gzip.compress(block, compresslevel=1))
        logs.append(str(path))
    process = subprocess.Popen([str(KAL), "replay", str(repo_root / "examples" / "audit-policy.yaml"), *logs,
                                "--jobs", "2", "--force-jobs", "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    workers: set[int] = set()
    deadline = time.monotonic() + 30
    while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
        workers |= _children(process.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the replay did not start its workers"
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code, err.decode()
    assert b"Traceback" not in err and b"replay interrupted after" in err
    time.sleep(0.5)
    alive = [pid for pid in workers if os.path.exists(f"/proc/{pid}") and
             "zombie" not in open(f"/proc/{pid}/status").read().lower()]
    assert alive == []
