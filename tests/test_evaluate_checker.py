"""First-match evaluation, behaviour by behaviour, as kube-apiserver's policy checker decides.

Source: kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/audit/policy/checker.go
(EvaluatePolicyRule, ruleMatches, ruleMatchesNonResource, pathMatches, ruleMatchesResource,
hasString, isOmitManagedFields, unionStages via NewPolicyRuleEvaluator).
"""

from __future__ import annotations

import textwrap

import pytest

from kube_audit_lint.engine.evaluate import evaluate, path_matches, resource_matches
from kube_audit_lint.engine.request import Request
from kube_audit_lint.policy.model import Level
from kube_audit_lint.policy.validate import apiserver_verdict
from kube_audit_lint.policy.yamlnodes import parse_documents

HEADER = "apiVersion: audit.k8s.io/v1\nkind: Policy\n"


def policy(rules: str, extra: str = "", kube=(1, 36)):
    text = HEADER + extra + "rules:\n" + textwrap.indent(textwrap.dedent(rules), "  ")
    verdict = apiserver_verdict(parse_documents("p.yaml", text)[0], kube)
    assert verdict.accepted, [p.render() for p in verdict.problems]
    return verdict.policy


def resource(verb="get", resource="pods", subresource="", group="", namespace="default", name="", user="alice",
             groups=("system:authenticated",)):
    return Request(user=user, groups=tuple(groups), verb=verb, resource_request=True, api_group=group,
                   resource=resource, subresource=subresource, namespace=namespace, name=name)


def non_resource(path="/healthz", verb="get", user="alice", groups=("system:authenticated",)):
    return Request(user=user, groups=tuple(groups), verb=verb, resource_request=False, path=path)


def rule_for(p, request, kube=None):
    return evaluate(p, request, kube).rule


# --- EvaluatePolicyRule -------------------------------------------------------------------------

def test_first_matching_rule_wins():
    p = policy("- level: None\n  verbs: [get]\n- level: RequestResponse\n  verbs: [get]\n- level: Metadata\n")
    decision = evaluate(p, resource())
    assert (decision.rule, decision.level) == (0, Level.NONE)


def test_no_match_is_level_none_with_the_policy_settings():
    # DefaultAuditLevel with p.OmitStages and p.OmitManagedFields
    p = policy("- level: Metadata\n  verbs: [delete]\n", "omitStages: [RequestReceived]\nomitManagedFields: true\n")
    decision = evaluate(p, resource())
    assert decision.rule is None and decision.level is Level.NONE
    assert decision.omit_stages == {"RequestReceived"} and decision.omit_managed_fields is True
    assert not decision.logs("ResponseComplete")


def test_rule_with_only_a_level_matches_every_request():
    p = policy("- level: Metadata\n")
    for request in (resource(), non_resource(), resource(user=None, groups=()), non_resource(user=None, groups=())):
        assert rule_for(p, request) == 0


# --- ruleMatches: users, userGroups, verbs (hasString: exact, case-sensitive) ------------------

@pytest.mark.parametrize("user, matches", [
    ("alice", True), ("Alice", False), ("alice ", False), ("system:node:n1", False), ("", False)])
def test_users_match_exactly(user, matches):
    p = policy("- level: None\n  users: [alice, 'system:node-*']\n")
    assert (rule_for(p, resource(user=user)) == 0) is matches


def test_user_wildcards_are_literal():
    p = policy("- level: None\n  users: ['system:node-*', '*']\n")
    assert rule_for(p, resource(user="system:node-1")) is None
    assert rule_for(p, resource(user="*")) == 0


def test_rules_with_users_or_groups_never_match_an_unauthenticated_request():
    # ruleMatches: user == nil -> false whenever Users or UserGroups is set (kubernetes#59398, 1.10)
    p = policy("- level: None\n  users: ['']\n- level: None\n  userGroups: ['']\n- level: Metadata\n")
    assert rule_for(p, resource(user=None, groups=())) == 2
    assert rule_for(p, resource(user="", groups=("",))) == 0


def test_user_groups_match_when_any_group_is_listed():
    p = policy("- level: None\n  userGroups: ['system:nodes', 'system:masters']\n")
    assert rule_for(p, resource(groups=("system:authenticated", "system:masters"))) == 0
    assert rule_for(p, resource(groups=("system:authenticated",))) is None
    assert rule_for(p, resource(groups=())) is None
    assert rule_for(p, resource(groups=("System:Nodes",))) is None


@pytest.mark.parametrize("verb, matches", [("get", True), ("GET", False), ("list", False), ("*", False)])
def test_verbs_match_exactly(verb, matches):
    p = policy("- level: None\n  verbs: [get, watch]\n")
    assert (rule_for(p, resource(verb=verb)) == 0) is matches


def test_every_field_must_match():
    p = policy("- level: None\n  users: [alice]\n  verbs: [get]\n  resources: [{group: '', resources: [pods]}]\n")
    assert rule_for(p, resource()) == 0
    assert rule_for(p, resource(user="bob")) is None
    assert rule_for(p, resource(verb="list")) is None
    assert rule_for(p, resource(resource="secrets")) is None


# --- ruleMatchesResource -----------------------------------------------------------------------

def test_wildcard_resource_matches_resources_and_subresources_in_its_group():
    p = policy("- level: None\n  resources: [{group: '', resources: ['*']}]\n")
    assert rule_for(p, resource(resource="pods")) == 0
    assert rule_for(p, resource(resource="pods", subresource="exec")) == 0
    assert rule_for(p, resource(resource="deployments", group="apps")) is None


def test_resource_slash_star_matches_subresources_and_the_resource_itself():
    # `resource == strings.TrimSuffix(res, "/*")` with no subresource check: plain pods matches too
    p = policy("- level: None\n  resources: [{group: '', resources: ['pods/*']}]\n")
    assert rule_for(p, resource(subresource="log")) == 0
    assert rule_for(p, resource(subresource="exec")) == 0
    assert rule_for(p, resource()) == 0
    assert rule_for(p, resource(resource="podtemplates")) is None


def test_star_slash_subresource_matches_that_subresource_of_any_resource_in_the_group():
    p = policy("- level: None\n  resources: [{group: apps, resources: ['*/status']}]\n")
    assert rule_for(p, resource(group="apps", resource="deployments", subresource="status")) == 0
    assert rule_for(p, resource(group="apps", resource="statefulsets", subresource="status")) == 0
    assert rule_for(p, resource(group="apps", resource="deployments")) is None
    assert rule_for(p, resource(group="apps", resource="deployments", subresource="scale")) is None
    assert rule_for(p, resource(resource="pods", subresource="status")) is None  # core group


def test_star_slash_star_matches_nothing_real():
    # "*/*": not "*", its "*/" suffix would need the subresource "*", its "/*" prefix the resource "*"
    p = policy("- level: None\n  resources: [{group: '', resources: ['*/*']}]\n")
    for request in (resource(), resource(subresource="log"), resource(resource="secrets", name="x")):
        assert rule_for(p, request) is None
    assert rule_for(p, resource(resource="*", subresource="x")) == 0  # only a resource literally named "*"


def test_a_resource_does_not_match_its_subresources():
    p = policy("- level: None\n  resources: [{group: '', resources: [pods]}]\n")
    assert rule_for(p, resource()) == 0
    assert rule_for(p, resource(subresource="log")) is None
    assert rule_for(p, resource(subresource="exec")) is None


def test_a_subresource_does_not_match_its_resource():
    p = policy("- level: None\n  resources: [{group: '', resources: [pods/log]}]\n")
    assert rule_for(p, resource(subresource="log")) == 0
    assert rule_for(p, resource()) is None


def test_resource_names_are_case_sensitive_and_untrimmed():
    p = policy("- level: None\n  resources: [{group: '', resources: [Pods, ' pods']}]\n")
    assert rule_for(p, resource()) is None


def test_group_is_exact_and_empty_means_core():
    p = policy("- level: None\n  resources: [{group: '', resources: [deployments]}]\n")
    assert rule_for(p, resource(group="apps", resource="deployments")) is None
    assert rule_for(p, resource(group="", resource="deployments")) == 0


def test_empty_resources_under_a_group_match_everything_in_that_group():
    p = policy("- level: None\n  resources: [{group: rbac.authorization.k8s.io}]\n")
    assert rule_for(p, resource(group="rbac.authorization.k8s.io", resource="roles")) == 0
    assert rule_for(p, resource(group="rbac.authorization.k8s.io", resource="roles", subresource="x")) == 0
    assert rule_for(p, resource(group="", resource="roles")) is None


def test_resource_names_match_the_request_name():
    p = policy("- level: None\n  resources: [{group: '', resources: [configmaps], resourceNames: [aws-auth]}]\n")
    assert rule_for(p, resource(resource="configmaps", name="aws-auth", verb="update")) == 0
    assert rule_for(p, resource(resource="configmaps", name="other")) is None
    # a create (or list) carries no name, so resourceNames never match it
    assert rule_for(p, resource(resource="configmaps", name="", verb="create")) is None


def test_resource_names_are_scoped_to_their_entry():
    p = policy("""\
        - level: None
          resources:
          - {group: '', resources: [configmaps], resourceNames: [a]}
          - {group: '', resources: [secrets]}
        """)
    assert rule_for(p, resource(resource="secrets", name="b")) == 0
    assert rule_for(p, resource(resource="configmaps", name="b")) is None
    assert rule_for(p, resource(resource="configmaps", name="a")) == 0


@pytest.mark.parametrize("namespace, matches", [("", True), ("kube-system", True), ("default", False),
                                                ("Kube-System", False)])
def test_namespaces_match_exactly_and_empty_string_is_cluster_scoped(namespace, matches):
    p = policy("- level: None\n  namespaces: ['', kube-system]\n")
    assert (rule_for(p, resource(namespace=namespace)) == 0) is matches


def test_rules_with_namespaces_or_resources_never_match_non_resource_requests():
    p = policy("- level: None\n  namespaces: ['']\n- level: None\n  resources: [{group: ''}]\n- level: Metadata\n")
    assert rule_for(p, non_resource()) == 2


# --- ruleMatchesNonResource / pathMatches ------------------------------------------------------

def test_non_resource_url_rules_never_match_resource_requests():
    p = policy("- level: None\n  nonResourceURLs: ['*']\n- level: Metadata\n")
    assert rule_for(p, resource()) == 1
    assert rule_for(p, non_resource("/anything")) == 0


@pytest.mark.parametrize("path, spec, matches", [
    ("/healthz", "/healthz", True),
    ("/healthz/etcd", "/healthz", False),
    ("/healthz/etcd", "/healthz*", True),
    ("/healthzXYZ", "/healthz*", True),
    ("/healthz", "/healthz/*", False),
    ("/apis/apps/v1", "/api*", True),
    ("/api", "/api*", True),
    ("/anything", "*", True),
    ("/Healthz", "/healthz", False),
    ("/healthz", "/healthz ", False),
    ("/apis", "/api**", True),  # strings.TrimRight strips every trailing *
])
def test_path_matches(path, spec, matches):
    assert path_matches(path, spec) is matches


def test_non_resource_rule_checks_verbs_too():
    p = policy("- level: None\n  verbs: [get]\n  nonResourceURLs: [/metrics]\n")
    assert rule_for(p, non_resource("/metrics")) == 0
    assert rule_for(p, non_resource("/metrics", verb="post")) is None


# --- resource_matches on its own (one pattern against one request) -----------------------------

@pytest.mark.parametrize("pattern, res, sub, matches", [
    ("*", "pods", "", True), ("*", "pods", "log", True), ("pods", "pods", "", True),
    ("pods", "pods", "log", False), ("pods/log", "pods", "log", True), ("pods/*", "pods", "", True),
    ("pods/*", "pods", "exec", True), ("*/exec", "pods", "exec", True), ("*/exec", "pods", "", False),
    ("*/*", "pods", "log", False), ("/*", "", "", True),
])
def test_resource_pattern(pattern, res, sub, matches):
    assert resource_matches(pattern, resource(resource=res, subresource=sub)) is matches


# --- group "*" (1.36) ---------------------------------------------------------------------------

def test_wildcard_group_matches_every_group_from_1_36():
    p = policy("- level: None\n  resources: [{group: '*', resources: ['*/status']}]\n")
    assert rule_for(p, resource(group="apps", resource="deployments", subresource="status"), (1, 36)) == 0
    assert rule_for(p, resource(group="", resource="pods", subresource="status"), (1, 36)) == 0
    assert rule_for(p, resource(group="apps", resource="deployments"), (1, 36)) is None


def test_wildcard_group_is_a_literal_name_before_1_36():
    p = policy("- level: None\n  resources: [{group: '*'}]\n")
    assert rule_for(p, resource(group="apps", resource="deployments"), (1, 35)) is None


# --- the decision: stages and managed fields ---------------------------------------------------

def test_omit_stages_are_the_union_of_policy_and_rule():
    p = policy("- level: Metadata\n  omitStages: [ResponseStarted]\n", "omitStages: [RequestReceived]\n")
    decision = evaluate(p, resource())
    assert decision.omit_stages == {"RequestReceived", "ResponseStarted"}
    assert decision.logs("ResponseComplete") and not decision.logs("RequestReceived")


def test_a_rule_cannot_re_enable_a_stage_the_policy_omits():
    p = policy("- level: Metadata\n  omitStages: []\n", "omitStages: [RequestReceived]\n")
    assert evaluate(p, resource()).omit_stages == {"RequestReceived"}


@pytest.mark.parametrize("policy_value, rule_value, expected", [
    ("false", None, False), ("true", None, True), ("true", "false", False), ("false", "true", True)])
def test_omit_managed_fields_rule_overrides_policy(policy_value, rule_value, expected):
    # isOmitManagedFields: the rule's *bool when set, else the policy default
    rule = "- level: Request\n" + (f"  omitManagedFields: {rule_value}\n" if rule_value else "")
    p = policy(rule, f"omitManagedFields: {policy_value}\n")
    assert evaluate(p, resource()).omit_managed_fields is expected


def test_level_none_logs_no_stage():
    p = policy("- level: None\n")
    assert not any(evaluate(p, resource()).logs(s) for s in ("RequestReceived", "ResponseComplete"))
