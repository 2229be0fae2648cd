"""``replay NEW LOG --compare OLD``: what changes, by how much, and which rules gain or lose traffic."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app
from kube_audit_lint.policy.load import lint_read
from kube_audit_lint.replay.compare import compare_files
from kube_audit_lint.replay.runner import JSONL, Run
from kube_audit_lint.replay.summary import replay_files

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

OLD = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    resources: [{group: "", resources: ["secrets"]}]
  - level: None
    nonResourceURLs: ["/healthz*"]
  - level: RequestResponse
"""
NEW = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-controller-manager"]
  - level: Metadata
    resources: [{group: "", resources: ["secrets"]}]
  - level: None
    nonResourceURLs: ["/healthz*"]
  - level: Metadata
"""


def event(audit_id, verb="get", user="alice", ref=None, uri="/api/v1/pods", stage="ResponseComplete", **extra):
    out = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse", "auditID": audit_id,
           "stage": stage, "requestURI": uri, "verb": verb, "user": {"username": user, "groups": ["g"]}}
    if ref is not None:
        out["objectRef"] = ref
    out.update(extra)
    return out


EVENTS = [
    event("pod-get", ref={"resource": "pods", "namespace": "a", "name": "p"},
          responseObject={"kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": "y" * 100}}),
    event("secret-kcm", user="system:kube-controller-manager", ref={"resource": "secrets", "namespace": "kube-system", "name": "s"}),
    event("lease-kcm", verb="update", user="system:kube-controller-manager",
          ref={"apiGroup": "coordination.k8s.io", "resource": "leases", "namespace": "kube-system", "name": "kcm"},
          requestObject={"kind": "Lease", "spec": {"holder": "kcm"}}),
    event("exec", verb="create", ref={"resource": "pods", "subresource": "exec", "namespace": "a", "name": "p"}),
    event("health", uri="/healthz"),
]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def policy(path):
    return lint_read(path, (1, 36)).verdicts[0].policy


@pytest.fixture
def files(tmp_path):
    log = tmp_path / "audit.log"
    log.write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    return write(tmp_path, "old.yaml", OLD), write(tmp_path, "new.yaml", NEW), str(log)


def test_changes_are_grouped_sensitive_first(files):
    old, new, log = files
    result = compare_files(policy(new), policy(old), [log]).to_dict()
    assert result["events"] == 5
    assert result["logged"] == {"old": 4, "new": 2, "change": -2}
    groups = [(c["sensitive"], c["userClass"], c["verb"], c["resource"], c["events"], c["loggedChange"])
              for c in result["changes"]]
    assert groups == [
        ("pod-exec", "user", "create", "pods/exec", 1, 0),
        ("secrets", "control-plane", "get", "secrets", 1, -1),
        (None, "control-plane", "update", "leases.coordination.k8s.io", 1, -1),
        (None, "user", "get", "pods", 1, 0),
    ]
    assert result["changedEvents"] == 4
    exec_change = result["changes"][0]
    assert exec_change["transitions"] == [{"from": {"level": "RequestResponse", "logged": True},
                                           "to": {"level": "Metadata", "logged": True}, "events": 1}]
    assert exec_change["example"] == {"user": "alice", "groups": ["g"], "verb": "create", "apiGroup": "",
                                      "resource": "pods", "subresource": "exec", "namespace": "a", "name": "p",
                                      "stage": "ResponseComplete", "auditID": "exec"}


def test_volume_counts_bodies_only_where_the_level_keeps_them(files):
    old, new, log = files
    result = compare_files(policy(new), policy(old), [log]).to_dict()
    sizes = {e["auditID"]: len(json.dumps(e)) + 1 for e in EVENTS}
    response = len(json.dumps(EVENTS[0]["responseObject"]))
    request = len(json.dumps(EVENTS[2]["requestObject"]))
    # old: pods, leases, exec at RequestResponse (bodies kept), secrets at Metadata, health not logged
    assert result["estimatedBytes"]["old"] == sizes["pod-get"] + sizes["secret-kcm"] + sizes["lease-kcm"] + sizes["exec"]
    # new: the controller manager is not logged; pods and exec at Metadata lose their bodies
    assert result["estimatedBytes"]["new"] == sizes["pod-get"] - response + sizes["exec"]
    assert result["estimatedBytes"]["change"] == result["estimatedBytes"]["new"] - result["estimatedBytes"]["old"]
    assert request > 0  # the lease's body no longer counts because the event is not logged at all


def test_rules_that_lose_or_gain_traffic(files):
    old, new, log = files
    result = compare_files(policy(new), policy(old), [log]).to_dict()
    # the secrets rule moved (0 -> 1) behind the new controller-manager rule, which takes its only
    # event; the catch-all changed level, so it is a different rule
    no_longer = [(r["level"], r["old"], r["new"]) for r in result["rulesNoLongerUsed"]]
    newly = [(r["level"], r["old"], r["new"]) for r in result["rulesNewlyUsed"]]
    assert no_longer == [("Metadata", {"index": 0, "line": 5, "events": 1}, {"index": 1, "line": 7, "events": 0}),
                         ("RequestResponse", {"index": 2, "line": 9, "events": 3}, None)]
    assert newly == [("None", None, {"index": 0, "line": 5, "events": 2}),
                     ("Metadata", None, {"index": 3, "line": 11, "events": 2})]
    assert result["rulesNoLongerUsed"][0]["rule"] == "Metadata: resources secrets"


def test_same_policy_changes_nothing(files):
    old, _, log = files
    result = compare_files(policy(old), policy(old), [log]).to_dict()
    assert result["changes"] == [] and result["changedEvents"] == 0
    assert result["logged"]["change"] == 0 and result["estimatedBytes"]["change"] == 0
    assert result["rulesNoLongerUsed"] == result["rulesNewlyUsed"] == []


@pytest.mark.parametrize("fmt", ["summary", "markdown", "json"])
def test_cli_formats(files, fmt):
    old, new, log = files
    result = CliRunner().invoke(app, ["replay", new, log, "--compare", old, "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        assert json.loads(result.stdout)["changedEvents"] == 4
    elif fmt == "markdown":
        assert "| Logged events | 4 | 2 | -2 |" in result.stdout
        assert result.stdout.index("**pod-exec**") < result.stdout.index("**secrets**")
    else:
        assert "Logged events: 4 -> 2 (-2)" in result.stdout
        assert "[pod-exec] user create pods/exec: 1 event(s)" in result.stdout


def test_compare_has_no_jsonl(files):
    old, new, log = files
    result = CliRunner().invoke(app, ["replay", new, log, "--compare", old, "--format", "jsonl"])
    assert result.exit_code == 2 and "--compare" in result.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git not on PATH")
def test_compare_with_a_git_revision(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "audit").mkdir(parents=True)
    (repo / "audit" / "policy.yaml").write_text(OLD)
    log = tmp_path / "audit.log"
    log.write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(git + ["add", "."], cwd=repo, check=True)
    subprocess.run(git + ["commit", "-qm", "old policy"], cwd=repo, check=True)
    (repo / "audit" / "policy.yaml").write_text(NEW)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["replay", "audit/policy.yaml", str(log), "--compare", "git:HEAD:audit/policy.yaml",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["comparedWith"] == "git:HEAD:audit/policy.yaml"
    assert data["changedEvents"] == 4
    bad = CliRunner().invoke(app, ["replay", "audit/policy.yaml", str(log), "--compare", "git:nope:audit/policy.yaml"])
    assert bad.exit_code == 2 and "git:nope:audit/policy.yaml" in bad.stderr


def corpus_policy(name):
    path = SHARED / "corpus" / "policies" / name
    if not path.is_file():
        pytest.skip(f"../shared not present: {path}")
    return policy(str(path))


def test_compare_on_corpus_events_matches_two_replays():
    folder = SHARED / "corpus" / "events"
    if not folder.is_dir():
        pytest.skip(f"../shared not present: {folder}")
    logs = [str(p) for p in sorted(folder.glob("*.jsonl"))]
    new, old = corpus_policy("gce-configure-helper.yaml"), corpus_policy("eks-best-practices-as-v1.yaml")
    result = compare_files(new, old, logs, jobs=1).to_dict()
    assert result["logged"]["old"] == replay_files(old, logs).logged
    assert result["logged"]["new"] == replay_files(new, logs).logged

    def outcomes(p):
        out: list[bytes] = []
        Run(JSONL, [p], None, sink=out.append).replay(logs)
        return [(r["level"], r["logged"]) for r in map(json.loads, b"".join(out).splitlines())]

    changed = sum(a != b for a, b in zip(outcomes(old), outcomes(new)))
    assert changed > 0 and result["changedEvents"] == changed
    assert sum(c["events"] for c in result["changes"]) == changed
    sensitive = [c["sensitive"] is not None for c in result["changes"]]
    assert sensitive == sorted(sensitive, reverse=True)  # sensitive groups come first
