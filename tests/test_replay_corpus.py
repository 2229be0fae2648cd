"""Real events replayed against real policies: no crash, consistent counts, and every event's
outcome equal to the engine's own evaluation of it (the caches change nothing)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from corpus_policies import load, policy_ids
from kube_audit_lint.engine.evaluate import evaluate
from kube_audit_lint.replay.events import event_to_request
from kube_audit_lint.replay.runner import JSONL, Run
from kube_audit_lint.replay.summary import replay_files

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def corpus(kind: str, pattern: str) -> list[Path]:
    folder = SHARED / "corpus" / kind
    if not folder.is_dir():
        pytest.skip(f"../shared not present: {folder}")
    return sorted(folder.glob(pattern))


@pytest.fixture(scope="module")
def event_files() -> list[Path]:
    return corpus("events", "*.jsonl")


@pytest.fixture(scope="module")
def corpus_events(event_files) -> list[dict]:
    return [json.loads(line) for path in event_files for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A few thousand events of each of the benchmark's traffic profiles, for variety."""
    spec = importlib.util.spec_from_file_location("generate_log", REPO / "benchmarks" / "generate_log.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("generated") / "audit.log"
    with open(path, "wb") as out:
        module.write(3000, seed=7, nodes=50, out=out)
        module.write(3000, seed=7, nodes=50, out=out, profile="realistic", namespaces=60, people=40)
    return path


@pytest.mark.parametrize("name", policy_ids())
def test_every_event_gets_the_engines_decision(name, event_files, corpus_events, generated):
    policy, version = load(SHARED / "corpus" / "policies" / name)
    if policy is None:
        pytest.skip(f"{name}: no release we implement accepts it")
    events = corpus_events + [json.loads(line) for line in generated.read_text().splitlines()]
    out: list[bytes] = []
    totals = Run(JSONL, [policy], version, sink=out.append).replay([str(p) for p in event_files] + [str(generated)])
    assert totals.bad_line_count == 0
    rows = [json.loads(line) for line in b"".join(out).splitlines()]
    assert len(rows) == len(events)
    for data, row in zip(events, rows):
        decision = evaluate(policy, event_to_request(data), version)
        assert row == {
            "auditID": data.get("auditID"), "stage": data.get("stage"), "rule": decision.rule,
            "level": decision.level.wire, "omitStages": sorted(decision.omit_stages),
            "omitManagedFields": decision.omit_managed_fields, "logged": decision.logs(data.get("stage")),
        }, data.get("auditID")


@pytest.mark.parametrize("name", policy_ids())
def test_summary_counts_add_up(name, event_files, corpus_events):
    policy, version = load(SHARED / "corpus" / "policies" / name)
    if policy is None:
        pytest.skip(f"{name}: no release we implement accepts it")
    data = replay_files(policy, [str(p) for p in event_files], version).to_dict()
    total = len(corpus_events)
    assert data["events"] == total == sum(f["events"] for f in data["files"])
    assert sum(r["events"] for r in data["rules"]) + data["unmatched"] == total
    assert sum(data["eventsByLevel"].values()) == total
    assert data["logged"] + data["droppedByOmittedStages"] + data["eventsByLevel"]["None"] == total
    assert data["logged"] == sum(r["logged"] for r in data["rules"])
    assert data["unusedRules"] == [r["index"] for r in data["rules"] if r["events"] == 0]
    listed = data["sensitiveNotLogged"]
    assert listed["events"] == sum(r["events"] for r in listed["requests"]) + listed["unlistedEvents"]
    json.dumps(data)


def test_audit2rbac_log_against_gke_policy(event_files):
    """A known case: GKE's policy omits RequestReceived, and the raw audit2rbac capture has 320."""
    policy, _ = load(SHARED / "corpus" / "policies" / "gce-configure-helper.yaml")
    raw = [p for p in event_files if p.name == "audit2rbac-raw-v1beta1.jsonl"]
    data = replay_files(policy, [str(p) for p in raw]).to_dict()
    assert data["events"] == 757
    assert data["droppedByStage"] == {"RequestReceived": 320}
