"""Nothing leaks: no replay output, in any format, with --compare or not, ever carries a value from
an event's requestObject, responseObject or annotations."""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app

SECRET = "s3cr3t-V4LUE-do-not-print"

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    resources: [{group: "", resources: ["secrets"]}]
  - level: RequestResponse
"""
OLD_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: Metadata
"""


def leaky_events() -> list[dict]:
    body = {"kind": "Secret", "metadata": {"name": "db", "annotations": {"note": SECRET}}, "data": {"password": SECRET}}
    annotations = {"authorization.k8s.io/reason": SECRET, "patch.webhook.admission.k8s.io/round_0_index_0": SECRET}
    refs = [
        {"resource": "secrets", "namespace": "prod", "name": "db"},  # sensitive, not logged: listed by request
        {"resource": "configmaps", "namespace": "prod", "name": "cfg"},
        {"resource": "pods", "subresource": "exec", "namespace": "prod", "name": "web"},
        None,
    ]
    events = []
    for i, ref in enumerate(refs):
        for stage in ("RequestReceived", "ResponseComplete"):
            event = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
                     "auditID": f"id-{i}", "stage": stage, "verb": "update" if ref else "get",
                     "requestURI": "/healthz" if ref is None else "/api/v1/x",
                     "user": {"username": "alice", "groups": ["devs"], "extra": {"token": [SECRET]}},
                     "requestObject": body, "responseObject": body, "annotations": annotations}
            if ref is not None:
                event["objectRef"] = ref
            events.append(event)
    return events


@pytest.fixture
def inputs(tmp_path):
    events = leaky_events()
    text = "".join(json.dumps(e) + "\n" for e in events)
    plain = tmp_path / "audit.log"
    # a line with the secret in a body that is not valid JSON, and one that is not an event
    plain.write_text(text + '{"kind":"Event","requestObject":{"password":"' + SECRET + '"\n' +
                     json.dumps({"kind": "Secret", "data": {"password": SECRET}}) + "\n")
    zipped = tmp_path / "audit.log.gz"
    zipped.write_bytes(gzip.compress(text.encode()))
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps({"kind": "EventList", "items": events}, indent=2))
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    old = tmp_path / "old.yaml"
    old.write_text(OLD_POLICY)
    return str(policy), str(old), [str(plain), str(zipped), str(listed)]


RUNS = [
    ["--format", "summary"], ["--format", "json"], ["--format", "jsonl"], ["--format", "markdown"],
    ["--format", "summary", "--compare"], ["--format", "json", "--compare"], ["--format", "markdown", "--compare"],
    ["--format", "json", "--jobs", "2", "--force-jobs"], ["--format", "summary", "--strict"],
]


@pytest.mark.parametrize("options", RUNS, ids=[" ".join(r) for r in RUNS])
def test_no_output_carries_body_or_annotation_values(inputs, tmp_path, options):
    policy, old, logs = inputs
    args = ["replay", policy, *logs, *options]
    if args[-1] == "--compare":
        args.append(old)
    out_file = tmp_path / "report.out"
    result = CliRunner().invoke(app, args)
    to_file = CliRunner().invoke(app, args + ["--output", str(out_file)])
    assert result.exit_code in (0, 2), result.output
    if "--strict" not in options:
        assert result.exit_code == 0 and result.stdout.strip()
    for text in (result.stdout, result.stderr, to_file.stdout, to_file.stderr,
                 out_file.read_text() if out_file.exists() else ""):
        assert SECRET not in text


def test_the_leak_test_would_see_a_leak(inputs):
    """The planted value is really in the input, and events did reach every output above."""
    policy, _, logs = inputs
    assert SECRET in open(logs[0]).read()
    data = json.loads(CliRunner().invoke(app, ["replay", policy, *logs, "--format", "json"]).stdout)
    assert data["events"] == 24 and data["badLineCount"] == 2
    assert data["sensitiveNotLogged"]["requests"][0]["request"]["name"] == "db"
