"""The checks that read the policy model alone (KAL001-KAL019): positions, messages, edge cases."""

from __future__ import annotations

from textwrap import dedent

import pytest

from kube_audit_lint.lint.config import Settings
from kube_audit_lint.findings import Severity
from kube_audit_lint.lint.pipeline import lint_paths, lint_text

HEADER = "apiVersion: audit.k8s.io/v1\nkind: Policy\n"


def run(code: str, body: str, kube_version=(1, 36), header: str = HEADER):
    return lint_text(header + dedent(body), select=[code], kube_version=kube_version)


def at(finding) -> tuple[int, int]:
    return finding.location.line, finding.location.column


def only(findings):
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


# KAL001 invalid-policy

def test_invalid_policy_removed_api_version():
    found = only(lint_text("apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Metadata\n",
                           select=["invalid-policy"]))
    assert (found.code, found.severity, at(found)) == ("KAL001", Severity.ERROR, (1, 13))
    assert 'no kind "Policy" is registered for version "audit.k8s.io/v1beta1"' in found.message
    assert found.location.end_column == 33


def test_invalid_policy_deprecated_api_version_is_a_warning_before_1_24():
    found = only(lint_text("apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Metadata\n",
                           select=["KAL001"], kube_version=(1, 23)))
    assert found.severity == Severity.WARNING
    assert "deprecated" in found.message


def test_invalid_policy_reports_each_problem_at_its_token():
    findings = run("KAL001", """\
        rules:
          - level: metadata
          - level: Metadata
            omitStages: ["RequestRecieved"]
            resources:
              - group: apps/v1
    """)
    assert [(at(f), f.message.split(":")[0]) for f in findings] == [
        ((4, 12), "rules[0].level"),
        ((6, 18), "rules[1].omitStages[0]"),
        ((8, 16), "rules[1].resources.group"),
    ]
    assert all(f.severity == Severity.ERROR for f in findings)
    assert findings[0].rule_index == 0 and findings[2].rule_index == 1


def test_invalid_policy_without_rules():
    found = only(run("KAL001", "rules: []\n"))
    assert "0 rules" in found.message and at(found) == (3, 8)


def test_invalid_policy_accepts_a_valid_policy():
    assert run("KAL001", "rules:\n- level: Metadata\n") == []


def test_invalid_policy_reports_a_file_whose_first_document_is_not_the_policy(tmp_path):
    path = tmp_path / "audit-policy.yaml"
    path.write_text("kind: ConfigMap\napiVersion: v1\n---\n" + HEADER + "rules:\n- level: Metadata\n")
    report = lint_paths([str(path)], Settings(select=["KAL001"]), (1, 36))
    found = only(report.findings)
    assert found.severity == Severity.ERROR and "first YAML document" in found.message


# KAL002 unknown-field

def test_unknown_field_points_at_the_key_and_names_the_field_meant():
    findings = run("KAL002", """\
        rules:
          - level: None
            verb: ["get"]
            resources:
              - group: machineconfiguration.openshift.io
                resource: ["machineconfigs"]
          - level: Metadata
    """)
    verb, resource = findings
    assert at(verb) == (5, 5) and verb.location.end_column == 9
    assert verb.message == ('rule 0: unknown field "verb" is dropped by kube-apiserver, so the rule matches '
                            'every verb; did you mean "verbs"?')
    assert verb.fix == 'rename "verb" to "verbs"' and verb.severity == Severity.ERROR
    assert at(resource) == (8, 9)
    assert "the entry matches every resource of its group" in resource.message


def test_unknown_field_group_on_the_rule_belongs_in_an_entry():
    found = only(run("KAL002", "rules:\n  - level: Metadata\n    group: apps\n"))
    assert at(found) == (5, 5) and "belongs inside a resources entry" in found.message


def test_unknown_field_next_to_the_field_meant():
    found = only(run("KAL002", "Rules: []\nrules:\n  - level: Metadata\n"))
    assert at(found) == (3, 1)
    assert 'did you mean "rules"? (it is set as well' in found.message


def test_unknown_field_case_and_metadata():
    findings = run("KAL002", "metadata: {nam: x}\nrules:\n  - level: Metadata\n    omitstages: [Panic]\n")
    assert [(at(f), f.fix) for f in findings] == [
        ((3, 12), 'rename "nam" to "name"'),
        ((6, 5), 'rename "omitstages" to "omitStages"'),
    ]


def test_unknown_field_omit_managed_fields_before_1_23():
    body = "omitManagedFields: true\nrules:\n  - level: Metadata\n"
    assert run("KAL002", body) == []
    found = only(run("KAL002", body, kube_version=(1, 22)))
    assert "before Kubernetes 1.23" in found.message and at(found) == (3, 1)


def test_unknown_field_without_a_close_match():
    found = only(run("KAL002", "rules:\n  - level: Metadata\n    comment: logs everything\n"))
    assert found.message == 'rule 0: unknown field "comment" is dropped by kube-apiserver' and found.fix is None


# KAL003 versioned-group

@pytest.mark.parametrize("group, refused, meant", [
    ("apps/v1", True, 'the group is "apps"'),
    ("extensions/v1beta1", True, 'the group is "extensions"'),
    ("rbac.authorization.k8s.io/v1beta1", True, 'the group is "rbac.authorization.k8s.io"'),
    ("core/v1", True, 'the core group is ""'),
    ("v1", False, 'the core group is ""'),
    ("core", False, 'the core group is ""'),
    ("v1beta1", False, "without its version"),
])
def test_versioned_group(group, refused, meant):
    found = only(run("KAL003", f"""\
        rules:
          - level: Metadata
            resources:
              - group: "{group}"
    """))
    assert at(found) == (6, 16) and found.location.end_column == 18 + len(group)
    assert f'group "{group}"' in found.message and meant in found.message
    assert ("refuses it" in found.message) is refused
    assert ("never matches" in found.message) is not refused


@pytest.mark.parametrize("group", ["", "apps", "*", "example.com", "v1.example.com", "batch"])
def test_versioned_group_leaves_groups_alone(group):
    assert run("KAL003", f'rules:\n  - level: Metadata\n    resources:\n      - group: "{group}"\n') == []


# KAL004 rule-never-matches

def test_never_matches_verbs():
    findings = run("KAL004", """\
        rules:
          - level: RequestResponse
            verbs: ["GET", "impersonate", "*", "exec", "lsit", "post", "get"]
            resources:
              - group: ""
                resources: ["pods"]
    """)
    assert [at(f)[1] for f in findings] == [13, 20, 35, 40, 48, 56]
    assert {at(f)[0] for f in findings} == {5}
    get, impersonate, star, exec_, lsit, post = findings
    assert get.fix == 'use "get", "list", "watch"' and "HTTP method" in get.message
    assert "authorization verb" in impersonate.message
    assert star.fix == "omit verbs to match every verb"
    assert exec_.fix == 'select the subresource instead: resources: ["pods/exec"]'
    assert lsit.fix == 'use "list"'
    assert post.fix == 'use "create"'
    assert "matches no request" not in " ".join(f.message for f in findings)  # "get" still matches


def test_never_matches_says_when_the_whole_rule_is_dead():
    first, second = run("KAL004", 'rules:\n  - level: None\n    verbs: ["GET", "LIST"]\n')
    assert first.message.endswith("no verbs entry can match, so rule 0 matches no request")
    assert "rule 0 matches no request" not in second.message


def test_never_matches_verb_kind_depends_on_the_rule():
    non_resource = run("KAL004", 'rules:\n  - level: None\n    verbs: ["list", "get", "post"]\n'
                                 '    nonResourceURLs: ["/metrics"]\n')
    assert [f.message.split('"')[1] for f in non_resource] == ["list"]
    assert run("KAL004", 'rules:\n  - level: None\n    verbs: ["post", "list"]\n') == []


def test_never_matches_identities():
    findings = run("KAL004", """\
        rules:
          - level: None
            users: ["system:node-*", "system:serviceaccount:kube-system:*", "system:nodes", "alice"]
            userGroups: ["system:serviceaccount:team-a", "system:kube-proxy", "system:authenticated"]
    """)
    assert [(at(f), f.fix) for f in findings] == [
        ((5, 13), 'select every node with userGroups: ["system:nodes"]'),
        ((5, 30), 'select the namespace\'s service accounts with userGroups: ["system:serviceaccounts:kube-system"]'),
        ((5, 69), 'list it under userGroups: ["system:nodes"]'),
        ((6, 18), 'the group of every service account in that namespace is "system:serviceaccounts:team-a"'),
        ((6, 50), 'list it under users: ["system:kube-proxy"]'),
    ]


def test_never_matches_namespaces():
    findings = run("KAL004", 'rules:\n  - level: None\n    namespaces: ["openshift-*", "Kube-System", "", "default"]\n')
    assert [(at(f), f.fix) for f in findings] == [
        ((5, 18), "list each namespace explicitly"),
        ((5, 33), 'use "kube-system"'),
    ]


def test_never_matches_resources_of_built_in_groups():
    findings = run("KAL004", """\
        rules:
          - level: RequestResponse
            resources:
              - group: ""
                resources: ["pods", "deployments", "pod", "Pods", "pods/exe", "nodes/stats", "*/*", "pods/*", "*/status"]
              - group: authentication.k8s.io
                resources: ["tokenrequests", "tokenreviews"]
              - group: apps
                resources: ["deployments.apps", "deployments/scale"]
    """)
    assert [at(f) for f in findings] == [(7, 29), (7, 44), (7, 51), (7, 59), (7, 71), (7, 86), (9, 21), (11, 21)]
    deployments, pod, pods, exe, stats, star, tokenrequests, dotted = findings
    assert deployments.message == ('rule 0: the core group "" has no resource "deployments"; '
                                   'it is served by group "apps"')
    assert deployments.fix == 'move it to an entry with group: "apps"'
    assert pod.fix == 'use "pods"' and pods.fix == 'use "pods"'
    assert exe.fix == 'use "pods/exec"'
    assert stats.fix == 'use "nodes/proxy"' and "kubelet" in stats.message
    assert star.fix.startswith('use "*"')
    assert "serviceaccounts/token" in tokenrequests.message
    assert dotted.fix == 'write group: "apps" with resources: ["deployments"]'
    assert all(f.severity == Severity.WARNING for f in findings)


def test_never_matches_leaves_unknown_groups_to_their_owners():
    findings = run("KAL004", """\
        rules:
          - level: Metadata
            resources:
              - group: example.com
                resources: ["widget", "widgets/status", "Gadgets"]
              - group: "*"
                resources: ["anything"]
    """)
    assert [f.message.split('"')[1] for f in findings] == ["Gadgets"]


def test_never_matches_removed_resources_depend_on_the_target_release():
    body = ('rules:\n  - level: Metadata\n    resources:\n      - group: policy\n'
            '        resources: ["podsecuritypolicies"]\n')
    assert run("KAL004", body, kube_version=(1, 24)) == []
    found = only(run("KAL004", body, kube_version=(1, 25)))
    assert "removed in Kubernetes 1.25" in found.message


def test_never_matches_cluster_scoped_resources_in_namespaces():
    findings = run("KAL004", """\
        rules:
          - level: None
            namespaces: ["kube-system"]
            resources:
              - group: ""
                resources: ["nodes", "namespaces", "configmaps"]
              - group: rbac.authorization.k8s.io
                resources: ["clusterroles"]
    """)
    assert [at(f) for f in findings] == [(8, 21), (10, 21)]
    assert 'add "" to namespaces' in findings[0].fix
    with_empty = run("KAL004", 'rules:\n  - level: None\n    namespaces: ["", "kube-system"]\n    resources:\n'
                               '      - group: ""\n        resources: ["nodes"]\n')
    assert with_empty == []


def test_never_matches_resource_names_with_nameless_verbs():
    findings = run("KAL004", """\
        rules:
          - level: RequestResponse
            verbs: ["create"]
            resources:
              - group: ""
                resources: ["configmaps"]
                resourceNames: ["aws-auth"]
          - level: RequestResponse
            verbs: ["create", "update"]
            resources:
              - group: ""
                resources: ["configmaps"]
                resourceNames: ["aws-auth"]
          - level: RequestResponse
            verbs: ["update", "patch", "delete"]
            resources:
              - group: ""
                resources: ["configmaps"]
                resourceNames: ["aws-auth"]
    """)
    assert [at(f) for f in findings] == [(9, 24), (11, 13)]
    assert "this entry matches nothing" in findings[0].message
    assert findings[1].message.startswith('rule 1: verb "create" never matches')


def test_never_matches_non_resource_urls():
    findings = run("KAL004", """\
        rules:
          - level: None
            nonResourceURLs: ["/healthz?verbose", "/api/v1/pods", "/apis/apps/v1/deployments*", "/api/v1/*",
                              "/api*", "/apis/apps/v1"]
    """)
    assert [at(f) for f in findings] == [(5, 23), (5, 43), (5, 59)]
    assert findings[0].fix == 'use "/healthz"'


# KAL005 duplicate-entry

def test_duplicate_values_point_at_the_repeat():
    findings = run("KAL005", """\
        omitStages: ["RequestReceived", "RequestReceived"]
        rules:
          - level: None
            verbs: ["get", "list", "get"]
            resources:
              - group: ""
                resources: ["pods/*", "pods/log", "events", "events"]
          - level: Metadata
    """)
    assert [at(f) for f in findings] == [(3, 33), (6, 28), (9, 31), (9, 53)]
    stage, verb, covered, events = findings
    assert verb.message == 'rule 0: verb "get" is listed twice (first at verbs[0])'
    assert (verb.related[0].line, verb.related[0].column) == (6, 13)
    assert covered.message == 'rule 0, resources[0]: "pods/log" is already covered by "pods/*" in the same entry'
    assert all(f.severity == Severity.NOTE for f in findings)


def test_duplicate_entries_and_rules():
    findings = run("KAL005", """\
        rules:
          - level: Metadata
            resources:
              - group: ""
                resources: ["secrets", "configmaps"]
              - group: ""
                resources: ["configmaps", "secrets"]
          - level: None
            users: ["a", "b"]
          - level: None
            users: ["b", "a"]
    """)
    assert [(at(f), f.message) for f in findings] == [
        ((8, 9), "rule 0: resources[1] repeats resources[0]"),
        ((12, 5), "rule 2 repeats rule 1 exactly; the later copy never decides anything"),
    ]


def test_duplicate_entry_leaves_distinct_values_and_wildcard_neighbours_alone():
    assert run("KAL005", """\
        omitStages: ["RequestReceived"]
        rules:
          - level: None
            omitStages: ["RequestReceived"]
            resources:
              - group: ""
                resources: ["pods", "pods/*", "*/status"]
          - level: Metadata
    """) == []


# KAL006 missing-omit-stages

def test_missing_omit_stages_once_for_the_policy():
    found = only(run("KAL006", """\
        rules:
          - level: None
            nonResourceURLs: ["/healthz*"]
          - level: Request
            resources: [{group: ""}]
          - level: Metadata
    """))
    assert at(found) == (3, 1) and found.location.end_column == 6
    assert found.fix == 'add omitStages: ["RequestReceived"] at the policy level'
    assert "2 logging rules" in found.message


def test_missing_omit_stages_per_rule_when_most_omit_it():
    findings = run("KAL006", """\
        rules:
          - level: Request
            omitStages: ["RequestReceived"]
            resources: [{group: ""}]
          - level: Request
            resources: [{group: apps}]
          - level: Metadata
            omitStages: ["RequestReceived"]
    """)
    assert [(at(f), f.rule_index) for f in findings] == [((7, 5), 1)]
    assert findings[0].fix == 'add omitStages: ["RequestReceived"] to rule 1, or once at the policy level'


def test_missing_omit_stages_once_when_most_keep_it():
    found = only(run("KAL006", """\
        rules:
          - level: Request
            resources: [{group: ""}]
          - level: Request
            resources: [{group: apps}]
          - level: Metadata
            omitStages: ["RequestReceived"]
    """))
    assert at(found) == (3, 1) and "rules 0, 1 (2 of 3 logging rules)" in found.message
    assert [(loc.line, loc.column) for loc in found.related] == [(4, 12), (6, 12)]


@pytest.mark.parametrize("body", [
    'omitStages: ["RequestReceived"]\nrules:\n  - level: Metadata\n',
    "rules:\n  - level: None\n",
    'rules:\n  - level: Metadata\n    omitStages: ["RequestReceived", "Panic"]\n  - level: None\n',
])
def test_missing_omit_stages_quiet(body):
    assert run("KAL006", body) == []


# KAL007 body-level-on-non-resource

def test_body_level_on_non_resource():
    findings = run("KAL007", """\
        rules:
          - level: Request
            nonResourceURLs: ["/metrics"]
          - level: Request
            verbs: ["get"]
          - level: Metadata
            nonResourceURLs: ["/logs*"]
    """)
    found = only(findings)
    assert at(found) == (4, 12) and found.fix == "use level: Metadata"


# KAL008 managed-fields-not-omitted

def test_managed_fields_once_for_the_policy():
    found = only(run("KAL008", """\
        rules:
          - level: RequestResponse
            resources: [{group: apps}]
          - level: Request
            nonResourceURLs: ["/metrics"]
          - level: Request
    """))
    assert at(found) == (3, 1) and "rules 0, 2 log bodies" in found.message


def test_managed_fields_per_rule_and_decisions():
    findings = run("KAL008", """\
        rules:
          - level: RequestResponse
            omitManagedFields: true
            resources: [{group: apps}]
          - level: RequestResponse
            omitManagedFields: false
            resources: [{group: batch}]
          - level: Request
    """)
    assert [at(f) for f in findings] == [(10, 5)]
    assert run("KAL008", "omitManagedFields: false\nrules:\n  - level: Request\n") == []
    assert run("KAL008", "rules:\n  - level: Request\n", kube_version=(1, 22)) == []
    assert run("KAL008", "rules:\n  - level: Metadata\n") == []


# KAL009 duplicate-key

def test_duplicate_keys():
    findings = run("KAL009", """\
        rules:
          - level: Metadata
            verbs: ["get"]
            verbs: ["list"]
            verbs: ["watch"]
            resources:
              - group: ""
                group: apps
    """)
    assert [at(f) for f in findings] == [(6, 5), (7, 5), (10, 9)]
    assert findings[0].message == 'rule 0: key "verbs" repeats an earlier key; kube-apiserver keeps only the last value'
    assert findings[2].message.startswith("rule 0, resources[0]: ")


# KAL010 response-started-omitted

def test_response_started_omitted_for_the_policy():
    found = only(run("KAL010", 'omitStages: ["RequestReceived", "ResponseStarted"]\nrules:\n  - level: Metadata\n'))
    assert at(found) == (3, 33) and "rule 0 logs them" in found.message


def test_response_started_omitted_by_a_rule_that_logs_sessions():
    findings = run("KAL010", """\
        rules:
          - level: Metadata
            omitStages: ["ResponseStarted"]
            resources: [{group: "", resources: ["secrets"]}]
          - level: Request
            users: ["alice"]
            namespaces: ["prod"]
            omitStages: ["RequestReceived", "ResponseStarted"]
            resources: [{group: "", resources: ["pods/*"], resourceNames: ["web-0"]}]
          - level: None
            omitStages: ["ResponseStarted"]
    """)
    assert [at(f) for f in findings] == [(10, 37)]


def test_response_started_omitted_quiet_when_no_rule_logs_sessions():
    assert run("KAL010", 'omitStages: ["ResponseStarted"]\nrules:\n  - level: None\n') == []


# KAL011 response-complete-omitted

def test_response_complete_omitted():
    body = 'omitStages: ["RequestReceived", "ResponseComplete"]\nrules:\n  - level: Metadata\n'
    policy_level = only(run("KAL011", body))
    assert at(policy_level) == (3, 33) and "not logged at all" in policy_level.message
    findings = run("KAL011", """\
        rules:
          - level: Metadata
            omitStages: ["ResponseComplete"]
          - level: None
            omitStages: ["ResponseComplete"]
    """)
    found = only(findings)
    assert at(found) == (5, 18) and "without their response status" in found.message


# KAL012 subresource-wildcard-includes-resource

def test_subresource_wildcard():
    findings = run("KAL012", """\
        rules:
          - level: None
            resources:
              - group: ""
                resources: ["nodes/*", "pods", "pods/*"]
              - group: apps
                resources: ["*", "deployments/*"]
              - group: example.com
                resources: ["*/*", "widgets/*"]
    """)
    assert [at(f) for f in findings] == [(7, 21), (11, 28)]
    assert findings[0].message == ('rule 0: "nodes/*" also matches "nodes" itself, not only its subresources: '
                                   "requests on nodes are not logged either")


# KAL013 exec-verbs-incomplete

def test_exec_verbs_incomplete():
    findings = run("KAL013", """\
        rules:
          - level: RequestResponse
            verbs: ["create"]
            resources: [{group: "", resources: ["pods/exec", "pods/attach"]}]
          - level: None
            verbs: ["get", "list"]
            resources: [{group: "", resources: ["pods/portforward"]}]
          - level: Metadata
            verbs: ["get", "create"]
            resources: [{group: "", resources: ["pods/exec"]}]
          - level: Metadata
            resources: [{group: "", resources: ["pods/exec"]}]
    """)
    assert [(at(f), f.severity) for f in findings] == [((5, 12), Severity.WARNING), ((8, 12), Severity.NOTE)]
    assert findings[0].fix == 'add "get" to verbs' and "pods/attach, pods/exec" in findings[0].message


# KAL014 blanket-drop

def test_blanket_drop():
    findings = run("KAL014", """\
        rules:
          - level: None
            userGroups: ["system:serviceaccounts:kube-system"]
          - level: None
            namespaces: ["kube-system"]
          - level: None
            users: ["system:kube-proxy"]
            verbs: ["watch"]
          - level: Metadata
            users: ["alice"]
          - level: None
    """)
    assert [at(f) for f in findings] == [(5, 17), (7, 17)]
    assert "members of system:serviceaccounts:kube-system" in findings[0].message
    assert 'in namespace kube-system, whoever sends it' in findings[1].message


# KAL015 empty-namespace-on-namespaced-resource

def test_empty_namespace_on_namespaced_resource():
    findings = run("KAL015", """\
        rules:
          - level: None
            namespaces: [""]
            resources:
              - group: ""
                resources: ["nodes", "secrets", "pods/log"]
              - group: example.com
                resources: ["widgets"]
          - level: None
            resources: [{group: "", resources: ["secrets"]}]
    """)
    assert [at(f) for f in findings] == [(8, 30), (8, 41)]
    assert "kubectl get secrets -A" in findings[0].message and "go unlogged" in findings[0].message


# All of them

BROKEN = [
    "rules: nothing\n",
    "rules:\n  - 1\n  - null\n  - level: [Metadata]\n",
    "rules:\n  - level: Metadata\n    resources: secrets\n    verbs: yes\n    users: [1, null]\n",
    "rules:\n  - level: Metadata\n    resources: [null, 3, {group: null, resources: [null]}]\n",
    "omitStages: Panic\nrules:\n  - level: None\n    omitStages: [null]\n",
]


@pytest.mark.parametrize("body", BROKEN)
def test_model_checks_survive_broken_policies(body):
    codes = [f"KAL{n:03d}" for n in range(1, 16)]
    findings = lint_text(HEADER + body, select=codes)
    assert all(f.location.line >= 1 for f in findings)
