"""Counting what a policy decides for a stream of events, fast.

Logs repeat the same requests millions of times, so the work is done once per distinct request:

1. An event's *key* is its request attributes except the object name, plus its stage, read
   straight off the decoded struct; the user is replaced by a *token*, what the policy can tell
   of it (a thousand kubelets are one token for a policy that names none of them), found by the
   user name and checked against the user's groups; a namespace no rule names is replaced by a
   placeholder, and a non-resource URL loses its query. So thousands of users in hundreds of
   namespaces make a few hundred keys, which stay in the CPU's cache. The key leads to a *cell*,
   a small list that starts with a count and is shared by every event with the same outcome:
   counting an event is a few dict lookups and one addition. Events whose outcome may depend on
   the exact user, namespace or object name (the policy has ``resourceNames`` for that resource,
   or the event is sensitive and not logged, which is listed by request) take a second lookup
   that includes them.
2. A key seen for the first time is decided by the engine's ``evaluate`` through a second cache
   keyed by the request *as the policy can tell it apart*: a user, group, verb, namespace or name
   that no rule mentions is replaced by a placeholder, since no rule can match on it.

Both caches are bounded (cleared when full), so memory stays flat however varied the log. Counts
come out as ``{cell key: numbers}`` where cell keys are plain values (a Decision, the stage, ...),
so the counts of several processes add up.
"""

from __future__ import annotations

from typing import Iterable

import msgspec

from kube_audit_lint.engine.evaluate import (
    WILDCARD_GROUP_SINCE, Decision, evaluate, evaluate_without_groups, group_matches, resource_matches,
)
from kube_audit_lint.engine.request import Request
from kube_audit_lint.policy.model import Level, Policy
from kube_audit_lint.replay.events import UnknownGroupsUser, User, request_of
from kube_audit_lint.replay.sensitive import resource_label, sensitive_category, user_class

KEY_CACHE_LIMIT = 200_000
DECISION_CACHE_LIMIT = 100_000
SENSITIVE_LIMIT = 5_000  # distinct sensitive requests listed; the rest are counted together
OTHER_REQUESTS = "other requests"
RECEIVED = "RequestReceived"

UNDECIDABLE = "undecidable without groups"  # the decision of an event whose groups are unknown, when they matter
_UNMENTIONED = object()  # any value no rule of the policy mentions
_UNKNOWN_GROUPS = "<unknown groups>"  # the groups of a user the record does not give them for
_BY_NAME = object()  # the outcome depends on the object name: look it up by name
_NO_USER = object()  # an event without a user


class PolicyView:
    """A policy's decisions, cached by the request attributes its rules can tell apart."""

    def __init__(self, policy: Policy, kube_version: tuple[int, int] | None = None):
        self.policy = policy
        self.kube_version = kube_version
        rules = policy.rules
        self.users = frozenset(u for r in rules for u in r.users)
        self.groups = frozenset(g for r in rules for g in r.user_groups)
        self.verbs = frozenset(v for r in rules for v in r.verbs)
        self.namespaces = frozenset(n for r in rules for n in r.namespaces)
        self.names = frozenset(n for r in rules for e in r.resources for n in e.resource_names)
        self.named_entries = tuple((e.group, e.resources) for r in rules for e in r.resources if e.resource_names)
        self.wildcard_group = kube_version is None or kube_version >= WILDCARD_GROUP_SINCE
        self._decisions: dict[tuple, Decision] = {}
        self._groupless: dict[tuple, Decision | str] = {}

    def decide_groupless(self, request: Request) -> Decision | str:
        """The decision for a request whose user's groups are unknown, or UNDECIDABLE."""
        key = self.distinguishable(request)
        decision = self._groupless.get(key)
        if decision is None:
            if len(self._groupless) >= DECISION_CACHE_LIMIT:
                self._groupless.clear()
            decision = evaluate_without_groups(self.policy, request, self.kube_version) or UNDECIDABLE
            self._groupless[key] = decision
        return decision

    def decide_event(self, request: Request, event) -> Decision | str:
        """The decision for an event: UNDECIDABLE when its groups are unknown and matter."""
        if type(event.user) is UnknownGroupsUser:
            return self.decide_groupless(request)
        return self.decide(request)

    def decide(self, request: Request) -> Decision:
        key = self.distinguishable(request)
        decision = self._decisions.get(key)
        if decision is None:
            if len(self._decisions) >= DECISION_CACHE_LIMIT:
                self._decisions.clear()
            decision = self._decisions[key] = evaluate(self.policy, request, self.kube_version)
        return decision

    def distinguishable(self, request: Request) -> tuple:
        """The request reduced to what some rule can match on (users, groups, verbs, namespaces and
        names are exact matches, so an unmentioned value behaves like any other unmentioned one)."""
        return (
            request.user if request.user in self.users else _UNMENTIONED,
            request.user is None,
            frozenset(self.groups.intersection(request.groups)),
            request.verb if request.verb in self.verbs else _UNMENTIONED,
            request.resource_request,
            request.api_group,
            request.resource,
            request.subresource,
            request.namespace if request.namespace in self.namespaces else _UNMENTIONED,
            request.name if request.name in self.names else _UNMENTIONED,
            request.path,
        )

    def user_token(self, user: User | None) -> tuple:
        """What the rules can tell of a user: the name if some rule lists it, the listed groups."""
        if type(user) is UnknownGroupsUser:
            return user.username if user.username in self.users else _UNMENTIONED, _UNKNOWN_GROUPS
        if user is None or not (user.username or user.groups):
            return _NO_USER, frozenset()  # no user (``user: {}``): no rule with users or userGroups matches
        username, groups = user.username, user.groups
        return username if username in self.users else _UNMENTIONED, self.groups.intersection(groups)

    def depends_on_name(self, request: Request) -> bool:
        """Whether some rule's ``resourceNames`` could apply to this request."""
        return request.resource_request and any(
            group_matches(group, request.api_group, self.wildcard_group)
            and any(resource_matches(pattern, request) for pattern in patterns)
            for group, patterns in self.named_entries
        )


def unlogged_sensitive(decision: Decision, stage: str | None) -> bool:
    """A sensitive event worth reporting as not logged: its request is not recorded at all, or this
    stage is omitted. A dropped RequestReceived is not reported when the request is recorded: the
    later stages carry everything it would have."""
    if decision.level is Level.NONE:
        return True
    return stage in decision.omit_stages and stage != RECEIVED


class Tally:
    """The key -> cell machinery shared by the replay modes. A subclass says what an event's outcome
    is (``outcome``) and how a cell starts (``new_cell``); ``WIDTH`` numbers lead each cell."""

    WIDTH = 1

    limits: tuple[int, ...] = ()  # sink size limits counted by count_sized

    def __init__(self, *views: PolicyView) -> None:
        self.first: str | None = None
        self.last: str | None = None
        self._tokens: dict[str, tuple] = {}  # username -> (the User, its token)
        self._same_tokens: dict[tuple, tuple] = {}  # one object for equal tokens (cheap key comparisons)
        # namespace -> itself, for the namespaces some rule names: the key holds every other as one placeholder
        self._spaces = {n: n for view in views for n in view.namespaces}
        self._cells: dict[tuple, object] = {}
        self._named: dict[tuple, list] = {}
        self._registry: dict[tuple, list] = {}

    def token(self, user: User | None) -> tuple:
        """The user as the outcome depends on it (see PolicyView.user_token)."""
        raise NotImplementedError

    def outcome(self, request: Request, event) -> tuple[tuple, bool]:
        """(cell key, whether the outcome may depend on the exact user or object name)."""
        raise NotImplementedError

    def _token(self, user: User) -> tuple:
        """(user, token) for a user not in the cache, or seen last with other groups."""
        if len(self._tokens) >= KEY_CACHE_LIMIT:
            self._tokens.clear()
            self._same_tokens.clear()
        token = self.token(user)
        entry = self._tokens[user.username] = (user, self._same_tokens.setdefault(token, token))
        return entry

    def new_cell(self, cell_key: tuple) -> list:
        return [0] * self.WIDTH

    def _cell(self, cell_key: tuple) -> list:
        cell = self._registry.get(cell_key)
        if cell is None:
            cell = self._registry[cell_key] = self.new_cell(cell_key)
        return cell

    def _lookup(self, key: tuple, event, marker) -> list:
        """The slow path: a key not seen yet, or one whose outcome depends on the object name."""
        if marker is None:
            if len(self._cells) + len(self._named) >= KEY_CACHE_LIMIT:
                self._cells.clear()
                self._named.clear()
                self._tokens.clear()
                self._same_tokens.clear()
            cell_key, by_name = self.outcome(request_of(event), event)
            if not by_name:
                cell = self._cells[key] = self._cell(cell_key)
                return cell
            self._cells[key] = _BY_NAME
        ref = event.objectRef
        named_key = (key, event.user, ref.namespace, ref.name)
        cell = self._named.get(named_key)
        if cell is None:
            cell = self._named[named_key] = self._cell(self.outcome(request_of(event), event)[0])
        return cell

    def take_counts(self) -> dict[tuple, tuple]:
        """The numbers counted since the last call, by cell key; the cells start again from zero."""
        out = {}
        for cell_key, cell in self._registry.items():
            if cell[0]:
                out[cell_key] = tuple(cell[: self.WIDTH])
                cell[: self.WIDTH] = [0] * self.WIDTH
        return out

    def take_span(self) -> tuple[str, str] | None:
        """The earliest and latest event times counted since the last call (count_sized)."""
        span = (self.first, self.last) if self.first is not None and self.last is not None else None
        self.first = self.last = None
        return span

    # The loops that count events (count_sized and count below, JsonlTally.lines, DecisionTally.cells)
    # build the same key; it is spelt out in each because a function call per event would cost more
    # than all the rest of the loop. A change to the key changes all four.

    def count_sized(self, events: list, sizes: list[int]) -> None:
        """Count with sizes: cell [events, bytes, request body bytes, response body bytes, then per
        sink limit the events over it at Metadata, at Request and at RequestResponse]; and the
        time span (RFC 3339 UTC times compare as strings down to the second)."""
        get, lookup, token_of, new_token = self._cells.get, self._lookup, self._tokens.get, self._token
        space, unmentioned, no_user = self._spaces.get, _UNMENTIONED, self.token(None)
        limits = self.limits
        first, last = self.first, self.last
        for e, size in zip(events, sizes):
            user = e.user
            if user is None:
                u = no_user
            else:
                t = token_of(user.username)
                if t is None or t[0] != user:
                    t = new_token(user)
                u = t[1]
            o = e.objectRef
            if o is None:
                key = (u, e.verb, e.requestURI.partition("?")[0], e.stage)
            else:
                key = (u, e.verb, o.apiGroup, o.resource, o.subresource, space(o.namespace, unmentioned), e.stage)
            cell = get(key)
            if cell is None or cell is _BY_NAME:
                cell = lookup(key, e, cell)
            request, response = len(e.requestObject), len(e.responseObject)
            cell[0] += 1
            cell[1] += size
            cell[2] += request
            cell[3] += response
            if limits:
                at = 4
                for limit in limits:
                    if size > limit:
                        cell[at + 2] += 1
                        if size - response > limit:
                            cell[at + 1] += 1
                            if size - response - request > limit:
                                cell[at] += 1
                    at += 3
            t = e.stageTimestamp
            if t:
                t = t[:19]
                if first is None or t < first:
                    first = t
                if last is None or t > last:
                    last = t
        self.first, self.last = first, last

    def count(self, events: Iterable) -> None:
        get, lookup, token_of, new_token = self._cells.get, self._lookup, self._tokens.get, self._token
        space, unmentioned, no_user = self._spaces.get, _UNMENTIONED, self.token(None)
        for e in events:
            user = e.user
            if user is None:
                u = no_user
            else:
                t = token_of(user.username)
                if t is None or t[0] != user:
                    t = new_token(user)
                u = t[1]
            o = e.objectRef
            if o is None:
                key = (u, e.verb, e.requestURI.partition("?")[0], e.stage)
            else:
                key = (u, e.verb, o.apiGroup, o.resource, o.subresource, space(o.namespace, unmentioned), e.stage)
            cell = get(key)
            if cell is None or cell is _BY_NAME:
                cell = lookup(key, e, cell)
            cell[0] += 1


class SummaryTally(Tally):
    """Cell key: (Decision, stage, Request or OTHER_REQUESTS for a sensitive unlogged event, else None)."""

    def __init__(self, view: PolicyView):
        super().__init__(view)
        self.view = view
        self._listed = 0

    def token(self, user: User | None) -> tuple:
        return self.view.user_token(user)

    def outcome(self, request: Request, event) -> tuple[tuple, bool]:
        decision = self.view.decide_event(request, event)
        stage = event.stage
        if decision is UNDECIDABLE:
            return (UNDECIDABLE, stage, None), self.view.depends_on_name(request)
        if sensitive_category(request) and unlogged_sensitive(decision, stage):
            cell_key = (decision, stage, request)
            if self._listed >= SENSITIVE_LIMIT and cell_key not in self._registry:
                cell_key = (decision, stage, OTHER_REQUESTS)
            return cell_key, True
        return (decision, stage, None), self.view.depends_on_name(request)

    def new_cell(self, cell_key: tuple) -> list:
        if isinstance(cell_key[2], Request):
            self._listed += 1
        return [0]


class DecisionTally(Tally):
    """Each event's decision (filter): cell key (Decision or UNDECIDABLE, stage); cell [count,
    decision, whether it is written at that stage]."""

    def __init__(self, view: PolicyView):
        super().__init__(view)
        self.view = view

    def token(self, user: User | None) -> tuple:
        return self.view.user_token(user)

    def outcome(self, request: Request, event) -> tuple[tuple, bool]:
        return (self.view.decide_event(request, event), event.stage), self.view.depends_on_name(request)

    def new_cell(self, cell_key: tuple) -> list:
        decision, stage = cell_key
        return [0, decision, decision is not UNDECIDABLE and decision.logs(stage)]

    def cells(self, events: Iterable) -> list[list]:
        """The cell of each event, in order (the key as in Tally.count)."""
        get, lookup, token_of, new_token = self._cells.get, self._lookup, self._tokens.get, self._token
        space, unmentioned, no_user = self._spaces.get, _UNMENTIONED, self.token(None)
        out = []
        for e in events:
            user = e.user
            if user is None:
                u = no_user
            else:
                t = token_of(user.username)
                if t is None or t[0] != user:
                    t = new_token(user)
                u = t[1]
            o = e.objectRef
            if o is None:
                key = (u, e.verb, e.requestURI.partition("?")[0], e.stage)
            else:
                key = (u, e.verb, o.apiGroup, o.resource, o.subresource, space(o.namespace, unmentioned), e.stage)
            cell = get(key)
            if cell is None or cell is _BY_NAME:
                cell = lookup(key, e, cell)
            out.append(cell)
        return out


class CostTally(SummaryTally):
    """The summary with sizes: cell key (Decision, stage, listed request or None, request class);
    a request class is (user class, verb, resource label). Cell: as Tally.count_sized."""

    def __init__(self, view: PolicyView, limits: tuple[int, ...] = ()):
        super().__init__(view)
        self.limits = limits
        self.WIDTH = 4 + 3 * len(limits)

    def token(self, user: User | None) -> tuple:
        """The user as the policy tells it apart, and its user class (part of the request class)."""
        name = user.username if user is not None else ""
        return self.view.user_token(user), user_class(Request(user=name))

    def outcome(self, request: Request, event) -> tuple[tuple, bool]:
        cell_key, by_name = super().outcome(request, event)
        return (*cell_key, (user_class(request), request.verb, resource_label(request))), by_name

    def new_cell(self, cell_key: tuple) -> list:
        super().new_cell(cell_key)
        return [0] * self.WIDTH


class JsonlTally(Tally):
    """Also writes one JSON line per event. Cell: [count, the line after its auditID]."""

    PREFIX = b'{"auditID":'

    def __init__(self, view: PolicyView):
        super().__init__(view)
        self.view = view
        self._encode = msgspec.json.Encoder().encode

    def token(self, user: User | None) -> tuple:
        return self.view.user_token(user)

    def outcome(self, request: Request, event) -> tuple[tuple, bool]:
        return (self.view.decide_event(request, event), event.stage), self.view.depends_on_name(request)

    def new_cell(self, cell_key: tuple) -> list:
        decision, stage = cell_key
        if decision is UNDECIDABLE:
            return [0, undecidable_tail(stage, self._encode)]
        return [0, jsonl_tail(decision, stage, self._encode)]

    def lines(self, events: Iterable) -> bytes:
        """The JSON lines of ``events``, in order (the events are counted too)."""
        out: list[bytes] = []
        append, encode, prefix = out.append, self._encode, self.PREFIX
        get, lookup, token_of, new_token = self._cells.get, self._lookup, self._tokens.get, self._token
        space, unmentioned, no_user = self._spaces.get, _UNMENTIONED, self.token(None)
        for e in events:
            user = e.user
            if user is None:
                u = no_user
            else:
                t = token_of(user.username)
                if t is None or t[0] != user:
                    t = new_token(user)
                u = t[1]
            o = e.objectRef
            if o is None:
                key = (u, e.verb, e.requestURI.partition("?")[0], e.stage)
            else:
                key = (u, e.verb, o.apiGroup, o.resource, o.subresource, space(o.namespace, unmentioned), e.stage)
            cell = get(key)
            if cell is None or cell is _BY_NAME:
                cell = lookup(key, e, cell)
            cell[0] += 1
            append(prefix + encode(e.auditID) + cell[1])
        return b"".join(out)


def jsonl_tail(decision: Decision, stage: str | None, encode) -> bytes:
    """Everything of a jsonl line after the auditID value, keys in the documented order."""
    body = encode({
        "stage": stage,
        "rule": decision.rule,
        "level": decision.level.wire,
        "omitStages": sorted(decision.omit_stages),
        "omitManagedFields": decision.omit_managed_fields,
        "logged": decision.logs(stage),
    })
    return b"," + body[1:] + b"\n"


def undecidable_tail(stage: str | None, encode) -> bytes:
    """The jsonl line of an event the policy cannot decide without its user's groups."""
    body = encode({"stage": stage, "rule": None, "level": None, "omitStages": None, "omitManagedFields": None,
                   "logged": None, "undecidable": UNDECIDABLE})
    return b"," + body[1:] + b"\n"


class CompareTally(Tally):
    """Two policies over the same events, with the events' sizes for volume estimates.

    Cell key: (old Decision, new Decision, stage, change group or None); a change group is
    (user class, verb, resource label, sensitive category). Cell: [events, bytes, request body
    bytes, response body bytes]. The first event of each change group is kept as its example
    (request attributes, stage and auditID only)."""

    WIDTH = 4

    def __init__(self, old: PolicyView, new: PolicyView):
        super().__init__(old, new)
        self.old, self.new = old, new
        self.examples: dict[tuple, dict] = {}

    def token(self, user: User | None) -> tuple:
        name = user.username if user is not None else ""
        return self.old.user_token(user), self.new.user_token(user), user_class(Request(user=name))

    def outcome(self, request: Request, event) -> tuple[tuple, bool]:
        old, new = self.old.decide_event(request, event), self.new.decide_event(request, event)
        stage = event.stage
        by_name = self.old.depends_on_name(request) or self.new.depends_on_name(request)
        if old is UNDECIDABLE or new is UNDECIDABLE:
            return (UNDECIDABLE, UNDECIDABLE, stage, None), by_name
        group = None
        if _visible(old, stage) != _visible(new, stage):
            group = (user_class(request), request.verb, resource_label(request), sensitive_category(request))
            if group not in self.examples:
                self.examples[group] = dict(request.as_dict(), stage=stage, auditID=event.auditID)
        return (old, new, stage, group), by_name

    def take_examples(self) -> dict[tuple, dict]:
        examples, self.examples = self.examples, {}
        return examples


def _visible(decision: Decision, stage: str | None) -> tuple[Level, bool]:
    return decision.level, decision.logs(stage)
