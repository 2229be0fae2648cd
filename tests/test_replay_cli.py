"""``kube-audit-lint replay``: inputs, formats, the jsonl contract, bad lines, exit codes."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

import kube_audit_lint.replay.reading as reading
import kube_audit_lint.replay.runner as runner
from kube_audit_lint.cli import app

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
  - level: None
    verbs: ["get"]
    resources: [{group: "", resources: ["secrets"]}]
  - level: RequestResponse
    resources: [{group: "", resources: ["configmaps"], resourceNames: ["aws-auth"]}]
    omitManagedFields: true
  - level: Metadata
    nonResourceURLs: ["/healthz*"]
  - level: Request
    resources: [{group: "rbac.authorization.k8s.io"}]
  - level: Metadata
    omitStages: [ResponseStarted]
"""
JSONL_KEYS = ["auditID", "stage", "rule", "level", "omitStages", "omitManagedFields", "logged"]


def event(audit_id="id", stage="ResponseComplete", verb="get", user="alice", groups=("devs",), ref=None,
          uri="/api/v1/namespaces/default/pods", **extra) -> dict:
    out = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": audit_id,
           "stage": stage, "requestURI": uri, "verb": verb, "user": {"username": user, "groups": list(groups)}}
    if ref is not None:
        out["objectRef"] = ref
    out.update(extra)
    return out


def lines(*events) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


SAMPLE = [
    event("kp", verb="watch", user="system:kube-proxy", ref={"resource": "endpoints"}),
    event("sec", ref={"resource": "secrets", "namespace": "prod", "name": "db"}),
    event("cm", verb="update", ref={"resource": "configmaps", "namespace": "kube-system", "name": "aws-auth"}),
    event("cm2", verb="update", ref={"resource": "configmaps", "namespace": "kube-system", "name": "other"}),
    event("hz", uri="/healthz/etcd?verbose", user="system:anonymous", groups=()),
    event("rb", stage="RequestReceived", verb="create",
          ref={"apiGroup": "rbac.authorization.k8s.io", "resource": "rolebindings", "namespace": "prod"}),
    event("ex", stage="ResponseStarted", verb="create",
          ref={"resource": "pods", "subresource": "exec", "namespace": "prod", "name": "web-1"}),
]


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return str(path)


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "audit.log"
    path.write_text(lines(*SAMPLE))
    return str(path)


def replay(*args, input=None):
    return CliRunner().invoke(app, ["replay", *args], input=input)


def jsonl(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_jsonl_contract(policy, log):
    rows = jsonl(replay(policy, log, "--format", "jsonl"))
    assert [list(row) for row in rows] == [JSONL_KEYS] * len(SAMPLE)
    by_id = {row["auditID"]: row for row in rows}
    assert by_id["kp"] == {"auditID": "kp", "stage": "ResponseComplete", "rule": 0, "level": "None",
                           "omitStages": ["RequestReceived"], "omitManagedFields": False, "logged": False}
    assert by_id["sec"]["rule"] == 1 and not by_id["sec"]["logged"]
    assert by_id["cm"] == {"auditID": "cm", "stage": "ResponseComplete", "rule": 2, "level": "RequestResponse",
                           "omitStages": ["RequestReceived"], "omitManagedFields": True, "logged": True}
    assert by_id["cm2"]["rule"] == 5  # resourceNames: the other configmap falls through
    assert by_id["hz"]["rule"] == 3 and by_id["hz"]["logged"]
    assert by_id["rb"]["rule"] == 4 and by_id["rb"]["logged"] is False  # RequestReceived is omitted
    assert by_id["ex"]["omitStages"] == ["RequestReceived", "ResponseStarted"]  # sorted union
    assert by_id["ex"]["logged"] is False


def test_jsonl_keeps_input_order(policy, log):
    assert [row["auditID"] for row in jsonl(replay(policy, log, "--format", "jsonl"))] == [e["auditID"] for e in SAMPLE]


def test_summary_reports_rules_levels_stages_and_sensitive(policy, log):
    result = replay(policy, log)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Replayed 7 events from 1 log(s)" in out
    assert "Rules no event reached: none" in out
    assert "Dropped by omitted stages: 2 (RequestReceived 1, ResponseStarted 1)" in out
    assert "Sensitive events not logged: 2" in out
    assert "[pod-exec] create pods/exec web-1 -n prod by alice" in out
    assert "[secrets] get secrets/db -n prod by alice" in out
    assert "rbac" not in out.split("Sensitive events not logged")[1]  # a dropped RequestReceived is not reported


def test_json_summary_counts_are_consistent(policy, log):
    result = replay(policy, log, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["events"] == 7
    assert sum(r["events"] for r in data["rules"]) + data["unmatched"] == 7
    assert sum(data["eventsByLevel"].values()) == 7
    assert data["logged"] + data["droppedByOmittedStages"] + data["eventsByLevel"]["None"] == 7
    assert [r["events"] for r in data["rules"]] == [1, 1, 1, 1, 1, 2]
    assert data["unusedRules"] == []
    assert data["files"] == [{"path": log, "events": 7, "badLines": 0, "formats": {"raw": 7}, "truncatedAfter": None}]
    assert data["formats"] == {"raw": {"events": 7, "skipped": {}, "truncated": 0}}
    categories = [r["category"] for r in data["sensitiveNotLogged"]["requests"]]
    assert categories == ["pod-exec", "secrets"]
    secret = data["sensitiveNotLogged"]["requests"][1]
    assert secret["request"] == {"user": "alice", "groups": ["devs"], "verb": "get", "apiGroup": "",
                                 "resource": "secrets", "subresource": "", "namespace": "prod", "name": "db"}
    assert secret["reason"] == "rule 1 sets level None"


def test_markdown_summary(policy, log):
    result = replay(policy, log, "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("### Replay of 7 audit events")
    assert "| 5 |" in result.stdout and "| pod-exec |" in result.stdout


def test_unused_rules_are_listed(policy, tmp_path):
    path = tmp_path / "only-health.log"
    path.write_text(lines(event("h", uri="/healthz", user="system:anonymous", groups=())))
    data = json.loads(replay(policy, str(path), "--format", "json").stdout)
    assert data["unusedRules"] == [0, 1, 2, 4, 5]


def test_event_list_document_and_line(policy, tmp_path):
    pretty = tmp_path / "list.json"
    pretty.write_text(json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": SAMPLE[:3]}, indent=2))
    one_line = tmp_path / "lists.jsonl"
    one_line.write_text(lines({"kind": "EventList", "items": SAMPLE[3:5]}, SAMPLE[5]))
    rows = jsonl(replay(policy, str(pretty), str(one_line), "--format", "jsonl"))
    assert [r["auditID"] for r in rows] == ["kp", "sec", "cm", "cm2", "hz", "rb"]


def test_single_pretty_printed_event(policy, tmp_path):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(SAMPLE[1], indent=2))
    assert [r["auditID"] for r in jsonl(replay(policy, str(path), "--format", "jsonl"))] == ["sec"]


def test_gzip_is_recognised_by_magic_bytes(policy, tmp_path):
    path = tmp_path / "audit.log.1"  # rotated name, no .gz
    path.write_bytes(gzip.compress(lines(*SAMPLE).encode()))
    assert [r["auditID"] for r in jsonl(replay(policy, str(path), "--format", "jsonl"))] == [e["auditID"] for e in SAMPLE]


def test_stdin_and_several_logs(policy, log):
    result = replay(policy, log, "-", "--format", "json", input=lines(*SAMPLE[:2]))
    data = json.loads(result.stdout)
    assert data["events"] == 9
    assert [(f["path"], f["events"], f["badLines"]) for f in data["files"]] == [(log, 7, 0), ("<stdin>", 2, 0)]


def test_gzip_on_stdin_through_a_pipe(policy, repo_root):
    data = gzip.compress(lines(*SAMPLE).encode())
    done = subprocess.run([sys.executable, "-m", "kube_audit_lint", "replay", policy, "-", "--format", "jsonl"],
                          input=data, capture_output=True, cwd=repo_root, timeout=60)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len(SAMPLE)


def test_bad_lines_are_reported_and_the_run_goes_on(policy, tmp_path):
    path = tmp_path / "audit.log"
    path.write_text(lines(*SAMPLE[:2]) + "\n   \nnot json\n" + '{"kind":"Pod"}\n' + lines(*SAMPLE[2:4]) + "[1]\n")
    data = json.loads(replay(policy, str(path), "--format", "json").stdout)
    assert data["events"] == 4
    assert data["badLineCount"] == 3
    assert [(b["file"], b["line"]) for b in data["badLines"]] == [(str(path), 5), (str(path), 6), (str(path), 9)]
    assert data["badLines"][0]["message"].startswith("not JSON")
    assert "not an audit event" in data["badLines"][1]["message"]
    text = replay(policy, str(path)).stdout
    assert f"{path}:6: not an audit event" in text


def test_jsonl_skips_bad_lines_and_says_so_on_stderr(policy, tmp_path):
    path = tmp_path / "audit.log"
    path.write_text(lines(SAMPLE[0]) + "garbage\n" + lines(SAMPLE[1]))
    result = replay(policy, str(path), "--format", "jsonl")
    assert result.exit_code == 0
    assert [json.loads(x)["auditID"] for x in result.stdout.splitlines()] == ["kp", "sec"]
    assert f"1 line(s) are not audit events and were skipped; the first: {path}:2: not JSON" in result.stderr


def test_strict_fails_on_a_bad_line(policy, tmp_path):
    path = tmp_path / "audit.log"
    path.write_text(lines(SAMPLE[0]) + "garbage\n")
    result = replay(policy, str(path), "--strict")
    assert result.exit_code == 2
    assert f"{path}:2: not JSON" in result.stderr


def test_event_without_kind_needs_request_fields(policy, tmp_path):
    path = tmp_path / "audit.log"
    kindless = {k: v for k, v in SAMPLE[1].items() if k != "kind"}
    path.write_text(lines(kindless) + '{"foo": 1}\n')
    data = json.loads(replay(policy, str(path), "--format", "json").stdout)
    assert data["events"] == 1 and data["badLineCount"] == 1 and data["badLines"][0]["line"] == 2


def test_event_without_stage_or_auditid(policy, tmp_path):
    path = tmp_path / "audit.log"
    bare = {"kind": "Event", "verb": "get", "objectRef": {"resource": "pods"}, "user": {"username": "x"}}
    path.write_text(lines(bare))
    assert jsonl(replay(policy, str(path), "--format", "jsonl")) == [
        {"auditID": None, "stage": None, "rule": 5, "level": "Metadata",
         "omitStages": ["RequestReceived", "ResponseStarted"], "omitManagedFields": False, "logged": True}]


@pytest.mark.parametrize("args, message", [
    (["missing.log"], "missing.log: cannot read: no such file or directory"),
    (["--jobs", "0", "x.log"], "--jobs"),
])
def test_unusable_input_is_one_line_exit_2(policy, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = replay(policy, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_an_empty_directory_as_log_is_exit_2(policy, tmp_path):
    empty = tmp_path / "logs"
    empty.mkdir()
    result = replay(policy, str(empty))
    assert result.exit_code == 2 and f"no log file in {empty}" in result.stderr


def test_corrupt_gzip_is_exit_2(policy, tmp_path):
    path = tmp_path / "audit.log.gz"
    path.write_bytes(gzip.compress(lines(*SAMPLE).encode())[:40])
    result = replay(policy, str(path))
    assert result.exit_code == 2
    assert str(path) in result.stderr and "Traceback" not in result.output


def test_refused_policy_prints_the_apiserver_reasons(tmp_path, log):
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: Everything
    """))
    result = replay(str(path), log)
    assert result.exit_code == 2
    assert "kube-apiserver would refuse this policy" in result.stderr
    assert f"{path}:4:" in result.stderr and "rules[0].level" in result.stderr


def test_file_without_policy_is_exit_2(tmp_path, log):
    path = tmp_path / "cm.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\n")
    result = replay(str(path), log)
    assert result.exit_code == 2 and "no audit policy" in result.stderr


def test_v1beta1_policy_needs_an_older_kube_version(tmp_path, log):
    path = tmp_path / "old.yaml"
    path.write_text("apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n  - level: Metadata\n")
    assert replay(str(path), log).exit_code == 2
    result = replay(str(path), log, "--kube-version", "1.23", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["kubeVersion"] == "1.23"


def test_output_file(policy, log, tmp_path):
    out = tmp_path / "out.jsonl"
    result = replay(policy, log, "--format", "jsonl", "--output", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert len(out.read_text().splitlines()) == len(SAMPLE)


def test_progress_is_silent_when_not_a_terminal(policy, log):
    result = replay(policy, log)
    assert result.stderr == ""


def test_progress_can_be_forced(policy, log):
    result = replay(policy, log, "--progress")
    assert result.exit_code == 0
    assert "events/s" in result.stderr and result.stderr.endswith("\r\x1b[K")
    assert result.stdout.startswith("Replayed 7 events")


# --- large inputs: bad lines deep in a file, and --jobs keeping the order --------------------------

def big_log(path, count: int, bad_at=()) -> list[str]:
    """``count`` lines of varied events, with bad lines at the given 1-based line numbers."""
    ids = []
    with open(path, "w") as f:
        for number in range(1, count + 1):
            if number in bad_at:
                f.write('{"kind":"Event","verb":42}\n' if number % 2 else "{oops\n")
                continue
            sample = SAMPLE[number % len(SAMPLE)]
            ids.append(f"{sample['auditID']}-{number}")
            f.write(json.dumps(dict(sample, auditID=ids[-1])) + "\n")
    return ids


@pytest.fixture
def small_pieces(monkeypatch):
    """Make the chunk, task and parallel thresholds tiny so small files take the large-file paths."""
    monkeypatch.setattr(reading, "CHUNK_SIZE", 4096)
    monkeypatch.setattr(runner, "PARALLEL_MIN_BYTES", 64 << 10)
    monkeypatch.setattr(runner, "RANGE_SIZE", 96 << 10)
    monkeypatch.setattr(runner, "TASK_SIZE", 48 << 10)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_bad_lines_in_the_middle_of_a_large_file(policy, tmp_path, small_pieces, jobs):
    path = tmp_path / "big.log"
    bad_at = (1, 777, 4_001, 9_999, 12_000)
    ids = big_log(path, 12_000, bad_at)
    data = json.loads(replay(policy, str(path), "--format", "json", "--jobs", jobs, "--force-jobs").stdout)
    assert data["events"] == len(ids) == 12_000 - len(bad_at)
    assert data["badLineCount"] == len(bad_at)
    assert [b["line"] for b in data["badLines"]] == list(bad_at)


@pytest.mark.parametrize("compress", [False, True])
def test_jobs_2_keeps_jsonl_in_input_order(policy, tmp_path, small_pieces, compress):
    path = tmp_path / "big.log"
    ids = big_log(path, 8_000, bad_at=(5_000,))
    if compress:
        path.write_bytes(gzip.compress(path.read_bytes()))
    one = replay(policy, str(path), "--format", "jsonl", "--jobs", "1")
    two = replay(policy, str(path), "--format", "jsonl", "--jobs", "2", "--force-jobs")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout
    assert [json.loads(x)["auditID"] for x in two.stdout.splitlines()] == ids
    assert ":5000: " in two.stderr


def test_jobs_2_summary_equals_jobs_1(policy, tmp_path, small_pieces):
    path = tmp_path / "big.log"
    big_log(path, 6_000, bad_at=(10, 5_999))
    one = json.loads(replay(policy, str(path), str(path), "--format", "json", "--jobs", "1").stdout)
    two = json.loads(replay(policy, str(path), str(path), "--format", "json", "--jobs", "2", "--force-jobs").stdout)
    assert one == two
    assert one["events"] == 2 * 5_998


def test_strict_with_jobs_stops_at_the_first_bad_line(policy, tmp_path, small_pieces):
    path = tmp_path / "big.log"
    big_log(path, 6_000, bad_at=(4_321,))
    result = replay(policy, str(path), "--strict", "--jobs", "2", "--force-jobs")
    assert result.exit_code == 2
    assert f"{path}:4321:" in result.stderr


def test_jobs_2_on_stdin_without_shared_memory(policy, tmp_path, small_pieces, monkeypatch):
    monkeypatch.setattr(runner.SharedBlocks, "usable", staticmethod(lambda method: False))
    path = tmp_path / "big.log"
    ids = big_log(path, 5_000, bad_at=(2_500,))
    result = replay(policy, "-", "--format", "jsonl", "--jobs", "2", "--force-jobs", input=path.read_bytes())
    assert result.exit_code == 0
    assert [json.loads(x)["auditID"] for x in result.stdout.splitlines()] == ids
    assert "<stdin>:2500:" in result.stderr


def test_jobs_2_compare_equals_jobs_1(policy, tmp_path, small_pieces):
    path = tmp_path / "big.log"
    big_log(path, 6_000)
    old = tmp_path / "old.yaml"
    old.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n")
    one = json.loads(replay(policy, str(path), "--compare", str(old), "--format", "json", "--jobs", "1").stdout)
    two = json.loads(replay(policy, str(path), "--compare", str(old), "--format", "json", "--jobs", "2", "--force-jobs").stdout)
    assert one == two
    assert one["events"] == 6_000 and one["changedEvents"] > 0


def test_empty_log(policy, tmp_path):
    """Nothing read is an error, never a report of 0 events."""
    path = tmp_path / "empty.log"
    path.write_text("")
    result = replay(policy, str(path), "--format", "json")
    assert result.exit_code == 2 and result.stdout == ""
    assert f"no audit event in the input ({path}: empty)" in result.output


@pytest.mark.parametrize("compress", [False, True])
def test_jobs_2_over_many_files_keeps_order_and_line_numbers(policy, tmp_path, small_pieces, compress):
    paths, ids = [], []
    for i in range(4):
        path = tmp_path / f"audit-{i}.log"
        ids += big_log(path, 1_500, bad_at=(700 + i,))
        if compress:
            path.write_bytes(gzip.compress(path.read_bytes()))
        paths.append(str(path))
    two = replay(policy, *paths, "--format", "jsonl", "--jobs", "2", "--force-jobs")
    assert two.exit_code == 0
    assert [json.loads(x)["auditID"] for x in two.stdout.splitlines()] == ids
    data = json.loads(replay(policy, *paths, "--format", "json", "--jobs", "2", "--force-jobs").stdout)
    assert [(b["file"], b["line"]) for b in data["badLines"]] == [(p, 700 + i) for i, p in enumerate(paths)]
    assert [f["events"] for f in data["files"]] == [1_499] * 4


def test_a_broken_first_line_is_one_bad_line_not_a_broken_document(policy, tmp_path):
    path = tmp_path / "audit.log"
    path.write_text('{"kind":"Event","verb":\n' + lines(*SAMPLE))
    data = json.loads(replay(policy, str(path), "--format", "json").stdout)
    assert data["events"] == len(SAMPLE)
    assert [(b["line"], b["message"][:8]) for b in data["badLines"]] == [(1, "not JSON")]


def test_pretty_printed_but_broken_document_falls_back_to_lines(policy, tmp_path):
    path = tmp_path / "audit.log"
    path.write_text("{\n" + lines(*SAMPLE[:2]))
    data = json.loads(replay(policy, str(path), "--format", "json").stdout)
    assert data["events"] == 2 and [b["line"] for b in data["badLines"]] == [1]


def test_jobs_2_jsonl_to_an_output_file(policy, tmp_path, small_pieces):
    path = tmp_path / "big.log"
    ids = big_log(path, 6_000)
    out = tmp_path / "out.jsonl"
    result = replay(policy, str(path), "--format", "jsonl", "--jobs", "2", "--force-jobs", "--output", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert [json.loads(x)["auditID"] for x in out.read_text().splitlines()] == ids
