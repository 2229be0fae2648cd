"""The README's commands, run as a user would copy them, in a workspace holding the files they name."""

from __future__ import annotations

import gzip
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import log_wrappers

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NEEDS_A_CLUSTER = ("s3a://", "gs://", "spark://", "hdfs://")


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.split("  #", 1)[0].strip()
            if line.startswith("kube-audit-lint ") and not any(word in line for word in NEEDS_A_CLUSTER):
                commands.append(line)
    return commands


def event(i: int) -> str:
    return json.dumps({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": f"id-{i}",
                       "stage": "ResponseComplete", "verb": "get", "requestURI": "/api/v1/namespaces/default/pods",
                       "user": {"username": "alice", "groups": ["system:authenticated"]},
                       "objectRef": {"resource": "pods", "namespace": "default", "apiVersion": "v1"}}) + "\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """The files the README's commands name: policies, logs, a manifest, a git history."""
    work = tmp_path_factory.mktemp("readme")
    policy = (REPO / "examples" / "audit-policy.yaml").read_text()
    for name in ("policy.yaml", "new-policy.yaml", "audit-policy.yaml", "my-policy.yaml", "old.yaml", "new.yaml"):
        (work / name).write_text(policy)
    (work / "policies").mkdir()
    (work / "policies" / "audit-policy.yaml").write_text(policy)
    (work / "examples").mkdir()
    for name in ("audit-policy.yaml", "audit-policy.audit-test.yaml"):  # the policy unit tests' example
        (work / "examples" / name).write_text((REPO / "examples" / name).read_text())
    log = "".join(event(i) for i in range(50))
    (work / "audit.log").write_text(log)
    for name in ("audit-1.log.gz", "audit.log.gz"):
        (work / name).write_bytes(gzip.compress(log.encode()))
    events = [json.loads(line) for line in log.splitlines()]
    (work / "eks.json").write_bytes(log_wrappers.cloudwatch(events))
    (work / "PT1H.json").write_bytes(log_wrappers.aks_storage(events))
    (work / "gke.json").write_text(json.dumps([
        {"insertId": f"i{i}", "timestamp": "2026-12-03T10:00:00Z",
         "protoPayload": {"serviceName": "k8s.io", "methodName": "io.k8s.core.v1.pods.list",
                          "resourceName": "core/v1/namespaces/default/pods",
                          "authenticationInfo": {"principalEmail": "alice@example.com"}}} for i in range(5)]))
    manifest = ("apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver, namespace: kube-system}\nspec:\n"
                "  containers:\n  - name: kube-apiserver\n    command: [kube-apiserver, --audit-policy-file=/etc/kubernetes/audit-policy.yaml,"
                " --audit-log-path=/var/log/audit.log]\n")
    (work / "kube-apiserver.yaml").write_text(manifest)
    for command in (["init", "-q", "-b", "main"], ["add", "-A"],
                    ["-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "policy"],
                    ["update-ref", "refs/remotes/origin/main", "HEAD"]):
        subprocess.run(["git", *command], cwd=work, check=True, capture_output=True)
    return work


def test_the_readme_has_commands_to_run():
    assert len(readme_commands()) >= 10


@pytest.mark.parametrize("command", readme_commands())
def test_a_readme_command_runs_as_written(workspace, command):
    if " sql " in command or "--engine duckdb" in command:
        pytest.importorskip("sqlglot", reason="the sql extra is not installed (pip install '.[sql,duckdb]')")
    if "--engine duckdb" in command:
        pytest.importorskip("duckdb", reason="the duckdb extra is not installed")
    args = shlex.split(command.split(" > ", 1)[0])
    args = [arg.replace("/etc/kubernetes/manifests/", "") for arg in args]
    result = subprocess.run([str(BIN / args[0]), *args[1:]], cwd=workspace, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode in (0, 1), f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
