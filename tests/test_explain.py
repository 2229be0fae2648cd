"""explain: the first condition each earlier rule fails, and the decision, for a request."""

from __future__ import annotations

import json
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kube_audit_lint.cli import app
from kube_audit_lint.engine.evaluate import evaluate, rule_matches
from kube_audit_lint.engine.explain import explain, first_mismatch
from kube_audit_lint.engine.request import Request
from kube_audit_lint.commands.explain import ExplainRequest, option_conflict, parse_event_reference, UsageError
from kube_audit_lint.policy.model import GroupResources, Rule
from kube_audit_lint.policy.validate import apiserver_verdict
from kube_audit_lint.policy.yamlnodes import parse_documents

HEADER = "apiVersion: audit.k8s.io/v1\nkind: Policy\n"


def policy(rules: str, extra: str = ""):
    text = HEADER + extra + "rules:\n" + textwrap.indent(textwrap.dedent(rules), "  ")
    return apiserver_verdict(parse_documents("p.yaml", text)[0]).policy


def resource(verb="get", res="pods", sub="", group="", namespace="default", name="", user="alice", groups=()):
    return Request(user=user, groups=tuple(groups), verb=verb, api_group=group, resource=res, subresource=sub,
                   namespace=namespace, name=name)


def reason(rules: str, request: Request) -> str:
    mismatch = first_mismatch(policy(rules).rules[0], request)
    assert mismatch is not None
    return mismatch.reason


# --- the reasons, condition by condition (in ruleMatches order) --------------------------------

def test_users_reason():
    assert reason("- level: None\n  users: [bob, carol]\n", resource()) == 'users [bob carol] does not contain "alice"'


def test_users_reason_for_an_unauthenticated_request():
    text = reason("- level: None\n  users: [bob]\n", resource(user=None))
    assert text == "users [bob] never match a request with no authenticated user"


def test_user_groups_reasons():
    rules = "- level: None\n  userGroups: ['system:nodes']\n"
    assert reason(rules, resource(groups=["system:authenticated"])) == \
        "userGroups [system:nodes] contains none of the groups [system:authenticated]"
    assert reason(rules, resource()) == "userGroups [system:nodes]: the request has no groups"


def test_users_are_checked_before_verbs():
    mismatch = first_mismatch(policy("- level: None\n  users: [bob]\n  verbs: [list]\n").rules[0], resource())
    assert mismatch.field == "users" and mismatch.path == ("rules", 0, "users")


def test_verbs_reason():
    assert reason("- level: None\n  verbs: [get, list]\n", resource(verb="create")) == \
        'verbs [get list] does not contain "create"'


def test_resource_rule_against_a_non_resource_request():
    request = Request(user="alice", verb="get", resource_request=False, path="/healthz")
    assert reason("- level: None\n  resources: [{group: ''}]\n", request) == \
        'the rule has resources, so it matches only resource requests, and "/healthz" is a non-resource request'
    assert reason("- level: None\n  namespaces: [default]\n", request).startswith("the rule has namespaces")


def test_namespaces_reason_names_cluster_scoped_requests():
    assert reason("- level: None\n  namespaces: [kube-system]\n", resource(namespace="")) == \
        'namespaces [kube-system] does not contain "" (cluster-scoped or all namespaces)'


def test_resources_reason_when_no_entry_is_for_the_group():
    assert reason("- level: None\n  resources: [{group: ''}, {group: batch}]\n", resource(group="apps", res="deployments")) == \
        'no resources entry is for group "apps" (groups: "" "batch")'


def test_resources_reason_explains_that_a_resource_does_not_cover_its_subresources():
    text = reason("- level: None\n  resources: [{group: '', resources: [pods]}]\n", resource(sub="exec"))
    assert text == ('resources[0] (group ""): resources [pods] does not match "pods/exec" '
                    '("pods" matches the resource only, not its subresources)')


def test_resource_names_reason_for_a_create():
    rules = "- level: None\n  resources: [{group: '', resources: [configmaps], resourceNames: [aws-auth]}]\n"
    assert reason(rules, resource(verb="create", res="configmaps")) == \
        'resources[0] (group ""): resourceNames [aws-auth] does not contain no name (create, list and watch carry none)'
    assert reason(rules, resource(res="configmaps", name="x")).endswith('resourceNames [aws-auth] does not contain "x"')


def test_non_resource_reasons():
    rules = "- level: None\n  nonResourceURLs: [/healthz]\n"
    assert reason(rules, resource()) == ("the rule has nonResourceURLs, so it matches only non-resource requests, "
                                         "and this is a resource request")
    request = Request(user="alice", verb="get", resource_request=False, path="/healthz/etcd")
    assert reason(rules, request) == ('nonResourceURLs [/healthz] does not match "/healthz/etcd" '
                                      "(a URL without a trailing * matches that exact path only)")


def test_a_matching_rule_has_no_mismatch():
    assert first_mismatch(policy("- level: None\n  verbs: [get]\n").rules[0], resource()) is None


def test_explain_lists_every_earlier_rule_and_the_decision():
    p = policy("- level: None\n  verbs: [watch]\n- level: None\n  users: [bob]\n- level: Request\n- level: Metadata\n",
               "omitStages: [RequestReceived]\n")
    explanation = explain(p, resource())
    assert [index for index, _ in explanation.mismatches] == [0, 1]
    assert explanation.decision == evaluate(p, resource())
    assert explanation.decision.rule == 2


def test_explain_with_no_match():
    explanation = explain(policy("- level: None\n  verbs: [watch]\n"), resource())
    assert explanation.decision.rule is None and len(explanation.mismatches) == 1


# --- the explanation always agrees with the decision -------------------------------------------

NAMES = st.sampled_from(["", "a", "b", "*", "pods", "pods/log", "pods/*", "*/log", "*/*", "/x", "/x*"])
SMALL = st.lists(NAMES, max_size=3).map(tuple)
ENTRIES = st.builds(GroupResources, group=st.sampled_from(["", "apps", "*"]), resources=SMALL, resource_names=SMALL)
RULES = st.builds(Rule, index=st.just(0), level=st.just("None"), users=SMALL, user_groups=SMALL, verbs=SMALL,
                  resources=st.lists(ENTRIES, max_size=2).map(tuple), namespaces=SMALL, non_resource_urls=SMALL)
REQUESTS = st.builds(Request, user=st.one_of(st.none(), NAMES), groups=SMALL, verb=NAMES,
                     resource_request=st.booleans(), api_group=st.sampled_from(["", "apps", "batch"]),
                     resource=st.sampled_from(["pods", "*", ""]), subresource=st.sampled_from(["", "log"]),
                     namespace=NAMES, name=NAMES, path=st.sampled_from(["/x", "/xy", "/x/y", "/"]))


@settings(max_examples=400, deadline=None)
@given(RULES, REQUESTS, st.booleans())
def test_first_mismatch_is_none_exactly_when_the_rule_matches(rule, request, wildcard_group):
    assert (first_mismatch(rule, request, wildcard_group) is None) == rule_matches(rule, request, wildcard_group)


# --- option handling ---------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    (ExplainRequest(path="/healthz", resource="pods"), "--path (a non-resource URL) and --resource"),
    (ExplainRequest(path="/healthz", namespace="x"), "apply to resource requests"),
    (ExplainRequest(), "describe the request with --resource"),
    (ExplainRequest(resource="pods", unauthenticated=True, user="bob"), "--unauthenticated means no user"),
    (ExplainRequest(event="log:1", user="bob"), "--event takes the whole request from the event; drop --user"),
    (ExplainRequest(event="log:1", verb="create"), "drop --verb"),
    (ExplainRequest(path="healthz"), "must be a URL path"),
    (ExplainRequest(resource="pods/exec/x"), "RESOURCE/SUBRESOURCE"),
])
def test_conflicting_options(options, message):
    assert message in option_conflict(options)


def test_consistent_options_have_no_conflict():
    assert option_conflict(ExplainRequest(resource="pods/exec", user="a", groups=["g"], namespace="n")) is None
    assert option_conflict(ExplainRequest(path="/healthz", unauthenticated=True)) is None
    assert option_conflict(ExplainRequest(event="audit.log:3")) is None


@pytest.mark.parametrize("text", ["audit.log", "audit.log:", "audit.log:0", ":3", "audit.log:x"])
def test_bad_event_references(text):
    with pytest.raises(UsageError):
        parse_event_reference(text)


def test_event_reference_keeps_colons_in_the_path():
    assert parse_event_reference("C:/logs/a.log:12") == ("C:/logs/a.log", 12)


# --- the command --------------------------------------------------------------------------------

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    verbs: [watch]
  - level: Request
    omitStages: [ResponseStarted]
    omitManagedFields: true
    resources: [{group: "", resources: [pods]}]
  - level: Metadata
"""


def invoke(*args):
    return CliRunner().invoke(app, ["explain", *args])


def test_command_text_output(write_policy):
    path = write_policy(POLICY)
    result = invoke(path, "--user", "alice", "--group", "dev", "--verb", "create", "--resource", "pods/exec",
                    "-n", "default")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "request: create pods/exec -n default by alice (groups dev, system:authenticated)",
        'rule 0 (line 5): verbs [watch] does not contain "create"',
        'rule 1 (line 7): resources[0] (group ""): resources [pods] does not match "pods/exec" '
        '("pods" matches the resource only, not its subresources)',
        "decided by rule 2 (line 11): level Metadata",
        "omitStages: RequestReceived (policy)",
        "omitManagedFields: false (policy default)",
    ]


def test_command_reports_stage_and_managed_field_sources(write_policy):
    result = invoke(write_policy(POLICY), "--user", "alice", "--resource", "pods")
    assert "decided by rule 1 (line 7): level Request" in result.stdout
    assert "omitStages: RequestReceived (policy), ResponseStarted (rule)" in result.stdout
    assert "omitManagedFields: true (rule)" in result.stdout


def test_command_json_output(write_policy):
    path = write_policy(POLICY)
    result = invoke(path, "--unauthenticated", "--path", "/healthz", "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["request"] == {"user": None, "groups": [], "verb": "get", "path": "/healthz"}
    assert (report["rule"], report["line"], report["level"]) == (2, 11, "Metadata")
    assert report["omitStages"] == ["RequestReceived"] and report["omitManagedFields"] is False
    assert report["policyLoads"] is True
    assert report["skippedRules"][1] == {
        "rule": 1, "line": 7, "field": "resources", "conditionLine": 10,
        "reason": 'the rule has resources, so it matches only resource requests, and "/healthz" is a non-resource request'}


def test_command_no_match(write_policy):
    path = write_policy(HEADER + "rules:\n  - level: Metadata\n    verbs: [delete]\n")
    result = invoke(path, "--resource", "pods")
    assert "no rule matches: level None (the default), nothing is logged" in result.stdout


@pytest.mark.parametrize("args", [
    ["--path", "/healthz", "--resource", "pods"],
    [],
    ["--resource", "pods", "--unauthenticated", "--user", "x"],
    ["--event", "nofile.log:1"],
    ["--event", "bad-reference"],
])
def test_command_usage_errors_exit_2_with_one_line(write_policy, args):
    result = invoke(write_policy(POLICY), *args)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_command_unreadable_policy_exits_2(tmp_path):
    result = invoke(str(tmp_path / "none.yaml"), "--resource", "pods")
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_command_refused_policy_is_explained_with_a_warning(write_policy):
    path = write_policy(POLICY.replace("audit.k8s.io/v1", "audit.k8s.io/v1beta1"))
    result = invoke(path, "--resource", "pods", "--verb", "watch")
    assert result.exit_code == 0
    assert "would refuse this policy" in result.stderr
    assert "decided by rule 0 (line 5): level None" in result.stdout


EVENT = {
    "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": "x", "stage": "ResponseComplete",
    "requestURI": "/api/v1/namespaces/default/pods/web/exec?command=sh", "verb": "create",
    "user": {"username": "alice", "groups": ["dev"]},
    "objectRef": {"resource": "pods", "namespace": "default", "name": "web", "subresource": "exec", "apiVersion": "v1"},
}


def test_command_event_from_a_log_line(tmp_path, write_policy):
    log = tmp_path / "audit.log"
    log.write_text(json.dumps({**EVENT, "verb": "watch"}) + "\n" + json.dumps(EVENT) + "\n")
    result = invoke(write_policy(POLICY), "--event", f"{log}:2")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "request: create pods/exec web -n default by alice (groups dev)"
    assert "decided by rule 2" in result.stdout


def test_command_event_line_out_of_range(tmp_path, write_policy):
    log = tmp_path / "audit.log"
    log.write_text(json.dumps(EVENT) + "\n")
    result = invoke(write_policy(POLICY), "--event", f"{log}:5")
    assert result.exit_code == 2 and str(log) in result.stderr


def test_command_event_from_the_corpus(shared_dir):
    events = shared_dir / "corpus" / "events" / "falco-trace-files.jsonl"
    policy_path = shared_dir / "corpus" / "policies" / "falco-k8saudit-plugin.yaml"
    if not events.is_file() or not policy_path.is_file():
        pytest.skip("../shared not present: falco corpus files")
    result = invoke(str(policy_path), "--event", f"{events}:1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("request: create namespaces/foo")
