"""Which requests exist: the request-space analysis, explain and every example request model the
requests kube-apiserver's request info gives (``k8s.io/apiserver pkg/endpoints/request/requestinfo.go``)
and the resources each release serves (``linter/data/kubernetes-resources.yaml``)."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from kube_audit_lint.cli import app
from kube_audit_lint.engine.request import Request
from kube_audit_lint.engine.space import RequestSpace, Selector
from kube_audit_lint.kube import api as kubeapi
from kube_audit_lint.policy.load import apiserver_read
from kube_audit_lint.policy.model import GroupResources

KUBE_SYSTEM_DROPPED = """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    namespaces: ["kube-system"]
  - level: Metadata
"""


def policy_of(tmp_path, text, version=(1, 36)):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return apiserver_read(str(path), version).verdicts[0].policy, str(path)


def namespaces_entry(*names):
    return (GroupResources("", ("namespaces",), tuple(names)),)


# ---- the catalogue


def test_the_resource_catalogue_matches_its_schema():
    package = resources.files("kube_audit_lint")
    data = YAML(typ="safe").load(package.joinpath("data/kubernetes-resources.yaml").read_text("utf-8"))
    schema = json.loads(package.joinpath("data/schema/kubernetes-resources.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)


def test_a_broken_catalogue_entry_fails_the_schema():
    package = resources.files("kube_audit_lint")
    schema = json.loads(package.joinpath("data/schema/kubernetes-resources.schema.json").read_text("utf-8"))
    broken = {"groups": {"apps": {"deployments": {"namespaced": True, "removed": "1.x"}}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(broken)


def test_a_group_whose_every_resource_is_removed_is_not_served_after_the_last_removal():
    assert kubeapi.group_removed("auditregistration.k8s.io", (1, 36)) == (1, 19)
    assert kubeapi.group_removed("auditregistration.k8s.io", (1, 18)) is None
    assert kubeapi.group_removed("extensions", (1, 33)) == (1, 22)
    assert kubeapi.group_removed("apps", (1, 36)) is None
    assert kubeapi.group_removed("postgresql.cnpg.io", (1, 36)) is None  # a CRD's group stays possible


def test_a_resource_is_served_from_the_release_that_added_it():
    claims = kubeapi.lookup("certificates.k8s.io", "podcertificaterequests")
    assert not claims.served_in((1, 33)) and claims.served_in((1, 34))


# ---- requestinfo.go: the namespace of a request


@pytest.mark.parametrize("verb", ["get", "update", "patch", "delete"])
def test_requestinfo_a_request_on_namespaces_NAME_has_namespace_NAME(verb):
    """requestinfo.go: for /api/v1/namespaces/NAME the namespace is NAME (currentParts[1])."""
    assert kubeapi.request_namespace("", "namespaces", verb, "kube-system", "") == "kube-system"
    ok = Request(verb=verb, resource="namespaces", namespace="kube-system", name="kube-system")
    assert kubeapi.request_problem(ok) is None
    assert kubeapi.request_problem(Request(verb=verb, resource="namespaces", name="kube-system")) is not None


@pytest.mark.parametrize("verb", ["create", "list", "watch", "deletecollection"])
def test_requestinfo_the_namespaces_collection_has_namespace_empty(verb):
    """requestinfo.go: /api/v1/namespaces (create, list, watch, deletecollection) has no namespace."""
    assert kubeapi.request_namespace("", "namespaces", verb, "", "kube-system") == ""
    assert kubeapi.request_problem(Request(verb=verb, resource="namespaces", namespace="kube-system")) is not None
    assert kubeapi.request_problem(Request(verb=verb, resource="namespaces")) is None


def test_requestinfo_only_list_and_watch_of_a_namespaced_resource_span_all_namespaces():
    """requestinfo.go: /api/v1/pods (no namespaces/NAME prefix) has namespace ""; the apiserver
    serves only list and watch there."""
    assert kubeapi.request_problem(Request(verb="watch", resource="services")) is None
    assert kubeapi.request_problem(Request(verb="list", resource="secrets")) is None
    assert kubeapi.request_problem(Request(verb="get", resource="secrets", name="x")) is not None
    assert kubeapi.request_problem(Request(verb="create", resource="pods")) is not None


def test_requestinfo_deleting_the_kube_system_namespace_is_dropped_by_a_kube_system_rule(tmp_path):
    """requestinfo.go: DELETE /api/v1/namespaces/kube-system has namespace kube-system."""
    policy, _ = policy_of(tmp_path, KUBE_SYSTEM_DROPPED)
    space = RequestSpace(policy, (1, 36))
    outcomes = space.outcomes(Selector(verbs=("delete",), resources=namespaces_entry("kube-system")))
    assert [(o.rule, o.witness.namespace) for o in outcomes] == [(0, "kube-system")]
    others = space.outcomes(Selector(verbs=("delete",), resources=namespaces_entry()))
    assert {o.rule for o in others} == {0, 1}
    for outcome in others:
        assert outcome.witness.namespace == outcome.witness.name


def test_requestinfo_no_create_of_namespaces_in_a_namespace_exists(tmp_path):
    """requestinfo.go: POST /api/v1/namespaces has namespace "": no create of namespaces in kube-system."""
    policy, _ = policy_of(tmp_path, KUBE_SYSTEM_DROPPED)
    space = RequestSpace(policy, (1, 36))
    assert space.outcomes(Selector(verbs=("create",), namespaces=("kube-system",),
                                   resources=namespaces_entry())) == []
    (outcome,) = space.outcomes(Selector(verbs=("create",), resources=namespaces_entry()))
    assert outcome.rule == 1 and outcome.witness.namespace == ""


def test_requestinfo_a_namespaced_rule_never_matches_cluster_wide_watches(tmp_path):
    """requestinfo.go: a watch across all namespaces (/api/v1/services?watch=1) has namespace ""."""
    policy, _ = policy_of(tmp_path, """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: Metadata
    namespaces: ["default"]
""")
    space = RequestSpace(policy, (1, 36))
    selector = Selector(users=("system:kube-proxy",), verbs=("watch",), namespaces=("",),
                        resources=(GroupResources("", ("services",)),))
    assert [o.rule for o in space.outcomes(selector)] == [None]


def test_requestinfo_explain_takes_the_namespace_of_a_namespace_object_from_its_name(tmp_path):
    """requestinfo.go: explain --verb delete --resource namespaces --name kube-system is a request
    in namespace kube-system, which the kube-system None rule drops."""
    _, path = policy_of(tmp_path, KUBE_SYSTEM_DROPPED)
    result = CliRunner().invoke(app, ["explain", path, "--verb", "delete", "--resource", "namespaces",
                                      "--name", "kube-system", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rule"] == 0 and report["level"] == "None"
    refused = CliRunner().invoke(app, ["explain", path, "--verb", "create", "--resource", "namespaces",
                                       "--namespace", "kube-system"])
    assert refused.exit_code == 2


def test_requestinfo_lint_never_shows_a_request_that_cannot_exist(tmp_path):
    """No example of a lint finding is a request requestinfo.go cannot produce."""
    _, path = policy_of(tmp_path, KUBE_SYSTEM_DROPPED)
    result = CliRunner().invoke(app, ["lint", path, "--format", "json"])
    report = json.loads(result.stdout)
    assert "create namespaces -n kube-system" not in result.stdout
    for finding in report["findings"]:
        if finding["witness"] and "resource" in finding["witness"]:
            w = finding["witness"]
            request = Request(user=w["user"], verb=w["verb"], api_group=w["apiGroup"], resource=w["resource"],
                              subresource=w["subresource"], namespace=w["namespace"], name=w["name"])
            assert kubeapi.request_problem(request, (1, 36)) is None, finding["message"]


def test_noisy_system_requests_does_not_blame_a_namespaced_rule_for_kube_proxy_watches(tmp_path):
    """kube-proxy watches across all namespaces (namespace "", requestinfo.go): a rule on namespace
    default does not log them."""
    _, path = policy_of(tmp_path, """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    namespaces: ["default"]
""")
    result = CliRunner().invoke(app, ["lint", path, "--select", "noisy-system-requests", "--format", "json"])
    assert "kube-proxy" not in result.stdout


# ---- removed APIs


REMOVED_GROUP = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: RequestResponse
    resources:
      - group: auditregistration.k8s.io
  - level: Metadata
"""


def test_a_removed_group_has_no_requests_on_later_releases(tmp_path):
    policy, _ = policy_of(tmp_path, REMOVED_GROUP)
    assert RequestSpace(policy, (1, 36)).can_match(0) is None
    assert RequestSpace(policy, (1, 18)).can_match(0) is not None


def test_a_rule_on_a_removed_group_says_when_it_was_removed(tmp_path):
    _, path = policy_of(tmp_path, REMOVED_GROUP)
    result = CliRunner().invoke(app, ["lint", path, "--format", "json", "--kube-version", "1.36"])
    report = json.loads(result.stdout)
    messages = [f["message"] for f in report["findings"]]
    assert any("auditregistration.k8s.io" in m and "removed in Kubernetes 1.19" in m for m in messages)
    assert not any("auditsinks" in json.dumps(f["witness"]) for f in report["findings"] if f["witness"])


def test_the_search_for_a_served_example_skips_only_requests_never_served(tmp_path):
    """The example search leaves out whole resources, subresources, verbs and scopes the catalogue
    rules out, so that a cube whose first thousands of requests are never served still gets a
    served example; what it leaves out is never served, and the served requests keep their order."""
    from kube_audit_lint.engine import space

    policy, _ = policy_of(tmp_path, """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    namespaces: ['team-1-dev', 'team-2-dev', '']
    verbs: [get, list, create, update]
    resources:
      - group: ''
        resources: ['pods', 'pods/log', 'nodes', 'nodes/status', 'namespaces', 'secrets']
      - group: 'apps'
        resources: ['deployments', 'deployments/scale']
      - group: 'authentication.k8s.io'
  - level: Metadata
""")
    analysis = RequestSpace(policy, (1, 36))
    universe = analysis._base.universe
    cubes = [cube for rule in range(len(policy.rules)) for cube in analysis._base.cubes(rule)]
    checked = 0
    for cube in cubes:
        fields = [universe.layout.field(cube, f) for f in range(len(universe.full_fields))]
        if not fields[space.KIND] & space.RESOURCE_KIND:
            continue
        every = list(universe._resource_requests(fields, None, ()))
        pruned = list(universe._resource_requests(fields, None, (), prune=True))
        served = [r for r in every if kubeapi.request_problem(r, (1, 36)) is None]
        assert served, "every cube here holds a served request"
        assert [r for r in pruned if kubeapi.request_problem(r, (1, 36)) is None] == served
        assert len(pruned) < len(every)
        checked += 1
    assert checked >= 3
