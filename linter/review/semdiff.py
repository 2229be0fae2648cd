"""The semantic diff of two policies: every class of requests whose outcome changes.

An outcome is what gets written for a request: its level, the stages omitted and, for a body
level, whether managedFields are omitted. Which rule decides is not part of it, so two policies
written differently (JSON and YAML, rules split or merged, lists reordered, duplicates) that
decide every request the same way have no difference at all. Outcomes are normalised before
they are compared: a request whose every stage is omitted, or that no rule matches, is simply not
logged; omitManagedFields only matters at Request and RequestResponse, where bodies are written.

The requests are those kube-apiserver can present (see ``checks/_request_space.py``): sent by an
authenticated user (always in ``system:authenticated``), by the anonymous user (exactly
``system:unauthenticated``), or after failed authentication (no user). For each sender both
policies are resolved for that sender and compared over one request space
(``engine.space.PolicyPair``), so a difference found is a difference the apiserver can show, with
a witness both policies' evaluators confirm on the real, unresolved policies.

Differences are grouped by the reviewer-readable request classes of
``baselines/request-classes.yaml``, the sensitive ones first (``data/review-classes.yaml``); the
changes no named class holds are reported as "Other requests", so nothing is left out.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Iterable

from kube_audit_lint.checks._request_space import (
    ANONYMOUS, AUTHENTICATED, NO_USER, SENDERS, as_sent_by, authenticated_users, for_sender,
)
from kube_audit_lint.engine.evaluate import decide, evaluate
from kube_audit_lint.engine.request import Request
from kube_audit_lint.engine.space import PolicyPair, Selector
from kube_audit_lint.kube.api import ANONYMOUS_USER, AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP
from kube_audit_lint.lint.baseline import request_classes
from kube_audit_lint.policy.model import Level, Policy

STAGE_ORDER = ("RequestReceived", "ResponseStarted", "ResponseComplete", "Panic")
OTHER_ID = "other-requests"
OTHER_TITLE = "Other requests"


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


@dataclass(frozen=True)
class ClassChanges:
    id: str
    title: str
    sensitive: bool
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class PolicyDiff:
    old: Policy
    new: Policy
    classes: tuple[ClassChanges, ...]  # only the classes with changes, sensitive first

    @property
    def changed(self) -> bool:
        return bool(self.classes)

    @property
    def unlogged(self) -> list[tuple[ClassChanges, Change]]:
        return [(c, change) for c in self.classes for change in c.changes if change.becomes_unlogged]


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


# --------------------------------------------------------------------------------------------
# Request classes


@dataclass(frozen=True)
class Region:
    """Requests of one sender: those of ``selector`` outside every ``excluding`` selector."""

    sender: str
    selector: Selector
    excluding: tuple[Selector, ...] = ()


@dataclass(frozen=True)
class NamedClass:
    id: str
    title: str
    sensitive: bool
    source: object  # baseline.RequestSelector

    def regions(self, sender: str, policies: Iterable[Policy]) -> list[Region]:
        """The class's requests sent by ``sender``, as regions of that sender's request space."""
        source = self.source
        core = resolve_selector(source.core, sender)
        if core is None:
            return []
        excluding = [s for s in (resolve_selector(e, sender) for e in source.exceptions) if s is not None]
        only = source.only_groups
        if only is not None:
            needed = AUTHENTICATED_GROUP if sender == AUTHENTICATED else UNAUTHENTICATED_GROUP
            if core.authenticated is not False and needed not in only:
                return []
            if sender == AUTHENTICATED:  # the other groups are free in that space: take them out
                named = {g for p in policies for rule in p.rules for g in rule.user_groups}
                named -= {AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP} | set(only)
                excluding += [Selector(user_groups=(g,), authenticated=True) for g in sorted(named)]
        return [Region(sender, core, tuple(excluding))]


@functools.lru_cache(maxsize=1)
def named_classes() -> tuple[NamedClass, ...]:
    """The request classes of ``baselines/request-classes.yaml``, the sensitive ones first in the
    order of ``data/review-classes.yaml``, then the others in their file's order."""
    sensitive = sensitive_class_ids()
    classes = [NamedClass(c.id, c.title, c.id in sensitive, c.selector) for c in request_classes()]
    rank = {class_id: i for i, class_id in enumerate(sensitive)}
    return tuple(sorted(classes, key=lambda c: rank.get(c.id, len(rank))))


@functools.lru_cache(maxsize=1)
def sensitive_class_ids() -> tuple[str, ...]:
    from importlib import resources

    from ruamel.yaml import YAML

    text = resources.files("kube_audit_lint").joinpath("data/review-classes.yaml").read_text("utf-8")
    return tuple(YAML(typ="safe", pure=True).load(text)["sensitive"])


def other_regions(sender: str, classes: Iterable[NamedClass], policies: list[Policy]) -> list[Region]:
    """The requests of ``sender`` in no named class, as regions.

    A class is its selector minus its exceptions. Outside every class without exceptions (U) and
    one class with exceptions (core C, exceptions E) lie the requests outside U and C, and the
    requests of E outside U: two kinds of region. More than one class with exceptions would
    multiply them; the data has one, and this refuses more rather than guess."""
    simple: list[Selector] = []
    carved: list[Region] = []
    for named in classes:
        for region in named.regions(sender, policies):
            (carved.append(region) if region.excluding else simple.append(region.selector))
    if len(carved) > 1:
        raise ValueError("request classes: at most one class may have exceptions")
    everything = resolve_selector(Selector(), sender)
    if not carved:
        return [Region(sender, everything, tuple(simple))]
    (cut,) = carved
    return ([Region(sender, everything, tuple(simple) + (cut.selector,))]
            + [Region(sender, exception, tuple(simple)) for exception in cut.excluding])


# --------------------------------------------------------------------------------------------
# The diff


class _Comparison:
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


def diff_policies(old: Policy, new: Policy, kube_version: tuple[int, int] | None = None,
                  classes: Iterable[NamedClass] | None = None) -> PolicyDiff:
    """Every class of requests whose outcome differs between ``old`` and ``new``."""
    classes = tuple(named_classes() if classes is None else classes)
    comparison = _Comparison(old, new, kube_version)
    senders = SENDERS
    policies = [old, new]
    grouped: list[ClassChanges] = []
    for named in classes:
        regions = [r for sender in senders for r in named.regions(sender, policies)]
        changes = comparison.changes(regions)
        if changes:
            grouped.append(ClassChanges(named.id, named.title, named.sensitive, changes))
    rest = comparison.changes(r for sender in senders for r in other_regions(sender, classes, policies))
    if rest:
        grouped.append(ClassChanges(OTHER_ID, OTHER_TITLE, False, rest))
    return PolicyDiff(old, new, tuple(grouped))


def rule_line(policy: Policy, rule: int | None) -> int | None:
    return None if rule is None else policy.span(("rules", rule)).line



def intended_changes(old: Policy, new: Policy, intended: Iterable[Selector],
                     kube_version: tuple[int, int] | None = None) -> tuple[tuple[Change, ...], tuple[Change, ...]]:
    """(the changes of requests in some ``intended`` selector, the changes of every other request):
    whether an edit (a ``lint --fix`` fix) changed what it meant to and nothing else."""
    comparison = _Comparison(old, new, kube_version)
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
