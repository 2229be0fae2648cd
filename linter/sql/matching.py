"""A policy's rules as SQL conditions over the columns of ``requests`` (sql/query.py builds them
into the query; sql/gke.py reuses them over GKE's export), as sqlglot expressions.

Every string from the policy enters the tree as a ``Literal``, which sqlglot quotes and escapes for
the dialect.
"""

from __future__ import annotations

from sqlglot import exp

from kube_audit_lint.policy.model import Rule


# --- literals and columns -------------------------------------------------------------------------

def lit(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def any_of(conditions: list[exp.Expression]) -> exp.Expression:
    if not conditions:
        return exp.false()
    return exp.or_(*conditions) if len(conditions) > 1 else conditions[0]


def all_of(conditions: list[exp.Expression]) -> exp.Expression:
    if not conditions:
        return exp.true()
    return exp.and_(*conditions) if len(conditions) > 1 else conditions[0]


def one_of(column: str, values: tuple[str, ...]) -> exp.Expression:
    """``column IN (values)``: exact, case-sensitive, as the checker compares strings."""
    unique = list(dict.fromkeys(values))
    if len(unique) == 1:
        return exp.EQ(this=col(column), expression=lit(unique[0]))
    return exp.In(this=col(column), expressions=[lit(v) for v in unique])


def string_array(values) -> exp.Expression:
    """An array literal of strings; an empty one is typed, so every branch of a CASE agrees."""
    if not values:
        return exp.Cast(this=exp.Array(expressions=[]), to=exp.DataType.build("ARRAY<VARCHAR>"))
    return exp.Array(expressions=[lit(v) for v in values])


# --- matching, the shape of engine/evaluate.py ----------------------------------------------------------

def path_matches(spec: str) -> exp.Expression:
    """A non-resource URL spec: ``*``, the exact path, or a prefix ending in ``*``."""
    if spec == "*":
        return exp.true()
    exact = exp.EQ(this=col("path"), expression=lit(spec))
    if not spec.endswith("*"):
        return exact
    return exp.or_(exact, exp.StartsWith(this=col("path"), expression=lit(spec.rstrip("*"))))


def combined_resource(resource: exp.Expression, subresource: exp.Expression) -> exp.Expression:
    """``resource/subresource``, or ``resource`` when there is no subresource."""
    return exp.Case(ifs=[exp.If(this=exp.EQ(this=subresource.copy(), expression=lit("")), true=resource.copy())],
                    default=exp.Concat(expressions=[resource.copy(), lit("/"), subresource.copy()]))


def resource_matches(pattern: str) -> exp.Expression:
    """``*``, ``*/sub`` (any resource's sub), ``res/*`` (res and all its subresources), or exact."""
    if pattern == "*":
        return exp.true()
    options = [exp.EQ(this=col("combined_resource"), expression=lit(pattern))]
    if pattern.startswith("*/") and pattern[2:]:
        options.append(exp.EQ(this=col("subresource"), expression=lit(pattern[2:])))
    if pattern.endswith("/*"):
        options.append(exp.EQ(this=col("resource"), expression=lit(pattern[:-2])))
    return any_of(options)


def group_matches(group: str, wildcard_group: bool) -> exp.Expression:
    if wildcard_group and group == "*":
        return exp.true()
    return exp.EQ(this=col("api_group"), expression=lit(group))


def entry_matches(entry, wildcard_group: bool) -> exp.Expression:
    """One GroupResources entry: its group, then (when it lists resources) the names and patterns."""
    conditions = [group_matches(entry.group, wildcard_group)]
    if entry.resources:
        if entry.resource_names:
            conditions.append(one_of("name", entry.resource_names))
        conditions.append(any_of([resource_matches(p) for p in dict.fromkeys(entry.resources)]))
    return all_of(conditions)


def rule_matches_resource(rule: Rule, wildcard_group: bool) -> exp.Expression:
    conditions: list[exp.Expression] = [col("resource_request")]
    if rule.namespaces:
        conditions.append(one_of("namespace", rule.namespaces))
    if rule.resources:
        conditions.append(any_of([entry_matches(e, wildcard_group) for e in rule.resources]))
    return all_of(conditions)


def rule_matches_non_resource(rule: Rule) -> exp.Expression:
    return exp.and_(exp.Not(this=col("resource_request")),
                    exp.paren(any_of([path_matches(s) for s in dict.fromkeys(rule.non_resource_urls)])))


def group_in(groups: tuple[str, ...]) -> exp.Expression:
    return any_of([exp.ArrayContains(this=col("groups"), expression=lit(g)) for g in dict.fromkeys(groups)])


def rule_matches(rule: Rule, wildcard_group: bool) -> exp.Expression:
    """Every field of the rule must match (AND); within a field any value may match (OR).

    Every condition is positive (no NOT over a value that may be NULL), so a NULL from a missing
    groups array counts as no match, as an absent group does in the engine."""
    conditions: list[exp.Expression] = []
    if rule.users:
        conditions.append(one_of("username", rule.users))
        if "" in rule.users:  # ``user: {}`` is no user at all, which no users rule matches
            conditions.append(exp.paren(exp.or_(
                exp.NEQ(this=col("username"), expression=lit("")),
                exp.GT(this=exp.ArraySize(this=col("groups")), expression=exp.Literal.number(0)))))
    if rule.user_groups:
        conditions.append(group_in(rule.user_groups))
    if rule.verbs:
        conditions.append(one_of("verb", rule.verbs))
    if rule.namespaces or rule.resources:
        conditions.append(rule_matches_resource(rule, wildcard_group))
    elif rule.non_resource_urls:
        conditions.append(rule_matches_non_resource(rule))
    return all_of([exp.paren(c) if isinstance(c, exp.Or) else c for c in conditions])
