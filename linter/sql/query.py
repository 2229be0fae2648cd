"""A policy as one SQL query over raw audit events, built as a sqlglot expression tree.

The query has three steps, each a common table expression:

1. ``requests``: the request attributes replay reads from an event (see replay/events.py): the
   authenticated ``user.username`` and ``user.groups`` ("" and none for ``user: {}``, which is no
   user: a ``users`` rule listing "" does not match it), ``verb``,
   with an ``objectRef`` object (even ``{}``) a resource request on its apiGroup, resource,
   subresource, namespace and name, without one a non-resource request on ``requestURI`` minus
   its query string;
2. ``decided``: the 0-based index of the first matching rule (``CASE WHEN rule 0 WHEN rule 1 ...``),
   each condition built by sql/matching.py, which keeps the shape of the engine's
   (engine/evaluate.py, itself the shape of kube-apiserver's checker.go);
3. the output: ``auditID, stage, rule, level, omitStages, omitManagedFields, logged``, the same
   values as ``replay --format jsonl``; or, with ``summary``, events, logged events and bytes by
   rule and level.

Every string from the policy enters the tree as a ``Literal``, which sqlglot quotes and escapes for
the dialect: a user name with a quote in it is a user name, never SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from kube_audit_lint.engine.evaluate import decide
from kube_audit_lint.policy.model import Level, Policy
from kube_audit_lint.policy.versions import WILDCARD_GROUP
from kube_audit_lint.sql import gke
from kube_audit_lint.sql.dialects import DIALECTS, JsonAccess
from kube_audit_lint.sql.matching import col, combined_resource, lit, one_of, rule_matches, string_array

OUTPUT_COLUMNS = ("auditID", "stage", "rule", "level", "omitStages", "omitManagedFields", "logged")
SUMMARY_COLUMNS = ("rule", "level", "events", "logged", "bytes", "loggedBytes")


@dataclass(frozen=True)
class QueryOptions:
    dialect: str = "duckdb"
    table: str = "audit_events"
    event_column: str = "event"
    kube_version: tuple[int, int] | None = None
    summary: bool = False
    # columns carried to the output besides OUTPUT_COLUMNS: request columns (``username``,
    # ``groups``, ..., ``path``) or columns of the table itself (the replay engines keep ``filename``)
    keep: tuple[str, ...] = ()
    table_columns: tuple[str, ...] = ()
    # how the event is read, when an engine parses it itself (default: the dialect's JSON functions)
    access: JsonAccess | None = None
    # "gke": the table is GKE's Cloud Logging export to BigQuery (sql/gke.py), not raw events
    preset: str | None = None


# --- the request attributes --------------------------------------------------------------------------

def request_columns(access: JsonAccess, event: exp.Expression, with_bytes: bool) -> list[exp.Expression]:
    """The columns of ``requests``: each field of the event replay reads, "" where it is absent."""

    def text(*keys: str) -> exp.Expression:
        return exp.Coalesce(this=access.scalar(event, keys), expressions=[lit("")])

    uri = text("requestURI")
    query_at = exp.StrPosition(this=uri, substr=lit("?"))
    path = exp.Case(ifs=[exp.If(this=exp.GT(this=query_at.copy(), expression=exp.Literal.number(0)),
                                true=exp.Substring(this=uri.copy(), start=exp.Literal.number(1),
                                                   length=exp.Sub(this=query_at.copy(), expression=exp.Literal.number(1))))],
                    default=uri.copy())
    resource_request = exp.Coalesce(this=access.is_object(event, ("objectRef",)), expressions=[exp.false()])
    columns = {
        "auditID": access.scalar(event, ("auditID",)),
        "stage": access.scalar(event, ("stage",)),
        "username": text("user", "username"),
        "groups": access.strings(event, ("user", "groups")),
        "verb": text("verb"),
        "resource_request": resource_request,
        "api_group": text("objectRef", "apiGroup"),
        "resource": text("objectRef", "resource"),
        "subresource": text("objectRef", "subresource"),
        "namespace": text("objectRef", "namespace"),
        "name": text("objectRef", "name"),
        "combined_resource": combined_resource(text("objectRef", "resource"), text("objectRef", "subresource")),
        "path": path,
    }
    if with_bytes:  # only the summary counts bytes
        columns["bytes"] = access.byte_length(event.copy())
    return [exp.alias_(value, name, quoted=True) for name, value in columns.items()]


# --- the first rule that matches (its conditions: sql/matching.py) ----------------------------------

def first_match(policy: Policy, wildcard_group: bool) -> exp.Expression:
    if not policy.rules:
        return exp.Cast(this=exp.Null(), to=exp.DataType.build("INT"))
    return exp.Case(ifs=[exp.If(this=rule_matches(rule, wildcard_group), true=exp.Literal.number(rule.index))
                         for rule in policy.rules])


# --- the decision that follows from the rule ---------------------------------------------------------

def by_rule(policy: Policy, value) -> exp.Expression:
    """``CASE rule WHEN 0 THEN value(decision 0) ... ELSE value(no match) END``."""
    cases = [exp.If(this=exp.Literal.number(r.index), true=value(decide(policy, r.index))) for r in policy.rules]
    default = value(decide(policy, None))
    if not cases:
        return default
    return exp.Case(this=col("rule"), ifs=cases, default=default)


def logged_expression(decision) -> exp.Expression:
    """Decision.logs(stage): a level above None and the stage not omitted (no stage is never omitted)."""
    if decision.level is Level.NONE:
        return exp.false()
    if not decision.omit_stages:
        return exp.true()
    return exp.paren(exp.or_(exp.Is(this=col("stage"), expression=exp.Null()),
                             exp.Not(this=one_of("stage", tuple(sorted(decision.omit_stages))))))


def decision_columns(policy: Policy) -> list[exp.Expression]:
    return [
        exp.alias_(by_rule(policy, lambda d: lit(d.level.wire)), "level", quoted=True),
        exp.alias_(by_rule(policy, lambda d: string_array(sorted(d.omit_stages))), "omitStages", quoted=True),
        exp.alias_(by_rule(policy, lambda d: exp.Boolean(this=d.omit_managed_fields)), "omitManagedFields", quoted=True),
        exp.alias_(by_rule(policy, logged_expression), "logged", quoted=True),
    ]


# --- the query ---------------------------------------------------------------------------------------------

def build_query(policy: Policy, options: QueryOptions) -> exp.Expression:
    """The query for ``policy``; ``options.dialect`` chooses how the event JSON is read."""
    access = options.access or DIALECTS[options.dialect]
    wildcard_group = options.kube_version is None or options.kube_version >= WILDCARD_GROUP
    event = exp.column(options.event_column, quoted=True)
    requests = exp.select(*request_columns(access, event, options.summary), *map(col, options.table_columns)) \
        .from_(table(options.table))
    keep = [col(c) for c in options.keep] + ([col("bytes")] if options.summary else [])
    decided = exp.select(col("auditID"), col("stage"), *keep,
                         exp.alias_(first_match(policy, wildcard_group), "rule", quoted=True)).from_("requests")
    decisions = exp.select(*[col(c) for c in ("auditID", "stage", "rule")], *decision_columns(policy),
                           *[k.copy() for k in keep]).from_(exp.to_table("decided"))
    if options.preset == "gke":
        return gke_query(policy, options, wildcard_group, keep)
    if not options.summary:
        query = exp.select(*[col(c) for c in OUTPUT_COLUMNS], *[k.copy() for k in keep]).from_("decisions")
    else:
        query = summary_select()
    return query.with_("requests", as_=requests).with_("decided", as_=decided).with_("decisions", as_=decisions)


def gke_query(policy: Policy, options: QueryOptions, wildcard_group: bool, keep: list) -> exp.Expression:
    """The query over GKE's BigQuery export (sql/gke.py): the same steps, and ``undecidable`` (the
    user's groups, which the records do not carry, could change the decision): its rows have NULL
    decisions."""
    rows = exp.select(*gke.row_columns(), *map(col, options.table_columns)).from_(table(options.table)) \
        .where(gke.rows_that_are_requests())
    located = exp.select(*gke.located_columns()).from_("gke_rows")
    requests = exp.select(*gke.request_columns(), *map(col, options.table_columns)).from_("gke_located")
    decided = exp.select(exp.Star(), exp.alias_(first_match(policy, wildcard_group), "rule", quoted=True)) \
        .from_("requests")
    judged = exp.select(exp.Star(), exp.alias_(gke.undecidable(policy, wildcard_group), "undecidable", quoted=True)) \
        .from_("decided")

    def unless_undecidable(column: exp.Expression) -> exp.Expression:
        value, name = column.this, column.alias
        return exp.alias_(exp.Case(ifs=[exp.If(this=col("undecidable"), true=exp.Null())], default=value),
                          name, quoted=True)

    decisions = exp.select(col("auditID"), col("stage"), unless_undecidable(exp.alias_(col("rule"), "rule")),
                           *[unless_undecidable(c) for c in decision_columns(policy)], col("undecidable"),
                           *[k.copy() for k in keep]).from_("judged")
    if not options.summary:
        query = exp.select(*[col(c) for c in OUTPUT_COLUMNS], col("undecidable"), *[k.copy() for k in keep]) \
            .from_("decisions")
    else:
        query = summary_select()
    return query.with_("gke_rows", as_=rows).with_("gke_located", as_=located).with_("requests", as_=requests) \
        .with_("decided", as_=decided).with_("judged", as_=judged).with_("decisions", as_=decisions)


def table(name: str) -> exp.Table:
    """``table``, ``db.table`` or ``catalog.db.table`` (BigQuery's project.dataset.table): each
    part a quoted identifier."""
    *prefix, name_part = name.split(".")
    catalog, db = ([None, None] + prefix)[-2:]
    return exp.Table(this=exp.to_identifier(name_part, quoted=True),
                     db=exp.to_identifier(db, quoted=True) if db else None,
                     catalog=exp.to_identifier(catalog, quoted=True) if catalog else None)


def summary_select() -> exp.Select:
    """Events, logged events and bytes by rule and level (replay --format summary's figures)."""
    one_if_logged = exp.Case(ifs=[exp.If(this=col("logged"), true=exp.Literal.number(1))], default=exp.Literal.number(0))
    bytes_if_logged = exp.Case(ifs=[exp.If(this=col("logged"), true=col("bytes"))], default=exp.Literal.number(0))
    return (
        exp.select(col("rule"), col("level"),
                   exp.alias_(exp.Count(this=exp.Star()), "events", quoted=True),
                   exp.alias_(exp.Sum(this=one_if_logged), "logged", quoted=True),
                   exp.alias_(exp.Sum(this=col("bytes")), "bytes", quoted=True),
                   exp.alias_(exp.Sum(this=bytes_if_logged), "loggedBytes", quoted=True))
        .from_("decisions")
        .group_by(col("rule"), col("level"))
        .order_by(exp.Ordered(this=col("rule"), nulls_first=False), col("level"))
    )


def render(policy: Policy, options: QueryOptions, pretty: bool = True) -> str:
    return build_query(policy, options).sql(dialect=options.dialect, pretty=pretty)
