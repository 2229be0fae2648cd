"""Cost per rule and request class from a log sample: its own time span, written bytes by level,
money at a price, events over the sinks' size limits, and the per-day change of --compare."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: Metadata
    resources: [{group: "", resources: ["secrets"]}]
  - level: RequestResponse
    resources: [{group: "", resources: ["configmaps"]}]
  - level: None
"""


def event(i, resource, body=0, day=1, hour=0):
    e = {"kind": "Event", "auditID": f"e{i}", "stage": "ResponseComplete", "verb": "update",
         "requestURI": f"/api/v1/namespaces/p/{resource}/x", "user": {"username": "alice", "groups": ["g"]},
         "objectRef": {"resource": resource, "namespace": "p", "name": "x"},
         "stageTimestamp": f"2026-12-0{day}T{hour:02d}:00:00.123456Z"}
    if body:
        e["requestObject"] = {"data": "x" * body}
    return e


def write(tmp_path, events, name="audit.log"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events))
    return str(path)


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return str(path)


def replay(*args):
    result = CliRunner().invoke(app, ["replay", *args])
    assert result.exit_code == 0, result.output
    return result


def test_bytes_and_events_per_day_over_the_samples_own_span(policy, tmp_path):
    events = [event(0, "secrets", body=5000, day=1), event(1, "configmaps", body=3000, day=2),
              event(2, "pods", day=3), event(3, "configmaps", day=3)]
    log = write(tmp_path, events)
    cost = json.loads(replay(policy, log, "--cost", "--format", "json").stdout)["cost"]
    assert cost["span"] == {"first": "2026-12-01T00:00:00Z", "last": "2026-12-03T00:00:00Z", "days": 2.0}
    sizes = [len(json.dumps(e, separators=(",", ":"))) for e in events]
    body = len(json.dumps({"data": "x" * 5000}, separators=(",", ":")))
    secret_bytes = sizes[0] - body + 1  # Metadata: the request body is not written; each line ends in \n
    configmap_bytes = sizes[1] + 1 + sizes[3] + 1
    assert cost["total"]["events"] == 3  # the pods event is at level None: not written
    assert cost["total"]["bytes"] == secret_bytes + configmap_bytes
    assert cost["total"]["eventsPerDay"] == 1.5
    rules = {r["rule"]: r for r in cost["rules"]}
    assert rules[0]["bytes"] == secret_bytes and rules[1]["bytes"] == configmap_bytes
    assert rules[1]["bytesPerDay"] == round(configmap_bytes / 2, 1)
    assert sum(r["share"] for r in cost["rules"]) == pytest.approx(1.0, abs=1e-3)
    classes = {(c["verb"], c["resource"]): c["events"] for c in cost["requestClasses"]}
    assert classes == {("update", "secrets"): 1, ("update", "configmaps"): 2}
    assert cost["total"]["moneyPerDay"] is None


def test_request_classes_tell_users_apart_that_the_policy_does_not(policy, tmp_path):
    """Users the policy cannot tell apart (none is named) still fall into their own user classes."""
    users = ["system:node:n1", "alice", "system:serviceaccount:ci:deployer", "system:node:n2", "bob"]
    events = [dict(event(i, "configmaps", hour=i), user={"username": name, "groups": ["g"]})
              for i, name in enumerate(users)]
    cost = json.loads(replay(policy, write(tmp_path, events), "--cost", "--format", "json").stdout)["cost"]
    classes = {c["userClass"]: c["events"] for c in cost["requestClasses"]}
    assert classes == {"kubelet": 2, "user": 2, "serviceaccount:ci": 1}


def test_money_at_a_price_per_gb(policy, tmp_path):
    log = write(tmp_path, [event(0, "configmaps", body=10**6, day=1), event(1, "configmaps", day=2)])
    cost = json.loads(replay(policy, log, "--price-per-gb", "0.5", "--format", "json").stdout)["cost"]
    total = cost["total"]
    assert cost["pricePerGB"] == 0.5
    assert total["moneyPerDay"] == pytest.approx(total["bytesPerDay"] / 1e9 * 0.5, abs=1e-4)
    assert "money/day" in replay(policy, log, "--price-per-gb", "0.5").stdout


def test_a_sample_without_times_has_no_rate(policy, tmp_path):
    events = [event(0, "configmaps"), event(1, "secrets")]
    for e in events:
        del e["stageTimestamp"]
    cost = json.loads(replay(policy, write(tmp_path, events), "--cost", "--format", "json").stdout)["cost"]
    assert cost["span"]["days"] is None and cost["total"]["bytesPerDay"] is None
    assert cost["total"]["events"] == 2


def test_events_over_a_sink_limit_are_counted_as_written(policy, tmp_path):
    big_secret = event(0, "secrets", body=20_000)  # written at Metadata: small
    big_configmap = event(1, "configmaps", body=20_000, day=2)  # written whole: over AKS's 16 KiB
    cost = json.loads(replay(policy, write(tmp_path, [big_secret, big_configmap]), "--cost", "--format",
                             "json").stdout)["cost"]
    over = {s["sink"]: s["events"] for s in cost["overSinkLimit"]}
    assert over == {"CloudWatch Logs (EKS)": 0, "AKS diagnostic settings": 1}


def test_the_manifest_truncation_limit_is_a_sink(policy, tmp_path):
    manifest = tmp_path / "kube-apiserver.yaml"
    manifest.write_text("""apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.31.0
    command: [kube-apiserver, --audit-log-truncate-enabled=true, --audit-log-truncate-max-event-size=2000]
""")
    log = write(tmp_path, [event(0, "configmaps", body=3000), event(1, "configmaps", day=2)])
    cost = json.loads(replay(policy, log, "--cost", "--apiserver-manifest", str(manifest), "--format",
                             "json").stdout)["cost"]
    assert cost["overSinkLimit"][-1] == {"sink": "--audit-log-truncate-max-event-size", "limitBytes": 2000,
                                         "events": 1}


def test_compare_states_the_change_per_day(policy, tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text(POLICY.replace("level: RequestResponse", "level: Metadata"))
    log = write(tmp_path, [event(0, "configmaps", body=10_000, day=1), event(1, "configmaps", day=3)])
    data = json.loads(replay(policy, log, "--compare", str(old), "--price-per-gb", "1", "--format", "json").stdout)
    per_day = data["perDay"]
    assert per_day["days"] == 2.0
    assert per_day["bytesChange"] == pytest.approx((data["estimatedBytes"]["change"]) / 2, abs=0.1)
    assert per_day["moneyChange"] == pytest.approx(per_day["bytesChange"] / 1e9, abs=1e-4)


def test_cost_options_are_checked(policy, tmp_path):
    log = write(tmp_path, [event(0, "configmaps")])
    for args in (["--cost", "--format", "jsonl"], ["--price-per-gb", "-1"]):
        result = CliRunner().invoke(app, ["replay", policy, log, *args])
        assert result.exit_code == 2, args
