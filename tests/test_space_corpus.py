"""The request-space analysis on the real-world policies of the corpus."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kube_audit_lint.engine.evaluate import evaluate, rule_matches
from kube_audit_lint.engine.space import RequestSpace, Selector
from kube_audit_lint.policy.load import lint_read
from kube_audit_lint.policy.model import Level

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "policies"
CORPUS_FILES = sorted(CORPUS.glob("*.y*ml")) if CORPUS.is_dir() else []

SELECTORS = [
    {},
    {"resources": [{"group": "", "resources": ["secrets", "configmaps", "serviceaccounts/token"]}]},
    {"resources": [{"group": "", "resources": ["pods/exec", "pods/attach", "pods/portforward"]}]},
    {"resources": [{"group": "rbac.authorization.k8s.io"}], "verbs": ["create", "update", "patch", "delete"]},
    {"nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version"]},
    {"authenticated": False},
    {"userGroups": ["system:nodes"], "resources": [{"group": "*", "resources": ["*"]}]},
]


def corpus_policy(name: str):
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"../shared not present: {path}")
    return lint_read(str(path)).verdicts[0].policy


@pytest.mark.skipif(not CORPUS_FILES, reason=f"../shared not present: {CORPUS}")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_analysis_runs_and_every_witness_verifies(path):
    for verdict in lint_read(str(path)).verdicts:
        policy = verdict.policy
        space = RequestSpace(policy)
        for rule in policy.rules:
            matched = space.can_match(rule.index)
            if matched is not None:
                assert rule_matches(rule, matched)
            witness = space.reachable(rule.index)
            if witness is not None:
                assert evaluate(policy, witness).rule == rule.index
                assert space.shadowed_by(rule.index) == ()
            elif matched is not None:
                shadow = space.shadowed_by(rule.index)
                assert shadow and all(j < rule.index for j in shadow)
        for data in SELECTORS:
            selector = Selector.from_mapping(data)
            outcomes = space.outcomes(selector)
            assert outcomes, data  # every selector here holds requests
            rules = [o.rule for o in outcomes]
            assert rules == sorted(rules, key=lambda r: (r is None, r or 0))
            for outcome in outcomes:
                assert selector.contains(outcome.witness)
                decision = evaluate(policy, outcome.witness)
                assert decision.rule == outcome.rule and decision.level is outcome.level


def test_gce_policy_every_rule_reachable_and_secrets_at_metadata():
    policy = corpus_policy("gce-configure-helper.yaml")
    space = RequestSpace(policy)
    assert all(space.reachable(rule.index) is not None for rule in policy.rules)
    secrets = Selector.from_mapping({"resources": [{"group": "", "resources": ["secrets"]}]})
    # only namespace-controller's deletecollection (Request, rule 12) logs a body for secrets
    assert [(o.rule, o.level) for o in space.outcomes(secrets)] == [(12, Level.REQUEST), (13, Level.METADATA)]
    assert space.outcomes(secrets)[0].witness.verb == "deletecollection"
    health = Selector.from_mapping({"nonResourceURLs": ["/healthz*", "/version"]})
    assert [o.level for o in space.outcomes(health)] == [Level.NONE]
    assert [o.rule for o in space.outcomes()][-1] == 16  # the catch-all: no request escapes


def test_eks_policy_every_rule_reachable_and_aws_auth_create_not_at_request_response():
    policy = corpus_policy("eks-best-practices-as-v1.yaml")
    space = RequestSpace(policy)
    assert all(space.reachable(rule.index) is not None for rule in policy.rules)
    def aws_auth(verb):
        return Selector.from_mapping({"verbs": [verb], "namespaces": ["kube-system"], "resources": [
            {"group": "", "resources": ["configmaps"], "resourceNames": ["aws-auth"]}]})

    assert [(o.rule, o.level) for o in space.outcomes(aws_auth("update"))] == [(0, Level.REQUEST_RESPONSE)]
    # the resourceNames rule does not list create, so creating aws-auth falls to a later rule
    assert Level.REQUEST_RESPONSE not in space.levels(aws_auth("create"))


def test_openshift_clf_rule_shadowed_by_the_control_plane_read_rule():
    policy = corpus_policy("openshift-clf-example.yaml")
    space = RequestSpace(policy)
    unreachable = [r.index for r in policy.rules if space.reachable(r.index) is None]
    assert unreachable == [2, 6, 7, 13]
    assert space.shadowed_by(2) == (1,)
    # rules that need a "*" in a group or user name match nothing the apiserver receives
    assert [r.index for r in policy.rules if space.can_match(r.index) is None] == [6, 7, 13]


def test_falco_core_group_deployments_matches_no_request():
    policy = corpus_policy("falco-k8saudit-plugin.yaml")
    space = RequestSpace(policy)
    for rule in policy.rules:
        for entry in rule.resources:
            if entry.group == "" and "deployments" in entry.resources:
                selector = Selector.from_mapping({"resources": [{"group": "", "resources": ["deployments"]}]})
                # the core group serves no deployments (kubernetes-resources.yaml): no request exists
                assert space.outcomes(selector) == []
                return
    pytest.fail("the falco policy no longer names deployments under the core group")


@pytest.mark.parametrize("name", ["gce-configure-helper.yaml", "eks-best-practices-as-v1.yaml"])
def test_reference_policies_analyse_well_under_a_second(name):
    policy = corpus_policy(name)
    start = time.perf_counter()
    space = RequestSpace(policy)
    for rule in policy.rules:
        space.reachable(rule.index)
    for data in SELECTORS * 2:
        space.outcomes(Selector.from_mapping(data))
    assert time.perf_counter() - start < 0.5
