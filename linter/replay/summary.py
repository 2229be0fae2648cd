"""What a policy does to a recorded log: the replay summary, and the API to get it.

``replay_files(policy, paths, kube_version=None, jobs=1)`` replays audit logs (JSON lines,
EventList JSON, gzip, ``-`` for stdin) against a loaded Policy and returns a ReplaySummary.
``ReplaySummary.to_dict()`` is JSON-serialisable (``replay --format json`` prints it); its keys:

- ``policy``: the policy file; ``kubeVersion``: the apiserver release reproduced, e.g. "1.36".
- ``events``: events read; ``logged``: events the policy would write (level above None and the
  event's stage not omitted).
- ``files``: ``[{"path", "events", "badLines", "formats" (format -> events), "truncatedAfter"
  (events read before the input ended inside an event: a cut compressed stream or last line; null
  when it ended cleanly)}]``, one per log in the order given.
- ``formats``: format (``raw``, ``eventlist``, ``cloudwatch``, ``aks``, ``gke``, ... see
  replay/formats.py) -> ``{"events", "skipped" (reason -> records), "truncated" (events the sink
  cut short, decided from the request attributes that survived)}``.
- ``undecidable``: events the policy cannot decide without the user's groups, which the record does
  not give (GKE); they are in ``events`` and in no other count.
- ``rules``: one entry per rule of the policy, in order: ``{"index" (0-based), "line" (in the policy
  file), "level", "events" (events it matched, first match), "logged" (of those, written)}``.
- ``unusedRules``: indexes of the rules no event reached.
- ``unmatched``: events no rule matched (level None by default).
- ``eventsByLevel``: ``{"None", "Metadata", "Request", "RequestResponse"}`` -> events.
- ``droppedByStage``: stage -> events at a level above None that are not written because their
  stage is omitted; ``droppedByOmittedStages``: their total.
- ``sensitiveNotLogged``: ``{"events", "requests", "unlistedEvents"}``: sensitive events (pod
  exec/attach/portforward, proxy, secrets, RBAC changes, token and certificate requests, admission
  webhook changes) that would not be written: the request gets level None, or the event's stage is
  omitted (a dropped RequestReceived of a request that is logged is not counted: the later stages
  hold all it has). ``requests`` lists them by request, most events first: ``{"category",
  "request" (user, groups, verb, apiGroup, resource, subresource, namespace, name), "events",
  "stages" (stage -> events), "rule" (index or null), "level", "reason"}``. Beyond 5,000 distinct
  requests the rest are only counted, in ``unlistedEvents``.
- ``badLines``: ``[{"file", "line", "message"}]`` for lines that are not events (the first 1,000);
  ``badLineCount``: all of them.
- ``interrupted``: null, or for a partial summary (``--partial-on-interrupt``) what stopped it and
  how far it got ("replay interrupted after 41,873 events in audit.log").
- ``cost``: null, or with ``--cost`` / ``--price-per-gb`` (replay/cost.py): ``{"span": {"first",
  "last", "days"}, "pricePerGB", "total", "rules": [{"rule", "line", "level", ...}],
  "requestClasses": [{"userClass", "verb", "resource", ...}], "requestClassesNotListed",
  "overSinkLimit": [{"sink", "limitBytes", "events"}], "note"}``, each figure being ``{"events",
  "bytes", "eventsPerDay", "bytesPerDay", "share", "moneyPerDay"}``.

Nothing in the summary comes from an event's bodies or annotations: only request attributes,
stages and counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kube_audit_lint.engine.evaluate import Decision
from kube_audit_lint.engine.request import Request
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.model import LEVEL_NAMES, Level, Policy
from kube_audit_lint.replay.cost import cost
from kube_audit_lint.replay.reading import BadLine
from kube_audit_lint.replay.runner import COST, SUMMARY, Reading, Run, Totals
from kube_audit_lint.replay.sensitive import CATEGORIES, sensitive_category
from kube_audit_lint.replay.tally import OTHER_REQUESTS, UNDECIDABLE


@dataclass
class RuleUse:
    index: int
    line: int | None
    level: str
    events: int = 0
    logged: int = 0

    def to_dict(self) -> dict:
        return {"index": self.index, "line": self.line, "level": self.level, "events": self.events, "logged": self.logged}


@dataclass
class UnloggedRequest:
    """A sensitive request with events that would not be written."""

    category: str
    request: Request
    rule: int | None
    level: str
    stages: dict[str, int] = field(default_factory=dict)
    omitted: bool = False  # not written because of an omitted stage (the level is above None)

    @property
    def events(self) -> int:
        return sum(self.stages.values())

    @property
    def reason(self) -> str:
        if not self.omitted:
            return "no rule matches (level None)" if self.rule is None else f"rule {self.rule} sets level None"
        return f"its stage is omitted (rule {self.rule})"

    def to_dict(self) -> dict:
        return {"category": self.category, "request": self.request.as_dict(), "events": self.events,
                "stages": dict(sorted(self.stages.items())), "rule": self.rule, "level": self.level,
                "reason": self.reason}


@dataclass
class ReplaySummary:
    policy: str
    kube_version: str
    events: int = 0
    logged: int = 0
    files: list[dict] = field(default_factory=list)
    rules: list[RuleUse] = field(default_factory=list)
    unmatched: int = 0
    by_level: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVEL_NAMES, 0))
    dropped_by_stage: dict[str, int] = field(default_factory=dict)
    unlogged_sensitive: list[UnloggedRequest] = field(default_factory=list)
    unlisted_sensitive_events: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)
    bad_line_count: int = 0
    formats: dict[str, dict] = field(default_factory=dict)
    undecidable: int = 0
    cost: dict | None = None  # replay/cost.py, when asked for (--cost, --price-per-gb)
    interrupted: str | None = None  # a partial summary (--partial-on-interrupt): how far the run got

    @property
    def unused_rules(self) -> list[int]:
        return [r.index for r in self.rules if r.events == 0]

    @property
    def unlogged_sensitive_events(self) -> int:
        return sum(r.events for r in self.unlogged_sensitive) + self.unlisted_sensitive_events

    def to_dict(self) -> dict:
        return {
            "policy": self.policy,
            "kubeVersion": self.kube_version,
            "events": self.events,
            "logged": self.logged,
            "files": self.files,
            "formats": self.formats,
            "undecidable": self.undecidable,
            "rules": [r.to_dict() for r in self.rules],
            "unusedRules": self.unused_rules,
            "unmatched": self.unmatched,
            "eventsByLevel": dict(self.by_level),
            "droppedByStage": dict(sorted(self.dropped_by_stage.items())),
            "droppedByOmittedStages": sum(self.dropped_by_stage.values()),
            "sensitiveNotLogged": {
                "events": self.unlogged_sensitive_events,
                "requests": [r.to_dict() for r in self.unlogged_sensitive],
                "unlistedEvents": self.unlisted_sensitive_events,
            },
            "badLines": [{"file": b.source, "line": b.line, "message": b.message} for b in self.bad_lines],
            "badLineCount": self.bad_line_count,
            "cost": self.cost,
            "interrupted": self.interrupted,
        }


def version_label(kube_version: tuple[int, int] | None) -> str:
    major, minor = kube_version or versions.DEFAULT
    return f"{major}.{minor}"


def summarize(policy: Policy, totals: Totals, kube_version: tuple[int, int] | None = None) -> ReplaySummary:
    """The summary of a run's counts (mode summary: cell key (Decision, stage, request or None))."""
    summary = ReplaySummary(policy=policy.path if policy.document is not None else "", kube_version=version_label(kube_version))
    summary.events = totals.events
    summary.files = [count.to_dict(path) for path, count in totals.files.items()]
    summary.rules = [RuleUse(r.index, policy.rule_line(r.index), r.level) for r in policy.rules]
    unlogged: dict[Request, UnloggedRequest] = {}
    summary.formats = totals.formats_dict()
    for key, numbers in totals.counts.items():
        decision, stage, listed = key[:3]  # (a fourth, the request class, with cost)
        events = numbers[0]
        if decision is UNDECIDABLE:
            summary.undecidable += events
            continue
        add_decision(summary, decision, stage, events)
        if listed == OTHER_REQUESTS:
            summary.unlisted_sensitive_events += events
        elif listed is not None:
            entry = unlogged.get(listed)
            if entry is None:
                entry = unlogged[listed] = UnloggedRequest(
                    sensitive_category(listed) or "", listed, decision.rule, decision.level.wire,
                    omitted=decision.level is not Level.NONE)
            entry.stages[stage or ""] = entry.stages.get(stage or "", 0) + events
    summary.unlogged_sensitive = sorted(
        unlogged.values(), key=lambda u: (CATEGORIES.index(u.category) if u.category in CATEGORIES else 99, -u.events, u.request.describe()))
    summary.bad_lines = list(totals.bad_lines)
    summary.bad_line_count = totals.bad_line_count
    return summary


def add_decision(summary: ReplaySummary, decision: Decision, stage: str | None, events: int) -> None:
    written = decision.logs(stage)
    summary.by_level[decision.level.wire] += events
    if written:
        summary.logged += events
    elif decision.level is not Level.NONE:
        summary.dropped_by_stage[stage or ""] = summary.dropped_by_stage.get(stage or "", 0) + events
    if decision.rule is None:
        summary.unmatched += events
    else:
        use = summary.rules[decision.rule]
        use.events += events
        if written:
            use.logged += events


def replay_files(policy: Policy, paths: list[str], kube_version: tuple[int, int] | None = None, jobs: int = 1,
                 strict: bool = False, progress=None, reading: Reading | None = None, with_cost: bool = False,
                 price_per_gb: float | None = None, sinks: tuple[tuple[str, int], ...] = ()) -> ReplaySummary:
    """Replay the logs at ``paths`` against ``policy``.

    Raises reading.LogError for a log that cannot be read, runner.StrictError for the first bad
    line when ``strict``."""
    import dataclasses

    with_cost = with_cost or price_per_gb is not None
    if with_cost:
        reading = dataclasses.replace(reading or Reading(), limits=tuple(limit for _, limit in sinks))
    totals = Run(COST if with_cost else SUMMARY, [policy], kube_version, jobs=jobs, strict=strict,
                 progress=progress, reading=reading).replay(paths)
    return summary_of(policy, totals, kube_version, with_cost, price_per_gb, sinks)


def summary_of(policy: Policy, totals: Totals, kube_version: tuple[int, int] | None, with_cost: bool,
               price_per_gb: float | None, sinks: tuple[tuple[str, int], ...]) -> ReplaySummary:
    """The summary of a run's totals (a whole run, or the partial totals of an interrupted one)."""
    summary = summarize(policy, totals, kube_version)
    if with_cost:
        summary.cost = cost(policy, totals.counts, totals.span, price_per_gb, sinks)
    return summary
