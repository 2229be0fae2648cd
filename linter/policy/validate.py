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

from linter.policy import versions
from linter.policy.model import LEVEL_NAMES, STAGE_NAMES, Policy, decode_policy, format_path
from linter.policy.yamlnodes import Document, Path, Span

AUDIT_GROUP = "audit.k8s.io"
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


@dataclass(frozen=True)
class Problem:
    """One thing the apiserver says about a policy: an error refuses it, a warning does not."""

    field_path: str  # the apiserver's form, "" for file-level problems
    message: str
    span: Span
    path: Path  # our exact JSON path
    error: bool = True
    kind: str = "validation"

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


def go_quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def go_string_slice(values) -> str:
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def is_audit_policy_document(data) -> bool:
    """A document that lint treats as a policy: ``kind: Policy`` in the audit.k8s.io group, or a
    kind-less document whose ``rules`` look like audit rules (the apiserver defaults kind)."""
    if not isinstance(data, dict):
        return False
    api_version = data.get("apiVersion")
    kind = data.get("kind")
    if isinstance(api_version, str) and api_version.split("/")[0] == AUDIT_GROUP:
        return kind in (None, "Policy")
    if kind is None and api_version is None:
        rules = data.get("rules")
        return isinstance(rules, list) and bool(rules) and all(
            isinstance(r, dict) and "level" in r for r in rules
        )
    return False


@functools.lru_cache(maxsize=1)
def _schema_validator():
    from importlib import resources

    import jsonschema

    schema = json.loads(
        resources.files("linter.policy").joinpath("schema/audit-policy-v1.schema.json").read_text("utf-8")
    )
    return jsonschema.Draft202012Validator(schema)


_JSON_TYPE = {bool: "bool", int: "number", float: "number", str: "string", list: "array", dict: "object"}


def shape_problems(document: Document) -> list[Problem]:
    """Wrong types (a bool in a string list, a string for a list): the apiserver's decoder fails."""
    problems = []
    for error in sorted(_schema_validator().iter_errors(document.data), key=lambda e: list(map(str, e.absolute_path))):
        if error.validator != "type":
            continue
        path = tuple(error.absolute_path)
        expected = error.validator_value
        expected = [t for t in (expected if isinstance(expected, list) else [expected]) if t != "null"]
        got = _JSON_TYPE.get(type(error.instance), "null")
        hint = ""
        if isinstance(error.instance, bool):
            hint = " (an unquoted yes/no/on/off/y/n/true/false is a YAML 1.1 boolean to kube-apiserver: quote it)"
        elif isinstance(error.instance, (int, float)) and "string" in expected:
            hint = " (quote it)"
        problems.append(
            Problem(
                format_path(path),
                f"Invalid type: cannot unmarshal {got} into a field of type {' or '.join(expected)}{hint}",
                document.span(path),
                path,
                kind="decode",
            )
        )
    return problems


def _version_problem(policy: Policy, kube_version: tuple[int, int]) -> Problem | None:
    document = policy.document
    data = document.data if isinstance(document.data, dict) else {}
    api_version = data.get("apiVersion")
    kind = data.get("kind") or "Policy"
    where = document.span(("apiVersion",)) if "apiVersion" in data else document.start
    if not isinstance(api_version, str) or not api_version:
        return Problem("", "failed decoding: Object 'apiVersion' is missing (kube-apiserver reads only "
                       f"{', '.join(versions.registered_api_versions(kube_version))})",
                       where, ("apiVersion",), kind="version")
    if api_version not in versions.registered_api_versions(kube_version):
        removed = api_version in ("audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1")
        note = " (removed in Kubernetes 1.24: use audit.k8s.io/v1)" if removed else ""
        return Problem("", f'failed decoding: no kind "{kind}" is registered for version "{api_version}"{note}',
                       where, ("apiVersion",), kind="version")
    if kind != "Policy":
        return Problem("", f'failed decoding: no kind "{kind}" is registered for version "{api_version}"',
                       document.span(("kind",)), ("kind",), kind="version")
    return None


def _deprecation_warning(policy: Policy) -> Problem | None:
    api_version = policy.api_version
    if api_version and api_version != "audit.k8s.io/v1":
        return Problem("", f'"{api_version}" is deprecated and will be removed in a future release, use '
                       '"audit.k8s.io/v1" instead', policy.span(("apiVersion",)), ("apiVersion",),
                       error=False, kind="version")
    return None


def _stage_problems(stages, path: Path, policy: Policy) -> list[Problem]:
    problems = []
    for i, stage in enumerate(stages):
        if stage not in STAGE_NAMES:
            problems.append(Problem(format_path(path + (i,)),
                                    f"Invalid value: {go_quote(stage)}: allowed stages are {','.join(STAGE_NAMES)}",
                                    policy.span(path + (i,)), path + (i,)))
    return problems


def _rule_problems(policy: Policy, index: int, kube_version: tuple[int, int]) -> list[Problem]:
    rule = policy.rules[index]
    base: Path = ("rules", index)
    name = format_path(base)
    problems: list[Problem] = []
    if rule.level == "":
        problems.append(Problem(f"{name}.level", "Required value", policy.span(base + ("level",)), base + ("level",)))
    elif rule.level not in LEVEL_NAMES:
        supported = ", ".join(go_quote(level) for level in LEVEL_NAMES)
        problems.append(Problem(f"{name}.level", f"Unsupported value: {go_quote(rule.level)}: supported values: {supported}",
                                policy.span(base + ("level",)), base + ("level",)))
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
    for i, entry in enumerate(rule.resources):
        entry_path = base + ("resources", i)
        if entry.group and not (entry.group == "*" and kube_version >= versions.WILDCARD_GROUP):
            messages = []
            if len(entry.group) > 253:
                messages.append("must be no more than 253 characters")
            if not DNS1123_SUBDOMAIN.match(entry.group):
                messages.append(DNS1123_MESSAGE)
            if messages:
                if entry.group == "*":
                    messages.append(f"(group \"*\" is accepted from Kubernetes {versions.format(versions.WILDCARD_GROUP)})")
                problems.append(Problem(f"{name}.resources.group", f"Invalid value: {go_quote(entry.group)}: {','.join(messages)}",
                                        policy.span(entry_path + ("group",)), entry_path + ("group",)))
        if entry.resource_names and not entry.resources:
            problems.append(Problem(f"{name}.resources.resourceNames",
                                    f"Invalid value: {go_string_slice(entry.resource_names)}: using resourceNames requires at least one resource",
                                    policy.span(entry_path + ("resourceNames",)), entry_path + ("resourceNames",)))
    problems += _stage_problems(rule.omit_stages, base + ("omitStages",), policy)
    if rule.non_resource_urls and (rule.resources or rule.namespaces):
        path = base + ("nonResourceURLs",)
        problems.append(Problem(f"{name}.nonResourceURLs",
                                f"Invalid value: {go_string_slice(rule.non_resource_urls)}: rules cannot apply to both regular resources and non-resource URLs",
                                policy.span(path), path))
    return problems


def _lenient_decoding_warnings(policy: Policy, kube_version: tuple[int, int]) -> list[Problem]:
    warned = kube_version >= versions.STRICT_DECODING_WARNS
    problems = []
    for issue in policy.issues:
        if issue.fatal:
            continue
        if issue.kind == "unknown-field":
            text = f"{issue.message}: the field is dropped"
        else:
            text = f"{issue.message}: the last value is used"
        text += (" (kube-apiserver logs: Audit policy contains errors, falling back to lenient decoding)"
                 if warned else " (silently: this kube-apiserver release logs no warning)")
        problems.append(Problem("", f"strict decoding error: {text}", issue.span, issue.path, error=False, kind=issue.kind))
    return problems


def apiserver_verdict(document: Document, kube_version: tuple[int, int] = versions.DEFAULT) -> Verdict:
    """Everything kube-apiserver ``kube_version`` would say about loading this document."""
    policy = decode_policy(document, omit_managed_fields_known=kube_version >= versions.OMIT_MANAGED_FIELDS)
    verdict = Verdict(policy)
    if not isinstance(document.data, dict):
        got = _JSON_TYPE.get(type(document.data), "null")
        verdict.problems.append(Problem("", f"failed decoding: cannot unmarshal {got} into an audit Policy object",
                                        document.start, (), kind="decode"))
        return verdict
    # the decoder notices every wrong type cheaply; the schema then words them (and jsonschema is
    # only imported for a policy that needs it, which keeps pre-commit runs fast)
    shape = shape_problems(document) if any(i.kind == "type" for i in policy.issues) else []
    if shape:
        verdict.problems += shape
        return verdict
    version = _version_problem(policy, kube_version)
    if version:
        verdict.problems.append(version)
        return verdict
    verdict.problems += _lenient_decoding_warnings(policy, kube_version)
    deprecated = _deprecation_warning(policy)
    if deprecated:
        verdict.problems.append(deprecated)
    verdict.problems += _stage_problems(policy.omit_stages, ("omitStages",), policy)
    for index in range(len(policy.rules)):
        verdict.problems += _rule_problems(policy, index, kube_version)
    if verdict.accepted and not policy.rules:
        where = document.span(("rules",)) if "rules" in document.data else document.start
        verdict.problems.append(Problem("", "loaded illegal policy with 0 rules", where, ("rules",), kind="rules"))
    return verdict
