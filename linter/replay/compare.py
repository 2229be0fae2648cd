"""The impact of a policy change on recorded traffic: ``replay NEW LOG... --compare OLD``.

``compare_files(new, old, paths, kube_version=None, jobs=1)`` returns a Comparison;
``Comparison.to_dict()`` is what ``--format json`` prints. Its keys:

- ``policy`` (new), ``comparedWith`` (old), ``kubeVersion``, ``events`` (read), ``files``,
  ``formats`` and ``undecidable`` (events either policy cannot decide without the user's groups:
  counted nowhere else), as in the replay summary.
- ``logged``: ``{"old", "new", "change"}``: events each policy would write.
- ``estimatedBytes``: ``{"old", "new", "change", "note"}``: log volume each policy would write,
  from the events' own sizes; a request or response body counts only under a level that keeps it
  (Request, RequestResponse). Bodies the recorded log does not hold cannot be counted.
- ``changedEvents``: events whose level or logged status differs.
- ``changes``: those events grouped by (user class, verb, resource), sensitive groups first
  (pod exec/attach/portforward, proxy, secrets, RBAC, tokens, certificates, webhooks), then by
  events: ``{"userClass", "verb", "resource", "sensitive" (category or null), "events",
  "loggedChange" (new minus old logged), "transitions": [{"from": {"level", "logged"}, "to":
  {"level", "logged"}, "events"}], "example"}``. The example holds request attributes, the stage
  and the auditID of one event of the group, never its bodies or annotations.
- ``rulesNoLongerUsed``: rules with events under the old policy whose counterpart in the new one
  (the same rule, wherever it moved) gets none, or that the new policy no longer has.
  ``rulesNewlyUsed``: rules of the new policy with events whose counterpart had none, or that are
  new. Each: ``{"level", "rule" (short description), "old": {"index", "line", "events"} or null,
  "new": {...} or null}``.
- ``badLines``, ``badLineCount``: as in the replay summary.
- ``perDay``: ``{"days", "bytesOld", "bytesNew", "bytesChange", "pricePerGB", "moneyOld",
  "moneyNew", "moneyChange"}``: the estimated bytes per day over the sample's own time span (null
  without event times), and the money at ``--price-per-gb``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from kube_audit_lint.policy.model import Policy, Rule
from kube_audit_lint.replay.cost import per_day_change, written_bytes
from kube_audit_lint.replay.reading import BadLine
from kube_audit_lint.replay.runner import COMPARE, Reading, Run, Totals
from kube_audit_lint.replay.sensitive import CATEGORIES
from kube_audit_lint.replay.rules import describe_rule
from kube_audit_lint.replay.summary import version_label
from kube_audit_lint.replay.tally import UNDECIDABLE

VOLUME_NOTE = ("bytes of the recorded events; bodies count only at Request/RequestResponse, and bodies the "
               "recorded log does not hold are not counted")


@dataclass
class ChangeGroup:
    user_class: str
    verb: str
    resource: str
    sensitive: str | None
    example: dict
    transitions: dict[tuple, int] = field(default_factory=dict)  # (old level, old logged, new level, new logged)

    @property
    def events(self) -> int:
        return sum(self.transitions.values())

    @property
    def logged_change(self) -> int:
        return sum(n * (int(new_logged) - int(old_logged))
                   for (_, old_logged, _, new_logged), n in self.transitions.items())

    def to_dict(self) -> dict:
        return {
            "userClass": self.user_class, "verb": self.verb, "resource": self.resource,
            "sensitive": self.sensitive, "events": self.events, "loggedChange": self.logged_change,
            "transitions": [
                {"from": {"level": a, "logged": b}, "to": {"level": c, "logged": d}, "events": n}
                for (a, b, c, d), n in sorted(self.transitions.items(), key=lambda item: -item[1])
            ],
            "example": self.example,
        }


@dataclass
class RuleChange:
    rule: Rule
    old: dict | None  # {"index", "line", "events"}
    new: dict | None

    def to_dict(self) -> dict:
        return {"level": self.rule.level, "rule": describe_rule(self.rule), "old": self.old, "new": self.new}


@dataclass
class Comparison:
    policy: str
    compared_with: str
    kube_version: str
    events: int = 0
    files: list[dict] = field(default_factory=list)
    logged_old: int = 0
    logged_new: int = 0
    bytes_old: int = 0
    bytes_new: int = 0
    changes: list[ChangeGroup] = field(default_factory=list)
    no_longer_used: list[RuleChange] = field(default_factory=list)
    newly_used: list[RuleChange] = field(default_factory=list)
    bad_lines: list[BadLine] = field(default_factory=list)
    bad_line_count: int = 0
    formats: dict[str, dict] = field(default_factory=dict)
    undecidable: int = 0
    per_day: dict | None = None  # replay/cost.py per_day_change, over the sample's own time span
    interrupted: str | None = None  # a partial comparison (--partial-on-interrupt)

    @property
    def changed_events(self) -> int:
        return sum(g.events for g in self.changes)

    def to_dict(self) -> dict:
        return {
            "policy": self.policy,
            "comparedWith": self.compared_with,
            "kubeVersion": self.kube_version,
            "events": self.events,
            "files": self.files,
            "formats": self.formats,
            "undecidable": self.undecidable,
            "logged": {"old": self.logged_old, "new": self.logged_new, "change": self.logged_new - self.logged_old},
            "estimatedBytes": {"old": self.bytes_old, "new": self.bytes_new,
                               "change": self.bytes_new - self.bytes_old, "note": VOLUME_NOTE},
            "changedEvents": self.changed_events,
            "changes": [g.to_dict() for g in self.changes],
            "rulesNoLongerUsed": [r.to_dict() for r in self.no_longer_used],
            "rulesNewlyUsed": [r.to_dict() for r in self.newly_used],
            "badLines": [{"file": b.source, "line": b.line, "message": b.message} for b in self.bad_lines],
            "badLineCount": self.bad_line_count,
            "perDay": self.per_day,
            "interrupted": self.interrupted,
        }


def compare(new: Policy, old: Policy, totals: Totals, kube_version: tuple[int, int] | None = None) -> Comparison:
    """The comparison from a run's counts (mode compare)."""
    result = Comparison(policy=new.path if new.document is not None else "",
                        compared_with=old.path if old.document is not None else "",
                        kube_version=version_label(kube_version))
    result.events = totals.events
    result.files = [count.to_dict(path) for path, count in totals.files.items()]
    old_events = [0] * len(old.rules)
    new_events = [0] * len(new.rules)
    groups: dict[tuple, ChangeGroup] = {}
    result.formats = totals.formats_dict()
    for (old_decision, new_decision, stage, group), numbers in totals.counts.items():
        events = numbers[0]
        if old_decision is UNDECIDABLE or new_decision is UNDECIDABLE:
            result.undecidable += events
            continue
        old_logged, new_logged = old_decision.logs(stage), new_decision.logs(stage)
        result.logged_old += events if old_logged else 0
        result.logged_new += events if new_logged else 0
        result.bytes_old += written_bytes(old_decision, stage, numbers)
        result.bytes_new += written_bytes(new_decision, stage, numbers)
        if old_decision.rule is not None:
            old_events[old_decision.rule] += events
        if new_decision.rule is not None:
            new_events[new_decision.rule] += events
        if group is not None:
            entry = groups.get(group)
            if entry is None:
                entry = groups[group] = ChangeGroup(*group, example=totals.examples.get(group, {}))
            transition = (old_decision.level.wire, old_logged, new_decision.level.wire, new_logged)
            entry.transitions[transition] = entry.transitions.get(transition, 0) + events
    result.changes = sorted(groups.values(), key=_change_order)
    result.no_longer_used, result.newly_used = rule_changes(old, new, old_events, new_events)
    result.bad_lines = list(totals.bad_lines)
    result.bad_line_count = totals.bad_line_count
    return result


def _change_order(group: ChangeGroup):
    rank = CATEGORIES.index(group.sensitive) if group.sensitive in CATEGORIES else len(CATEGORIES)
    return rank, -group.events, group.user_class, group.verb, group.resource


def _identity(rule: Rule) -> Rule:
    return dataclasses.replace(rule, index=0)


def rule_changes(old: Policy, new: Policy, old_events: list[int], new_events: list[int]):
    """Rules that lose all their traffic, and rules that gain traffic, pairing each rule of the new
    policy with the same rule of the old one (wherever it moved)."""
    unpaired: dict[Rule, list[int]] = {}
    for rule in old.rules:
        unpaired.setdefault(_identity(rule), []).append(rule.index)
    pairs: list[tuple[int | None, int | None]] = []
    for rule in new.rules:
        same = unpaired.get(_identity(rule))
        pairs.append((same.pop(0) if same else None, rule.index))
    pairs += [(index, None) for indexes in unpaired.values() for index in indexes]

    def side(policy: Policy, index: int | None, events: list[int]) -> dict | None:
        if index is None:
            return None
        return {"index": index, "line": policy.rule_line(index), "events": events[index]}

    no_longer, newly = [], []
    for old_index, new_index in pairs:
        before = old_events[old_index] if old_index is not None else 0
        after = new_events[new_index] if new_index is not None else 0
        rule = new.rules[new_index] if new_index is not None else old.rules[old_index]
        change = RuleChange(rule, side(old, old_index, old_events), side(new, new_index, new_events))
        if before and not after:
            no_longer.append(change)
        elif after and not before:
            newly.append(change)
    return no_longer, newly


def compare_files(new: Policy, old: Policy, paths: list[str], kube_version: tuple[int, int] | None = None,
                  jobs: int = 1, strict: bool = False, progress=None, reading: Reading | None = None,
                  price_per_gb: float | None = None) -> Comparison:
    """Replay the logs at ``paths`` against both policies and compare what they would write."""
    totals = Run(COMPARE, [new, old], kube_version, jobs=jobs, strict=strict, progress=progress,
                 reading=reading).replay(paths)
    return comparison_of(new, old, totals, kube_version, price_per_gb)


def comparison_of(new: Policy, old: Policy, totals: Totals, kube_version: tuple[int, int] | None,
                  price_per_gb: float | None) -> Comparison:
    """The comparison of a run's totals (whole, or those of an interrupted run)."""
    result = compare(new, old, totals, kube_version)
    result.per_day = per_day_change(result.bytes_old, result.bytes_new, totals.span, price_per_gb)
    return result
