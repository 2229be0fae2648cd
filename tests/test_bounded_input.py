"""Hostile logs cost bounded memory and time and get clear words: a line without end, a
decompression bomb, a 50 MB line (run under address-space and CPU-time limits, never timed);
deeply nested events, a byte-order mark, lone surrogates, huge numbers; --jobs capped at the cores."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app

KAL = Path(sys.executable).parent / "kube-audit-lint"
LIMIT = 320 << 20  # address space for the whole process: the inputs below are larger than this
CPU_SECONDS = 120  # CPU time for the whole process: a hang or a quadratic blow-up is killed (SIGXCPU)
EVENT = {"kind": "Event", "auditID": "ok", "stage": "ResponseComplete", "verb": "get", "requestURI": "/healthz",
         "user": {"username": "u", "groups": ["system:authenticated"]}}


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n")
    return str(path)


def limited(*args):
    if not sys.platform.startswith("linux"):
        pytest.skip("address-space limits are tested on Linux")
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))
        resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))

    return subprocess.run([str(KAL), *args], preexec_fn=limit, capture_output=True, text=True, timeout=300)


def event_line(**extra) -> bytes:
    return (json.dumps(dict(EVENT, **extra)) + "\n").encode()


def test_a_line_that_never_ends_is_skipped_in_bounded_memory(policy, tmp_path):
    log = tmp_path / "zeros.log"
    with open(log, "wb") as f:
        f.write(event_line())
        f.truncate(512 << 20)  # a crashed writer's run of NUL bytes (sparse: costs no disk)
    for command in ("replay", "filter"):
        args = [command, policy, str(log)] + (["--format", "json", "--jobs", "1"] if command == "replay"
                                              else ["-o", str(tmp_path / "out.jsonl")])
        done = limited(*args)
        assert done.returncode == 0, done.stderr
        assert "oversized line" in (done.stdout + done.stderr)


def test_a_gzip_bomb_is_skipped_in_bounded_memory(policy, tmp_path):
    member = gzip.compress(b"x" * (64 << 20), compresslevel=9)
    log = tmp_path / "bomb.log.gz"
    log.write_bytes(gzip.compress(event_line()) + member * 8)  # 512 MiB on one line
    done = limited("replay", policy, str(log), "--format", "json", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["events"] == 1 and summary["formats"]["raw"]["skipped"] == {"oversized line": 1}


def test_a_50_mb_line_is_refused_with_a_clear_error_and_the_run_goes_on(policy, tmp_path):
    log = tmp_path / "long.log"
    log.write_bytes(event_line() + event_line(requestObject={"data": "y" * (50 << 20)}) + event_line())
    done = limited("replay", policy, str(log), "--format", "json", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["events"] == 2
    assert summary["badLines"][0]["line"] == 2
    assert summary["badLines"][0]["message"].startswith("oversized line: 52,")
    assert "y" * 50 not in done.stdout + done.stderr


def replay(*args):
    return CliRunner().invoke(app, ["replay", *args])


def test_a_deeply_nested_event_is_decided_from_its_request_attributes(policy, tmp_path):
    log = tmp_path / "deep.log"
    deep = json.dumps(EVENT)[:-1] + ',"requestObject":' + "[" * 100_000 + "]" * 100_000 + "}\n"
    log.write_text(deep + json.dumps(EVENT) + "\n")
    summary = json.loads(replay(policy, str(log), "--format", "json").stdout)
    assert summary["events"] == 2 and summary["badLineCount"] == 0
    filtered = CliRunner().invoke(app, ["filter", policy, str(log)])
    assert filtered.exit_code == 0 and len(filtered.stdout.splitlines()) == 2


def test_a_byte_order_mark_at_the_start_of_a_log_is_accepted(policy, tmp_path):
    log = tmp_path / "bom.log"
    log.write_bytes(b"\xef\xbb\xbf" + event_line() + event_line())
    summary = json.loads(replay(policy, str(log), "--format", "json").stdout)
    assert summary["events"] == 2 and summary["badLineCount"] == 0


def test_a_lone_surrogate_is_read_as_the_apiserver_would_have_written_it(policy, tmp_path):
    log = tmp_path / "surrogate.log"
    log.write_text('{"kind":"Event","verb":"get","requestURI":"/x","user":{"username":"a\\ud800b"}}\n')
    summary = json.loads(replay(policy, str(log), "--format", "json").stdout)
    assert summary["events"] == 1 and summary["badLineCount"] == 0


def test_bad_line_messages_do_not_echo_values_at_length(policy, tmp_path):
    log = tmp_path / "odd.log"
    log.write_text(json.dumps(EVENT) + "\n" + '{"kind":"Event","verb":' + "9" * 100_000 + "}\n"
                   + '{"kind":"' + "\x1b[2J" + "z" * 10_000 + '"}\n')
    result = replay(policy, str(log))
    assert result.exit_code == 0
    assert "9" * 300 not in result.stdout and "z" * 300 not in result.stdout and "\x1b" not in result.stdout
    assert "int_max_str_digits" not in result.stdout


def test_jobs_is_capped_at_the_cores_unless_forced(policy, tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(event_line())
    result = replay(policy, str(log), "--jobs", "400")
    assert result.exit_code == 0
    assert f"--jobs 400 capped at {len(os.sched_getaffinity(0))}" in result.stderr
    assert "capped" not in replay(policy, str(log), "--jobs", "3", "--force-jobs").stderr
