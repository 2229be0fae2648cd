"""The request-space checks (KAL020-KAL030): small policies that fail and pass, with exact positions,
and witnesses that the plain evaluator confirms; then the real-world corpus."""

from __future__ import annotations

import textwrap
import time

import pytest

from kube_audit_lint.engine.evaluate import evaluate, rule_matches
from kube_audit_lint.engine.request import Request
from kube_audit_lint.findings import Severity
from kube_audit_lint.lint.pipeline import lint_text
from kube_audit_lint.policy.model import Level, decode_policy
from kube_audit_lint.policy.yamlnodes import parse_documents

HEAD = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"  # the first rule is on line 4
SPACE_CHECKS = [f"KAL{n:03d}" for n in range(20, 31)]


def policy(rules: str) -> str:
    """A policy with these rules, indented under ``rules:`` as people write them."""
    return HEAD + textwrap.indent(textwrap.dedent(rules).lstrip("\n"), "  ")


def lint(text: str, code: str, kube_version=(1, 36), **options):
    return lint_text(text, "p.yaml", select=[code], kube_version=kube_version,
                     options={code: options} if options else None)


def witness(finding) -> Request:
    data = finding.witness
    if "path" in data:
        return Request(user=data["user"], groups=tuple(data["groups"]), verb=data["verb"],
                       resource_request=False, path=data["path"])
    return Request(user=data["user"], groups=tuple(data["groups"]), verb=data["verb"], api_group=data["apiGroup"],
                   resource=data["resource"], subresource=data["subresource"], namespace=data["namespace"],
                   name=data["name"])


def decide(text: str, finding, kube_version=(1, 36)):
    """What kube-apiserver decides for the finding's witness."""
    return evaluate(decode_policy(parse_documents("p.yaml", text)[0]), witness(finding), kube_version)


def at(finding) -> tuple[int, int]:
    return finding.location.line, finding.location.column


# --------------------------------------------------------------------------------------------
# KAL020 sensitive-body-captured

def test_catch_all_request_response_captures_every_sensitive_body():
    text = policy("""
        - level: RequestResponse
    """)
    [found] = lint(text, "KAL020")
    assert (found.code, found.name, found.severity) == ("KAL020", "sensitive-body-captured", Severity.ERROR)
    assert at(found) == (4, 12) and found.rule_index == 0
    request = witness(found)
    assert (request.resource, request.verb) == ("secrets", "create")
    assert decide(text, found).level is Level.REQUEST_RESPONSE
    assert found.message.startswith("create secrets -n default by alice")
    assert "logged at RequestResponse by rule 0 (line 4): Secret data is written to the audit log" in found.message
    assert "configmaps, tokenreviews.authentication.k8s.io, serviceaccounts/token" in found.message


def test_metadata_rule_first_keeps_bodies_out():
    text = policy("""
        - level: Metadata
          resources:
            - group: ""
              resources: ["secrets", "configmaps", "serviceaccounts/token"]
            - group: authentication.k8s.io
              resources: ["tokenreviews"]
        - level: RequestResponse
    """)
    assert lint(text, "KAL020") == []


def test_metadata_rule_after_the_catch_all_comes_too_late():
    text = policy("""
        - level: RequestResponse
          resources:
            - group: ""
        - level: Metadata
          resources:
            - group: ""
              resources: ["secrets"]
    """)
    [found] = lint(text, "KAL020")
    assert at(found) == (4, 12)
    assert decide(text, found).rule == 0


@pytest.mark.parametrize("entry", [
    '{group: "", resources: ["*"]}',
    '{group: ""}',
    '{group: "", resources: ["secrets/*"]}',  # res/* matches the resource itself too
])
def test_wildcard_entries_reach_secrets(entry):
    text = policy(f"""
        - level: Request
          resources: [{entry}]
        - level: Metadata
    """)
    found = lint(text, "KAL020")
    assert [at(f) for f in found] == [(4, 12)]
    request = witness(found[0])
    assert request.resource == "secrets" and request.verb in ("create", "update", "patch")
    assert decide(text, found[0]).rule == 0


def test_group_wildcard_counts_from_1_36_only():
    text = policy("""
        - level: RequestResponse
          resources:
            - group: "*"
              resources: ["configmaps"]
        - level: Metadata
    """)
    [found] = lint(text, "KAL020", kube_version=(1, 36))
    assert witness(found).resource == "configmaps" and decide(text, found).rule == 0
    assert lint(text, "KAL020", kube_version=(1, 35)) == []  # before 1.36 "*" is just a name


def test_request_level_on_reads_captures_no_body():
    text = policy("""
        - level: Request
          verbs: ["get", "list", "watch"]
          resources:
            - group: ""
              resources: ["secrets"]
        - level: Metadata
    """)
    assert lint(text, "KAL020") == []


def test_list_at_request_response_dumps_every_secret():
    text = policy("""
        - level: RequestResponse
          verbs: ["list"]
          resources:
            - group: ""
              resources: ["secrets"]
        - level: Metadata
    """)
    [found] = lint(text, "KAL020")
    assert witness(found).verb == "list"
    assert "Secret data of every object listed is written" in found.message


def test_token_request_body_is_fine_but_its_response_is_not():
    at_request = policy("""
        - level: Request
          resources:
            - group: ""
              resources: ["serviceaccounts/token"]
        - level: Metadata
    """)
    assert lint(at_request, "KAL020") == []  # EKS: the TokenRequest body holds no token
    everything = policy("""
        - level: RequestResponse
          resources:
            - group: ""
              resources: ["serviceaccounts/*"]
        - level: Metadata
    """)
    [found] = lint(everything, "KAL020")
    request = witness(found)
    assert (request.verb, request.resource, request.subresource) == ("create", "serviceaccounts", "token")
    assert "the issued service account token is written" in found.message


def test_tokenreview_request_body_holds_the_token():
    text = policy("""
        - level: Request
          resources:
            - group: authentication.k8s.io
        - level: Metadata
    """)
    [found] = lint(text, "KAL020")
    request = witness(found)
    assert (request.verb, request.api_group) == ("create", "authentication.k8s.io")
    assert request.resource == "tokenreviews"


def test_aws_auth_config_map_is_not_sensitive_but_other_names_are():
    aws_auth = policy("""
        - level: RequestResponse
          verbs: ["update", "patch", "delete"]
          resources:
            - group: ""
              resources: ["configmaps"]
              resourceNames: ["aws-auth"]
          namespaces: ["kube-system"]
        - level: Metadata
    """)
    assert lint(aws_auth, "KAL020") == []
    both = aws_auth.replace('["aws-auth"]', '["aws-auth", "cluster-config"]')
    [found] = lint(both, "KAL020")
    assert witness(found).name == "cluster-config" and decide(both, found).rule == 0


def test_sensitive_resources_are_configurable():
    text = policy("""
        - level: RequestResponse
          resources:
            - group: vault.example.com
        - level: Metadata
    """)
    assert lint(text, "KAL020") == []
    resources = [{"group": "vault.example.com", "resources": ["credentials"], "what": "vault credentials"}]
    [found] = lint(text, "KAL020", extra_resources=resources)
    assert witness(found).resource == "credentials" and "vault credentials is written" in found.message
    assert lint(text, "KAL020", resources=resources) == [found]
    with pytest.raises(ValueError, match="level must be Request or RequestResponse"):
        lint(text, "KAL020", resources=[{"group": "", "resources": ["secrets"], "level": "Metadata"}])


# --------------------------------------------------------------------------------------------
# KAL021 health-endpoint-logged

def test_livez_and_readyz_reach_the_catch_all():
    text = policy("""
        - level: None
          nonResourceURLs: ["/healthz*", "/version"]
        - level: Metadata
    """)
    [found] = lint(text, "KAL021")
    assert at(found) == (6, 12) and found.severity is Severity.WARNING
    request = witness(found)
    assert (request.verb, request.path) == ("get", "/livez")
    assert decide(text, found).rule == 1
    assert found.message.startswith("get /livez by alice")
    assert "/livez*" in found.fix


def test_exact_healthz_leaves_its_sub_checks_logged():
    text = policy("""
        - level: None
          nonResourceURLs: ["/healthz", "/livez*", "/readyz*", "/version"]
        - level: Metadata
    """)
    [found] = lint(text, "KAL021")
    assert witness(found).path == "/healthz/etcd" and decide(text, found).rule == 1
    assert "`/healthz` without `*` matches only that exact path" in found.message


def test_every_probe_dropped_is_clean():
    text = policy("""
        - level: None
          nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
        - level: Metadata
    """)
    assert lint(text, "KAL021") == []


def test_health_drop_for_groups_covers_every_user():
    # every authenticated user is in system:authenticated, the anonymous one in system:unauthenticated
    text = policy("""
        - level: None
          userGroups: ["system:authenticated", "system:unauthenticated"]
          nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
        - level: Metadata
    """)
    assert lint(text, "KAL021") == []


# --------------------------------------------------------------------------------------------
# KAL022 unreachable-rule

def test_rule_shadowed_by_one_earlier_rule():
    text = policy("""
        - level: Request
          resources:
            - group: ""
        - level: RequestResponse
          resources:
            - group: ""
              resources: ["pods"]
        - level: Metadata
    """)
    [found] = lint(text, "KAL022")
    assert at(found) == (7, 5) and found.rule_index == 1
    assert found.message.startswith(
        "rule 1 (line 7) is never used: rule 0 (line 4) matches every request it matches")
    assert [r.line for r in found.related] == [4]
    assert witness(found).resource == "pods" and decide(text, found).rule == 0


@pytest.mark.parametrize("first, second, third", [
    ('namespaces: ["prod"]', 'namespaces: ["dev"]', 'namespaces: ["prod", "dev"]'),
    ('userGroups: ["ops"]', 'userGroups: ["dev"]', 'userGroups: ["ops", "dev"]'),
    ('verbs: ["get"]', 'verbs: ["list", "watch"]', 'verbs: ["get", "list"]'),
])
def test_rule_shadowed_by_several_rules_together(first, second, third):
    text = policy(f"""
        - level: Metadata
          {first}
        - level: None
          {second}
        - level: RequestResponse
          {third}
          resources:
            - group: ""
              resources: ["pods"]
        - level: Metadata
    """)
    [found] = lint(text, "KAL022")
    assert at(found) == (8, 5) and found.rule_index == 2
    assert "rule 0 (line 4) and rule 1 (line 6) together match every request it matches" in found.message
    assert sorted(r.line for r in found.related) == [4, 6]
    assert decide(text, found).rule in (0, 1)


def test_partly_covered_rule_is_reachable():
    text = policy("""
        - level: Metadata
          namespaces: ["prod"]
        - level: RequestResponse
          namespaces: ["prod", "dev"]
          resources:
            - group: ""
              resources: ["pods"]
    """)
    assert lint(text, "KAL022") == []


@pytest.mark.parametrize("first, second", [
    ('resources: [{group: "", resources: ["pods/*"]}]', 'resources: [{group: "", resources: ["pods"]}]'),
    ('nonResourceURLs: ["/api*"]', 'nonResourceURLs: ["/apis/apps"]'),
    ('resources: [{group: "", resources: ["*/status"]}]', 'resources: [{group: "", resources: ["pods/status"]}]'),
])
def test_wildcards_shadow(first, second):
    text = policy(f"""
        - level: Metadata
          {first}
        - level: RequestResponse
          {second}
    """)
    [found] = lint(text, "KAL022")
    assert found.rule_index == 1 and decide(text, found).rule == 0


def test_group_wildcard_shadows_from_1_36():
    text = policy("""
        - level: Metadata
          resources: [{group: "*", resources: ["deployments"]}]
        - level: RequestResponse
          resources: [{group: apps, resources: ["deployments"]}]
    """)
    [found] = lint(text, "KAL022", kube_version=(1, 36))
    assert found.rule_index == 1
    assert lint(text, "KAL022", kube_version=(1, 35)) == []


def test_rule_that_matches_nothing_is_not_called_unreachable():
    text = policy("""
        - level: Metadata
        - level: RequestResponse
          verbs: ["GET"]
    """)
    found = lint(text, "KAL022")
    assert [f.rule_index for f in found] == [1]  # shadowed by the catch-all: it would match GET otherwise
    never = policy("""
        - level: None
          users: ["alice"]
        - level: RequestResponse
          resources:
            - group: ""
              resources: ["*/*"]
        - level: Metadata
    """)
    assert lint(never, "KAL022") == []  # "*/*" matches no request at all: rule-never-matches says so


# --------------------------------------------------------------------------------------------
# KAL023 no-catch-all

def test_policy_without_catch_all():
    text = policy("""
        - level: RequestResponse
          resources:
            - group: ""
              resources: ["pods"]
    """)
    [found] = lint(text, "KAL023")
    assert at(found) == (3, 1) and found.rule_index is None and found.severity is Severity.WARNING
    assert decide(text, found).rule is None
    request = witness(found)
    assert (request.verb, request.resource, request.subresource) == ("get", "pods", "exec")
    assert "matches no rule, so it is not logged" in found.message
    assert "exec into a container" in found.message


def test_catch_all_for_authenticated_users_misses_failed_authentication():
    text = policy("""
        - level: Metadata
          userGroups: ["system:authenticated", "system:unauthenticated"]
    """)
    [found] = lint(text, "KAL023")
    assert witness(found).user is None and decide(text, found).rule is None
    assert "HTTP 401" in found.message and "only rules without users and userGroups" in found.message


def test_catch_all_for_authenticated_users_misses_anonymous_ones():
    text = policy("""
        - level: Metadata
          userGroups: ["system:authenticated"]
    """)
    [found] = lint(text, "KAL023")
    assert witness(found).user == "system:anonymous" and "anonymous requests" in found.message


def test_catch_all_is_clean():
    assert lint(policy("- level: Metadata\n"), "KAL023") == []
    assert lint(HEAD + "  []\n", "KAL023") == []  # no rules at all: invalid-policy says so


# --------------------------------------------------------------------------------------------
# KAL024 security-event-not-logged

def test_reads_dropped_hide_websocket_exec_and_secret_reads():
    text = policy("""
        - level: Metadata
          verbs: ["create"]
          resources:
            - group: ""
              resources: ["pods/exec"]
        - level: None
          verbs: ["get", "list", "watch"]
        - level: Metadata
    """)
    [found] = lint(text, "KAL024")
    assert at(found) == (9, 12) and found.rule_index == 1
    request = witness(found)
    assert (request.verb, request.subresource) == ("get", "exec")
    assert decide(text, found).rule == 1 and decide(text, found).level is Level.NONE
    assert found.message.startswith("not logged: exec into a container: get pods/exec")
    assert "kubectl 1.30 and later opens exec with get (WebSocket)" in found.message
    assert "access to Secrets" in found.message


def test_user_scoped_drop_of_secrets():
    text = policy("""
        - level: None
          users: ["system:serviceaccount:kube-system:backup"]
          resources:
            - group: ""
              resources: ["secrets"]
        - level: Metadata
    """)
    [found] = lint(text, "KAL024")
    request = witness(found)
    assert request.user == "system:serviceaccount:kube-system:backup" and request.resource == "secrets"
    assert decide(text, found).rule == 0
    assert found.message.startswith("not logged: access to Secrets")


def test_events_dropped_wholesale_hide_their_deletion():
    text = policy("""
        - level: None
          resources:
            - group: ""
              resources: ["events"]
        - level: Metadata
    """)
    [found] = lint(text, "KAL024")
    assert witness(found).verb == "delete" and "deletion of Events" in found.message
    assert lint(text, "KAL024", ignore_classes=["events-deleted"]) == []


def test_targeted_noise_drop_is_clean():
    text = policy("""
        - level: None
          users: ["system:kube-proxy"]
          verbs: ["watch"]
          resources:
            - group: ""
              resources: ["endpoints", "services"]
        - level: None
          resources:
            - group: ""
              resources: ["events"]
          verbs: ["create", "update", "patch"]
        - level: Metadata
    """)
    assert lint(text, "KAL024") == []


def test_security_requests_matching_no_rule_are_reported_by_both_checks():
    """Each check reports what it sees: no-catch-all the gap, security-event-not-logged the
    security requests that fall into it (grouping shows them as one problem)."""
    text = policy("""
        - level: Metadata
          resources:
            - group: ""
              resources: ["pods"]
    """)
    [security] = lint(text, "KAL024")
    assert "matches no rule (default level None)" in security.message and security.rule_index is None
    assert at(security) == (3, 1)
    assert lint(text, "KAL023")


def test_api_server_loopback_drops_are_not_security_events():
    text = policy("""
        - level: None
          users: ["system:apiserver"]
          verbs: ["get", "list", "watch"]
        - level: Metadata
    """)
    assert lint(text, "KAL024") == []


# --------------------------------------------------------------------------------------------
# KAL025 rbac-change-without-body

def test_rbac_writes_at_metadata():
    text = policy("- level: Metadata\n")
    [found] = lint(text, "KAL025")
    assert at(found) == (4, 12)
    request = witness(found)
    assert (request.verb, request.api_group, request.resource) == ("create", "rbac.authorization.k8s.io", "roles")
    assert decide(text, found).level is Level.METADATA
    assert "without the request body" in found.message


def test_rbac_writes_with_bodies_are_clean_unless_the_response_is_asked_for():
    text = policy("""
        - level: Request
          verbs: ["create", "update", "patch"]
          resources:
            - group: rbac.authorization.k8s.io
        - level: Metadata
    """)
    assert lint(text, "KAL025") == []
    [found] = lint(text, "KAL025", level="RequestResponse")
    assert at(found) == (4, 12) and "without the stored object" in found.message


def test_rbac_writes_dropped_are_not_this_checks_business():
    text = policy("""
        - level: None
          resources:
            - group: rbac.authorization.k8s.io
        - level: RequestResponse
    """)
    assert lint(text, "KAL025") == []


# --------------------------------------------------------------------------------------------
# KAL026 verbose-read-logging

def test_reads_at_request_response():
    text = policy("""
        - level: Metadata
          resources:
            - group: ""
              resources: ["secrets"]
        - level: RequestResponse
    """)
    [found] = lint(text, "KAL026")
    assert at(found) == (8, 12) and found.severity is Severity.NOTE
    request = witness(found)
    assert request.verb == "get" and request.resource not in ("secrets", "") and not request.subresource
    assert decide(text, found).level is Level.REQUEST_RESPONSE


def test_reads_at_request_are_clean():
    text = policy("""
        - level: Request
          verbs: ["get", "list", "watch"]
        - level: RequestResponse
    """)
    assert lint(text, "KAL026") == []


def test_streams_are_not_reads():
    text = policy("""
        - level: RequestResponse
          resources:
            - group: ""
              resources: ["pods/exec", "pods/attach", "pods/portforward", "pods/log", "services/proxy"]
        - level: Metadata
    """)
    assert lint(text, "KAL026") == []
    status = text.replace('"services/proxy"]', '"services/proxy", "*/status"]')
    [found] = lint(status, "KAL026")
    assert witness(found).subresource == "status"


# --------------------------------------------------------------------------------------------
# KAL027 noisy-system-requests

def test_system_noise_at_the_catch_all():
    text = policy("- level: Metadata\n")
    [found] = lint(text, "KAL027")
    assert at(found) == (4, 12) and found.severity is Severity.NOTE
    request = witness(found)
    assert request.user == "system:node:node-1" and "system:nodes" in request.groups
    assert (request.api_group, request.resource) == ("coordination.k8s.io", "leases")
    assert request.namespace == "kube-node-lease"
    assert decide(text, found).rule == 0
    assert "node lease renewals, leader-election lease renewals" in found.message


def test_scoped_drops_for_each_noise_class():
    from kube_audit_lint.checks import kal027_noisy_system_requests as module
    from kube_audit_lint.lint.registry import doc_sections

    use_instead = doc_sections(module.__doc__)["use instead"].split("```yaml\n")[1].split("```")[0]
    assert lint(use_instead, "KAL027") == []
    assert lint(policy("- level: Metadata\n"), "KAL027", ignore_classes=[
        "node-lease-renewal", "leader-election", "kube-proxy-watch", "node-reads-own-node", "hpa-metrics",
        "apiserver-namespace-reads"]) == []


# --------------------------------------------------------------------------------------------
# KAL028 events-logged

def test_event_writes_logged():
    text = policy("""
        - level: None
          verbs: ["create", "update", "patch"]
          resources:
            - group: ""
              resources: ["events"]
        - level: Metadata
    """)
    [found] = lint(text, "KAL028")  # events.k8s.io is still logged
    assert at(found) == (9, 12)
    request = witness(found)
    assert (request.api_group, request.resource, request.verb) == ("events.k8s.io", "events", "create")
    assert decide(text, found).rule == 1
    assert "keep delete logged" in found.message


def test_event_writes_dropped_in_both_groups_are_clean():
    text = policy("""
        - level: None
          verbs: ["create", "update", "patch"]
          resources:
            - group: ""
              resources: ["events"]
            - group: events.k8s.io
              resources: ["events"]
        - level: Metadata
    """)
    assert lint(text, "KAL028") == []


# --------------------------------------------------------------------------------------------
# KAL029 unauthenticated-not-logged

def test_catch_all_at_none_after_group_scoped_logging():
    text = policy("""
        - level: Metadata
          userGroups: ["system:authenticated"]
        - level: None
    """)
    [found] = lint(text, "KAL029")
    assert at(found) == (6, 12) and found.rule_index == 1
    assert found.message.startswith(
        "requests that fail authentication (HTTP 401) and anonymous requests are never logged: rule 1 (line 6)")
    assert witness(found).user is None and decide(text, found).rule == 1


def test_some_failed_requests_logged_is_enough():
    text = policy("""
        - level: Metadata
          resources:
            - group: ""
              resources: ["secrets"]
        - level: Metadata
          userGroups: ["system:authenticated"]
        - level: None
    """)
    assert lint(text, "KAL029") == []


def test_unmatched_failed_requests_are_reported_alone():
    """Requests that fail authentication have no user: a rule naming groups never matches them."""
    text = policy("""
        - level: Metadata
          userGroups: ["system:authenticated", "system:unauthenticated"]
    """)
    [found] = lint(text, "KAL029")
    assert "requests that fail authentication (HTTP 401) are never logged: no rule matches them" in found.message
    assert found.rule_index is None
    assert lint(policy("- level: Metadata\n"), "KAL029") == []


# --------------------------------------------------------------------------------------------
# KAL030 policy-logs-nothing

def test_single_none_rule():
    text = policy("- level: None\n")
    [found] = lint(text, "KAL030")
    assert at(found) == (4, 12) and found.severity is Severity.ERROR
    assert "the policy logs no request at all: rule 0 (line 4) drops every request" in found.message
    assert lint(text, "KAL023") == []  # every request matches rule 0
    for code in ("KAL024", "KAL029"):
        [other] = lint(text, code)  # each check reports what it sees, alone
        assert other.rule_index == 0, code


def test_logging_rule_that_nothing_reaches():
    text = policy("""
        - level: None
          users: ["bob"]
        - level: None
        - level: Metadata
    """)
    [found] = lint(text, "KAL030")
    assert at(found) == (3, 1) and "every request is dropped or matches no rule" in found.message


def test_policy_that_logs_is_clean():
    assert lint(policy("- level: Metadata\n"), "KAL030") == []
    assert lint(policy("- level: 'Metadata '\n"), "KAL030") == []  # refused by kube-apiserver: invalid-policy


# --------------------------------------------------------------------------------------------
# The real-world corpus


@pytest.fixture(scope="module")
def corpus(corpus_policies):
    results = {}
    for path in sorted(corpus_policies.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        results[path.name] = (text, lint_text(text, path.name, select=SPACE_CHECKS))
    return results


def codes(findings, code):
    return [f for f in findings if f.code == code]


def assert_witnesses_decided_as_said(name: str, text: str, findings, kube_version):
    """Every example request goes to the rule its finding names (no-catch-all: to no rule)."""
    documents = parse_documents(name, text)
    policies = [decode_policy(d) for d in documents if isinstance(d.data, dict) and "rules" in d.data]
    for finding in findings:
        if finding.witness is None:
            continue
        request = witness(finding)
        decisions = {evaluate(p, request, kube_version).rule for p in policies}
        if finding.code == "KAL022":  # the rule matches its example, which an earlier rule takes
            assert any(rule_matches(p.rules[finding.rule_index], request, kube_version >= (1, 36))
                       for p in policies if finding.rule_index < len(p.rules)), (name, finding.message)
            assert all(d is not None and d < finding.rule_index for d in decisions), (name, finding.message)
        else:
            assert finding.rule_index in decisions, (name, finding.message)


def test_every_corpus_witness_is_decided_as_the_finding_says(corpus):
    for name, (text, findings) in corpus.items():
        assert_witnesses_decided_as_said(name, text, findings, (1, 36))


@pytest.mark.parametrize("kube_version", [(1, 24), (1, 35)])
def test_corpus_on_older_releases(corpus_policies, kube_version):
    for path in sorted(corpus_policies.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        findings = lint_text(text, path.name, select=SPACE_CHECKS, kube_version=kube_version)
        assert_witnesses_decided_as_said(path.name, text, findings, kube_version)


def test_baselines_get_no_sensitive_body_finding(corpus):
    for name in ("gce-configure-helper.yaml", "eks-best-practices-as-v1.yaml", "kubespray.yaml",
                 "openshift-default.yaml", "minimal-metadata-kops.yaml"):
        assert codes(corpus[name][1], "KAL020") == [], name


def test_gke_policy(corpus):
    findings = corpus["gce-configure-helper.yaml"][1]
    summary = sorted((f.code, f.rule_index) for f in findings)
    assert summary == [("KAL021", 16), ("KAL024", 9), ("KAL027", 16), ("KAL028", 16)]
    [health] = codes(findings, "KAL021")
    assert witness(health).path == "/livez"  # /healthz* is dropped, /livez and /readyz are not
    [events] = codes(findings, "KAL024")
    assert events.message.startswith("not logged: deletion of Events: delete events/example")


def test_eks_policy(corpus):
    findings = corpus["eks-best-practices-as-v1.yaml"][1]
    assert sorted((f.code, f.rule_index) for f in findings) == [
        ("KAL021", 16), ("KAL024", 8), ("KAL027", 16), ("KAL028", 16)]


def test_catch_all_request_response_policy(corpus):
    findings = corpus["k8s-audit-log-inspector-all.yaml"][1]
    [body] = codes(findings, "KAL020")
    assert body.rule_index == 0 and witness(body).resource == "secrets"
    assert codes(findings, "KAL026")


@pytest.mark.parametrize("name, expected", [
    ("aks-engine.yaml", [4, 5, 6]),  # configmaps in kube-system, secrets, core group at Request
    ("cage-research.yaml", [1, 3]),  # secrets at Request, then RequestResponse for update
    ("charmed-kubernetes.yaml", [4]),  # catch-all at Request
    ("falco-k8saudit-plugin.yaml", [6, 7]),  # configmaps at Request and RequestResponse
    ("kubermatic-recommended.yaml", [0]),  # the usersshkeys Secret at RequestResponse
    ("gce-configure-helper-2017.yaml", [10]),  # serviceaccounts/token before it was listed
    ("openshift-allrequestbodies.yaml", [3]),  # configmaps reach the RequestResponse catch-all
])
def test_sensitive_bodies_in_the_corpus(corpus, name, expected):
    assert [f.rule_index for f in codes(corpus[name][1], "KAL020")] == expected


def test_corpus_coverage_gaps(corpus):
    assert [f.rule_index for f in codes(corpus["rke2-default.yaml"][1], "KAL030")] == [0]
    # every check reports what it sees on the policy that drops everything, all at rule 0
    rke2 = [f for f in corpus["rke2-default.yaml"][1] if f.code in ("KAL024", "KAL029", "KAL030")]
    assert {f.code for f in rke2} == {"KAL024", "KAL029", "KAL030"} and {f.rule_index for f in rke2} == {0}
    [security] = codes(corpus["cloudnative-pg.yaml"][1], "KAL024")
    assert security.rule_index is None and "exec" in security.subject  # exec matches no rule there
    for name in ("yokaze-kind.yaml", "nunoadrego-pod-security.yaml", "kubermatic-minimal.yaml",
                 "cloudnative-pg.yaml", "audit2rbac-demo.yaml", "neon-autoscaling.yaml"):
        assert len(codes(corpus[name][1], "KAL023")) == 1, name
    [reads] = [f for f in codes(corpus["yokaze-kind.yaml"][1], "KAL024") if f.rule_index is not None]
    assert reads.rule_index == 0 and witness(reads).verb == "get"
    [oauth] = codes(corpus["openshift-oauth.yaml"][1], "KAL029")
    assert oauth.rule_index == 5
    [shadowed] = codes(corpus["openshift-clf-example.yaml"][1], "KAL022")
    assert shadowed.rule_index == 2 and [r.line for r in shadowed.related] == [21]


def test_space_checks_stay_fast_on_gke_and_eks(corpus_policies):
    for name in ("gce-configure-helper.yaml", "eks-best-practices-as-v1.yaml"):
        text = (corpus_policies / name).read_text(encoding="utf-8")
        lint_text(text, name, select=SPACE_CHECKS)  # imports and data files loaded once
        start = time.perf_counter()
        lint_text(text, name, select=SPACE_CHECKS)
        assert time.perf_counter() - start < 1.0, name


# --------------------------------------------------------------------------------------------
# Who sends requests: system:authenticated and system:unauthenticated as kube-apiserver sets them

def test_rule_after_an_authenticated_catch_all_is_unreachable():
    text = policy("""
        - level: Metadata
          userGroups: ["system:authenticated"]
        - level: RequestResponse
          users: ["alice"]
        - level: None
    """)
    [found] = lint(text, "KAL022")
    assert found.rule_index == 1 and [r.line for r in found.related] == [4]
    assert "every authenticated user is in system:authenticated" in found.message
    request = witness(found)
    assert request.user == "alice" and "system:authenticated" in request.groups
    assert decide(text, found).rule == 0


def test_dropping_anonymous_requests_hides_nothing_authenticated_users_do():
    text = policy("""
        - level: None
          userGroups: ["system:unauthenticated"]
        - level: Metadata
    """)
    assert lint(text, "KAL024") == []
    [anonymous] = lint(text, "KAL029")
    assert anonymous.message.startswith("anonymous requests are never logged: rule 0 (line 4)")
    request = witness(anonymous)
    assert (request.user, request.groups) == ("system:anonymous", ("system:unauthenticated",))
    assert decide(text, anonymous).rule == 0


def test_health_drop_for_anonymous_probes_only():
    text = policy("""
        - level: None
          userGroups: ["system:unauthenticated"]
          nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
        - level: Metadata
    """)
    [found] = lint(text, "KAL021")
    request = witness(found)
    assert request.groups == ("system:authenticated",) and decide(text, found).rule == 1
