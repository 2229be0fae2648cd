"""Reading exactly what kube-apiserver reads: type meta keys in any case, the first document of a
file, and the apiserver manifest checked once per run."""

from __future__ import annotations

import json

import pytest


POLICY = "omitStages: [RequestReceived]\nrules:\n- level: Metadata\n  nonResourceURLs: ['/healthz*']\n- level: Metadata\n"



@pytest.mark.parametrize("header", ["APIVersion: audit.k8s.io/v1\nKIND: Policy\n", "apiversion: audit.k8s.io/v1\nKind: Policy\n"])
def test_type_meta_keys_in_any_case_are_read_as_the_apiserver_reads_them(cli, tmp_path, header):
    """The type is found with Go's encoding/json, which matches keys case-insensitively; the
    strict decoder then warns about the keys it does not know (``APIVersion`` is not ``apiVersion``)."""
    path = tmp_path / "policy.yaml"
    path.write_text(header + POLICY)
    code, out, _ = cli("validate", str(path))
    assert code == 0 and "would load this policy (2 rules)" in out
    code, out, _ = cli("lint", str(path), "--format", "json", "--select", "KAL001,KAL002")
    findings = json.loads(out)["findings"]
    assert [f["code"] for f in findings] == ["KAL002", "KAL002"] and all(f["severity"] == "warning" for f in findings)


GARBAGE_AFTER = "apiVersion: audit.k8s.io/v1\nkind: Policy\n" + POLICY + "---\n: : [garbage\n"


def test_garbage_after_the_first_document_is_a_warning_in_lint_validate_and_replay(cli, tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(GARBAGE_AFTER)
    code, out, _ = cli("lint", str(path), "--format", "json")
    findings = json.loads(out)["findings"]
    tail = [f for f in findings if f["code"] == "KAL001"]
    assert len(tail) == 1 and tail[0]["severity"] == "warning" and tail[0]["line"] == 10
    assert "never reads past the first document" in tail[0]["message"]
    assert any(f["code"] != "KAL001" for f in findings)  # the first document was linted
    code, out, err = cli("validate", str(path))
    assert code == 0 and "warning: invalid YAML" in out and "never reads past the first document" in out
    log = tmp_path / "audit.log"
    log.write_text(json.dumps({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": "a",
                               "stage": "ResponseComplete", "verb": "get", "requestURI": "/healthz",
                               "user": {"username": "alice", "groups": ["system:authenticated"]}}) + "\n")
    code, out, err = cli("replay", str(path), str(log), "--format", "jsonl")
    assert code == 0 and json.loads(out)["rule"] == 0
    assert "never reads past the first document" in err


MANIFEST = """\
apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
  - name: kube-apiserver
    command: [kube-apiserver, --audit-log-maxage=1]
"""


def test_apiserver_manifest_findings_appear_once_per_run(cli, tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\n" + POLICY)
    (tmp_path / "manifest.yaml").write_text(MANIFEST)
    code, out, _ = cli("lint", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"),
                       "--apiserver-manifest", str(tmp_path / "manifest.yaml"), "--format", "json",
                       "--select", "KAL060,KAL061,KAL062")
    codes = [f["code"] for f in json.loads(out)["findings"]]
    assert sorted(codes) == ["KAL060", "KAL061"], codes
