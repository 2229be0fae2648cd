"""Why a rule does or does not match a request, condition by condition.

The questions are asked in the order kube-apiserver's ``ruleMatches`` asks them (users, userGroups,
verbs, then the resource or non-resource part), and each answer is decided by the same functions
``evaluate`` uses, so an explanation can never disagree with the decision it explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from kube_audit_lint.engine.evaluate import (
    WILDCARD_GROUP_SINCE,
    Decision,
    decide,
    group_matches,
    resource_matches,
    rule_matches,
    rule_matches_non_resource,
    rule_matches_resource,
)
from kube_audit_lint.engine.request import Request
from kube_audit_lint.policy.model import GroupResources, Policy, Rule
from kube_audit_lint.policy.yamlnodes import Path


@dataclass(frozen=True)
class Mismatch:
    """The first condition of a rule that a request fails."""

    field: str  # users, userGroups, verbs, namespaces, resources, nonResourceURLs
    path: Path  # where in the policy: ("rules", 3, "verbs")
    reason: str  # "verbs [get list] does not contain \"create\""


@dataclass(frozen=True)
class Explanation:
    """A decision and, for every rule before the deciding one, why it did not match."""

    request: Request
    decision: Decision
    mismatches: tuple[tuple[int, Mismatch], ...]


def show(value: str) -> str:
    """A value as it appears in a reason: bare when unambiguous, quoted otherwise."""
    import json

    return value if value and value.isprintable() and " " not in value and '"' not in value else json.dumps(value)


def show_list(values: Iterable[str]) -> str:
    return "[" + " ".join(show(v) for v in values) + "]"


def quoted(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def user_mismatch(rule: Rule, request: Request) -> Mismatch | None:
    """users, then userGroups; a request with no authenticated user fails both whenever they are set."""
    base = ("rules", rule.index)
    if rule.users and (request.user is None or request.user not in rule.users):
        who = "a request with no authenticated user" if request.user is None else quoted(request.user)
        verb = "never match" if request.user is None else "does not contain"
        return Mismatch("users", base + ("users",), f"users {show_list(rule.users)} {verb} {who}")
    if rule.user_groups and (request.user is None or not any(g in rule.user_groups for g in request.groups)):
        if request.user is None:
            reason = f"userGroups {show_list(rule.user_groups)} never match a request with no authenticated user"
        elif not request.groups:
            reason = f"userGroups {show_list(rule.user_groups)}: the request has no groups"
        else:
            reason = f"userGroups {show_list(rule.user_groups)} contains none of the groups {show_list(request.groups)}"
        return Mismatch("userGroups", base + ("userGroups",), reason)
    return None


def verb_mismatch(rule: Rule, request: Request) -> Mismatch | None:
    if rule.verbs and request.verb not in rule.verbs:
        reason = f"verbs {show_list(rule.verbs)} does not contain {quoted(request.verb)}"
        return Mismatch("verbs", ("rules", rule.index, "verbs"), reason)
    return None


def entry_mismatch(entry: GroupResources, request: Request) -> str:
    """Why one resources entry whose group matches does not match the request."""
    target = quoted(request.combined_resource)
    if entry.resource_names and request.name not in entry.resource_names:
        name = quoted(request.name) if request.name else "no name (create, list and watch carry none)"
        if any(resource_matches(pattern, request) for pattern in entry.resources):
            return f"resourceNames {show_list(entry.resource_names)} does not contain {name}"
    reason = f"resources {show_list(entry.resources)} does not match {target}"
    if request.subresource and request.resource in entry.resources:
        reason += f" ({quoted(request.resource)} matches the resource only, not its subresources)"
    return reason


def resource_mismatch(rule: Rule, request: Request, wildcard_group: bool = True) -> Mismatch | None:
    """ruleMatchesResource, one condition at a time: kind of request, namespaces, resources."""
    base = ("rules", rule.index)
    if rule_matches_resource(rule, request, wildcard_group):
        return None
    if not request.resource_request:
        field = "resources" if rule.resources else "namespaces"
        return Mismatch(field, base + (field,), f"the rule has {field}, so it matches only resource requests, "
                        f"and {quoted(request.path)} is a non-resource request")
    if rule.namespaces and request.namespace not in rule.namespaces:
        where = quoted(request.namespace) + (" (cluster-scoped or all namespaces)" if not request.namespace else "")
        return Mismatch("namespaces", base + ("namespaces",),
                        f"namespaces {show_list(rule.namespaces)} does not contain {where}")
    for k, entry in enumerate(rule.resources):
        if group_matches(entry.group, request.api_group, wildcard_group):
            return Mismatch("resources", base + ("resources", k),
                            f"resources[{k}] (group {quoted(entry.group)}): {entry_mismatch(entry, request)}")
    groups = " ".join(quoted(e.group) for e in rule.resources)
    return Mismatch("resources", base + ("resources",),
                    f"no resources entry is for group {quoted(request.api_group)} (groups: {groups})")


def non_resource_mismatch(rule: Rule, request: Request) -> Mismatch | None:
    base = ("rules", rule.index, "nonResourceURLs")
    if rule_matches_non_resource(rule, request):
        return None
    if request.resource_request:
        return Mismatch("nonResourceURLs", base, "the rule has nonResourceURLs, so it matches only non-resource "
                        "requests, and this is a resource request")
    hint = ""
    if any(not spec.endswith("*") and request.path.startswith(spec + "/") for spec in rule.non_resource_urls):
        hint = " (a URL without a trailing * matches that exact path only)"
    return Mismatch("nonResourceURLs", base,
                    f"nonResourceURLs {show_list(rule.non_resource_urls)} does not match {quoted(request.path)}{hint}")


def first_mismatch(rule: Rule, request: Request, wildcard_group: bool = True) -> Mismatch | None:
    """The first condition of ``rule`` that ``request`` fails, or None when the rule matches."""
    mismatch = user_mismatch(rule, request) or verb_mismatch(rule, request)
    if mismatch is None:
        if rule.namespaces or rule.resources:
            mismatch = resource_mismatch(rule, request, wildcard_group)
        elif rule.non_resource_urls:
            mismatch = non_resource_mismatch(rule, request)
    if (mismatch is None) != rule_matches(rule, request, wildcard_group):
        raise AssertionError(f"explanation disagrees with the decision for rule {rule.index}")
    return mismatch


def explain(policy: Policy, request: Request, kube_version: tuple[int, int] | None = None) -> Explanation:
    """The decision for ``request`` and why each earlier rule did not match it."""
    wildcard_group = kube_version is None or kube_version >= WILDCARD_GROUP_SINCE
    mismatches: list[tuple[int, Mismatch]] = []
    for rule in policy.rules:
        mismatch = first_mismatch(rule, request, wildcard_group)
        if mismatch is None:
            return Explanation(request, decide(policy, rule.index), tuple(mismatches))
        mismatches.append((rule.index, mismatch))
    return Explanation(request, decide(policy, None), tuple(mismatches))

