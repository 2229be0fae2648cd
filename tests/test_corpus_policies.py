"""The real-world policies of ../shared/corpus/policies: read, judged and evaluated like the apiserver.

Expected verdicts come from the policies' own history (see the corpus POLICIES.md): audit.k8s.io/v1beta1
was removed in 1.24, a policy without apiVersion never loads, OpenShift's ``resource:`` typo is an
unknown field the apiserver drops.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app
from kube_audit_lint.engine.evaluate import evaluate
from kube_audit_lint.engine.explain import explain
from kube_audit_lint.engine.request import Request
from kube_audit_lint.policy.load import apiserver_read, lint_read
from kube_audit_lint.policy.validate import apiserver_verdict
from kube_audit_lint.policy.yamlnodes import parse_documents

V1BETA1 = {"eks-anywhere.yaml", "eks-best-practices-v1beta1.yaml", "falco-examples-v1beta1.yaml",
           "k8s-audit-log-inspector-all.yaml", "k8s-audit-log-inspector-gke.yaml"}
NO_API_VERSION = {"gce-configure-helper-2017.yaml", "openshift-clf-example.yaml"}
RESOURCE_TYPO = {"openshift-allrequestbodies.yaml", "openshift-oauth.yaml", "openshift-writerequestbodies.yaml"}
KUBE_VERSIONS = [(1, 22), (1, 25), (1, 36)]

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "policies"
NAMES = sorted(p.name for p in CORPUS.glob("*.yaml")) if CORPUS.is_dir() else []

REQUESTS = [
    Request(user="alice", groups=("system:authenticated",), verb="get", resource="secrets", namespace="default", name="db"),
    Request(user="alice", groups=("system:authenticated",), verb="create", resource="pods", subresource="exec",
            namespace="default", name="web"),
    Request(user="system:kube-proxy", groups=("system:authenticated",), verb="watch", resource="endpoints"),
    Request(user="system:node:n1", groups=("system:nodes",), verb="patch", resource="nodes", subresource="status", name="n1"),
    Request(user="bob", groups=("system:authenticated",), verb="update", api_group="rbac.authorization.k8s.io",
            resource="clusterroles", name="admin"),
    Request(user="bob", verb="get", resource_request=False, path="/healthz/etcd"),
    Request(user=None, verb="get", resource_request=False, path="/api"),
]


@pytest.fixture
def corpus(corpus_policies) -> Path:
    return corpus_policies


def path_of(corpus: Path, name: str) -> str:
    return str(corpus / name)


def test_the_corpus_has_the_policies_these_tests_expect(corpus):
    names = {p.name for p in corpus.glob("*.yaml")}
    assert V1BETA1 | NO_API_VERSION | RESOURCE_TYPO <= names
    assert len(names) >= 30


@pytest.mark.parametrize("name", NAMES)
def test_every_policy_reads_both_ways_without_a_crash(corpus, name):
    for kube in KUBE_VERSIONS:
        apiserver = apiserver_read(path_of(corpus, name), kube)
        assert len(apiserver.verdicts) == 1
        lint = lint_read(path_of(corpus, name), kube)
        assert lint.verdicts, f"{name}: lint found no policy document"


@pytest.mark.parametrize("name", NAMES)
def test_verdict_on_1_36(corpus, name):
    verdict = apiserver_read(path_of(corpus, name), (1, 36)).verdicts[0]
    if name in V1BETA1:
        assert [p.message for p in verdict.errors] == [
            'failed decoding: no kind "Policy" is registered for version "audit.k8s.io/v1beta1"']
    elif name in NO_API_VERSION:
        assert [p.message for p in verdict.errors] == [
            "unknown group version field audit.k8s.io/__internal, Kind=Policy in policy"]
    else:
        assert verdict.accepted, [p.render() for p in verdict.errors]
        assert verdict.policy.rules


@pytest.mark.parametrize("name", NAMES)
def test_verdict_on_1_23(corpus, name):
    verdict = apiserver_read(path_of(corpus, name), (1, 23)).verdicts[0]
    assert verdict.accepted is (name not in NO_API_VERSION)
    if name in V1BETA1:
        assert [p.kind for p in verdict.warnings] == ["version"]
        assert "is deprecated and will be removed in a future release" in verdict.warnings[0].message


@pytest.mark.parametrize("name", sorted(RESOURCE_TYPO))
def test_openshift_resource_typo_is_an_unknown_field(corpus, name):
    new = apiserver_read(path_of(corpus, name), (1, 26)).verdicts[0]
    assert new.accepted
    assert [p.path for p in new.warnings] == [("rules", 2, "resources", 4, "resource")]
    assert new.warnings[0].message == ("Audit policy contains errors, falling back to lenient decoding: strict "
                                       'decoding error: unknown field "rules[2].resources[4].resource"')
    old = apiserver_read(path_of(corpus, name), (1, 25)).verdicts[0]
    assert old.accepted and "logs nothing" in old.warnings[0].message
    # the entry lost its resources, so it covers the whole machineconfiguration.openshift.io group
    entry = new.policy.rules[2].resources[4]
    assert entry.group == "machineconfiguration.openshift.io" and entry.resources == ()


def test_versioned_group_names_of_the_2017_gce_policy_are_refused_once_it_has_an_api_version(corpus):
    text = "apiVersion: audit.k8s.io/v1\nkind: Policy\n" + (corpus / "gce-configure-helper-2017.yaml").read_text()
    verdict = apiserver_verdict(parse_documents("gce.yaml", text)[0])
    groups = {p.message.split('"')[1] for p in verdict.errors}
    assert {p.field_path for p in verdict.errors} == {"rules[9].resources.group", "rules[10].resources.group"}
    assert "apps/v1beta1" in groups and "extensions/v1beta1" in groups


def test_falco_core_group_deployments_loads(corpus):
    # "deployments" under group "" is a real mistake the apiserver accepts: the linter's job
    verdict = apiserver_read(path_of(corpus, "falco-k8saudit-plugin.yaml")).verdicts[0]
    assert verdict.accepted
    assert verdict.policy.rules[0].resources[0].resources == ("pods", "deployments")
    real = Request(user="u", verb="create", api_group="apps", resource="deployments", namespace="ns")
    core = Request(user="u", verb="create", api_group="", resource="deployments", namespace="ns")
    assert evaluate(verdict.policy, real).rule != 0 and evaluate(verdict.policy, core).rule == 0


@pytest.mark.parametrize("name", NAMES)
def test_every_policy_evaluates_and_explains_consistently(corpus, name):
    policy = apiserver_read(path_of(corpus, name)).verdicts[0].policy
    for request in REQUESTS:
        decision = evaluate(policy, request)
        explanation = explain(policy, request)
        assert explanation.decision == decision
        assert len(explanation.mismatches) == (len(policy.rules) if decision.rule is None else decision.rule)


def test_corpus_events_evaluate_against_every_loadable_policy(shared_dir, corpus):
    from kube_audit_lint.replay.events import event_to_request

    events_dir = shared_dir / "corpus" / "events"
    requests = []
    for log in sorted(events_dir.glob("*.jsonl")):
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                requests.append(event_to_request(json.loads(line)))
            except ValueError:
                continue  # not every line of the corpus logs is an event
    assert len(requests) > 500
    policies = [apiserver_read(path_of(corpus, n)).verdicts[0] for n in NAMES]
    for verdict in (v for v in policies if v.accepted):
        levels = {evaluate(verdict.policy, request).level for request in requests}
        assert levels  # every request got a decision


# --- the validate command on the corpus ---------------------------------------------------------

def validate(*args: str):
    return CliRunner().invoke(app, ["validate", *args])


def test_validate_exit_code_on_the_whole_corpus_is_1(corpus):
    result = validate(*(path_of(corpus, n) for n in NAMES))
    assert result.exit_code == 1
    refused = {line.split(":")[0].rsplit("/", 1)[-1] for line in result.stdout.splitlines()
               if line.endswith("would refuse this policy (1 error)")}
    assert refused == V1BETA1 | NO_API_VERSION


def test_validate_exit_code_on_loadable_corpus_policies_is_0(corpus):
    loadable = [path_of(corpus, n) for n in NAMES if n not in V1BETA1 | NO_API_VERSION]
    result = validate(*loadable)
    assert result.exit_code == 0
    assert result.stdout.count("would load this policy") == len(loadable)


def test_validate_v1beta1_policies_by_release(corpus):
    paths = [path_of(corpus, n) for n in sorted(V1BETA1)]
    assert validate("--kube-version", "1.23", *paths).exit_code == 0
    assert validate("--kube-version", "1.24", *paths).exit_code == 1


def test_validate_json_on_the_typo_policy(corpus):
    result = validate("--format", "json", path_of(corpus, "openshift-writerequestbodies.yaml"))
    assert result.exit_code == 0
    problems = json.loads(result.stdout)["files"][0]["problems"]
    assert [(p["severity"], p["kind"]) for p in problems] == [("warning", "unknown-field")]
