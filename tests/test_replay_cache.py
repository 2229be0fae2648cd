"""The replay caches never change an answer: for random policies and random event streams, every
event's outcome equals the engine's evaluation of it, also when the caches overflow."""

from __future__ import annotations

import json

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

import kube_audit_lint.replay.tally as tally
from kube_audit_lint.engine.evaluate import evaluate
from kube_audit_lint.policy.model import GroupResources, Policy, Rule
from kube_audit_lint.replay.events import Event, SizedEvent, event_to_request
from kube_audit_lint.replay.sensitive import resource_label, sensitive_category, user_class
from kube_audit_lint.replay.tally import JsonlTally, PolicyView, SummaryTally

USERS = ["alice", "bob", "system:node:n1", "system:node:n2", ""]
GROUPS = ["devs", "system:nodes", "system:authenticated"]
VERBS = ["get", "list", "watch", "create", "update"]
RESOURCES = [("", "pods", ""), ("", "pods", "exec"), ("", "secrets", ""), ("", "configmaps", ""),
             ("apps", "deployments", ""), ("apps", "deployments", "status"), ("rbac.authorization.k8s.io", "roles", "")]
NAMESPACES = ["", "kube-system", "prod"]
NAMES = ["", "aws-auth", "db", "web"]
PATHS = ["/healthz", "/healthz/etcd", "/metrics", "/api"]
STAGES = ["RequestReceived", "ResponseStarted", "ResponseComplete", None]

some = lambda values: st.lists(st.sampled_from(values), max_size=2, unique=True).map(tuple)  # noqa: E731

group_resources = st.builds(
    GroupResources,
    group=st.sampled_from(["", "apps", "rbac.authorization.k8s.io", "*"]),
    resources=some(["pods", "pods/exec", "pods/*", "*/status", "secrets", "configmaps", "deployments", "*"]),
    resource_names=some(["aws-auth", "db", "web"]),
).filter(lambda e: e.resources or not e.resource_names)


@st.composite
def rules(draw, index: int):
    kind = draw(st.sampled_from(["resource", "non-resource", "any"]))
    return Rule(
        index=index,
        level=draw(st.sampled_from(["None", "Metadata", "Request", "RequestResponse"])),
        users=draw(some(USERS)), user_groups=draw(some(GROUPS)), verbs=draw(some(VERBS)),
        resources=tuple(draw(st.lists(group_resources, max_size=2))) if kind == "resource" else (),
        namespaces=draw(some(NAMESPACES)) if kind == "resource" else (),
        non_resource_urls=draw(some(["/healthz*", "/metrics", "*"])) if kind == "non-resource" else (),
        omit_stages=draw(some(["ResponseStarted", "RequestReceived"])),
        omit_managed_fields=draw(st.sampled_from([None, True, False])),
    )


@st.composite
def policies(draw):
    count = draw(st.integers(1, 6))
    return Policy(document=None, api_version="audit.k8s.io/v1", kind="Policy",
                  rules=tuple(draw(rules(i)) for i in range(count)),
                  omit_stages=draw(some(["RequestReceived"])), omit_managed_fields=draw(st.booleans()))


@st.composite
def events(draw):
    user = draw(st.sampled_from(USERS))
    data = {"kind": "Event", "auditID": draw(st.sampled_from(["a", "b", None])), "stage": draw(st.sampled_from(STAGES)),
            "verb": draw(st.sampled_from(VERBS)),
            "user": {"username": user, "groups": draw(st.lists(st.sampled_from(GROUPS), max_size=2))} if user else {}}
    if draw(st.booleans()):
        group, resource, subresource = draw(st.sampled_from(RESOURCES))
        data["objectRef"] = {"apiGroup": group, "resource": resource, "subresource": subresource,
                             "namespace": draw(st.sampled_from(NAMESPACES)), "name": draw(st.sampled_from(NAMES))}
    else:
        data["requestURI"] = draw(st.sampled_from(PATHS)) + draw(st.sampled_from(["", "?verbose"]))
    return data


@st.composite
def streams(draw, max_size: int):
    """Events that mostly differ from each other in one attribute, so that the caches are tested on
    requests a policy may or may not tell apart."""
    items = [draw(events())]
    for _ in range(draw(st.integers(0, max_size - 1))):
        item = json.loads(json.dumps(draw(st.sampled_from(items))))
        ref = item.get("objectRef")
        change = draw(st.sampled_from(["namespace", "name", "user", "groups", "verb", "stage", "resource", "new"]))
        if change == "new":
            item = draw(events())
        elif change in ("namespace", "name") and ref is not None:
            ref[change] = draw(st.sampled_from(NAMESPACES if change == "namespace" else NAMES))
        elif change == "resource" and ref is not None:
            ref["apiGroup"], ref["resource"], ref["subresource"] = draw(st.sampled_from(RESOURCES))
        elif change == "user":
            item["user"] = {"username": draw(st.sampled_from(USERS)), "groups": item.get("user", {}).get("groups", [])}
        elif change == "groups":
            item["user"] = dict(item.get("user") or {"username": ""}, groups=draw(st.lists(st.sampled_from(GROUPS), max_size=2)))
        elif change == "verb":
            item["verb"] = draw(st.sampled_from(VERBS))
        elif change == "stage":
            item["stage"] = draw(st.sampled_from(STAGES))
        items.append(item)
    return items


def decoded(items: list[dict]) -> list[Event]:
    return msgspec.json.Decoder(Event).decode_lines(b"".join(json.dumps(d).encode() + b"\n" for d in items))


@settings(max_examples=150, deadline=None)
@given(policies(), streams(40), st.sampled_from([None, (1, 35)]))
def test_jsonl_outcome_equals_evaluate(policy, items, kube_version):
    counter = JsonlTally(PolicyView(policy, kube_version))
    rows = [json.loads(line) for line in counter.lines(decoded(items)).splitlines()]
    for data, row in zip(items, rows):
        decision = evaluate(policy, event_to_request(data), kube_version)
        assert (row["rule"], row["level"], row["omitStages"], row["omitManagedFields"], row["logged"]) == (
            decision.rule, decision.level.wire, sorted(decision.omit_stages), decision.omit_managed_fields,
            decision.logs(data["stage"]))


@settings(max_examples=60, deadline=None)
@given(policies(), streams(60))
def test_overflowing_caches_change_nothing(policy, items):
    limits = tally.KEY_CACHE_LIMIT, tally.DECISION_CACHE_LIMIT
    tally.KEY_CACHE_LIMIT, tally.DECISION_CACHE_LIMIT = 3, 2
    try:
        counter = SummaryTally(PolicyView(policy))
        counter.count(decoded(items))
        counts = counter.take_counts()
    finally:
        tally.KEY_CACHE_LIMIT, tally.DECISION_CACHE_LIMIT = limits
    expected: dict = {}
    for data in items:
        request = event_to_request(data)
        decision = evaluate(policy, request)
        listed = request if sensitive_category(request) and tally.unlogged_sensitive(decision, data["stage"]) else None
        key = (decision, data["stage"], listed)
        expected[key] = expected.get(key, 0) + 1
    assert {key: n for key, (n,) in counts.items()} == expected


def test_requests_told_apart_only_by_name_or_namespace():
    policy = Policy(document=None, api_version="audit.k8s.io/v1", kind="Policy", rules=(
        Rule(0, "RequestResponse", resources=(GroupResources("", ("configmaps",), ("aws-auth",)),)),
        Rule(1, "None", namespaces=("kube-system",)),
        Rule(2, "Metadata"),
    ))
    ref = {"resource": "configmaps", "namespace": "kube-system"}
    items = [{"kind": "Event", "verb": "update", "stage": "ResponseComplete", "user": {"username": "u"},
              "objectRef": dict(ref, name=name, namespace=namespace)}
             for name, namespace in [("other", "kube-system"), ("aws-auth", "kube-system"), ("other", "prod"),
                                     ("aws-auth", "prod"), ("other", "kube-system")]]
    rows = [json.loads(line) for line in JsonlTally(PolicyView(policy)).lines(decoded(items)).splitlines()]
    assert [row["rule"] for row in rows] == [1, 0, 2, 0, 1]


@settings(max_examples=60, deadline=None)
@given(policies(), streams(60))
def test_cost_classes_equal_each_events_own(policy, items):
    """The cost's cells (decision, stage, listed request, request class) are each event's own."""
    events = msgspec.json.Decoder(SizedEvent).decode_lines(b"".join(json.dumps(d).encode() + b"\n" for d in items))
    counter = tally.CostTally(PolicyView(policy))
    counter.count_sized(events, [100] * len(events))
    expected: dict = {}
    for data in items:
        request = event_to_request(data)
        decision = evaluate(policy, request)
        listed = request if sensitive_category(request) and tally.unlogged_sensitive(decision, data["stage"]) else None
        key = (decision, data["stage"], listed, (user_class(request), request.verb, resource_label(request)))
        expected[key] = expected.get(key, 0) + 1
    assert {key: numbers[0] for key, numbers in counter.take_counts().items()} == expected
