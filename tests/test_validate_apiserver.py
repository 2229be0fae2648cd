"""Would kube-apiserver load this policy, and what would it say? One test per behaviour.

Sources (kubernetes/kubernetes, staging/src/k8s.io/apiserver/...):
- pkg/audit/policy/reader.go LoadPolicyFromBytes: strict decode, lenient fallback with a warning
  (1.26+), the group-version check, ValidatePolicy, then "loaded illegal policy with 0 rules";
- pkg/apis/audit/validation/validation.go: ValidatePolicy, validatePolicyRule, validateLevel,
  validateNonResourceURLs, validateResources, validateOmitStages;
- k8s.io/apimachinery runtime/serializer/json (Decode, gvkWithDefaults) and encoding/json
  (UnmarshalTypeError) for the decoding messages.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from kube_audit_lint.engine.evaluate import evaluate
from kube_audit_lint.engine.request import Request
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.validate import apiserver_verdict, shape_problems
from kube_audit_lint.policy.yamlnodes import parse_documents

HEADER = "apiVersion: audit.k8s.io/v1\nkind: Policy\n"
DNS_MESSAGE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
               "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
               "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def verdict(text: str, kube: tuple[int, int] = versions.DEFAULT, name: str = "p.yaml"):
    return apiserver_verdict(parse_documents(name, textwrap.dedent(text))[0], kube)


def with_rules(rules: str, kube: tuple[int, int] = versions.DEFAULT, header: str = HEADER):
    return verdict(header + "rules:\n" + textwrap.indent(textwrap.dedent(rules), "  "), kube)


def errors(v) -> list[str]:
    return [p.render() for p in v.errors]


def warnings(v) -> list[str]:
    return [p.render() for p in v.warnings]


# --- reader.go: versions, kinds, rule count ----------------------------------------------------

def test_minimal_policy_loads():
    v = with_rules("- level: Metadata\n")
    assert v.accepted and v.problems == []


def test_missing_kind_defaults_to_policy():
    # json serializer gvkWithDefaults fills a missing kind from the target type
    assert verdict("apiVersion: audit.k8s.io/v1\nrules: [{level: None}]\n").accepted


@pytest.mark.parametrize("kube", [(1, 23), (1, 36)])
def test_missing_api_version_decodes_to_the_internal_version_and_is_refused(kube):
    # gvkWithDefaults gives audit.k8s.io/__internal; the reader's apiGroupVersionSet check refuses it
    v = verdict("kind: Policy\nrules: [{level: None}]\n", kube)
    assert errors(v) == ["unknown group version field audit.k8s.io/__internal, Kind=Policy in policy"]
    assert "apiVersion" in v.errors[0].hint


def test_empty_document_is_refused_like_a_missing_api_version():
    v = verdict("---\n")
    assert errors(v) == ["unknown group version field audit.k8s.io/__internal, Kind=Policy in policy"]


def test_unknown_kind_without_api_version():
    v = verdict("kind: Pod\nrules: [{level: None}]\n")
    assert errors(v) == ['failed decoding: no kind "Pod" is registered for the internal version of group "audit.k8s.io"']


@pytest.mark.parametrize("api_version", ["audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1"])
def test_removed_versions_refused_from_1_24(api_version):
    # commit 871a4b720 (1.24): apiGroupVersions = {auditv1}
    text = f"apiVersion: {api_version}\nkind: Policy\nrules: [{{level: None}}]\n"
    for kube in [(1, 24), (1, 36)]:
        v = verdict(text, kube)
        assert errors(v) == [f'failed decoding: no kind "Policy" is registered for version "{api_version}"']
        assert "removed in Kubernetes 1.24" in v.errors[0].hint


@pytest.mark.parametrize("api_version", ["audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1"])
def test_removed_versions_load_before_1_24_with_the_deprecation_warning(api_version):
    # reader.go before 1.24: klog.Warningf("%q is deprecated and will be removed in a future release, use %q instead")
    v = verdict(f"apiVersion: {api_version}\nkind: Policy\nrules: [{{level: None}}]\n", (1, 23))
    assert v.accepted
    assert warnings(v) == [f'"{api_version}" is deprecated and will be removed in a future release, '
                           'use "audit.k8s.io/v1" instead']


@pytest.mark.parametrize("api_version, kind, message", [
    ("v1", "Policy", 'failed decoding: no kind "Policy" is registered for version "v1"'),
    ("audit.k8s.io/v2", "Policy", 'failed decoding: no kind "Policy" is registered for version "audit.k8s.io/v2"'),
    ("audit.k8s.io/v1", "Pod", 'failed decoding: no kind "Pod" is registered for version "audit.k8s.io/v1"'),
    ("a/b/c", "Policy", "failed decoding: unexpected GroupVersion string: a/b/c"),
])
def test_unregistered_group_version_kind_is_refused(api_version, kind, message):
    v = verdict(f"apiVersion: {api_version}\nkind: {kind}\nrules: [{{level: None}}]\n")
    assert errors(v) == [message]


def test_other_audit_kinds_are_refused():
    v = verdict("apiVersion: audit.k8s.io/v1\nkind: PolicyList\nitems: []\n")
    assert not v.accepted and "PolicyList" in errors(v)[0]


def test_non_string_api_version_fails_reading_the_version_and_kind():
    # SimpleMetaFactory.Interpret decodes apiVersion/kind alone first
    v = verdict("apiVersion: 1\nkind: Policy\nrules: [{level: None}]\n")
    assert errors(v) == ["failed decoding: couldn't get version/kind; json parse error: json: cannot unmarshal "
                         "number into Go struct field .apiVersion of type string"]


def test_a_document_that_is_not_an_object_is_refused():
    v = verdict("- level: None\n")
    assert len(errors(v)) == 1 and errors(v)[0].startswith(
        "failed decoding: couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value")


@pytest.mark.parametrize("rules", ["rules: []\n", "rules:\n", "", "rules: null\n"])
def test_zero_rules_refused(rules):
    # reader.go: policyCnt == 0 -> "loaded illegal policy with 0 rules"
    v = verdict(HEADER + rules)
    assert errors(v) == ["loaded illegal policy with 0 rules"]


def test_rule_count_is_checked_only_after_validation():
    v = verdict(HEADER + "omitStages: [Nope]\nrules: []\n")
    assert [p.field_path for p in v.errors] == ["omitStages[0]"]


# --- decoding: wrong types fail the whole decoding (encoding/json UnmarshalTypeError) ----------

@pytest.mark.parametrize("rule, message", [
    ("- level: yes\n", "cannot unmarshal bool into Go struct field PolicyRule.rules.level of type v1.Level"),
    ("- level: None\n  verbs: [get, yes]\n", "cannot unmarshal bool into Go struct field PolicyRule.rules.verbs of type string"),
    ("- level: None\n  verbs: get\n", "cannot unmarshal string into Go struct field PolicyRule.rules.verbs of type []string"),
    ("- level: None\n  namespaces: [on]\n", "cannot unmarshal bool into Go struct field PolicyRule.rules.namespaces of type string"),
    ("- level: None\n  users: [1]\n", "cannot unmarshal number into Go struct field PolicyRule.rules.users of type string"),
    ("- level: None\n  resources: [{group: apps, resources: [on]}]\n",
     "cannot unmarshal bool into Go struct field GroupResources.rules.resources.resources of type string"),
    ("- level: None\n  resources: [{group: 1}]\n",
     "cannot unmarshal number into Go struct field GroupResources.rules.resources.group of type string"),
    ("- level: None\n  resources: [pods]\n",
     "cannot unmarshal string into Go struct field PolicyRule.rules.resources of type v1.GroupResources"),
    ("- level: None\n  omitStages: [1]\n", "cannot unmarshal number into Go struct field PolicyRule.rules.omitStages of type v1.Stage"),
    ("- level: None\n  omitManagedFields: 'yes'\n",
     "cannot unmarshal string into Go struct field PolicyRule.rules.omitManagedFields of type bool"),
    ("- pods\n", "cannot unmarshal string into Go struct field Policy.rules of type v1.PolicyRule"),
])
def test_wrong_types_fail_decoding_with_encoding_json_wording(rule, message):
    v = with_rules(rule)
    assert errors(v) == [f"failed decoding: json: {message}"]


@pytest.mark.parametrize("field, message", [
    ("rules: pods\n", "cannot unmarshal string into Go struct field Policy.rules of type []v1.PolicyRule"),
    ("omitStages: [1]\nrules: [{level: None}]\n", "cannot unmarshal number into Go struct field Policy.omitStages of type v1.Stage"),
    ("omitManagedFields: 'true'\nrules: [{level: None}]\n",
     "cannot unmarshal string into Go struct field Policy.omitManagedFields of type bool"),
    ("metadata: x\nrules: [{level: None}]\n", "cannot unmarshal string into Go struct field Policy.metadata of type v1.ObjectMeta"),
    ("metadata: {name: 5}\nrules: [{level: None}]\n",
     "cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string"),
    ("metadata: {labels: {a: yes}}\nrules: [{level: None}]\n",
     "cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string"),
])
def test_wrong_types_at_policy_level(field, message):
    assert errors(verdict(HEADER + field)) == [f"failed decoding: json: {message}"]


def test_unquoted_yaml11_boolean_in_a_string_list_gets_a_quoting_hint():
    v = with_rules("- level: None\n  verbs: [get, no]\n")
    assert "quote it" in v.errors[0].hint
    assert (v.errors[0].span.line, v.errors[0].span.column) == (5, 18)


def test_type_names_follow_the_decoded_version():
    v = with_rules("- level: on\n", (1, 23), header="apiVersion: audit.k8s.io/v1beta1\nkind: Policy\n")
    assert errors(v) == ["failed decoding: json: cannot unmarshal bool into Go struct field PolicyRule.rules.level "
                         "of type v1beta1.Level"]


def test_type_errors_come_in_the_order_the_apiserver_meets_them():
    # sigs.k8s.io/yaml re-marshals each mapping with sorted keys: "level" is decoded before "verbs",
    # so the apiserver reports the level although verbs is written first
    v = with_rules("- verbs: [yes]\n  level: yes\n")
    assert [p.path for p in v.errors] == [("rules", 0, "level"), ("rules", 0, "verbs", 0)]


def test_json_input_is_decoded_in_written_order():
    text = '{"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"verbs": [true], "level": false}]}'
    v = verdict(text, name="p.json")
    assert [p.path for p in v.errors] == [("rules", 0, "verbs", 0), ("rules", 0, "level")]


def test_type_errors_stop_before_validation():
    v = with_rules("- level: yes\n  nonResourceURLs: [healthz]\n")
    assert len(v.errors) == 1 and v.errors[0].kind == "decode"


def test_version_is_checked_before_types():
    v = with_rules("- level: yes\n", header="apiVersion: audit.k8s.io/v1beta1\nkind: Policy\n")
    assert [p.kind for p in v.errors] == ["version"]


@pytest.mark.parametrize("stamp, accepted", [
    ("null", True), ('"2024-01-01T10:00:00Z"', True), ('"2024-01-01T10:00:00.5+02:00"', True),
    ("2024-01-01", False), ('"2024-13-01T10:00:00Z"', False), ("5", False),
])
def test_metadata_creation_timestamp_must_be_rfc3339(stamp, accepted):
    # metav1.Time.UnmarshalJSON: null, or time.Parse(time.RFC3339, ...)
    v = verdict(HEADER + f"metadata: {{creationTimestamp: {stamp}}}\nrules: [{{level: None}}]\n")
    assert v.accepted is accepted


def test_null_list_items_decode_as_empty_strings():
    v = with_rules("- level: None\n  verbs: [get, ~]\n")
    assert v.accepted and v.policy.rules[0].verbs == ("get", "")


def test_null_level_is_a_missing_level():
    assert errors(with_rules("- level: ~\n")) == ["rules[0].level: Required value"]


def test_schema_and_decoder_agree_on_wrong_types():
    text = HEADER + "omitStages: [1]\nrules:\n- level: yes\n  verbs: get\n  resources: [{group: [a], resources: [on]}]\n"
    document = parse_documents("p.yaml", text)[0]
    decoder_paths = {p.path for p in apiserver_verdict(document).errors}
    schema_paths = {p.path for p in shape_problems(document)}
    assert decoder_paths == schema_paths == {
        ("omitStages", 0), ("rules", 0, "level"), ("rules", 0, "verbs"),
        ("rules", 0, "resources", 0, "group"), ("rules", 0, "resources", 0, "resources", 0)}


# --- lenient decoding: unknown and duplicate fields (reader.go, 1.26+) -------------------------

def test_unknown_field_is_dropped_with_the_apiserver_warning_from_1_26():
    v = with_rules("- level: None\n  verb: [get]\n- level: Metadata\n", (1, 26))
    assert v.accepted
    assert warnings(v) == ['Audit policy contains errors, falling back to lenient decoding: strict decoding '
                           'error: unknown field "rules[0].verb"']
    # the dropped field widens the rule: it now matches every verb
    assert evaluate(v.policy, Request(user="u", verb="delete", resource="pods")).rule == 0


def test_unknown_field_is_dropped_silently_before_1_26():
    v = with_rules("- level: None\n  verb: [get]\n", (1, 25))
    assert v.accepted and len(v.warnings) == 1
    assert "Audit policy contains errors" not in v.warnings[0].message
    assert "logs nothing" in v.warnings[0].message


def test_field_names_are_case_sensitive():
    # sigs.k8s.io/json decodes case-sensitively: "Level" is unknown, so the level is missing
    v = with_rules("- Level: None\n")
    assert errors(v) == ["rules[0].level: Required value"]
    assert 'unknown field "rules[0].Level"' in warnings(v)[0]


def test_unknown_fields_everywhere_are_warnings():
    v = verdict(HEADER + "metadata: {nme: x}\nspec: {}\nrules:\n- level: None\n  resources: [{group: apps, resource: [x]}]\n")
    assert v.accepted
    fields = [w.split("unknown field ")[1] for w in warnings(v)]
    assert fields == ['"metadata.nme"', '"rules[0].resources[0].resource"', '"spec"']


def test_duplicate_yaml_key_keeps_the_last_value_with_a_warning():
    # go-yaml v2 strict mode: "key %#v already set in map"; the lenient decode keeps the last
    v = with_rules("- level: None\n  level: RequestResponse\n", (1, 26))
    assert v.accepted and v.policy.rules[0].level == "RequestResponse"
    assert warnings(v) == ['Audit policy contains errors, falling back to lenient decoding: strict decoding error: '
                           'error converting YAML to JSON: yaml: unmarshal errors: line 5: key "level" already set in map']


def test_duplicate_yaml_key_is_silent_before_1_26():
    v = with_rules("- level: None\n  level: RequestResponse\n", (1, 25))
    assert v.accepted and v.policy.rules[0].level == "RequestResponse"
    assert [p.kind for p in v.warnings] == ["duplicate-key"] and "logs nothing" in v.warnings[0].message


def test_duplicate_json_field_is_reported_with_its_path():
    text = '{"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "None", "level": "Metadata"}]}'
    v = verdict(text, name="p.json")
    assert v.accepted and v.policy.rules[0].level == "Metadata"
    assert warnings(v)[0].endswith('strict decoding error: duplicate field "rules[0].level"')


def test_omit_managed_fields_is_unknown_before_1_23():
    # omitManagedFields arrived in 1.23 (commits 8e027735f / 7afcd94ea)
    text = HEADER + "omitManagedFields: true\nrules:\n- level: Request\n  omitManagedFields: false\n"
    old = verdict(text, (1, 22))
    assert old.accepted and len(old.warnings) == 2
    assert not evaluate(old.policy, Request(user="u", verb="get", resource="pods")).omit_managed_fields
    new = verdict(text, (1, 23))
    assert new.accepted and new.warnings == []
    assert new.policy.omit_managed_fields is True and new.policy.rules[0].omit_managed_fields is False


# --- validation.go ----------------------------------------------------------------------------

def test_missing_level_is_required():
    assert errors(with_rules("- verbs: [get]\n")) == ["rules[0].level: Required value"]


@pytest.mark.parametrize("level", ["metadata", "Metadata ", "All", "none"])
def test_level_must_be_exact(level):
    # validateLevel: a switch on the exact string, no trimming, case-sensitive
    v = with_rules(f"- level: '{level}'\n")
    assert errors(v) == [f'rules[0].level: Unsupported value: "{level}": supported values: "None", "Metadata", '
                         '"Request", "RequestResponse"']


@pytest.mark.parametrize("url, messages", [
    ("healthz", ["non-resource URL rules must begin with a '/' character"]),
    ("", ["non-resource URL rules must begin with a '/' character"]),
    ("/api/*/pods", ["non-resource URL wildcards '*' must be the final character of the rule"]),
    ("/**", ["non-resource URL wildcards '*' must be the final character of the rule"]),
    ("**", ["non-resource URL rules must begin with a '/' character",
            "non-resource URL wildcards '*' must be the final character of the rule"]),
])
def test_non_resource_url_form(url, messages):
    v = with_rules(f"- level: None\n  nonResourceURLs: ['{url}']\n")
    assert errors(v) == [f'rules[0].nonResourceURLs[0]: Invalid value: "{url}": {m}' for m in messages]


@pytest.mark.parametrize("url", ["*", "/healthz", "/healthz*", "/api/v1/*", "/"])
def test_valid_non_resource_urls(url):
    assert with_rules(f"- level: None\n  nonResourceURLs: ['{url}']\n").accepted


@pytest.mark.parametrize("group", ["apps/v1", "Apps", "*.k8s.io", "rbac.authorization.k8s.io/v1beta1", "-apps",
                                   "apps.", "apps\n"])
def test_group_must_be_a_dns_subdomain_and_the_path_has_no_entry_index(group):
    # validateResources: fldPath.Child("group") inside the loop, so the path is rules[i].resources.group
    v = with_rules(f"- level: None\n  resources: [{{group: apps}}, {{group: {json.dumps(group)}}}]\n")
    quoted = json.dumps(group)
    assert errors(v) == [f"rules[0].resources.group: Invalid value: {quoted}: {DNS_MESSAGE}"]
    assert v.errors[0].path == ("rules", 0, "resources", 1, "group")


def test_overlong_group_gets_both_messages():
    group = "a" * 254
    v = with_rules(f"- level: None\n  resources: [{{group: {group}}}]\n")
    assert errors(v) == [f'rules[0].resources.group: Invalid value: "{group}": must be no more than 253 characters']
    group = "A" * 254
    v = with_rules(f"- level: None\n  resources: [{{group: {group}}}]\n")
    assert errors(v) == [f'rules[0].resources.group: Invalid value: "{group}": must be no more than 253 characters,'
                         f"{DNS_MESSAGE}"]


@pytest.mark.parametrize("group", ["", "apps", "v1", "core", "rbac.authorization.k8s.io", "a" * 253])
def test_groups_the_validator_accepts(group):
    # "v1" and "core" load: they are valid names, they just never match (linter territory)
    assert with_rules(f"- level: None\n  resources: [{{group: '{group}'}}]\n").accepted


def test_wildcard_group_refused_up_to_1_35_and_accepted_from_1_36():
    # kubernetes/kubernetes#135262 (first released in 1.36): group "*" matches every API group
    rule = "- level: None\n  resources: [{group: '*', resources: [leases]}]\n- level: Metadata\n"
    old = with_rules(rule, (1, 35))
    assert errors(old) == [f'rules[0].resources.group: Invalid value: "*": {DNS_MESSAGE}']
    assert "1.36" in old.errors[0].hint
    new = with_rules(rule, (1, 36))
    assert new.accepted
    lease = Request(user="u", verb="update", api_group="coordination.k8s.io", resource="leases")
    assert evaluate(new.policy, lease, (1, 36)).rule == 0


def test_resource_names_require_resources():
    v = with_rules("- level: None\n  resources: [{group: '', resourceNames: [a, b]}]\n")
    assert errors(v) == ['rules[0].resources.resourceNames: Invalid value: []string{"a", "b"}: '
                         'using resourceNames requires at least one resource']


@pytest.mark.parametrize("where, path", [("policy", "omitStages[1]"), ("rule", "rules[0].omitStages[1]")])
def test_omit_stages_must_be_known_stages(where, path):
    stages = "[RequestReceived, responseComplete]"
    text = HEADER + (f"omitStages: {stages}\nrules: [{{level: None}}]\n" if where == "policy"
                     else f"rules: [{{level: None, omitStages: {stages}}}]\n")
    assert errors(verdict(text)) == [f'{path}: Invalid value: "responseComplete": allowed stages are '
                                     'RequestReceived,ResponseStarted,ResponseComplete,Panic']


@pytest.mark.parametrize("other", ["resources: [{group: ''}]", "namespaces: [default]"])
def test_rule_cannot_mix_resources_and_non_resource_urls(other):
    v = with_rules(f"- level: None\n  nonResourceURLs: [/healthz, /livez]\n  {other}\n")
    assert errors(v) == ['rules[0].nonResourceURLs: Invalid value: []string{"/healthz", "/livez"}: '
                         'rules cannot apply to both regular resources and non-resource URLs']


def test_validation_order_policy_stages_then_each_rule_in_field_order():
    # ValidatePolicy: omitStages, then per rule: level, nonResourceURLs, resources, omitStages, mix
    text = HEADER + textwrap.dedent("""\
        omitStages: [X]
        rules:
        - level: Loud
          omitStages: [Z]  # not Y: an unquoted Y is a YAML 1.1 boolean
          nonResourceURLs: [healthz]
          namespaces: [default]
          resources: [{group: Apps}]
        - level: ""
        """)
    assert [p.field_path for p in verdict(text).errors] == [
        "omitStages[0]", "rules[0].level", "rules[0].nonResourceURLs[0]", "rules[0].resources.group",
        "rules[0].omitStages[0]", "rules[0].nonResourceURLs", "rules[1].level"]


def test_the_validator_does_not_check_verbs_users_namespaces_or_resource_names():
    v = with_rules("""\
        - level: None
          users: ["system:node-*"]
          verbs: ["*", GET]
          namespaces: ["kube-*"]
          resources: [{group: "", resources: [Pods, "*/*", deployment]}]
        """)
    assert v.accepted


def test_problems_point_at_the_offending_token():
    v = with_rules("- level: None\n  resources:\n  - group: apps/v1\n")
    span = v.errors[0].span
    assert (span.line, span.column) == (6, 14)
