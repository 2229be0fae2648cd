"""What kube-apiserver does when it loads a policy file: decode, check, and refuse or accept.

The order and the wording follow the apiserver's policy reader (decode, group version, validation,
then the rule count) and its validation package (per rule: level, nonResourceURLs, resources,
omitStages, then the resources/non-resource mix). Field paths are printed in the apiserver's own
form (``rules[3].resources.group``: the apiserver does not index resources there); every message
also carries our exact position.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from kube_audit_lint.datafiles import read_data
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.model import (
    LEVEL_NAMES, STAGE_NAMES, Policy, Rule, decode_policy, format_path, go_value_kind, type_meta, type_meta_key,
)
from kube_audit_lint.policy.yamlnodes import Document, Path, Span

AUDIT_GROUP = "audit.k8s.io"
# \Z, not $: Go's $ does not match before a trailing newline, Python's does
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
DNS1123_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


@dataclass(frozen=True)
class Problem:
    """One thing the apiserver says about a policy: an error refuses it, a warning does not.

    ``message`` is the apiserver's own wording; ``hint`` is ours (why, and what to do), kept apart
    so the two are never confused.
    """

    field_path: str  # the apiserver's form, "" for file-level problems
    message: str
    span: Span
    path: Path  # our exact JSON path
    error: bool = True
    kind: str = "validation"
    hint: str = ""

    def render(self) -> str:
        return f"{self.field_path}: {self.message}" if self.field_path else self.message


@dataclass
class Verdict:
    """The apiserver's answer for one policy document."""

    policy: Policy
    problems: list[Problem] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not any(p.error for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.error]


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
               '"': '\\"', "\\": "\\\\"}


def go_quote(value: str) -> str:
    """Go's strconv.Quote (what %q prints): printable characters as they are, the rest escaped."""
    out = []
    for ch in value:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def go_string_slice(values: Iterable[Any]) -> str:
    """A []string as %#v prints it: []string{"a", "b"}."""
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def is_audit_policy_document(data: Any) -> bool:
    """A document that lint treats as a policy: ``kind: Policy`` in the audit.k8s.io group, or a
    kind-less document whose ``rules`` look like audit rules (the apiserver defaults kind)."""
    if not isinstance(data, dict):
        return False
    api_version = type_meta(data, "apiVersion")
    kind = type_meta(data, "kind")
    if isinstance(api_version, str) and api_version.split("/")[0] == AUDIT_GROUP:
        return kind in (None, "Policy")
    if kind is None and api_version is None:
        rules = data.get("rules")
        return isinstance(rules, list) and bool(rules) and all(
            isinstance(r, dict) and "level" in r for r in rules
        )
    return False


@functools.lru_cache(maxsize=1)
def _schema_validator() -> Any:
    import jsonschema

    schema = json.loads(
        read_data("schema/audit-policy-v1.schema.json")
    )
    return jsonschema.Draft202012Validator(schema)


def shape_problems(document: Document) -> list[Problem]:
    """Wrong types (a bool in a string list, a string for a list) found by the shipped JSON Schema.

    The decoder finds the same ones with the apiserver's wording; the schema is the contract that
    editors and other tools read, and it is checked against the decoder in the tests.
    """
    problems = []
    for error in sorted(_schema_validator().iter_errors(document.data), key=lambda e: list(map(str, e.absolute_path))):
        if error.validator != "type":
            continue
        path = tuple(error.absolute_path)
        expected = error.validator_value
        expected = [t for t in (expected if isinstance(expected, list) else [expected]) if t != "null"]
        got = go_value_kind(error.instance)
        problems.append(
            Problem(
                format_path(path),
                f"Invalid type: cannot unmarshal {got} into a field of type {' or '.join(expected)}",
                document.span(path),
                path,
                kind="decode",
                hint=_type_hint(error.instance, expected),
            )
        )
    return problems


def _type_hint(value: Any, expected: Any) -> str:
    if isinstance(value, bool):
        return ("an unquoted yes/no/on/off/y/n/true/false is a YAML 1.1 boolean to kube-apiserver: "
                "quote it")
    if isinstance(value, (int, float)) and "string" in str(expected):
        return "an unquoted number is a number to kube-apiserver: quote it"
    return ""


def apiserver_order(document: Document, path: Path) -> tuple[Any, ...]:
    """Sorts problems the way the apiserver meets them. JSON input is decoded as written; YAML is
    first converted to JSON by sigs.k8s.io/yaml, which writes every mapping with its keys sorted."""
    if document.is_json:
        span = document.span(path)
        return (span.line, span.column)
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in path)


# --- reading the group, version and kind (runtime serializer + the policy reader) -------------

_INTERPRET_STRUCT = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'
_AUDIT_KINDS = ("Policy", "PolicyList", "Event", "EventList")


def _interpret_problem(document: Document, data: Any) -> Problem | None:
    """The serializer first reads apiVersion and kind alone; a document that is not an object, or
    that has a non-string apiVersion or kind, fails there."""
    prefix = "failed decoding: couldn't get version/kind; json parse error: json: cannot unmarshal"
    if not isinstance(data, dict):
        got = go_value_kind(data)
        return Problem("", f"{prefix} {got} into Go value of type {_INTERPRET_STRUCT}", document.start, (),
                       kind="decode", hint="a policy file holds one YAML or JSON object with apiVersion, kind and rules")
    for name in ("apiVersion", "kind"):
        key = type_meta_key(data, name)
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            got = go_value_kind(value)
            return Problem("", f"{prefix} {got} into Go struct field .{name} of type string",
                           document.span((key,)), (key,), kind="decode", hint=_type_hint(value, "string"))
    api_version = type_meta(data, "apiVersion") or ""
    if api_version.count("/") > 1:
        key = type_meta_key(data, "apiVersion")
        return Problem("", f"failed decoding: unexpected GroupVersion string: {api_version}",
                       document.span((key,)), (key,), kind="version")
    return None


def _version_problem(document: Document, data: dict[str, Any], kube_version: tuple[int, int]) -> Problem | None:
    """Which Go type the document decodes into, and whether the reader accepts that version.

    The serializer defaults a missing kind to Policy and a missing apiVersion to the internal
    version (audit.k8s.io/__internal), which the policy reader then refuses; a version the
    audit scheme does not register fails before anything else is read.
    """
    api_version = type_meta(data, "apiVersion") or ""
    kind = type_meta(data, "kind") or "Policy"
    version_key, kind_key = type_meta_key(data, "apiVersion"), type_meta_key(data, "kind")
    group, _, version = api_version.rpartition("/")
    where = document.span((version_key,)) if version_key in data else document.start
    registered = versions.registered_api_versions(kube_version)
    accepted = ", ".join(registered)
    if not version and (not group or group == AUDIT_GROUP):
        if kind != "Policy":
            return Problem("", f'failed decoding: no kind "{kind}" is registered for the internal version of group '
                           f'"{AUDIT_GROUP}"', document.span((kind_key,)), (kind_key,), kind="version",
                           hint="add apiVersion: audit.k8s.io/v1 and kind: Policy")
        return Problem("", f"unknown group version field {AUDIT_GROUP}/__internal, Kind=Policy in policy",
                       where, ("apiVersion",), kind="version",
                       hint="without apiVersion the policy decodes to the internal version, which the "
                            "reader refuses: add apiVersion: audit.k8s.io/v1")
    if not version:
        return Problem("", "failed decoding: Object 'apiVersion' is missing", where, ("apiVersion",), kind="version",
                       hint="apiVersion must be group/version: audit.k8s.io/v1")
    if api_version not in registered or kind not in _AUDIT_KINDS:
        hint = f"this release reads {accepted}"
        if api_version in ("audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1"):
            hint = (f"{api_version} was removed in Kubernetes {versions.format(versions.V1BETA1_REMOVED)}: "
                    f"use audit.k8s.io/v1 (same fields)")
        elif kind not in _AUDIT_KINDS:
            hint = "the kind of an audit policy is Policy"
        path = (version_key,) if api_version not in registered else (kind_key,)
        group_version = f"{group}/{version}" if group else version  # GroupVersion.String()
        return Problem("", f'failed decoding: no kind "{kind}" is registered for version "{group_version}"',
                       document.span(path) if path[0] in data else where, path, kind="version", hint=hint)
    if kind != "Policy":
        return Problem("", f'failed decoding: converting ({version}.{kind}) to (audit.Policy): unknown conversion',
                       document.span((kind_key,)), (kind_key,), kind="version",
                       hint="the kind of an audit policy is Policy")
    return None


def _deprecation_warning(policy: Policy) -> Problem | None:
    api_version = policy.api_version
    if api_version and api_version != "audit.k8s.io/v1":
        return Problem("", f'"{api_version}" is deprecated and will be removed in a future release, use '
                       '"audit.k8s.io/v1" instead', policy.span(("apiVersion",)), ("apiVersion",),
                       error=False, kind="version",
                       hint=f"Kubernetes {versions.format(versions.V1BETA1_REMOVED)} and later refuse {api_version}")
    return None


# --- decoding (the strict decoder, then the lenient fallback) -----------------------------------

def _decode_problems(policy: Policy) -> list[Problem]:
    """Wrong types: encoding/json fails the whole decoding (the apiserver prints the first)."""
    document = policy.document
    problems = [
        Problem("", f"failed decoding: {issue.message}", issue.span, issue.path, kind="decode",
                hint=_type_hint(_value_at(document.data, issue.path), issue.message.rsplit(" ", 1)[-1]))
        for issue in policy.decode_errors
    ]
    if problems:
        covered = {p.path for p in problems}
        # the schema is the published contract: anything it flags that the decoder did not is reported too
        problems += [p for p in shape_problems(document) if p.path not in covered]
    return sorted(problems, key=lambda p: apiserver_order(document, p.path))


def _value_at(data: Any, path: Path) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _lenient_decoding_warnings(policy: Policy, kube_version: tuple[int, int]) -> list[Problem]:
    """Unknown and duplicate fields: from 1.26 strict decoding fails, kube-apiserver logs why and
    decodes again leniently; before 1.26 it only ever decoded leniently, without a word."""
    warned = kube_version >= versions.STRICT_DECODING_WARNS
    document = policy.document
    problems = []
    for issue in sorted((i for i in policy.issues if not i.fatal), key=lambda i: apiserver_order(document, i.path)):
        if issue.kind == "unknown-field":
            detail = issue.message
            hint = ("kube-apiserver drops the field and loads the rest"
                    + (", so the rule matches more than it says" if issue.path[:1] == ("rules",) else ""))
        elif document.is_json:
            detail = f'duplicate field "{format_path(issue.path)}"'
            hint = "the last value is used"
        else:
            detail = (f"error converting YAML to JSON: yaml: unmarshal errors: line {issue.span.line}: "
                      f"key {go_quote(str(issue.path[-1]))} already set in map")
            hint = "the last value is used"
        if warned:
            message = f"Audit policy contains errors, falling back to lenient decoding: strict decoding error: {detail}"
        else:
            message = f"{detail} (kube-apiserver {versions.format(kube_version)} decodes leniently and logs nothing)"
        problems.append(Problem("", message, issue.span, issue.path, error=False, kind=issue.kind, hint=hint))
    return problems


# --- validation (pkg/apis/audit/validation) ----------------------------------------------------

def _stage_problems(stages: Any, path: Path, policy: Policy) -> list[Problem]:
    problems = []
    for i, stage in enumerate(stages):
        if stage not in STAGE_NAMES:
            problems.append(Problem(format_path(path + (i,)),
                                    f"Invalid value: {go_quote(stage)}: allowed stages are {','.join(STAGE_NAMES)}",
                                    policy.span(path + (i,)), path + (i,)))
    return problems


def _level_problems(rule: Rule, base: Path, policy: Policy) -> list[Problem]:
    name = format_path(base + ("level",))
    where = policy.span(base + ("level",))
    if rule.level == "":
        return [Problem(name, "Required value", where, base + ("level",))]
    if rule.level not in LEVEL_NAMES:
        supported = ", ".join(go_quote(level) for level in LEVEL_NAMES)
        return [Problem(name, f"Unsupported value: {go_quote(rule.level)}: supported values: {supported}",
                        where, base + ("level",), hint=_case_hint(rule.level, LEVEL_NAMES))]
    return []


def _case_hint(value: str, allowed: Iterable[str]) -> str:
    for candidate in allowed:
        if value.strip().lower() == candidate.lower():
            return f"values are exact and case-sensitive: {candidate}"
    return ""


def _non_resource_url_problems(rule: Rule, base: Path, policy: Policy) -> list[Problem]:
    problems = []
    for i, url in enumerate(rule.non_resource_urls):
        if url == "*":
            continue
        path = base + ("nonResourceURLs", i)
        if not url.startswith("/"):
            problems.append(Problem(format_path(path), f"Invalid value: {go_quote(url)}: non-resource URL rules must begin with a '/' character",
                                    policy.span(path), path))
        if url and "*" in url[:-1]:
            problems.append(Problem(format_path(path), f"Invalid value: {go_quote(url)}: non-resource URL wildcards '*' must be the final character of the rule",
                                    policy.span(path), path))
    return problems


def dns1123_subdomain_errors(value: str) -> list[str]:
    """apimachinery's IsDNS1123Subdomain: a length limit (in bytes) and a whole-string match."""
    messages = []
    if len(value.encode("utf-8")) > 253:
        messages.append("must be no more than 253 characters")
    if not DNS1123_SUBDOMAIN.fullmatch(value):
        messages.append(DNS1123_MESSAGE)
    return messages


def _resource_problems(rule: Rule, base: Path, policy: Policy, kube_version: tuple[int, int]) -> list[Problem]:
    # the apiserver names these fields rules[i].resources.group, without the entry's index
    # (validateResources uses fldPath.Child("group") inside the loop); our span is exact
    name = format_path(base + ("resources",))
    problems = []
    for i, entry in enumerate(rule.resources):
        entry_path = base + ("resources", i)
        wildcard_ok = entry.group == "*" and kube_version >= versions.WILDCARD_GROUP
        messages = dns1123_subdomain_errors(entry.group) if entry.group and not wildcard_ok else []
        if messages:
            problems.append(Problem(f"{name}.group", f"Invalid value: {go_quote(entry.group)}: {','.join(messages)}",
                                    policy.span(entry_path + ("group",)), entry_path + ("group",),
                                    hint=_group_hint(entry.group)))
        if entry.resource_names and not entry.resources:
            problems.append(Problem(f"{name}.resourceNames",
                                    f"Invalid value: {go_string_slice(entry.resource_names)}: using resourceNames requires at least one resource",
                                    policy.span(entry_path + ("resourceNames",)), entry_path + ("resourceNames",)))
    return problems


def _group_hint(group: str) -> str:
    if group == "*":
        return f'group "*" is accepted from Kubernetes {versions.format(versions.WILDCARD_GROUP)}'
    if "/" in group:
        return f"a group has no version: use {group.split('/')[0]!r}"
    if group.lower() != group and DNS1123_SUBDOMAIN.fullmatch(group.lower()):
        return f"group names are lower case: {group.lower()!r}"
    return ""


def _rule_problems(policy: Policy, index: int, kube_version: tuple[int, int]) -> list[Problem]:
    """validatePolicyRule: level, nonResourceURLs, resources, omitStages, then the mix check."""
    rule = policy.rules[index]
    base: Path = ("rules", index)
    problems = _level_problems(rule, base, policy)
    problems += _non_resource_url_problems(rule, base, policy)
    problems += _resource_problems(rule, base, policy, kube_version)
    problems += _stage_problems(rule.omit_stages, base + ("omitStages",), policy)
    if rule.non_resource_urls and (rule.resources or rule.namespaces):
        path = base + ("nonResourceURLs",)
        problems.append(Problem(f"{format_path(base)}.nonResourceURLs",
                                f"Invalid value: {go_string_slice(rule.non_resource_urls)}: rules cannot apply to both regular resources and non-resource URLs",
                                policy.span(path), path,
                                hint="split it into one rule for resources and one for non-resource URLs"))
    return problems


def apiserver_verdict(document: Document, kube_version: tuple[int, int] = versions.DEFAULT) -> Verdict:
    """Everything kube-apiserver ``kube_version`` would say about loading this document, in the
    order its policy reader says it: decoding (version, types, lenient fallback), validation, the
    rule count. The first error is the one the apiserver stops at."""
    policy = decode_policy(document, omit_managed_fields_known=kube_version >= versions.OMIT_MANAGED_FIELDS)
    verdict = Verdict(policy)
    data = {} if document.data is None else document.data  # an empty document decodes as "null"
    stop = _interpret_problem(document, data) or _version_problem(document, data, kube_version)
    if stop:
        verdict.problems.append(stop)
        return verdict
    decode = _decode_problems(policy)
    if decode:
        verdict.problems += decode
        return verdict
    verdict.problems += _lenient_decoding_warnings(policy, kube_version)
    deprecated = _deprecation_warning(policy)
    if deprecated:
        verdict.problems.append(deprecated)
    verdict.problems += _stage_problems(policy.omit_stages, ("omitStages",), policy)
    for index in range(len(policy.rules)):
        verdict.problems += _rule_problems(policy, index, kube_version)
    if verdict.accepted and not policy.rules:
        where = document.span(("rules",)) if "rules" in data else document.start
        verdict.problems.append(Problem("", "loaded illegal policy with 0 rules", where, ("rules",), kind="rules",
                                        hint="a policy needs at least one rule; '- level: None' logs nothing"))
    return verdict
