"""Edge cases for the policy-as-a-query tests: a policy that uses every matching feature of the
checker, with strings that need escaping, and a grid of events that walks every branch of it.
Shared by the DuckDB, dialect and Spark tests."""

from __future__ import annotations

import itertools
import json

EDGE_POLICY = r"""
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["Panic"]
omitManagedFields: true
rules:
  - level: None
    users: ["o'brien", 'x"y\z', "'); DROP TABLE audit_events; --"]
    verbs: ["get"]
  - level: Metadata
    userGroups: ["grp'1", "system:masters"]
    resources: [{group: "", resources: ["pods/*"]}]
    omitStages: ["RequestReceived"]
  - level: Request
    resources: [{group: "", resources: ["*/status"]}]
    namespaces: ["", "kube-system"]
  - level: RequestResponse
    resources: [{group: "apps", resources: ["deployments", "deployments/scale"], resourceNames: ["web", "it's"]}]
    omitManagedFields: false
  - level: Metadata
    resources: [{group: "*", resources: ["leases"]}]
  - level: None
    nonResourceURLs: ["/healthz*", "/version", "/api/*", "/x'y"]
  - level: Metadata
    resources: [{group: "rbac.authorization.k8s.io"}]
    verbs: ["create", "delete"]
  - level: Request
    namespaces: ["prod"]
    omitStages: ["ResponseStarted", "RequestReceived"]
  - level: Metadata
    users: [""]
    resources: [{group: "", resources: ["*"]}]
  - level: RequestResponse
    userGroups: ["ünï'côdé"]
    nonResourceURLs: ["*"]
  - level: Metadata
    resources: [{group: "", resources: ["secrets", "configmaps"], resourceNames: ["a"]}, {group: "batch"}]
  - level: Metadata
    omitStages: ["ResponseComplete"]
    nonResourceURLs: ["/metrics"]
  - level: Request
    resources: [{group: "", resources: ["*/*"]}]
"""

USERS = [
    {"username": "o'brien", "groups": ["system:authenticated"]},
    {"username": 'x"y\\z'},
    {"username": "'); DROP TABLE audit_events; --", "groups": []},
    {"username": "alice", "groups": ["grp'1"]},
    {"username": "bob", "groups": ["system:masters", "other"]},
    {"username": "carol", "groups": ["ünï'côdé"]},
    {},  # no user (a failed authentication): a users rule listing "" does not match it
    {"username": "", "groups": ["system:unauthenticated"]},  # a user named "": it does
    None,
    "absent",
]
VERBS = ["get", "create", "list"]
OBJECT_REFS = [
    "absent", None, {},
    {"resource": "pods", "namespace": "default", "name": "p"},
    {"resource": "pods", "subresource": "exec", "namespace": "prod", "name": "p"},
    {"resource": "nodes", "subresource": "status", "name": "n1"},
    {"resource": "pods", "subresource": "status", "namespace": "kube-system"},
    {"resource": "deployments", "apiGroup": "apps", "namespace": "prod", "name": "web"},
    {"resource": "deployments", "subresource": "scale", "apiGroup": "apps", "namespace": "a", "name": "it's"},
    {"resource": "deployments", "apiGroup": "apps", "namespace": "a", "name": "other"},
    {"resource": "leases", "apiGroup": "coordination.k8s.io", "namespace": "kube-node-lease", "name": "n1"},
    {"resource": "roles", "apiGroup": "rbac.authorization.k8s.io", "namespace": "prod"},
    {"resource": "secrets", "namespace": "prod", "name": "a"},
    {"resource": "secrets", "namespace": "default", "name": "a"},
    {"resource": "configmaps", "namespace": "default", "name": "b"},
    {"resource": "jobs", "apiGroup": "batch", "namespace": "default"},
    {"resource": "widgets", "subresource": "x/y", "apiGroup": "example.com"},
    {"resource": "*", "subresource": "*"},
]
URIS = ["/healthz", "/healthz/ready?verbose=1", "/version", "/versionx", "/api/v1?x=1", "/api", "/metrics",
        "/x'y", "", "/apis/apps/v1/namespaces/prod/deployments/web"]
STAGES = ["RequestReceived", "ResponseStarted", "ResponseComplete", "Panic", "absent"]


def edge_events() -> list[dict]:
    """A few thousand events: every user shape with every target, verbs and stages in turn."""
    events = []
    counter = itertools.count()
    targets = [("ref", ref) for ref in OBJECT_REFS] + [("uri", uri) for uri in URIS]
    for user, (kind, target) in itertools.product(USERS, targets):
        for verb in VERBS:
            n = next(counter)
            event = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata"}
            if n % 7:
                event["auditID"] = f"id-{n}"
            stage = STAGES[n % len(STAGES)]
            if stage != "absent":
                event["stage"] = stage
            if user != "absent":
                event["user"] = user
            event["verb"] = verb
            event["requestURI"] = target if kind == "uri" else "/api/v1/whatever?watch=1"
            if kind == "ref" and target != "absent":
                event["objectRef"] = target
            events.append(event)
    return events


def write_lines(path, events) -> str:
    path.write_text("".join(json.dumps(e, ensure_ascii=n % 2 == 0) + "\n" for n, e in enumerate(events)), encoding="utf-8")
    return str(path)
