"""Managed-cluster exports: every wrapper read from content, deciding exactly as the raw events do;
AKS's 16 KiB cut; GKE's records without groups; compression; --input-format and --max-event-size."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app
from log_wrappers import FORMAT_OF, WRAPPERS, raw

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
  - level: Metadata
    resources: [{group: "", resources: ["secrets", "configmaps"]}]
  - level: None
    nonResourceURLs: ["/healthz*"]
  - level: RequestResponse
    resources: [{group: "rbac.authorization.k8s.io"}]
  - level: Request
"""


def event(audit_id, verb="get", user="alice", groups=("system:authenticated",), ref=None, uri="/api/v1/pods",
          stage="ResponseComplete", **extra):
    out = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": audit_id,
           "stage": stage, "requestURI": uri, "verb": verb, "user": {"username": user, "groups": list(groups)},
           "sourceIPs": ["10.0.0.1"], "userAgent": "kubectl/v1.31"}
    if ref is not None:
        out["objectRef"] = ref
    out.update(extra)
    return out


EVENTS = [
    event("kp", verb="watch", user="system:kube-proxy", ref={"resource": "endpoints", "apiVersion": "v1"}),
    event("sec", ref={"resource": "secrets", "namespace": "prod", "name": "db", "apiVersion": "v1"}),
    event("hz", uri="/healthz?verbose", user="system:anonymous", groups=("system:unauthenticated",)),
    event("rb", verb="create", stage="RequestReceived",
          ref={"apiGroup": "rbac.authorization.k8s.io", "resource": "rolebindings", "namespace": "prod"}),
    event("rb2", verb="create", ref={"apiGroup": "rbac.authorization.k8s.io", "resource": "rolebindings",
                                     "namespace": "prod"}, requestObject={"kind": "RoleBinding"}),
    event("ex", verb="create", stage="ResponseStarted",
          ref={"resource": "pods", "subresource": "exec", "namespace": "prod", "name": "web-1"}),
    event("fail", user=None, ref={"resource": "pods", "namespace": "prod"}),
]
EVENTS[-1]["user"] = {}


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return str(path)


def replay(*args, **kwargs):
    return CliRunner().invoke(app, ["replay", *args], **kwargs)


def decisions(result) -> list[tuple]:
    assert result.exit_code == 0, result.output
    return [tuple(json.loads(line).values()) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("wrapper", sorted(WRAPPERS))
def test_each_wrapper_decides_as_the_raw_events(policy, tmp_path, wrapper):
    expected = decisions(replay(policy, str(_write(tmp_path, "raw.log", raw(EVENTS))), "--format", "jsonl"))
    assert len(expected) == len(EVENTS)
    path = _write(tmp_path, f"{wrapper}.json", WRAPPERS[wrapper](EVENTS))
    assert decisions(replay(policy, str(path), "--format", "jsonl")) == expected
    summary = json.loads(replay(policy, str(path), "--format", "json").stdout)
    fmt = FORMAT_OF.get(wrapper, wrapper)
    assert summary["events"] == len(EVENTS)
    assert summary["formats"][fmt]["events"] == len(EVENTS)
    assert summary["files"][0]["formats"] == {fmt: len(EVENTS)}
    assert summary["badLineCount"] == 0


def test_firehose_control_messages_are_counted_as_skipped(policy, tmp_path):
    path = _write(tmp_path, "s3-object", WRAPPERS["firehose-concatenated"](EVENTS))
    summary = json.loads(replay(policy, str(path), "--format", "json").stdout)
    assert summary["formats"]["cloudwatch-subscription"]["skipped"] == {"CloudWatch control message": 1}


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress], ids=["gz", "bz2", "xz"])
def test_compressed_exports(policy, tmp_path, compress):
    path = _write(tmp_path, "export", compress(WRAPPERS["aks-storage"](EVENTS)))
    summary = json.loads(replay(policy, str(path), "--format", "json").stdout)
    assert summary["formats"]["aks"]["events"] == len(EVENTS)


def test_zstd(policy, tmp_path):
    zstandard = pytest.importorskip("zstandard", reason="zstandard (extra [zstd]) is not installed")
    path = _write(tmp_path, "audit.log.zst", zstandard.ZstdCompressor().compress(raw(EVENTS)))
    assert json.loads(replay(policy, str(path), "--format", "json").stdout)["events"] == len(EVENTS)


def test_stdin(policy):
    result = replay(policy, "-", "--format", "json", input=WRAPPERS["cloudwatch"](EVENTS))
    assert json.loads(result.stdout)["formats"]["cloudwatch"]["events"] == len(EVENTS)


# --- AKS cuts properties.log at 16 KiB ------------------------------------------------------------

def _aks_cut(event_dict) -> bytes:
    text = json.dumps(event_dict, separators=(",", ":"))
    record = {"category": "kube-audit", "properties": {"log": text[:16 * 1024]}}
    return (json.dumps(record) + "\n").encode()


def test_aks_cut_event_with_its_request_attributes_is_decided_and_counted(policy, tmp_path):
    big = event("big", verb="update", ref={"resource": "configmaps", "namespace": "prod", "name": "c"},
                responseStatus={"code": 200}, requestObject={"data": {"k": "x" * 40_000}})
    path = _write(tmp_path, "PT1H.json", _aks_cut(big) + WRAPPERS["aks-storage"](EVENTS[:1]))
    result = replay(policy, str(path), "--format", "json")
    summary = json.loads(result.stdout)
    assert summary["events"] == 2
    assert summary["formats"]["aks"]["truncated"] == 1
    assert summary["badLineCount"] == 0
    assert summary["rules"][1]["events"] == 1  # the configmap rule decided it
    assert "x" * 100 not in result.stdout


def test_aks_cut_before_the_request_attributes_is_skipped_as_cut(policy, tmp_path):
    big = event("big", uri="/api/v1/pods?labelSelector=" + "a" * 40_000, ref={"resource": "pods"})
    path = _write(tmp_path, "PT1H.json", _aks_cut(big) + WRAPPERS["aks-storage"](EVENTS[:1]))
    summary = json.loads(replay(policy, str(path), "--format", "json").stdout)
    assert summary["events"] == 1
    assert summary["formats"]["aks"]["skipped"] == {"cut by the sink, request attributes lost": 1}
    assert summary["badLines"][0]["line"] == 1


# --- GKE: no groups -------------------------------------------------------------------------------

def _gke(method, resource_name, principal="alice@example.com") -> dict:
    return {"insertId": "i", "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
            "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "serviceName": "k8s.io",
                             "methodName": method, "resourceName": resource_name,
                             "authenticationInfo": {"principalEmail": principal}},
            "timestamp": "2026-12-03T10:00:00Z"}


GKE_LOG = [
    _gke("io.k8s.core.v1.secrets.get", "core/v1/namespaces/prod/secrets/db"),
    _gke("io.k8s.core.v1.pods.create", "core/v1/namespaces/prod/pods/web"),
    _gke("io.k8s.core.v1.namespaces.delete", "core/v1/namespaces/prod"),
]


def test_gke_records_are_decided_where_groups_do_not_matter(policy, tmp_path):
    path = _write(tmp_path, "gke.jsonl", "".join(json.dumps(e) + "\n" for e in GKE_LOG).encode())
    summary = json.loads(replay(policy, str(path), "--format", "json").stdout)
    assert summary["formats"]["gke"]["events"] == 3
    assert summary["undecidable"] == 0
    assert summary["rules"][1]["events"] == 1 and summary["rules"][4]["events"] == 2


def test_gke_records_are_undecidable_where_a_userGroups_rule_could_decide(tmp_path):
    policy = tmp_path / "groups.yaml"
    policy.write_text(POLICY.replace("rules:\n", "rules:\n  - level: None\n    userGroups: [\"system:nodes\"]\n"
                                                "    resources: [{group: \"\", resources: [\"pods\"]}]\n"))
    path = _write(tmp_path, "gke.jsonl", "".join(json.dumps(e) + "\n" for e in GKE_LOG).encode())
    result = replay(str(policy), str(path), "--format", "json")
    summary = json.loads(result.stdout)
    assert summary["undecidable"] == 1  # the pod create: logged at Request unless the user is a node
    assert sum(r["events"] for r in summary["rules"]) + summary["unmatched"] == 2
    lines = replay(str(policy), str(path), "--format", "jsonl").stdout.splitlines()
    undecided = [json.loads(x) for x in lines if json.loads(x)["level"] is None]
    assert [x["undecidable"] for x in undecided] == ["undecidable without groups"]
    assert "Undecidable without groups: 1 events" in replay(str(policy), str(path)).stdout


def test_gke_same_outcome_for_every_group_is_decided(tmp_path):
    policy = tmp_path / "groups.yaml"
    policy.write_text(POLICY.replace("rules:\n", "rules:\n  - level: Request\n    userGroups: [\"system:nodes\"]\n"))
    path = _write(tmp_path, "gke.jsonl", (json.dumps(GKE_LOG[1]) + "\n").encode())
    summary = json.loads(replay(str(policy), str(path), "--format", "json").stdout)
    assert summary["undecidable"] == 0 and summary["eventsByLevel"]["Request"] == 1


def test_gke_namespace_objects_carry_their_own_namespace():
    from kube_audit_lint.replay.formats import object_ref

    ref = object_ref("core/v1/namespaces/kube-system")
    assert (ref.resource, ref.name, ref.namespace) == ("namespaces", "kube-system", "kube-system")
    ref = object_ref("core/v1/namespaces/kube-system/finalize")
    assert (ref.resource, ref.subresource, ref.namespace) == ("namespaces", "finalize", "kube-system")
    ref = object_ref("apps/v1/namespaces/prod/deployments/web/scale")
    assert (ref.apiGroup, ref.resource, ref.subresource, ref.name) == ("apps", "deployments", "scale", "web")


# --- options --------------------------------------------------------------------------------------

def test_input_format_keeps_only_that_format(policy, tmp_path):
    path = _write(tmp_path, "mixed.log", raw(EVENTS[:2]) + WRAPPERS["aks-storage"](EVENTS[2:4]))
    summary = json.loads(replay(policy, str(path), "--format", "json", "--input-format", "aks").stdout)
    assert summary["events"] == 2
    assert summary["formats"]["raw"]["skipped"] == {"not the --input-format": 2}
    bad = replay(policy, str(path), "--input-format", "splunk")
    assert bad.exit_code == 2 and "--input-format" in bad.output


def test_an_oversized_line_is_counted_and_the_run_goes_on(policy, tmp_path):
    huge = event("huge", requestObject={"x": "z" * 300_000})
    path = _write(tmp_path, "audit.log", raw([EVENTS[0], huge, EVENTS[1]]))
    summary = json.loads(replay(policy, str(path), "--format", "json", "--max-event-size", "64KiB").stdout)
    assert summary["events"] == 2
    assert summary["formats"]["raw"]["skipped"] == {"oversized line": 1}
    assert summary["badLines"][0]["line"] == 2 and "--max-event-size" in summary["badLines"][0]["message"]
    assert replay(policy, str(path), "--max-event-size", "lots").exit_code == 2


def test_corpus_samples(shared_dir):
    samples = shared_dir / "corpus" / "managed-logs"
    expected = {"aks-diagnostic-kube-audit.json": "aks", "eks-cloudwatch-filter-log-events.json": "cloudwatch",
                "eks-cloudwatch-subscription-payload.json": "cloudwatch-subscription", "eks-inner-event.json": "raw",
                "eks-logs-insights-export.json": "cloudwatch-insights",
                "gke-cloudaudit-logentry-pods-create.json": "gke",
                "gke-cloudaudit-logentry-pods-status-patch.json": "gke", "openshift-otlp-audit-kube.json": "otlp",
                "openshift-viaq-audit-kubernetes.json": "viaq", "raw-audit-k8s-v1.jsonl": "raw"}
    policy = samples.parent / "policies"
    any_policy = sorted(policy.glob("*.yaml"))[0] if policy.is_dir() else None
    assert any_policy is not None
    for name, fmt in expected.items():
        result = CliRunner().invoke(app, ["replay", str(_accepting_policy(samples.parent)), str(samples / name),
                                          "--format", "json"])
        assert result.exit_code == 0, (name, result.output)
        summary = json.loads(result.stdout)
        assert summary["formats"] == {fmt: {"events": 1, "skipped": {}, "truncated": 0}}, name
        explained = CliRunner().invoke(app, ["explain", str(_accepting_policy(samples.parent)),
                                             "--event", f"{samples / name}:1"])
        assert explained.exit_code == 0, (name, explained.output)


def _accepting_policy(corpus):
    return corpus / "policies" / "gke-cos-configure-helper.yaml" if (
        corpus / "policies" / "gke-cos-configure-helper.yaml").exists() else sorted((corpus / "policies").glob("*.yaml"))[0]


def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path
