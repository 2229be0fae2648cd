"""``kube-audit-lint explain``: which rule decides a request, and why no earlier rule did.

The request comes from options (``--user``, ``--group``, ``--verb``, ``--resource pods/exec``,
``--api-group``, ``--namespace``, ``--name``; or ``--path`` for a non-resource URL;
``--unauthenticated`` for a request with no authenticated user) or from one recorded event
(``--event FILE:LINE``). The policy is read as kube-apiserver reads it.

Text output::

    request: create pods -n default by alice (groups system:authenticated)
    rule 0 (line 5): verbs [get list watch] does not contain "create"
    decided by rule 1 (line 9): level RequestResponse
    omitStages: RequestReceived (policy)
    omitManagedFields: false (policy default)

JSON output (``--format json``): ``{"policy", "kubeVersion", "request", "policyLoads", "rule",
"line", "level", "omitStages", "omitManagedFields", "skippedRules": [{"rule", "line", "field",
"conditionLine", "reason"}]}``; ``rule`` and ``line`` are null when no rule matches.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

from kube_audit_lint.engine.evaluate import evaluate_without_groups
from kube_audit_lint.engine.explain import explain
from kube_audit_lint.engine.request import Request, parse_resource
from kube_audit_lint.escape import one_line
from kube_audit_lint.kube import api as kube_api
from kube_audit_lint.kube.api import (
    ANONYMOUS_USER, AUTHENTICATED_GROUP, NAMESPACE_COLLECTION_VERBS, UNAUTHENTICATED_GROUP, builtin_groups,
    close_match_hint, is_namespace_object, request_namespace,
)
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.load import apiserver_read, first_document_not_policy
from kube_audit_lint.policy.yamlnodes import InputError
from kube_audit_lint.replay.event_at import event_at
from kube_audit_lint.replay.events import UnknownGroupsUser, request_of

EXIT_OK, EXIT_USAGE = 0, 2


@dataclass
class ExplainRequest:
    """The request options as given on the command line."""

    user: str | None = None
    groups: list[str] = field(default_factory=list)
    verb: str = "get"
    resource: str | None = None
    api_group: str = ""
    namespace: str = ""
    name: str = ""
    path: str | None = None
    unauthenticated: bool = False
    event: str | None = None
    event_index: int | None = None  # which event of a record holding several (1-based)


class UsageError(ValueError):
    """Options that do not describe one request: a one-line message, exit code 2."""


def option_conflict(options: ExplainRequest) -> str | None:
    """Why these options do not describe exactly one request, or None when they do."""
    if options.event is not None:
        given = [flag for flag, present in (
            ("--user", options.user is not None), ("--group", bool(options.groups)),
            ("--verb", options.verb != "get"), ("--resource", options.resource is not None),
            ("--api-group", bool(options.api_group)), ("--namespace", bool(options.namespace)),
            ("--name", bool(options.name)), ("--path", options.path is not None),
            ("--unauthenticated", options.unauthenticated)) if present]
        if given:
            return f"--event takes the whole request from the event; drop {', '.join(given)}"
        return None
    if options.path is not None and options.resource is not None:
        return "--path (a non-resource URL) and --resource describe different requests: give one"
    if options.path is not None and (options.api_group or options.namespace or options.name):
        return "--api-group, --namespace and --name apply to resource requests, not to --path"
    if options.path is None and options.resource is None:
        return "describe the request with --resource (e.g. pods/exec), --path (e.g. /healthz) or --event FILE:LINE"
    if options.unauthenticated and (options.user is not None or options.groups):
        return "--unauthenticated means no user at all: drop --user and --group"
    if options.path is not None and not options.path.startswith("/"):
        return f"--path must be a URL path starting with '/', got {options.path!r}"
    if options.resource is not None and not is_resource_form(options.resource):
        return f"--resource must be RESOURCE or RESOURCE/SUBRESOURCE (e.g. pods/exec), got {options.resource!r}"
    verbs = RESOURCE_VERBS if options.path is None else NON_RESOURCE_VERBS
    if options.verb not in verbs:
        return f"unknown verb {options.verb!r}{_close(options.verb, verbs)} (one of: {', '.join(verbs)})"
    if options.resource is not None:
        return unknown_resource(options.resource.partition("/")[0], options.api_group) or namespace_conflict(options)
    return None


def namespace_conflict(options: ExplainRequest) -> str | None:
    """A request on a Namespace object takes its namespace from the object (requestinfo.go):
    ``--namespace`` can only repeat it."""
    resource = (options.resource or "").partition("/")[0]
    if not options.namespace or not is_namespace_object(options.api_group, resource):
        return None
    if options.verb in NAMESPACE_COLLECTION_VERBS:
        return (f"{options.verb} on the namespaces collection has namespace \"\" "
                "(kube-apiserver's request info): drop --namespace")
    if not options.name:
        return f"{options.verb} on a Namespace object needs --name (the Namespace's name)"
    if options.namespace != options.name:
        return (f"a request on namespaces/{options.name} has namespace {options.name} "
                "(kube-apiserver's request info): drop --namespace")
    return None


# kube-apiserver's request info: the verbs of resource requests, and the HTTP methods of the others
RESOURCE_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "proxy")
NON_RESOURCE_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")


def _close(word: str, known) -> str:
    return close_match_hint(word, known)


def unknown_resource(resource: str, api_group: str) -> str | None:
    """Why ``resource`` in ``api_group`` is not served by kube-apiserver, or None (kube.api)."""
    return kube_api.unknown_resource(resource, api_group)


def with_group_resolved(options: ExplainRequest, kube_version: tuple[int, int]) -> tuple[ExplainRequest, str | None]:
    """``--resource deployments`` without ``--api-group``: the group that serves it, when only
    one does (and a note saying so)."""
    from dataclasses import replace

    if options.resource is None or options.api_group:
        return options, None
    resource = options.resource.partition("/")[0]
    if resource in builtin_groups().get("", {}):
        return options, None
    owners = [group for group, resources in builtin_groups().items()
              if resource in resources and resources[resource].served_in(kube_version)]
    if len(owners) != 1:
        return options, None
    return replace(options, api_group=owners[0]), f"--api-group {owners[0]} (the only group serving {resource})"


def with_apiserver_groups(options: ExplainRequest) -> tuple[ExplainRequest, str | None]:
    """kube-apiserver's authenticators add system:authenticated to every authenticated user's groups
    (system:unauthenticated for the anonymous user): explain does the same, and says so."""
    from dataclasses import replace

    if options.unauthenticated or options.event is not None:
        return options, None
    group = UNAUTHENTICATED_GROUP if options.user == ANONYMOUS_USER else AUTHENTICATED_GROUP
    if group in options.groups:
        return options, None
    return replace(options, groups=[*options.groups, group]), f"group {group} (kube-apiserver adds it to every " + (
        "anonymous request)" if group == UNAUTHENTICATED_GROUP else "authenticated user)")


def is_resource_form(text: str) -> bool:
    """RESOURCE or RESOURCE/SUBRESOURCE, neither part empty."""
    parts = text.split("/")
    return len(parts) <= 2 and all(parts)


def request_from_options(options: ExplainRequest):
    """The Request the options describe (they must have passed ``option_conflict``)."""
    user = None if options.unauthenticated else (options.user or "")
    groups = tuple(options.groups)
    if options.path is not None:
        return Request(user=user, groups=groups, verb=options.verb, resource_request=False, path=options.path)
    resource, subresource = parse_resource(options.resource or "")
    namespace = request_namespace(options.api_group, resource, options.verb, options.name, options.namespace)
    return Request(user=user, groups=groups, verb=options.verb, resource_request=True, api_group=options.api_group,
                   resource=resource, subresource=subresource, namespace=namespace, name=options.name)


def parse_event_reference(text: str) -> tuple[str, int]:
    """``FILE:LINE`` -> (FILE, LINE); UsageError when it is not that form."""
    path, sep, line = text.rpartition(":")
    if not sep or not path or not line.isdigit() or int(line) < 1:
        raise UsageError(f"--event expects FILE:LINE with a line number from 1, got {text!r}")
    return path, int(line)


def request_from_event(reference: str, index: int | None = None):
    """The request of the event at FILE:LINE (any format replay reads) and a note when its record
    does not carry the user's groups (GKE); UsageError with a one-line reason otherwise."""
    path, line = parse_event_reference(reference)
    try:
        event, _ = event_at(path, line, index)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    return request_of(event), type(event.user) is UnknownGroupsUser


def groups_unknown_note(policy, request, kube_version) -> str:
    """What a record without the user's groups (GKE) leaves open: whether the decision shown, for a
    user in no group, is the apiserver's whatever the groups were."""
    if evaluate_without_groups(policy, request, kube_version) is not None:
        return "the record carries no user groups; this policy decides the request the same whatever they are"
    return ("the record carries no user groups and this policy's decision depends on them: undecidable "
            "(explained below for a user in no group)")


def stage_sources(policy, rule_index: int | None) -> list[tuple[str, str]]:
    """Each omitted stage with where it comes from: the policy, the rule, or both."""
    policy_stages = set(policy.omit_stages)
    rule_stages = set(policy.rules[rule_index].omit_stages) if rule_index is not None else set()
    out = []
    for stage in sorted(policy_stages | rule_stages):
        origin = "policy and rule" if stage in policy_stages and stage in rule_stages else (
            "policy" if stage in policy_stages else "rule")
        out.append((stage, origin))
    return out


def managed_fields_source(policy, rule_index: int | None) -> str:
    if rule_index is not None and policy.rules[rule_index].omit_managed_fields is not None:
        return "rule"
    return "policy" if policy.omit_managed_fields else "policy default"


def text_report(policy, explanation) -> list[str]:
    decision = explanation.decision
    lines = [f"request: {explanation.request.describe()}"]
    for index, mismatch in explanation.mismatches:
        lines.append(f"{policy.rule_ref(index)}: {mismatch.reason}")
    if decision.rule is None:
        lines.append("no rule matches: level None (the default), nothing is logged")
    else:
        lines.append(f"decided by {policy.rule_ref(decision.rule)}: "
                     f"level {decision.level.wire}")
    stages = stage_sources(policy, decision.rule)
    lines.append("omitStages: " + (", ".join(f"{s} ({o})" for s, o in stages) if stages else "none"))
    lines.append(f"omitManagedFields: {str(decision.omit_managed_fields).lower()} "
                 f"({managed_fields_source(policy, decision.rule)})")
    if not explanation.request.resource_request and decision.level.wire in ("Request", "RequestResponse"):
        lines.append("note: non-resource requests have no bodies, so this level logs what Metadata logs")
    return lines


def json_report(policy, explanation, path: str, kube_version, accepted: bool) -> dict:
    decision = explanation.decision
    return {
        "policy": path,
        "kubeVersion": versions.format(kube_version),
        "request": explanation.request.as_dict(),
        "policyLoads": accepted,
        "rule": decision.rule,
        "line": policy.rule_line(decision.rule) if decision.rule is not None else None,
        "level": decision.level.wire,
        "omitStages": sorted(decision.omit_stages),
        "omitManagedFields": decision.omit_managed_fields,
        "skippedRules": [
            {"rule": index, "line": policy.rule_line(index), "field": m.field,
             "conditionLine": policy.span(m.path).line, "reason": m.reason}
            for index, m in explanation.mismatches
        ],
    }


def run_explain(policy_path: str, request: ExplainRequest, kube_version: tuple[int, int], output_format: str) -> int:
    """The explain command: print the explanation and return the exit code."""
    try:
        request, group_note = with_group_resolved(request, kube_version)
        conflict = option_conflict(request)
        if conflict:
            raise UsageError(conflict)
        request, groups_note = with_apiserver_groups(request)
        groups_unknown = False
        if request.event:
            attributes, groups_unknown = request_from_event(request.event, request.event_index)
        elif request.event_index is not None:
            raise UsageError("--event-index chooses among the events of --event FILE:LINE; give --event")
        else:
            attributes = request_from_options(request)
        reading = apiserver_read(policy_path, kube_version)
        not_policy = first_document_not_policy(reading)
        if not_policy:
            start = reading.documents[0].start
            raise UsageError(f"{policy_path}:{start.line}:{start.column}: {not_policy}")
    except (UsageError, InputError) as exc:
        print(f"kube-audit-lint: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    for note in (group_note, groups_note):
        if note:
            print(f"kube-audit-lint: note: explaining with {note}", file=sys.stderr)
    verdict = reading.verdicts[0]
    if not verdict.accepted:
        first = verdict.errors[0]
        print(f"{policy_path}:{first.span.line}:{first.span.column}: warning: kube-apiserver "
              f"{versions.format(kube_version)} would refuse this policy ({first.render()}); "
              "explaining its rules as written", file=sys.stderr)
    explanation = explain(verdict.policy, attributes, kube_version)
    if groups_unknown:
        print(f"kube-audit-lint: note: {groups_unknown_note(verdict.policy, attributes, kube_version)}", file=sys.stderr)
    if output_format == "json":
        report = json_report(verdict.policy, explanation, policy_path, kube_version, verdict.accepted)
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(one_line(line) for line in text_report(verdict.policy, explanation)) + "\n")
    return EXIT_OK
