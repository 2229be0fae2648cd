"""The replay summary's counts from a query engine: events by file, rule and stage, and, for the
events that may be sensitive and are not logged, by request too (the summary lists those).

The engines run ``counts_query`` and hand its rows to ``add_rows``, which fills the same Totals
(replay/runner.py) the default engine fills, so replay/summary.py renders the same summary.
"""

from __future__ import annotations

import os

from sqlglot import exp

from kube_audit_lint.engine.evaluate import decide
from kube_audit_lint.engine.request import Request
from kube_audit_lint.policy.model import Policy
from kube_audit_lint.replay.sensitive import SENSITIVE, sensitive_category
from kube_audit_lint.replay.tally import OTHER_REQUESTS, SENSITIVE_LIMIT, unlogged_sensitive
from kube_audit_lint.sql.matching import all_of, any_of, col, lit
from kube_audit_lint.sql.query import QueryOptions, build_query

REQUEST = ("username", "groups", "verb", "api_group", "resource", "subresource", "namespace", "name")


def listed_condition() -> exp.Expression:
    """Not logged, and a resource request on a group and resource of a sensitive category
    (replay/sensitive.py): only these are grouped by request."""
    pairs = sorted({(group, resource) for _, group, resources, _, _ in SENSITIVE for resource in resources})
    sensitive = any_of([all_of([exp.EQ(this=col("api_group"), expression=lit(g)),
                                exp.EQ(this=col("resource"), expression=lit(r))]) for g, r in pairs])
    return all_of([exp.Not(this=col("logged")), col("resource_request"), exp.paren(sensitive)])


def counts_query(policy: Policy, dialect: str, kube_version, by: tuple[str, ...] = ("filename",),
                 event_column: str = "event", access=None) -> str:
    """Rows of (*by, rule, stage, listed, *REQUEST, events); ``by`` are columns of the table."""
    keep = (*REQUEST, "resource_request", *by)
    decided = build_query(policy, QueryOptions(dialect=dialect, kube_version=kube_version, keep=keep,
                                               table_columns=by, event_column=event_column, access=access))
    listed = listed_condition()
    columns = [*map(col, by), col("rule"), col("stage"),
               exp.alias_(listed.copy(), "listed", quoted=True),
               *[exp.alias_(exp.Case(ifs=[exp.If(this=listed.copy(), true=col(c))]), c, quoted=True) for c in REQUEST]]
    grouped = len(columns)
    query = exp.select(*columns, exp.alias_(exp.Count(this=exp.Star()), "events", quoted=True)) \
        .from_(exp.alias_(exp.paren(decided), "decided_events")) \
        .group_by(*[exp.Literal.number(i) for i in range(1, grouped + 1)])
    return query.sql(dialect=dialect)


def add_rows(policy: Policy, paths: list[str], totals, rows) -> None:
    """Add rows of (filename, rule, stage, listed, *REQUEST, events) to ``totals``."""
    decisions: dict = {}
    counts: dict[tuple, list] = {}
    listed_requests = sum(1 for key in totals.counts if key[2] is not None and key[2] != OTHER_REQUESTS)
    for filename, rule, stage, listed, user, groups, verb, group, resource, sub, namespace, name, events in rows:
        decision = decisions.get(rule)
        if decision is None:
            decision = decisions[rule] = decide(policy, rule)
        key_request = None
        if listed:
            has_user = bool(user or groups)  # ``user: {}`` is no user (replay/events.py)
            request = Request(user=user if has_user else None, groups=tuple(groups or ()), verb=verb,
                              resource_request=True,
                              api_group=group, resource=resource, subresource=sub, namespace=namespace, name=name)
            if sensitive_category(request) and unlogged_sensitive(decision, stage):
                key_request = request
                key = (decision, stage, request)
                if key not in counts and key not in totals.counts:
                    listed_requests += 1
                    if listed_requests > SENSITIVE_LIMIT:
                        key_request = OTHER_REQUESTS
        counts.setdefault((decision, stage, key_request), [0])[0] += events
        totals.events += events
        name = display_name(filename, paths)
        totals.files[name].events += events
        totals.files[name].formats["raw"] = totals.files[name].formats.get("raw", 0) + events
        totals.format_entry("raw")["events"] += events
    totals.add_counts({k: tuple(v) for k, v in counts.items()})


def display_name(filename: str, paths: list[str]) -> str:
    """The log's name as the user gave it (an engine may spell it ./x or absolute)."""
    if filename in paths:
        return filename
    for path in paths:
        if os.path.abspath(path) == os.path.abspath(filename):
            return path
    return filename
