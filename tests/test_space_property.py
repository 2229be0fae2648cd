"""The request-space analysis against brute force: every request over a small alphabet (plus a value
no rule names, per field) evaluated one by one with the plain evaluator. Only requests kube-apiserver
serves count (``kube.api.request_problem``, after requestinfo.go): the alphabet holds, for each
class the analysis can reach, a request that exists (configmaps and deployments for the resources a
built-in group serves that no rule names, widgets for a CRD, pods/log for a subresource no rule
names)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kube_audit_lint.engine.evaluate import evaluate, rule_matches
from kube_audit_lint.engine.request import Request
from kube_audit_lint.engine.space import RequestSpace, Selector, _Constants, _RuleFields, _Universe
from kube_audit_lint.kube.api import request_problem
from kube_audit_lint.policy.model import GroupResources, Policy, Rule

USERS = ("u1", "u2")
GROUPS = ("g1", "g2")
VERBS = ("get", "list")
API_GROUPS = ("", "apps", "*")
PATTERNS = ("pods", "secrets", "pods/status", "pods/*", "*/status", "*", "*/*")
NAMES = ("n1",)
NAMESPACES = ("", "prod")
PATH_SPECS = ("/healthz", "/healthz*", "/h*", "/api*", "*", "/version")

# Request values: the alphabet, literal wildcards, and values no rule can name.
REQUEST_USERS = ("u1", "u2", "u3", None)
REQUEST_VERBS = ("get", "list", "watch")
REQUEST_API_GROUPS = ("", "apps", "*", "batch")
REQUEST_RESOURCES = ("pods", "secrets", "*", "nodes", "configmaps", "deployments", "widgets")
REQUEST_SUBRESOURCES = ("", "status", "*", "scale", "log")
REQUEST_NAMES = ("n1", "")
REQUEST_NAMESPACES = ("", "prod", "dev")
REQUEST_PATHS = ("/healthz", "/healthzx", "/healthz/etcd", "/h", "/hx", "/api", "/apis", "/version", "/other")


def subsets(values, max_size=2):
    return st.lists(st.sampled_from(values), max_size=max_size, unique=True).map(tuple)


@st.composite
def entries(draw):
    return GroupResources(
        group=draw(st.sampled_from(API_GROUPS)),
        resources=draw(subsets(PATTERNS, 2)),
        resource_names=draw(st.sampled_from(((), NAMES))),
    )


@st.composite
def rule_fields(draw):
    fields = dict(
        users=draw(st.one_of(st.just(()), subsets(USERS))),
        user_groups=draw(st.one_of(st.just(()), subsets(GROUPS))),
        verbs=draw(st.one_of(st.just(()), subsets(VERBS))),
    )
    kind = draw(st.sampled_from(("resource", "resource", "non-resource", "any")))
    if kind == "resource":
        fields["resources"] = tuple(draw(st.lists(entries(), max_size=2)))
        fields["namespaces"] = draw(st.one_of(st.just(()), subsets(NAMESPACES)))
        if not fields["resources"] and not fields["namespaces"]:
            fields["namespaces"] = ("prod",)
    elif kind == "non-resource":
        specs = st.lists(st.sampled_from(PATH_SPECS), min_size=1, max_size=2, unique=True)
        fields["non_resource_urls"] = tuple(draw(specs))
    return fields


@st.composite
def policies(draw):
    rules = []
    for index in range(draw(st.integers(1, 4))):
        level = draw(st.sampled_from(("None", "Metadata", "Request", "RequestResponse")))
        rules.append(Rule(index=index, level=level, **draw(rule_fields())))
    return Policy(document=None, api_version="audit.k8s.io/v1", kind="Policy", rules=tuple(rules))


@st.composite
def selectors(draw):
    fields = draw(rule_fields())
    return Selector(authenticated=draw(st.sampled_from((None, True, False))), **fields)


def all_requests(policy: Policy, selectors_: list[Selector]) -> list[Request]:
    """Every request over the alphabet; a field nobody constrains takes a single value."""
    things = list(policy.rules) + selectors_
    uses = lambda attr: any(getattr(t, attr) for t in things)  # noqa: E731
    users = REQUEST_USERS if uses("users") or uses("user_groups") else ("u3", None)
    groups = ([(), ("g1",), ("g2",), ("g1", "g2")] if uses("user_groups") else [()])
    verbs = REQUEST_VERBS if uses("verbs") else ("get", "list")
    if uses("resources"):
        resource_fields = itertools.product(REQUEST_API_GROUPS, REQUEST_RESOURCES, REQUEST_SUBRESOURCES,
                                            REQUEST_NAMES)
    else:
        # a get names its object, and only a cluster-scoped resource is read outside a namespace
        resource_fields = [("", "pods", "", "n1"), ("", "nodes", "", "n1")]
    namespaces = REQUEST_NAMESPACES if uses("namespaces") else ("dev",)
    resource_part = [dict(resource_request=True, api_group=g, resource=r, subresource=s, name=n, namespace=ns)
                     for (g, r, s, n), ns in itertools.product(resource_fields, namespaces)]
    paths = REQUEST_PATHS if uses("non_resource_urls") else ("/other",)
    non_resource_part = [dict(resource_request=False, path=p) for p in paths]
    requests = []
    for user, group_set, verb in itertools.product(users, groups, verbs):
        if user is None and group_set:
            continue
        for target in resource_part + non_resource_part:
            requests.append(Request(user=user, groups=group_set, verb=verb, **target))
    return requests


KUBE_VERSIONS = st.sampled_from((None, (1, 35)))


def point_selector(request: Request) -> Selector:
    """The narrowest selector around ``request`` (group membership can only be narrowed to "any of")."""
    if not request.resource_request:
        return Selector(users=(request.user,) if request.user else (), verbs=(request.verb,),
                        non_resource_urls=(request.path,), authenticated=request.user is not None)
    combined = request.combined_resource
    entry = GroupResources(request.api_group, (combined,), (request.name,))
    return Selector(users=(request.user,) if request.user else (), user_groups=request.groups,
                    verbs=(request.verb,), resources=(entry,), namespaces=(request.namespace,),
                    authenticated=request.user is not None)


@settings(max_examples=100, deadline=None)
@given(policies(), st.lists(selectors(), max_size=2), KUBE_VERSIONS)
def test_every_request_falls_in_the_cubes_of_exactly_the_rules_that_match_it(
        policy, selector_list, kube_version):
    wildcard = kube_version is None
    fields = [_RuleFields.of_rule(rule, wildcard) for rule in policy.rules]
    fields += [_RuleFields.of_selector(selector) for selector in selector_list]
    universe = _Universe(_Constants.of(fields))
    compiled = [universe.compile(f) for f in fields]
    checks = [(rule, wildcard) for rule in policy.rules] + [(s, None) for s in selector_list]
    for request in all_requests(policy, selector_list):
        point = universe.point(request)
        for (thing, wild), cubes in zip(checks, compiled):
            expected = thing.contains(request) if wild is None else rule_matches(thing, request, wild)
            assert any(not point & ~cube for cube in cubes) == expected, (thing, request)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), st.lists(selectors(), min_size=1, max_size=2), KUBE_VERSIONS)
def test_space_agrees_with_brute_force(policy, selector_list, kube_version):
    wildcard = kube_version is None
    space = RequestSpace(policy, kube_version)
    requests = [r for r in all_requests(policy, selector_list) if request_problem(r, kube_version) is None]
    first = [evaluate(policy, request, kube_version).rule for request in requests]

    reached = set(first)
    for rule in policy.rules:
        witness = space.reachable(rule.index)
        assert (witness is not None) == (rule.index in reached), rule
        matchable = any(rule_matches(rule, request, wildcard) for request in requests)
        assert (space.can_match(rule.index) is not None) == matchable, rule
        shadow = space.shadowed_by(rule.index)
        if witness is None and matchable:
            covered = [r for r in requests if rule_matches(rule, r, wildcard)]
            chosen = [policy.rules[j] for j in shadow]
            assert shadow and all(j < rule.index for j in shadow)
            assert all(any(rule_matches(s, r, wildcard) for s in chosen) for r in covered)
            for dropped in shadow:  # irredundant: each chosen rule is needed
                rest = [policy.rules[j] for j in shadow if j != dropped]
                assert not all(any(rule_matches(s, r, wildcard) for s in rest) for r in covered)
        else:
            assert shadow == ()

    samples = requests[:: max(1, len(requests) // 3)]
    for selector in selector_list + [Selector()] + [point_selector(r) for r in samples]:
        expected = sorted({f for r, f in zip(requests, first) if selector.contains(r)},
                          key=lambda i: (i is None, i or 0))
        outcomes = space.outcomes(selector)
        assert [o.rule for o in outcomes] == expected, selector
        for outcome in outcomes:
            assert selector.contains(outcome.witness)
            assert evaluate(policy, outcome.witness, kube_version).rule == outcome.rule
