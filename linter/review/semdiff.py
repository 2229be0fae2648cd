"""The semantic diff of two policies: every class of requests whose outcome changes.

An outcome is what gets written for a request: its level, the stages omitted and, for a body
level, whether managedFields are omitted. Which rule decides is not part of it, so two policies
written differently (JSON and YAML, rules split or merged, lists reordered, duplicates) that
decide every request the same way have no difference at all. Outcomes are normalised before
they are compared: a request whose every stage is omitted, or that no rule matches, is simply not
logged; omitManagedFields only matters at Request and RequestResponse, where bodies are written.

The changes themselves are found by ``checks/_policy_changes.py``, which ``lint --fix`` shares.
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
from dataclasses import dataclass
from typing import Iterable

from kube_audit_lint.checks._policy_changes import Change, PolicyComparison, Region, resolve_selector
from kube_audit_lint.checks._request_space import AUTHENTICATED, SENDERS
from kube_audit_lint.datafiles import read_data
from kube_audit_lint.engine.space import Selector
from kube_audit_lint.kube.api import AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP
from kube_audit_lint.lint.baseline import request_classes
from kube_audit_lint.policy.model import Policy
from kube_audit_lint.policy.yamlnodes import parse_data

OTHER_ID = "other-requests"
OTHER_TITLE = "Other requests"


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
# Request classes


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
    return tuple(parse_data("review-classes.yaml", read_data("review-classes.yaml"))["sensitive"])


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

def diff_policies(old: Policy, new: Policy, kube_version: tuple[int, int] | None = None,
                  classes: Iterable[NamedClass] | None = None) -> PolicyDiff:
    """Every class of requests whose outcome differs between ``old`` and ``new``."""
    classes = tuple(named_classes() if classes is None else classes)
    comparison = PolicyComparison(old, new, kube_version)
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

