"""What an edit changes at the level of requests: every request whose outcome differs between two
policies, with a witness.

Shared by ``lint --fix`` (fixes/verify.py: a fix must change what it means to and nothing else)
and by the semantic diff (review/semdiff.py, which groups the changes into request classes).
An outcome is what gets written for a request, normalised (``Effect``); the requests are those
kube-apiserver can present, sender by sender (checks/_request_space.py), each sender's two
policies compared over one request space (``engine.space.PolicyPair``), and every witness
confirmed on the real, unresolved policies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from kube_audit_lint.checks._request_space import (
    ANONYMOUS, AUTHENTICATED, NO_USER, SENDERS, as_sent_by, authenticated_users, for_sender,
)
from kube_audit_lint.engine.evaluate import decide, evaluate
from kube_audit_lint.engine.request import Request
from kube_audit_lint.engine.space import PolicyPair, Selector
from kube_audit_lint.kube.api import ANONYMOUS_USER, AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP
from kube_audit_lint.policy.model import Level, Policy

STAGE_ORDER = ("RequestReceived", "ResponseStarted", "ResponseComplete", "Panic")


@dataclass(frozen=True)
class Effect:
    """What the apiserver writes for a request, normalised (see the module docstring)."""

    level: Level
    omit_stages: tuple[str, ...] = ()
    omit_managed_fields: bool | None = None

    @property
    def logged(self) -> bool:
        return self.level is not Level.NONE

    def describe(self) -> str:
        if not self.logged:
            return "None"
        text = self.level.wire
        if self.omit_stages:
            text += f" (omitting {', '.join(self.omit_stages)})"
        if self.omit_managed_fields:
            text += " without managedFields"
        return text

    def as_dict(self) -> dict:
        return {"level": self.level.wire, "omitStages": list(self.omit_stages),
                "omitManagedFields": self.omit_managed_fields}


def effect_of(policy: Policy, rule: int | None) -> Effect:
    decision = decide(policy, rule)
    level = decision.effective_level
    if level is Level.NONE:
        return Effect(Level.NONE)
    stages = tuple(s for s in STAGE_ORDER if s in decision.omit_stages)
    stages += tuple(sorted(decision.omit_stages - set(STAGE_ORDER)))
    managed = decision.omit_managed_fields if level >= Level.REQUEST else None
    return Effect(level, stages, managed)


@dataclass(frozen=True)
class Change:
    """Requests of a class whose outcome goes from ``old`` to ``new``, with one example."""

    old: Effect
    new: Effect
    witness: Request
    old_rules: tuple[int | None, ...]  # the rules that decide these requests in the old policy
    new_rules: tuple[int | None, ...]

    @property
    def becomes_unlogged(self) -> bool:
        return self.old.logged and not self.new.logged

    @property
    def direction(self) -> str:
        """more, less or changed: the level rises, falls, or only the stages or managedFields move."""
        if self.new.level > self.old.level:
            return "more"
        if self.new.level < self.old.level:
            return "less"
        return "changed"


# --------------------------------------------------------------------------------------------
# Senders: the requests kube-apiserver can present


def resolve_selector(selector: Selector, sender: str) -> Selector | None:
    """``selector`` as ``sender``'s requests meet it, users and groups resolved as
    ``checks._request_space.for_sender`` resolves a rule's; None when no request of the sender is in it."""
    if sender == NO_USER:
        if selector.users or selector.user_groups or selector.authenticated is True:
            return None
        return replace(selector, authenticated=False)
    if selector.authenticated is False:
        return None
    if sender == AUTHENTICATED:
        users = authenticated_users(selector.users)
        if users is None:
            return None
        groups = selector.user_groups
        if AUTHENTICATED_GROUP in groups:
            groups = ()
        elif groups:
            groups = tuple(g for g in groups if g != UNAUTHENTICATED_GROUP)
            if not groups:
                return None
        return replace(selector, users=users, user_groups=groups, authenticated=True)
    assert sender == ANONYMOUS
    met = ((not selector.users or ANONYMOUS_USER in selector.users)
           and (not selector.user_groups or UNAUTHENTICATED_GROUP in selector.user_groups))
    return replace(selector, users=(), user_groups=(), authenticated=True) if met else None


def _resolved_policy(policy: Policy, sender: str) -> Policy:
    return replace(policy, rules=tuple(for_sender(rule, sender) for rule in policy.rules))


@dataclass(frozen=True)
class Region:
    """Requests of one sender: those of ``selector`` outside every ``excluding`` selector."""

    sender: str
    selector: Selector
    excluding: tuple[Selector, ...] = ()


# --------------------------------------------------------------------------------------------
# The comparison


class PolicyComparison:
    """Both policies resolved for each sender, compared region by region."""

    def __init__(self, old: Policy, new: Policy, kube_version: tuple[int, int] | None):
        self.old, self.new, self.kube_version = old, new, kube_version
        self._pairs: dict[str, PolicyPair] = {}
        self._old_effects = [effect_of(old, i) for i in range(len(old.rules))] + [effect_of(old, None)]
        self._new_effects = [effect_of(new, i) for i in range(len(new.rules))] + [effect_of(new, None)]

    def old_effect(self, rule: int | None) -> Effect:
        return self._old_effects[-1 if rule is None else rule]

    def new_effect(self, rule: int | None) -> Effect:
        return self._new_effects[-1 if rule is None else rule]

    def differs(self, old_rule: int | None, new_rule: int | None) -> bool:
        return self.old_effect(old_rule) != self.new_effect(new_rule)

    def pair(self, sender: str) -> PolicyPair:
        if sender not in self._pairs:
            self._pairs[sender] = PolicyPair(_resolved_policy(self.old, sender),
                                             _resolved_policy(self.new, sender), self.kube_version)
        return self._pairs[sender]

    def changes(self, regions: Iterable[Region]) -> tuple[Change, ...]:
        """The changes in ``regions``: one per (old outcome, new outcome), first witness kept."""
        found: dict[tuple[Effect, Effect], tuple[Request, list, list]] = {}
        for region in regions:
            pair = self.pair(region.sender)
            for divergence in pair.divergences(self.differs, region.selector, region.excluding):
                witness = self._confirmed(as_sent_by(divergence.witness, region.sender),
                                          divergence.old_rule, divergence.new_rule)
                key = (self.old_effect(divergence.old_rule), self.new_effect(divergence.new_rule))
                entry = found.setdefault(key, (witness, [], []))
                for rules, rule in ((entry[1], divergence.old_rule), (entry[2], divergence.new_rule)):
                    if rule not in rules:
                        rules.append(rule)
        changes = [Change(old, new, witness, _rule_order(olds), _rule_order(news))
                   for (old, new), (witness, olds, news) in found.items()]
        return tuple(sorted(changes, key=_change_order))

    def _confirmed(self, witness: Request, old_rule, new_rule) -> Request:
        decided = (evaluate(self.old, witness, self.kube_version).rule,
                   evaluate(self.new, witness, self.kube_version).rule)
        if decided != (old_rule, new_rule):
            raise AssertionError(f"{witness.describe()} should be decided by rules {old_rule} -> {new_rule}, "
                                 f"not {decided[0]} -> {decided[1]}")
        return witness


def _rule_order(rules: list) -> tuple:
    return tuple(sorted(rules, key=lambda r: (r is None, r or 0)))


def _change_order(change: Change):
    """What a reviewer must see first: requests that become unlogged, then lower levels."""
    return (not change.becomes_unlogged, change.direction != "less", -change.old.level, change.new.level,
            change.old.describe(), change.new.describe())


def intended_changes(old: Policy, new: Policy, intended: Iterable[Selector],
                     kube_version: tuple[int, int] | None = None) -> tuple[tuple[Change, ...], tuple[Change, ...]]:
    """(the changes of requests in some ``intended`` selector, the changes of every other request):
    whether an edit (a ``lint --fix`` fix) changed what it meant to and nothing else."""
    comparison = PolicyComparison(old, new, kube_version)
    intended = tuple(intended)
    inside: list[Region] = []
    outside: list[Region] = []
    for sender in SENDERS:
        resolved = tuple(s for s in (resolve_selector(i, sender) for i in intended) if s is not None)
        everything = resolve_selector(Selector(), sender)
        if everything is not None:
            outside.append(Region(sender, everything, resolved))
        inside += [Region(sender, selector) for selector in resolved]
    return comparison.changes(inside), comparison.changes(outside)
