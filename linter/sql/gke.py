"""The GKE preset of the sql command: GKE's audit log as Cloud Logging exports it to BigQuery.

A log sink to BigQuery writes each ``LogEntry`` as a row whose ``protopayload_auditlog`` column
holds the audit record (``methodName``, ``resourceName``, ``serviceName``,
``authenticationInfo.principalEmail``), next to ``insertId``, ``operation`` and ``timestamp``.
The request is read from them exactly as replay reads a GKE record (replay/formats.py
``gke_event``): the verb is the last part of ``methodName``; group, version, namespace, resource,
name and subresource are the parts of ``resourceName`` as the apiserver reads a URL path
(``namespaces/NAME`` carries the namespace NAME, and its ``status``/``finalize`` subresources);
a ``resourceName`` starting with ``/`` is a non-resource URL. Rows of other services, and names that
describe no request, are left out.

These records carry no user groups (and no stage): the decision is the one a user in no group
gets, and ``undecidable`` is true where some group could change it, exactly as
``engine.evaluate.evaluate_without_groups`` decides: a rule with ``userGroups`` that matches the
rest of the request, and whose groups are not all named by earlier such rules that match it,
makes the event undecidable when its outcome differs from the decision without groups. Those rows
have NULL decisions, never a guess.
"""

from __future__ import annotations

import dataclasses

from sqlglot import exp

from kube_audit_lint.engine.evaluate import decide
from kube_audit_lint.policy.model import Policy
from kube_audit_lint.sql.matching import col, combined_resource, rule_matches

PAYLOAD = "protopayload_auditlog"
VERSION = r"^v[0-9]+((alpha|beta)[0-9]+)?$"
NAMESPACE_SUBRESOURCES = ("status", "finalize")


def _field(*path: str) -> exp.Expression:
    return exp.Dot.build([exp.to_identifier(part) for part in path]) if len(path) > 1 else exp.column(path[0])


def _lit(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _text(value: exp.Expression) -> exp.Expression:
    return exp.Coalesce(this=value, expressions=[_lit("")])


def _part(parts: exp.Expression, index: int) -> exp.Expression:
    """The 0-based ``index``-th part, "" past the end."""
    return _text(exp.Bracket(this=parts.copy(), expressions=[exp.Literal.number(index)], offset=0, safe=True))


def row_columns() -> list[exp.Expression]:
    """``gke_rows``: the fields of the export the request is read from, ``resourceName`` split."""
    name = _text(_field(PAYLOAD, "resourceName"))
    parts = exp.Split(this=name.copy(), expression=_lit("/"))
    columns = {
        "auditID": exp.Coalesce(this=exp.Nullif(this=_field("operation", "id"), expression=_lit("")),
                                expressions=[exp.column("insertId")]),
        "username": _text(_field(PAYLOAD, "authenticationInfo", "principalEmail")),
        "verb": _text(exp.RegexpExtract(this=_field(PAYLOAD, "methodName"), expression=_lit(r"[^.]*$"))),
        "resource_name": name,
        "parts": parts,
        "part_count": exp.ArraySize(this=parts.copy()),
    }
    return [exp.alias_(value, key, quoted=True) for key, value in columns.items()]


def located_columns() -> list[exp.Expression]:
    """``gke_located``: whether the name is in a namespace, and whether the resource's parts start
    after ``namespaces/NAME`` (``nested``; not when the object is the namespace itself, or its
    status or finalize)."""
    parts, count = col("parts"), col("part_count")
    namespaced = exp.and_(exp.EQ(this=_part(parts, 2), expression=_lit("namespaces")),
                          exp.GT(this=count.copy(), expression=exp.Literal.number(3)))
    nested = exp.and_(namespaced.copy(), exp.GT(this=count.copy(), expression=exp.Literal.number(4)),
                      exp.Not(this=exp.In(this=_part(parts, 4), expressions=[_lit(s) for s in NAMESPACE_SUBRESOURCES])))
    return [exp.Star(), exp.alias_(namespaced, "namespaced", quoted=True), exp.alias_(nested, "nested", quoted=True)]


def request_columns() -> list[exp.Expression]:
    """The columns of ``requests`` (those of query.request_columns; groups always empty)."""
    parts = col("parts")

    def at(offset: int) -> exp.Expression:
        # literal indexes only: each dialect's renderer turns them into its own base (0 or 1)
        return exp.Case(ifs=[exp.If(this=col("nested"), true=_part(parts, 4 + offset))], default=_part(parts, 2 + offset))

    name = col("resource_name")
    resource, subresource = at(0), at(2)
    group = exp.Case(ifs=[exp.If(this=exp.EQ(this=_part(parts, 0), expression=_lit("core")), true=_lit(""))],
                     default=_part(parts, 0))
    columns = {
        "auditID": col("auditID"),
        "stage": exp.Cast(this=exp.Null(), to=exp.DataType.build("VARCHAR")),
        "username": col("username"),
        "groups": exp.Cast(this=exp.Array(expressions=[]), to=exp.DataType.build("ARRAY<VARCHAR>")),
        "verb": col("verb"),
        "resource_request": exp.Not(this=exp.StartsWith(this=name.copy(), expression=_lit("/"))),
        "api_group": group,
        "resource": resource,
        "subresource": subresource,
        "namespace": exp.Case(ifs=[exp.If(this=col("namespaced"), true=_part(parts, 3))], default=_lit("")),
        "name": at(1),
        "combined_resource": combined_resource(resource, subresource),
        "path": name.copy(),
        "bytes": exp.Literal.number(0),
    }
    return [exp.alias_(value, key, quoted=True) for key, value in columns.items()]


def rows_that_are_requests() -> exp.Expression:
    """Rows of the k8s.io service whose names describe a request (as gke_event accepts them)."""
    name = _text(_field(PAYLOAD, "resourceName"))
    method = _text(_field(PAYLOAD, "methodName"))
    parts = exp.Split(this=name.copy(), expression=_lit("/"))
    resource_name = exp.and_(
        exp.GTE(this=exp.ArraySize(this=parts.copy()), expression=exp.Literal.number(3)),
        exp.RegexpLike(this=_part(parts, 1), expression=_lit(VERSION)))
    return exp.and_(
        exp.EQ(this=_text(_field(PAYLOAD, "serviceName")), expression=_lit("k8s.io")),
        exp.NEQ(this=exp.RegexpExtract(this=method, expression=_lit(r"[^.]*$")), expression=_lit("")),
        exp.NEQ(this=name.copy(), expression=_lit("")),
        exp.paren(exp.or_(exp.StartsWith(this=name.copy(), expression=_lit("/")), resource_name)))


def undecidable(policy: Policy, wildcard_group: bool) -> exp.Expression:
    """True where the user's groups could change the decision (see the module docstring); the
    ``rule`` column holds the decision for a user in no group."""
    def outcome(index: int | None):
        d = decide(policy, index)
        return d.level, d.omit_stages, d.omit_managed_fields

    matches = {r.index: rule_matches(dataclasses.replace(r, user_groups=()), wildcard_group)
               for r in policy.rules if r.user_groups}
    deciders = [r.index for r in policy.rules if not r.user_groups]
    cases = []
    for rule in policy.rules:
        if not rule.user_groups:
            continue
        j = rule.index
        covered = []  # each of its groups named by an earlier grouped rule that matches
        for group in dict.fromkeys(rule.user_groups):
            earlier = [matches[i].copy() for i in matches if i < j and group in policy.rules[i].user_groups]
            covered.append(exp.or_(*earlier) if earlier else exp.false())
        reachable = exp.Not(this=exp.paren(exp.and_(*covered))) if covered else exp.true()
        differs = [exp.If(this=exp.EQ(this=col("rule"), expression=exp.Literal.number(k)),
                          true=exp.Boolean(this=j < k and outcome(j) != outcome(k))) for k in deciders]
        otherwise = exp.Boolean(this=outcome(j) != outcome(None))  # rule IS NULL: no rule decides
        differs_now = exp.Case(ifs=differs, default=otherwise) if differs else otherwise
        cases.append(exp.and_(exp.paren(matches[j].copy()), reachable, differs_now))
    return exp.paren(exp.or_(*cases)) if cases else exp.false()
