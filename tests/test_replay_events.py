"""Audit events -> request attributes, as the audit filter sees them, and reading one event back."""

import gzip
import json

import pytest

from kube_audit_lint.engine.request import Request
from kube_audit_lint.policy.yamlnodes import InputError
from kube_audit_lint.replay.event_at import event_at
from kube_audit_lint.replay.events import event_to_request


def event(**fields):
    base = {
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": "a-1",
        "stage": "ResponseComplete", "verb": "get", "requestURI": "/api/v1/namespaces/prod/secrets/db",
        "user": {"username": "alice", "groups": ["devs", "system:authenticated"]},
        "objectRef": {"resource": "secrets", "namespace": "prod", "name": "db", "apiVersion": "v1"},
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


def test_resource_request_takes_object_ref_and_authenticated_user():
    request = event_to_request(event())
    assert request == Request(user="alice", groups=("devs", "system:authenticated"), verb="get",
                              resource_request=True, api_group="", resource="secrets", namespace="prod", name="db")


def test_object_ref_fields_are_all_read():
    request = event_to_request(event(objectRef={"apiGroup": "apps", "resource": "deployments", "subresource": "scale",
                                                "namespace": "web", "name": "front", "apiVersion": "v1"}))
    assert (request.api_group, request.resource, request.subresource, request.namespace, request.name) == (
        "apps", "deployments", "scale", "web", "front")


def test_impersonation_is_ignored_the_authenticated_user_counts():
    request = event_to_request(event(impersonatedUser={"username": "bob", "groups": ["system:masters"]}))
    assert request.user == "alice"
    assert request.groups == ("devs", "system:authenticated")


@pytest.mark.parametrize("user", [{}, None, ..., {"username": ""}, {"groups": []}])
def test_failed_authentication_is_no_user(user):
    # the apiserver writes `user: {}` for a request that failed authentication, whose attributes
    # have no user at all: ruleMatchesUser is false for every rule with users or userGroups
    request = event_to_request(event(user=user))
    assert request.user is None
    assert request.groups == ()


def test_failed_authentication_never_matches_a_users_rule():
    from kube_audit_lint.engine.evaluate import evaluate
    from kube_audit_lint.policy.validate import apiserver_verdict
    from kube_audit_lint.policy.yamlnodes import parse_documents

    text = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- {level: None, users: [""]}\n- level: Metadata\n'
    policy = apiserver_verdict(parse_documents("p.yaml", text)[0], (1, 36)).policy
    assert evaluate(policy, event_to_request(event(user={}))).rule == 1
    assert evaluate(policy, event_to_request(event(user={"username": "", "groups": ["x"]}))).rule == 0


def test_empty_object_ref_is_still_a_resource_request():
    request = event_to_request(event(objectRef={}))
    assert request.resource_request
    assert (request.api_group, request.resource, request.namespace, request.name) == ("", "", "", "")


def test_without_object_ref_the_path_is_the_uri_without_query():
    request = event_to_request(event(objectRef=..., requestURI="/readyz?verbose&exclude=etcd"))
    assert not request.resource_request
    assert request.path == "/readyz"


def test_null_object_ref_is_a_non_resource_request():
    assert not event_to_request(event(objectRef=None, requestURI="/healthz")).resource_request


@pytest.mark.parametrize("bad", [
    {"kind": "Pod", "verb": "get"},
    {"kind": "Event", "verb": 3},
    {"kind": "Event", "user": {"username": "a", "groups": "devs"}},
    {"foo": 1},
])
def test_not_an_event_is_a_value_error(bad):
    with pytest.raises(ValueError, match="not an audit event"):
        event_to_request(bad)


def test_event_at_returns_the_line(tmp_path):
    log = tmp_path / "audit.log"
    log.write_text("\n".join(json.dumps(event(auditID=f"id-{i}")) for i in range(5)) + "\n")
    assert event_at(str(log), 4)[0].auditID == "id-3"


def test_event_at_reads_gzip(tmp_path):
    log = tmp_path / "audit.log.1"  # no .gz: recognised by its magic bytes
    log.write_bytes(gzip.compress((json.dumps(event(auditID="zipped")) + "\n").encode()))
    assert event_at(str(log), 1)[0].auditID == "zipped"


@pytest.mark.parametrize("content, line, message", [
    ('{"kind":"Event","verb":"get"}\n', 3, "only 1 line"),
    ('{"kind":"Event","verb":"get"}\nnot json\n', 2, "not JSON"),
    ('{"kind":"Event","verb":"get"}\n\n', 2, "empty line"),
    ('[1, 2]\n', 1, "expected a JSON object"),
    ('{"kind":"ConfigMap"}\n', 1, "not an audit event"),
])
def test_event_at_errors_name_file_and_line(tmp_path, content, line, message):
    log = tmp_path / "audit.log"
    log.write_text(content)
    with pytest.raises(InputError) as info:
        event_at(str(log), line)
    assert str(info.value).startswith(f"{log}:{line}:")
    assert message in str(info.value)


def test_event_at_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        event_at(str(tmp_path / "nope.log"), 1)
