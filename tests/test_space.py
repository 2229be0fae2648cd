"""Request-space analysis: every matching subtlety of the apiserver's checker, on small policies."""

from __future__ import annotations

import textwrap

import pytest

from kube_audit_lint.engine.evaluate import evaluate, rule_matches
from kube_audit_lint.engine.request import Request
from kube_audit_lint.engine.space import Outcome, RequestSpace, Selector
from kube_audit_lint.policy.model import GroupResources, Level, decode_policy
from kube_audit_lint.policy.yamlnodes import parse_documents


def policy(rules_yaml: str):
    text = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n" + textwrap.indent(
        textwrap.dedent(rules_yaml).strip("\n"), "  ")
    return decode_policy(parse_documents("policy.yaml", text)[0])


def space(rules_yaml: str, kube_version=None) -> RequestSpace:
    return RequestSpace(policy(rules_yaml), kube_version)


def reachable_rules(s: RequestSpace) -> list[int]:
    return [r.index for r in s.policy.rules if s.reachable(r.index) is not None]


def outcome_rules(s: RequestSpace, selector: dict | None = None) -> list[int | None]:
    return [o.rule for o in s.outcomes(Selector.from_mapping(selector or {}))]


def assert_witnesses_verify(s: RequestSpace, selector: Selector = Selector()) -> None:
    for outcome in s.outcomes(selector):
        assert evaluate(s.policy, outcome.witness, s.kube_version).rule == outcome.rule
        assert selector.contains(outcome.witness)
    for rule in s.policy.rules:
        witness = s.reachable(rule.index)
        if witness is not None:
            assert evaluate(s.policy, witness, s.kube_version).rule == rule.index


# ---- shadowing, by one rule and by several together


def test_rule_shadowed_by_one_earlier_rule():
    s = space("""
        - level: None
          resources: [{group: "", resources: ["pods"]}]
        - level: Metadata
          verbs: ["get"]
          resources: [{group: "", resources: ["pods"]}]
        - level: Metadata
    """)
    assert reachable_rules(s) == [0, 2]
    assert s.shadowed_by(1) == (0,)
    assert s.can_match(1) is not None


def test_rule_shadowed_by_verbs_split_across_earlier_rules():
    s = space("""
        - level: None
          verbs: ["get", "list"]
          resources: [{group: "", resources: ["pods"]}]
        - level: None
          verbs: ["watch"]
          resources: [{group: "", resources: ["pods"]}]
        - level: RequestResponse
          verbs: ["get", "watch"]
          resources: [{group: "", resources: ["pods"]}]
        - level: Request
          resources: [{group: "", resources: ["pods"]}]
    """)
    assert s.reachable(2) is None
    assert s.shadowed_by(2) == (0, 1)
    witness = s.reachable(3)
    assert witness.verb not in ("get", "list", "watch") and witness.resource == "pods"


def test_rule_shadowed_by_group_memberships_together():
    s = space("""
        - level: None
          userGroups: ["a"]
        - level: None
          userGroups: ["b"]
        - level: Metadata
          userGroups: ["a", "b"]
        - level: Request
          userGroups: ["a", "c"]
    """)
    assert s.reachable(2) is None
    assert s.shadowed_by(2) == (0, 1)
    witness = s.reachable(3)
    assert "c" in witness.groups and "a" not in witness.groups and "b" not in witness.groups


def test_group_set_keeps_requests_with_one_group_but_not_another():
    s = space("""
        - level: None
          userGroups: ["system:serviceaccounts"]
        - level: RequestResponse
          userGroups: ["system:authenticated"]
    """)
    witness = s.reachable(1)
    assert witness.groups == ("system:authenticated",)
    assert outcome_rules(s, {"userGroups": ["system:authenticated"]}) == [0, 1]


def test_resource_names_split_across_rules_shadow_the_union():
    s = space("""
        - level: None
          resources: [{group: "", resources: ["configmaps"], resourceNames: ["a"]}]
        - level: None
          resources: [{group: "", resources: ["configmaps"], resourceNames: ["b"]}]
        - level: Metadata
          resources: [{group: "", resources: ["configmaps"], resourceNames: ["a", "b"]}]
        - level: Request
          resources: [{group: "", resources: ["configmaps"]}]
    """)
    assert s.shadowed_by(2) == (0, 1)
    assert s.reachable(3).name not in ("a", "b")


def test_shadowing_set_is_irredundant():
    s = space("""
        - level: None
          verbs: ["get"]
        - level: None
          resources: [{group: "", resources: ["pods"]}]
        - level: None
          verbs: ["list"]
        - level: Metadata
          verbs: ["get", "list"]
          resources: [{group: "", resources: ["pods"]}]
    """)
    assert s.shadowed_by(3) == (1,)


def test_reachable_and_matchable_rule_is_not_shadowed():
    s = space("""
        - level: None
          users: ["alice"]
        - level: Metadata
    """)
    assert s.shadowed_by(1) == ()
    assert s.reachable(1).user != "alice"


# ---- users, verbs, namespaces: exact strings


def test_wildcards_in_users_groups_verbs_and_namespaces_match_no_request():
    """kube-apiserver compares these as exact strings (checker.go hasString), and no authenticator,
    verb or namespace name carries a "*": a rule that needs one matches no request it can receive."""
    s = space("""
        - level: None
          users: ["*"]
        - level: None
          verbs: ["*"]
        - level: Metadata
          users: ["system:node-*"]
        - level: None
          userGroups: ["system:serviceaccounts:openshift-*"]
        - level: None
          namespaces: ["openshift-*"]
        - level: Request
          users: ["bob", "system:node-*"]
          verbs: ["get"]
    """)
    assert reachable_rules(s) == [5]
    assert all(s.can_match(i) is None for i in range(5))
    assert s.reachable(5).user == "bob"


def test_unauthenticated_requests_skip_rules_with_users_or_groups():
    s = space("""
        - level: None
          userGroups: ["system:authenticated", "system:unauthenticated"]
        - level: None
          users: ["system:anonymous"]
        - level: Metadata
    """)
    witness = s.reachable(2)
    assert witness.user is None
    assert outcome_rules(s, {"authenticated": False}) == [2]
    # group sets are free: an authenticated user need not carry system:authenticated
    assert outcome_rules(s, {"authenticated": True}) == [0, 1, 2]


def test_only_unauthenticated_requests_can_reach_a_catch_all_behind_user_rules():
    s = space("""
        - level: None
          userGroups: ["system:authenticated", "system:unauthenticated"]
        - level: None
          users: ["system:anonymous"]
    """)
    assert outcome_rules(s) == [0, 1, None]
    none = s.outcomes()[-1]
    assert none.level is Level.NONE and none.witness.user is None


def test_namespace_empty_string_is_cluster_scoped():
    s = space("""
        - level: None
          namespaces: [""]
        - level: Metadata
          resources: [{group: "", resources: ["nodes"]}]
    """)
    # requestinfo.go: a cluster-scoped resource is never in a namespace, so every request on nodes
    # has namespace "" and rule 0 takes them all
    assert s.reachable(1) is None
    assert outcome_rules(s, {"resources": [{"group": "", "resources": ["nodes"]}], "namespaces": [""]}) == [0]


def test_user_empty_string_and_verb_empty_string_never_match():
    s = space("""
        - level: None
          users: [""]
        - level: None
          verbs: [""]
        - level: Metadata
    """)
    assert s.can_match(0) is None and s.can_match(1) is None
    assert s.shadowed_by(0) == ()


# ---- resource and non-resource routing


def test_resource_rules_never_match_non_resource_requests():
    s = space("""
        - level: None
          namespaces: ["", "default", "kube-system"]
        - level: None
          resources: [{group: "*"}]
        - level: Metadata
    """)
    assert outcome_rules(s, {"nonResourceURLs": ["*"]}) == [2]
    assert not s.reachable(2).resource_request


def test_non_resource_rules_never_match_resource_requests():
    s = space("""
        - level: None
          nonResourceURLs: ["*"]
        - level: Metadata
    """)
    assert s.reachable(1).resource_request
    assert outcome_rules(s, {"resources": [{"group": "*"}]}) == [1]


def test_rule_without_resources_or_urls_matches_both_kinds():
    s = space("""
        - level: None
          verbs: ["get"]
        - level: Metadata
          verbs: ["get"]
    """)
    assert s.reachable(1) is None
    assert outcome_rules(s, {"nonResourceURLs": ["/metrics"], "verbs": ["get"]}) == [0]


# ---- resource patterns


def test_plain_resource_does_not_match_its_subresources():
    s = space("""
        - level: None
          resources: [{group: "", resources: ["pods"]}]
        - level: Metadata
          resources: [{group: "", resources: ["pods", "pods/log"]}]
    """)
    witness = s.reachable(1)
    assert (witness.resource, witness.subresource) == ("pods", "log")


def test_resource_slash_star_matches_the_resource_itself_and_every_subresource():
    s = space("""
        - level: None
          resources: [{group: "", resources: ["pods/*"]}]
        - level: Metadata
          resources: [{group: "", resources: ["pods", "pods/exec", "pods/log"]}]
        - level: Request
          resources: [{group: "", resources: ["services/status", "pods"]}]
    """)
    assert s.reachable(1) is None
    assert s.shadowed_by(1) == (0,)
    witness = s.reachable(2)
    assert (witness.resource, witness.subresource) == ("services", "status")


def test_star_matches_resources_and_subresources_in_its_group_only():
    s = space("""
        - level: None
          resources: [{group: "", resources: ["*"]}]
        - level: Metadata
          resources:
          - {group: "", resources: ["pods/exec"]}
          - {group: "apps", resources: ["deployments/scale"]}
    """)
    witness = s.reachable(1)
    assert (witness.api_group, witness.resource, witness.subresource) == ("apps", "deployments", "scale")


def test_star_slash_subresource_matches_that_subresource_of_any_resource():
    s = space("""
        - level: None
          resources: [{group: "", resources: ["*/status"]}]
        - level: Metadata
          resources: [{group: "", resources: ["pods/status", "nodes/status"]}]
        - level: Request
          resources: [{group: "", resources: ["pods", "pods/log"]}]
    """)
    assert s.reachable(1) is None
    assert outcome_rules(s, {"resources": [{"group": "", "resources": ["pods/*"]}]}) == [0, 2, None]
    assert outcome_rules(s, {"resources": [{"group": "", "resources": ["pods"]}]}) == [2]


def test_star_slash_star_matches_only_literal_star_strings():
    s = space("""
        - level: None
          resources: [{group: "", resources: ["*/*"]}]
        - level: Metadata
          resources: [{group: ""}]
    """)
    # the core group serves no resource or subresource named "*": the rule matches nothing there
    assert s.can_match(0) is None
    witness = s.reachable(1)
    assert witness.resource != "*" and witness.subresource != "*"


def test_empty_resources_in_an_entry_matches_the_whole_group():
    s = space("""
        - level: None
          resources: [{group: "apps"}]
        - level: Metadata
          resources: [{group: "apps", resources: ["deployments/scale", "statefulsets"]}]
    """)
    assert s.shadowed_by(1) == (0,)


def test_impossible_patterns_and_groups_match_nothing():
    s = space("""
        - level: None
          resources: [{group: "apps/v1", resources: ["deployments"]}]
        - level: None
          resources: [{group: "", resources: ["pods/exec/extra", "", "*/"]}]
        - level: None
          nonResourceURLs: ["healthz", "metrics*"]
        - level: Metadata
    """)
    assert [s.can_match(i) for i in range(3)] == [None, None, None]
    assert [s.shadowed_by(i) for i in range(3)] == [(), (), ()]
    assert s.can_match(3) is not None


def test_resource_names_are_scoped_to_their_entry():
    s = space("""
        - level: None
          resources:
          - {group: "", resources: ["configmaps"], resourceNames: ["cluster-info"]}
          - {group: "", resources: ["secrets"]}
        - level: Metadata
          resources: [{group: "", resources: ["configmaps", "secrets"]}]
    """)
    witness = s.reachable(1)
    assert witness.resource == "configmaps" and witness.name != "cluster-info"
    selector = {"resources": [{"group": "", "resources": ["secrets"]}]}
    assert outcome_rules(s, selector) == [0]


def test_group_star_is_a_wildcard_from_1_36_and_a_literal_before():
    rules = """
        - level: None
          resources: [{group: "*", resources: ["secrets"]}]
        - level: Metadata
          resources: [{group: "", resources: ["secrets"]}]
    """
    assert space(rules, (1, 36)).reachable(1) is None
    assert space(rules, (1, 36)).shadowed_by(1) == (0,)
    assert space(rules, None).reachable(1) is None
    old = space(rules, (1, 35))
    assert old.reachable(1).api_group == ""
    assert old.can_match(0).api_group == "*"


def test_core_group_does_not_hold_apps_resources():
    s = space("""
        - level: None
          resources: [{group: "", resources: ["deployments"]}]
        - level: Metadata
          resources: [{group: "apps", resources: ["deployments"]}]
    """)
    assert s.reachable(1).api_group == "apps"
    assert s.can_match(0) is None  # the core group serves no deployments: no request matches


# ---- non-resource URLs


def test_exact_url_does_not_match_longer_paths():
    s = space("""
        - level: None
          nonResourceURLs: ["/healthz"]
        - level: Metadata
          nonResourceURLs: ["/healthz*"]
    """)
    witness = s.reachable(1)
    assert witness.path.startswith("/healthz") and witness.path != "/healthz"


def test_url_prefix_shadows_paths_under_it():
    s = space("""
        - level: None
          nonResourceURLs: ["/healthz*", "/api*"]
        - level: Metadata
          nonResourceURLs: ["/healthz/etcd", "/apis/apps/v1", "/healthzfoo*"]
        - level: Request
          nonResourceURLs: ["/ap*"]
    """)
    assert s.shadowed_by(1) == (0,)
    witness = s.reachable(2)
    assert witness.path.startswith("/ap") and not witness.path.startswith("/api")


def test_url_prefixes_shadow_together():
    s = space("""
        - level: None
          nonResourceURLs: ["/a*"]
        - level: None
          nonResourceURLs: ["/b*"]
        - level: Metadata
          nonResourceURLs: ["/a/x", "/b*"]
        - level: Metadata
          nonResourceURLs: ["/*"]
    """)
    assert s.shadowed_by(2) == (0, 1)
    witness = s.reachable(3)
    assert not witness.path.startswith(("/a", "/b"))


def test_prefix_star_matches_every_path():
    s = space("""
        - level: None
          nonResourceURLs: ["/*"]
        - level: Metadata
          nonResourceURLs: ["/metrics", "/a*"]
    """)
    assert s.shadowed_by(1) == (0,)


# ---- outcomes and levels


GCE_LIKE = """
    - level: None
      nonResourceURLs: ["/healthz*", "/version"]
    - level: None
      resources: [{group: "", resources: ["events"]}]
    - level: Metadata
      resources: [{group: "", resources: ["secrets", "configmaps"]}]
    - level: Request
      verbs: ["get", "list", "watch"]
      resources: [{group: ""}, {group: "apps"}]
    - level: RequestResponse
      resources: [{group: ""}, {group: "apps"}]
    - level: Metadata
      omitStages: ["RequestReceived"]
"""


def test_outcomes_are_ordered_by_rule_with_none_last_and_witnesses_verify():
    s = space(GCE_LIKE)
    assert outcome_rules(s) == [0, 1, 2, 3, 4, 5]
    assert outcome_rules(s, {"resources": [{"group": "", "resources": ["secrets"]}]}) == [2]
    assert outcome_rules(s, {"resources": [{"group": "*", "resources": ["pods"]}]}) == [3, 4, 5]
    assert outcome_rules(s, {"nonResourceURLs": ["/healthz*", "/metrics"]}) == [0, 5]
    for selector in ({}, {"verbs": ["get"]}, {"nonResourceURLs": ["*"]}, {"authenticated": False}):
        assert_witnesses_verify(s, Selector.from_mapping(selector))


def test_outcome_carries_the_decision():
    s = space(GCE_LIKE)
    last = s.outcomes()[-1]
    assert isinstance(last, Outcome)
    assert last.rule == 5 and last.level is Level.METADATA
    assert last.decision.omit_stages == frozenset({"RequestReceived"})


def test_levels_groups_outcomes_by_level():
    s = space(GCE_LIKE)
    levels = s.levels(Selector.from_mapping({"resources": [{"group": "", "resources": ["pods", "events"]}]}))
    assert list(levels) == [Level.NONE, Level.REQUEST, Level.REQUEST_RESPONSE]
    assert [o.rule for o in levels[Level.NONE]] == [1]


def test_no_rule_matches_gives_level_none_outcome():
    s = space("""
        - level: Metadata
          resources: [{group: ""}]
    """)
    outcomes = s.outcomes(Selector.from_mapping({"resources": [{"group": "apps"}]}))
    assert [(o.rule, o.level) for o in outcomes] == [(None, Level.NONE)]
    assert outcomes[0].witness.api_group == "apps"


def test_selector_constants_the_policy_never_names():
    s = space(GCE_LIKE)
    outcomes = s.outcomes(Selector.from_mapping({
        "users": ["carol"], "userGroups": ["team-x"], "verbs": ["escalate"],
        "resources": [{"group": "example.com", "resources": ["widgets/status"], "resourceNames": ["w1"]}],
        "namespaces": ["team-x"],
    }))
    assert [o.rule for o in outcomes] == [5]
    w = outcomes[0].witness
    assert (w.user, w.groups, w.verb, w.api_group, w.resource, w.subresource, w.namespace, w.name) == (
        "carol", ("team-x",), "escalate", "example.com", "widgets", "status", "team-x", "w1")


def test_empty_selector_class_has_no_outcomes():
    s = space(GCE_LIKE)
    assert s.outcomes(Selector(users=("alice",), authenticated=False)) == []
    assert s.outcomes(Selector(resources=(GroupResources("apps/v1", ("deployments",)),))) == []


def test_policy_without_rules():
    s = space("[]")
    assert outcome_rules(s) == [None]


# ---- selectors


def test_selector_from_mapping_reads_rule_keys():
    selector = Selector.from_mapping({
        "users": ["a"], "userGroups": ["g"], "verbs": ["get"],
        "resources": [{"group": "apps", "resources": ["deployments"], "resourceNames": ["x"]}],
        "namespaces": ["prod"], "nonResourceURLs": ["/x"], "authenticated": True,
    })
    assert selector == Selector(("a",), ("g",), ("get",), (GroupResources("apps", ("deployments",), ("x",)),),
                                ("prod",), ("/x",), True)


@pytest.mark.parametrize("data, message", [
    ({"verb": ["get"]}, "unknown key 'verb'"),
    ({"verbs": "get"}, "verbs: expected a list of strings"),
    ({"resources": [{"group": "", "resource": ["pods"]}]}, "resources[0]: unknown key 'resource'"),
    ({"resources": {"group": ""}}, "resources: expected a list"),
    ({"authenticated": "yes"}, "authenticated: expected true or false"),
    (["users"], "expected a mapping"),
])
def test_selector_from_mapping_rejects_bad_input(data, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Selector.from_mapping(data)


def test_selector_from_rule_and_contains():
    p = policy("""
        - level: Metadata
          userGroups: ["system:nodes"]
          verbs: ["update"]
          resources: [{group: "", resources: ["nodes/status"]}]
    """)
    selector = Selector.from_rule(p.rules[0])
    inside = Request(user="system:node:n1", groups=("system:nodes",), verb="update", resource="nodes",
                     subresource="status", name="n1")
    assert selector.contains(inside)
    assert not selector.contains(Request(user=None, groups=("system:nodes",), verb="update", resource="nodes",
                                         subresource="status"))
    assert not Selector(authenticated=True).contains(Request(user=None))
    assert Selector(authenticated=False).contains(Request(user=None))
    assert rule_matches(p.rules[0], inside)


def test_selector_group_star_means_every_group():
    assert Selector(resources=(GroupResources("*", ("pods",)),)).contains(
        Request(user="a", verb="get", api_group="metrics.k8s.io", resource="pods"))


# ---- witnesses read naturally


def test_witnesses_prefer_realistic_values():
    s = space(GCE_LIKE)
    w = s.reachable(4)
    assert w.user == "alice" and w.verb == "create" and w.namespace == "default"
    assert w.resource in ("pods", "services", "deployments")
    w = s.reachable(5)
    assert w.resource_request and w.api_group not in ("", "apps") and not w.resource.startswith("other")
    w = s.outcomes(Selector(non_resource_urls=("*",)))[-1].witness
    assert w.path == "/metrics"
    w = s.outcomes(Selector.from_mapping({"resources": [{"group": "", "resources": ["secrets"]}]}))[0].witness
    assert w.describe() == "get secrets/example -n default by alice"


def test_witnesses_fall_back_to_synthetic_values_when_every_real_one_is_taken():
    verbs = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
    s = space(f"""
        - level: None
          verbs: {verbs}
        - level: None
          users: ["alice", "system:serviceaccount:default:app", "bob"]
        - level: Metadata
    """)
    w = s.reachable(2)
    assert w.verb not in verbs and w.user not in ("alice", "bob")


def test_cluster_scoped_resources_get_no_namespace():
    s = space("""
        - level: Metadata
          resources: [{group: "", resources: ["nodes", "namespaces"]}]
    """)
    assert s.reachable(0).namespace == ""


def test_collection_verbs_get_no_name():
    s = space("""
        - level: Metadata
          verbs: ["list"]
          resources: [{group: "", resources: ["pods"]}]
    """)
    assert s.reachable(0).name == ""


def test_resource_names_without_resources_match_the_whole_group():
    # evaluate.py (like the apiserver) accepts an entry with no resources before looking at names
    s = space("""
        - level: None
          resources: [{group: "", resourceNames: ["only-this"]}]
        - level: Metadata
          resources: [{group: "", resources: ["pods"]}]
    """)
    assert s.reachable(1) is None
    assert s.shadowed_by(1) == (0,)


def test_witness_users_fit_the_groups_they_carry():
    s = space("""
        - level: Request
          userGroups: ["system:nodes"]
        - level: Metadata
          userGroups: ["system:serviceaccounts:kube-system"]
    """)
    assert s.reachable(0).user == "system:node:node-1"
    assert s.reachable(1).user == "system:serviceaccount:kube-system:app"
