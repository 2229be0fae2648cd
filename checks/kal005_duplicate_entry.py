"""A value, resources entry or rule is written twice, or is covered by a wildcard next to it.

## What it does
Reports, within one rule, a value listed twice (`verbs: [get, list, get]`), the same `resources`
entry twice, a resource pattern already covered by another in the same entry (`pods/log` next to
`pods/*` or `*`), and a rule that repeats an earlier rule exactly.

## Why is this bad?
Nothing changes in what is logged: the policy checker (`k8s.io/apiserver
pkg/audit/policy/checker.go`) stops at the first value that matches and at the first matching
rule. But a reader takes each line as meaningful: a duplicate usually marks an edit that went
astray (a value meant to be different, a rule copied and never changed), and a repeated rule can
never decide anything.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    verbs: ["get", "list", "get"]
    resources:
      - group: ""
        resources: ["events"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    verbs: ["get", "list"]
    resources:
      - group: ""
        resources: ["events"]
  - level: Metadata
```

## Fix
Remove the repetition, or change it to the value that was meant.

## References
- kube-apiserver: `pkg/audit/policy/checker.go` (`ruleMatches`, `ruleMatchesResource`)
"""

from __future__ import annotations

CODE = "KAL005"
NAME = "duplicate-entry"
SEVERITY = "note"
CATEGORY = "style"

RULE_LISTS = (
    ("users", "users", "user"),
    ("userGroups", "user_groups", "group"),
    ("verbs", "verbs", "verb"),
    ("namespaces", "namespaces", "namespace"),
    ("nonResourceURLs", "non_resource_urls", "URL"),
    ("omitStages", "omit_stages", "stage"),
)


def check(ctx):
    policy = ctx.policy
    yield from repeated_values(ctx, ("omitStages",), policy.omit_stages, "stage", "")
    first_of: dict[tuple, int] = {}
    for rule in policy.rules:
        base = ("rules", rule.index)
        where = f"rule {rule.index}: "
        for field, attribute, noun in RULE_LISTS:
            yield from repeated_values(ctx, base + (field,), getattr(rule, attribute), noun, where)
        yield from repeated_entries(ctx, rule, base)
        key = rule_key(rule)
        if key in first_of:
            earlier = first_of[key]
            message = f"rule {rule.index} repeats rule {earlier} exactly; the later copy never decides anything"
            yield ctx.finding(base, message, fix=f"remove rule {rule.index}", related=[("rules", earlier)],
                              subject=f"repeats rule {earlier}")
        else:
            first_of[key] = rule.index


def repeated_values(ctx, path, values, noun: str, where: str):
    first: dict[str, int] = {}
    for i, value in enumerate(values):
        if value in first:
            message = f'{where}{noun} "{value}" is listed twice (first at {path[-1]}[{first[value]}])'
            yield ctx.finding(path + (i,), message, fix="remove the second one", related=[path + (first[value],)],
                              subject=f'{noun} "{value}" listed twice')
        else:
            first[value] = i


def repeated_entries(ctx, rule, base):
    seen: dict[tuple, int] = {}
    for k, entry in enumerate(rule.resources):
        path = base + ("resources", k)
        where = f"rule {rule.index}, resources[{k}]: "
        yield from repeated_values(ctx, path + ("resources",), entry.resources, "resource", where)
        yield from repeated_values(ctx, path + ("resourceNames",), entry.resource_names, "name", where)
        yield from covered_patterns(ctx, path, entry.resources, where)
        key = entry_key(entry)
        if key in seen:
            message = f"rule {rule.index}: resources[{k}] repeats resources[{seen[key]}]"
            yield ctx.finding(path, message, fix="remove the second entry", related=[base + ("resources", seen[key])],
                              subject=f"resources entry for group {entry.group!r} repeated")
        else:
            seen[key] = k


def covered_patterns(ctx, path, patterns, where: str):
    """A pattern that a wildcard in the same entry already matches (``ruleMatchesResource``)."""
    present = set(patterns)
    for j, pattern in enumerate(patterns):
        cover = covering_pattern(pattern, present)
        if cover:
            message = f'{where}"{pattern}" is already covered by "{cover}" in the same entry'
            yield ctx.finding(path + ("resources", j), message, fix=f'remove "{pattern}"',
                              related=[path + ("resources", patterns.index(cover))],
                              subject=f'"{pattern}" covered by "{cover}"')


def covering_pattern(pattern: str, present: set[str]) -> str | None:
    resource, _, subresource = pattern.partition("/")
    if pattern != "*" and "*" in present:
        return "*"
    if subresource and subresource != "*" and resource != "*" and f"{resource}/*" in present:
        return f"{resource}/*"
    if subresource and subresource != "*" and resource != "*" and f"*/{subresource}" in present:
        return f"*/{subresource}"
    return None


def entry_key(entry) -> tuple:
    return entry.group, frozenset(entry.resources), frozenset(entry.resource_names)


def rule_key(rule) -> tuple:
    return (
        rule.level, frozenset(rule.users), frozenset(rule.user_groups), frozenset(rule.verbs),
        frozenset(entry_key(e) for e in rule.resources), frozenset(rule.namespaces),
        frozenset(rule.non_resource_urls), frozenset(rule.omit_stages), rule.omit_managed_fields,
    )
