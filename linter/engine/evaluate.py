"""First-match evaluation, the same shape as kube-apiserver's policy checker.

Each function here answers one question the apiserver's checker answers, with the same string
handling (exact, case-sensitive matches; no trimming): does a rule match a request, does a path
match a non-resource URL spec, does a resource request match a rule's group/resource entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from kube_audit_lint.engine.request import Request
from kube_audit_lint.policy.model import Level, Policy, Rule
from kube_audit_lint.policy.versions import WILDCARD_GROUP

WILDCARD_GROUP_SINCE = WILDCARD_GROUP  # the first release whose apiserver reads group "*" as every group


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy decides for one request."""

    rule: int | None  # 0-based index of the first matching rule, None when nothing matched
    level: Level
    omit_stages: frozenset[str]
    omit_managed_fields: bool

    def logs(self, stage: str) -> bool:
        """Whether an event of ``stage`` is written for this request."""
        return self.level is not Level.NONE and stage not in self.omit_stages

    @property
    def effective_level(self) -> Level:
        """The level, or None when every stage a request can reach is omitted (only a panic would
        still be written): the policy then records nothing for the request, whatever its level."""
        return Level.NONE if self.omit_stages >= REQUEST_STAGES else self.level


# RequestReceived and ResponseComplete for every request, ResponseStarted for long-running ones
REQUEST_STAGES = frozenset(("RequestReceived", "ResponseStarted", "ResponseComplete"))


def path_matches(path: str, spec: str) -> bool:
    """A non-resource URL spec: ``*``, an exact path, or a prefix ending in ``*``.

    The apiserver strips every trailing ``*`` from the spec before the prefix test.
    """
    if spec == "*" or spec == path:
        return True
    return spec.endswith("*") and path.startswith(spec.rstrip("*"))


def resource_matches(pattern: str, request: Request) -> bool:
    """One entry of ``resources`` against the request's resource and subresource.

    ``*`` matches everything in the group, ``*/sub`` any resource's ``sub`` subresource,
    ``res/*`` the resource *and* every subresource of it (the apiserver does not check that a
    subresource is present), anything else must equal ``resource[/subresource]``.
    """
    if pattern == "*" or pattern == request.combined_resource:
        return True
    if request.subresource and pattern.startswith("*/") and request.subresource == pattern[2:]:
        return True
    return pattern.endswith("/*") and request.resource == pattern[:-2]


def group_matches(group: str, api_group: str, wildcard_group: bool) -> bool:
    return group == api_group or (wildcard_group and group == "*")


def rule_matches_resource(rule: Rule, request: Request, wildcard_group: bool = True) -> bool:
    if not request.resource_request:
        return False
    if rule.namespaces and request.namespace not in rule.namespaces:
        return False
    if not rule.resources:
        return True
    for entry in rule.resources:
        if not group_matches(entry.group, request.api_group, wildcard_group):
            continue
        if not entry.resources:
            return True
        if entry.resource_names and request.name not in entry.resource_names:
            continue
        if any(resource_matches(pattern, request) for pattern in entry.resources):
            return True
    return False


def rule_matches_non_resource(rule: Rule, request: Request) -> bool:
    if request.resource_request:
        return False
    return any(path_matches(request.path, spec) for spec in rule.non_resource_urls)


def rule_matches_user(rule: Rule, request: Request) -> bool:
    if rule.users and (request.user is None or request.user not in rule.users):
        return False
    if rule.user_groups:
        if request.user is None:
            return False
        if not any(group in rule.user_groups for group in request.groups):
            return False
    return True


def rule_matches(rule: Rule, request: Request, wildcard_group: bool = True) -> bool:
    """Every field of the rule must match (AND); within a field any value may match (OR)."""
    if not rule_matches_user(rule, request):
        return False
    if rule.verbs and request.verb not in rule.verbs:
        return False
    if rule.namespaces or rule.resources:
        return rule_matches_resource(rule, request, wildcard_group)
    if rule.non_resource_urls:
        return rule_matches_non_resource(rule, request)
    return True


def first_match(policy: Policy, request: Request, wildcard_group: bool = True) -> int | None:
    for rule in policy.rules:
        if rule_matches(rule, request, wildcard_group):
            return rule.index
    return None


def decide(policy: Policy, rule_index: int | None) -> Decision:
    """The decision that follows from a matched rule (or from no match)."""
    if rule_index is None:
        return Decision(None, Level.NONE, frozenset(policy.omit_stages), policy.omit_managed_fields)
    rule = policy.rules[rule_index]
    omf = policy.omit_managed_fields if rule.omit_managed_fields is None else rule.omit_managed_fields
    return Decision(
        rule_index,
        rule.level_value if rule.level_value is not None else Level.NONE,
        frozenset(policy.omit_stages) | frozenset(rule.omit_stages),
        omf,
    )


def evaluate(policy: Policy, request: Request, kube_version: tuple[int, int] | None = None) -> Decision:
    """What kube-apiserver (``kube_version``, default the newest) decides for ``request``."""
    wildcard_group = kube_version is None or kube_version >= WILDCARD_GROUP_SINCE
    return decide(policy, first_match(policy, request, wildcard_group))


def rule_matches_without_groups(rule: Rule, request: Request, wildcard_group: bool = True) -> bool:
    """``rule_matches`` with the rule's ``userGroups`` left out (for a request whose groups are unknown)."""
    if rule.user_groups and request.user is None:
        return False
    return rule_matches(_without_groups(rule), request, wildcard_group)


def _without_groups(rule: Rule) -> Rule:
    import dataclasses

    return dataclasses.replace(rule, user_groups=()) if rule.user_groups else rule


def evaluate_without_groups(policy: Policy, request: Request,
                            kube_version: tuple[int, int] | None = None) -> Decision | None:
    """What kube-apiserver decides for ``request`` whatever groups its user has (a record that does
    not say them, as GKE's), or None when that depends on the groups.

    Walking the rules in order, a rule that matches the rest of the request and names userGroups
    decides for the group sets that meet its groups and no earlier candidate's; the first matching
    rule without userGroups (or no match at all) decides for every other group set, the empty one
    included. A candidate is reachable when some group set reaches it: its groups are not all
    taken by earlier candidates. The decision is known when every reachable candidate sets the same
    level, omitted stages and managed-fields setting; it is then the one a user with none of the
    policy's groups gets."""
    wildcard_group = kube_version is None or kube_version >= WILDCARD_GROUP_SINCE
    taken: set[str] = set()
    outcomes: set[tuple[Level, frozenset[str], bool]] = set()
    for rule in policy.rules:
        if not rule_matches_without_groups(rule, request, wildcard_group):
            continue
        if not rule.user_groups:
            decision = decide(policy, rule.index)
            break
        if not set(rule.user_groups) <= taken:
            reached = decide(policy, rule.index)
            outcomes.add((reached.level, reached.omit_stages, reached.omit_managed_fields))
            taken.update(rule.user_groups)
    else:
        decision = decide(policy, None)
    outcomes.add((decision.level, decision.omit_stages, decision.omit_managed_fields))
    return decision if len(outcomes) == 1 else None
