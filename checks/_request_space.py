"""What the request-space checks share: who sends requests, how to name a rule, request classes.

The request-space analysis (``linter.engine.space``) treats a user's groups as free: it builds
requests by ``alice`` with no groups at all, or with both ``system:authenticated`` and
``system:unauthenticated``. kube-apiserver never presents such a request. Its authenticators give
every authenticated user the group ``system:authenticated``, never ``system:unauthenticated``,
and the anonymous user exactly ``system:unauthenticated`` (``k8s.io/apiserver
pkg/authentication/group`` and ``pkg/authentication/request/anonymous``); a request whose
authentication failed has no user at all. The checks ask about these three senders only. For the
first two they ask the analysis about a copy of the policy in which each rule's ``users`` and
``userGroups`` are resolved for that sender (met, or never met), so the free groups cannot lead
it astray; every example request is then checked against the real policy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Iterable

from kube_audit_lint.datafiles import read_data
from kube_audit_lint.engine.space import Outcome, RequestSpace, Selector
from kube_audit_lint.kube.api import ANONYMOUS_USER, AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP
from kube_audit_lint.policy.model import GroupResources, Level
from kube_audit_lint.policy.yamlnodes import parse_data

# kube-apiserver's own loopback client: its token is made at start-up and never leaves the process,
# so dropping its requests hides nothing an outsider can do.
INTERNAL_USERS = frozenset({"system:apiserver"})

# Who sends a request.
AUTHENTICATED = "an authenticated user"
ANONYMOUS = "the anonymous user"
NO_USER = "a client whose authentication failed"
ANY_USER = (AUTHENTICATED, ANONYMOUS)
SENDERS = (AUTHENTICATED, ANONYMOUS, NO_USER)

# Every verb a resource request can carry, except ``proxy`` (legacy proxy paths).
RESOURCE_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
# Verbs whose request body is the object (or a patch of it): what Request level writes to the log.
BODY_VERBS = ("create", "update", "patch")

# A resources entry no request matches: API groups never contain "/".
_NOTHING = (GroupResources("no/such-group"),)


def outcomes(ctx, *selectors: Selector, senders: Iterable[str] = (AUTHENTICATED,)) -> list[Outcome]:
    """One outcome per rule (None last) that some request of the selectors, by the senders, reaches.

    Rules whose level kube-apiserver refuses are left out: the policy does not load, and
    invalid-policy says so; guessing what such a rule would log helps nobody.
    """
    seen: dict[int | None, Outcome] = {}
    for sender in senders:
        for selector in selectors:
            for outcome in sent_by(ctx, selector, sender):
                if outcome.rule not in seen and has_valid_level(ctx.policy, outcome.rule):
                    seen[outcome.rule] = outcome
    return sorted(seen.values(), key=lambda o: (o.rule is None, o.rule or 0))


def sent_by(ctx, selector: Selector, sender: str) -> list[Outcome]:
    """The outcomes of the selector's requests sent by ``sender``."""
    if sender == NO_USER:
        return ctx.space.outcomes(replace(selector, users=(), user_groups=(), authenticated=False))
    if sender == AUTHENTICATED:
        users = authenticated_users(selector.users)
        if users is None:
            return []
        groups = selector.user_groups
        if groups and AUTHENTICATED_GROUP not in groups:
            groups = tuple(g for g in groups if g != UNAUTHENTICATED_GROUP)
            if not groups:
                return []
        query = replace(selector, users=users, user_groups=() if AUTHENTICATED_GROUP in groups else groups,
                        authenticated=True)
    else:
        if selector.users and ANONYMOUS_USER not in selector.users:
            return []
        if selector.user_groups and UNAUTHENTICATED_GROUP not in selector.user_groups:
            return []
        query = replace(selector, users=(), user_groups=(), authenticated=True)
    return [confirmed(ctx, o, as_sent_by(o.witness, sender)) for o in sender_space(ctx, sender).outcomes(query)]


def as_sent_by(request, sender: str):
    """A request of a sender's analysis (``sender_space``) as kube-apiserver sees it."""
    if sender == AUTHENTICATED:
        return replace(request, groups=(AUTHENTICATED_GROUP,) + request.groups)
    if sender == ANONYMOUS:
        return replace(request, user=ANONYMOUS_USER, groups=(UNAUTHENTICATED_GROUP,))
    return replace(request, user=None, groups=())


def confirmed(ctx, outcome: Outcome, witness) -> Outcome:
    """The outcome with the real sender's request, which the real policy must decide the same way."""
    decided = ctx.space.evaluate(witness).rule  # evaluate's answer, through an index of the rules
    if decided != outcome.rule:
        raise AssertionError(f"{witness.describe()} should reach rule {outcome.rule}, not {decided}")
    return replace(outcome, witness=witness)


def sender_space(ctx, sender: str) -> RequestSpace:
    """The analysis of the policy as ``sender`` meets it (worked out once per policy)."""
    def analyse() -> RequestSpace:
        rules = tuple(for_sender(rule, sender) for rule in ctx.policy.rules)
        return RequestSpace(replace(ctx.policy, rules=rules), ctx.kube_version)

    return ctx.analysis.derived(("sender", sender), analyse)


def for_sender(rule, sender: str):
    """The rule with its users and userGroups resolved for ``sender``: dropped when met, and the
    rule made to match nothing when they can never be met."""
    if sender == NO_USER:
        return never(rule) if rule.users or rule.user_groups else rule
    if sender == AUTHENTICATED:
        users = authenticated_users(rule.users)
        if users is None:
            return never(rule)
        if AUTHENTICATED_GROUP in rule.user_groups:
            return replace(rule, users=users, user_groups=())
        groups = tuple(g for g in rule.user_groups if g != UNAUTHENTICATED_GROUP)
        if rule.user_groups and not groups:
            return never(rule)
        return replace(rule, users=users, user_groups=groups)
    met = ((not rule.users or ANONYMOUS_USER in rule.users)
           and (not rule.user_groups or UNAUTHENTICATED_GROUP in rule.user_groups))
    return replace(rule, users=(), user_groups=()) if met else never(rule)


def authenticated_users(users: tuple[str, ...]) -> tuple[str, ...] | None:
    """``users`` as an authenticated user can meet them: never as system:anonymous, the name the
    anonymous authenticator gives and the group adder leaves out of system:authenticated; None when
    no name is left."""
    if ANONYMOUS_USER not in users:
        return users
    left = tuple(u for u in users if u != ANONYMOUS_USER)
    return left or None


def never(rule):
    return replace(rule, users=(), user_groups=(), verbs=(), resources=_NOTHING, namespaces=(),
                   non_resource_urls=())


def has_valid_level(policy, rule: int | None) -> bool:
    return rule is None or policy.rules[rule].level_value is not None


def logs_nothing(ctx) -> bool:
    """No request at all is logged (and every rule has a level the apiserver accepts)."""
    if not ctx.policy.rules or not all(rule.level_value is not None for rule in ctx.policy.rules):
        return False
    return all(outcome.level is Level.NONE for outcome in ctx.space.outcomes(Selector()))


def live(ctx, rule) -> bool:
    """Whether some request is decided by ``rule`` (it matches one, and no earlier rule does).

    The settings checks look only at live rules: a rule no request reaches gets the
    unreachable-rule or rule-never-matches finding, and its settings change nothing."""
    return ctx.space.reachable(rule.index) is not None



def rule_refs(policy, indexes: Iterable[int]) -> str:
    refs = [policy.rule_ref(i) for i in indexes]
    if len(refs) <= 1:
        return "".join(refs)
    return ", ".join(refs[:-1]) + " and " + refs[-1]


def level_path(index: int) -> tuple:
    return ("rules", index, "level")


def rule_subject(policy, index: int | None) -> str:
    """A rule described by what it says, not where it is (finding subjects feed fingerprints)."""
    if index is None:
        return "no rule"
    rule = policy.rules[index]
    return f"{rule.level} rule for {Selector.from_rule(rule).describe()}"


def internal_only(rule) -> bool:
    """The rule only matches requests kube-apiserver sends to itself."""
    return bool(rule.users) and set(rule.users) <= INTERNAL_USERS and not rule.user_groups


def security_drops(ctx) -> dict:
    """Security-relevant requests (``security-events.yaml``) by authenticated users that resolve to
    level None: {rule index or None: [(class, outcome), ...]}, classes in the data's order."""
    drops: dict = {}
    for request_class in request_classes("security-events.yaml"):
        for outcome in outcomes(ctx, *request_class.selectors):
            if outcome.level is not Level.NONE:
                continue
            if outcome.rule is not None and internal_only(ctx.policy.rules[outcome.rule]):
                continue
            drops.setdefault(outcome.rule, []).append((request_class, outcome))
    return drops


def titles(request_classes_: Iterable, limit: int = 4) -> str:
    """"a, b and c"; past ``limit`` names, "a, b, c, d and 5 more"."""
    names = [c.title for c in request_classes_]
    if len(names) > limit + 1:
        names = names[:limit] + [f"{len(names) - limit} more"]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


# --------------------------------------------------------------------------------------------
# Request classes kept as data (linter/data/*.yaml), shared with reports


@dataclass(frozen=True)
class RequestClass:
    """A named class of requests: one or more selectors written like policy rules."""

    id: str
    title: str
    selectors: tuple[Selector, ...]
    why: str = ""
    verb_notes: dict = field(default_factory=dict, hash=False, compare=False)
    references: tuple[str, ...] = ()


@functools.lru_cache(maxsize=None)
def request_classes(filename: str) -> tuple[RequestClass, ...]:
    """The classes in ``linter/data/<filename>``."""
    data = parse_data(filename, read_data(filename))
    return tuple(_request_class(item, f"{filename}: classes[{i}]") for i, item in enumerate(data["classes"]))


def _request_class(item: dict, where: str) -> RequestClass:
    try:
        return RequestClass(
            id=item["id"],
            title=item["title"],
            selectors=tuple(Selector.from_mapping(s) for s in item["selectors"]),
            why=item.get("why", ""),
            verb_notes=dict(item.get("verb_notes") or {}),
            references=tuple(item.get("references") or ()),
        )
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None
