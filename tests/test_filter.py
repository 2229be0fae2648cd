"""``kube-audit-lint filter``: the events as kube-apiserver would have written them, event by event
as the engine decides, from every export format; undecidable GKE records; output files and counts."""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner

from corpus_policies import SHARED, load, policy_ids
from kube_audit_lint.cli import app
from kube_audit_lint.engine.evaluate import evaluate
from kube_audit_lint.policy.model import Level
from kube_audit_lint.replay.events import event_to_request
from log_wrappers import WRAPPERS, raw

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    nonResourceURLs: ["/healthz*"]
  - level: Metadata
    resources: [{group: "", resources: ["secrets"]}]
  - level: Request
    verbs: ["create"]
    omitManagedFields: true
  - level: RequestResponse
    omitStages: [ResponseStarted]
"""

MANAGED = {"metadata": {"name": "x", "managedFields": [{"manager": "kubectl"}]}, "spec": {"a": 1}}


def event(audit_id, stage="ResponseComplete", verb="get", ref=None, uri="/api/v1/pods", **extra):
    out = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse", "auditID": audit_id,
           "stage": stage, "requestURI": uri, "verb": verb,
           "user": {"username": "alice", "groups": ["system:authenticated"]}}
    if ref is not None:
        out["objectRef"] = ref
    out.update(extra)
    return out


EVENTS = [
    event("hz", uri="/healthz"),
    event("sec", ref={"resource": "secrets", "namespace": "p", "name": "db"},
          requestObject={"data": {"k": "c2VjcmV0"}}, responseObject={"data": {"k": "c2VjcmV0"}}),
    event("mk", verb="create", ref={"resource": "configmaps", "namespace": "p"},
          requestObject=MANAGED, responseObject=MANAGED),
    event("mk-rr", verb="create", stage="RequestReceived", ref={"resource": "configmaps", "namespace": "p"}),
    event("ls", verb="list", ref={"resource": "pods"},
          responseObject={"kind": "PodList", "items": [MANAGED, MANAGED]}),
    event("rs", stage="ResponseStarted", verb="watch", ref={"resource": "pods"}),
]


def run(*args, **kwargs):
    return CliRunner().invoke(app, ["filter", *args], **kwargs)


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return str(path)


def out_events(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def expected(policy, events) -> list[dict]:
    """What the apiserver would write: from the engine's decision, independently of filter's code."""
    kept = []
    for e in events:
        decision = evaluate(policy, event_to_request(e))
        if not decision.logs(e.get("stage")):
            continue
        e = json.loads(json.dumps(e))
        e["level"] = decision.level.wire
        if decision.level < Level.REQUEST:
            e.pop("requestObject", None)
        if decision.level < Level.REQUEST_RESPONSE:
            e.pop("responseObject", None)
        if decision.omit_managed_fields:
            for key in ("requestObject", "responseObject"):
                body = e.get(key)
                if isinstance(body, dict):
                    for obj in [body] + [i for i in body.get("items", []) if isinstance(i, dict)]:
                        if isinstance(obj.get("metadata"), dict):
                            obj["metadata"].pop("managedFields", None)
        kept.append(e)
    return kept


def test_levels_stages_bodies_and_managed_fields(policy, tmp_path):
    log = tmp_path / "audit.log"
    log.write_bytes(raw(EVENTS))
    result = run(policy, str(log))
    written = out_events(result)
    assert [e["auditID"] for e in written] == ["sec", "mk", "ls"]
    secret, created, listed = written
    assert secret["level"] == "Metadata" and "requestObject" not in secret and "responseObject" not in secret
    assert created["level"] == "Request" and "responseObject" not in created
    assert created["requestObject"] == {"metadata": {"name": "x"}, "spec": {"a": 1}}
    assert listed["level"] == "RequestResponse" and len(listed["responseObject"]["items"]) == 2
    assert listed["responseObject"]["items"][0]["metadata"]["managedFields"]  # the rule keeps them
    assert "6 events read; 3 written; 1 dropped at level None; 2 dropped in omitted stages" in result.stderr


def test_list_items_lose_managed_fields(tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitManagedFields: true\nrules:\n"
                      "- level: RequestResponse\n")
    log = tmp_path / "audit.log"
    log.write_bytes(raw([EVENTS[4]]))
    (listed,) = out_events(run(str(policy), str(log)))
    assert listed["responseObject"]["items"] == [{"metadata": {"name": "x"}, "spec": {"a": 1}}] * 2


@pytest.mark.parametrize("wrapper", sorted(set(WRAPPERS) - {"viaq"}))
def test_every_wrapper_gives_the_events_raw_gives(policy, tmp_path, wrapper):
    log = tmp_path / "raw.log"
    log.write_bytes(raw(EVENTS))
    want = out_events(run(policy, str(log)))
    wrapped = tmp_path / "export"
    wrapped.write_bytes(WRAPPERS[wrapper](EVENTS))
    assert out_events(run(policy, str(wrapped))) == want


def test_viaq_records_keep_their_shape_and_get_the_audit_level(policy, tmp_path):
    log = tmp_path / "viaq.json"
    log.write_bytes(WRAPPERS["viaq"](EVENTS))
    written = out_events(run(policy, str(log)))
    assert [(e["auditID"], e["level"], e["k8s_audit_level"]) for e in written] == [
        ("sec", "default", "Metadata"), ("mk", "default", "Request"), ("ls", "default", "RequestResponse")]
    assert all(e["log_type"] == "audit" for e in written)


@pytest.mark.parametrize("name", policy_ids())
def test_corpus_events_under_each_corpus_policy(name, tmp_path):
    folder = SHARED / "corpus" / "events"
    if not folder.is_dir():
        pytest.skip(f"../shared not present: {folder}")
    policy, version = load(SHARED / "corpus" / "policies" / name)
    if policy is None:
        pytest.skip(f"{name}: no release we implement accepts it")
    events = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            data = json.loads(line)
            if data.get("kind") == "Event":
                events.append(data)
    log = tmp_path / "corpus.log"
    log.write_bytes(raw(events))
    args = [str(SHARED / "corpus" / "policies" / name), str(log)]
    if version:
        args += ["--kube-version", "1.23"]
    got = run(*args)
    want = expected(policy, events)
    if not want:
        assert got.exit_code == 0 and got.stdout == ""
        return
    assert out_events(got) == want


GKE = {"insertId": "i", "protoPayload": {"serviceName": "k8s.io", "methodName": "io.k8s.core.v1.pods.create",
                                         "resourceName": "core/v1/namespaces/p/pods/web",
                                         "authenticationInfo": {"principalEmail": "alice@example.com"},
                                         "request": {"kind": "Pod"}, "response": {"kind": "Pod"}}}


def test_gke_records_lose_bodies_by_level_and_undecidable_ones_are_kept_or_dropped(tmp_path):
    log = tmp_path / "gke.jsonl"
    log.write_text(json.dumps(GKE) + "\n")
    plain = tmp_path / "plain.yaml"
    plain.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Request\n")
    (entry,) = out_events(run(str(plain), str(log)))
    assert entry["protoPayload"]["request"] == {"kind": "Pod"} and "response" not in entry["protoPayload"]
    grouped = tmp_path / "grouped.yaml"
    grouped.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"
                       "  userGroups: [system:nodes]\n- level: Metadata\n")
    kept = run(str(grouped), str(log))
    assert out_events(kept) == [GKE]
    assert "1 undecidable without groups, kept" in kept.stderr
    dropped = run(str(grouped), str(log), "--drop-undecidable")
    assert dropped.exit_code == 0 and dropped.stdout == ""
    assert "1 undecidable without groups, dropped" in dropped.stderr


def test_output_file_stats_and_a_cut_stream(policy, tmp_path):
    data = gzip.compress(raw(EVENTS * 200))
    log = tmp_path / "audit.log.gz"
    log.write_bytes(data[: len(data) * 2 // 3])
    out, stats = tmp_path / "out.jsonl", tmp_path / "stats.json"
    out.write_text("previous\n")
    result = run(policy, str(log), "--output", str(out), "--stats-json", str(stats))
    assert result.exit_code == 0, result.output
    counts = json.loads(stats.read_text())
    read = counts["events"]
    assert 0 < read < len(EVENTS) * 200
    assert counts["files"][0]["truncatedAfter"] == read
    assert counts["written"] == len(out.read_text().splitlines())
    assert f"truncated after {read:,} events" in result.stderr
    strict = run(policy, str(log), "--output", str(tmp_path / "strict.jsonl"), "--strict")
    assert strict.exit_code == 2 and "truncated after" in strict.output
    assert not (tmp_path / "strict.jsonl").exists()


def test_bad_input_is_exit_2(policy, tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_text("not json\n")
    assert run(policy, str(empty)).exit_code == 2
    assert run(policy, str(tmp_path / "missing.log")).exit_code == 2
    assert run(str(tmp_path / "nope.yaml"), str(empty)).exit_code == 2


def test_bodies_never_reach_stderr(policy, tmp_path):
    log = tmp_path / "audit.log"
    log.write_bytes(raw(EVENTS) + b'{"kind":"Event","verb":"get","requestObject":{"password":"hunter2"\n')
    result = run(policy, str(log))
    assert "hunter2" not in result.stderr
