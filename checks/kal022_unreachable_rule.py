"""A rule is never used: earlier rules match every request it would match.

## What it does
kube-apiserver uses the first rule that matches a request. This check finds each rule that some
request matches, but never first: one earlier rule, or several together, match every request it
matches. It names those rules and gives an example request that the dead rule matches but an
earlier rule takes. The analysis is exact for the apiserver's matching (users, groups, verbs,
every resource wildcard form, resourceNames, namespaces, non-resource URL prefixes), so a rule is
only called unreachable when no request at all reaches it. A rule that matches no request even on
its own (an unknown verb, a resource with capitals) is rule-never-matches, not this check.

## Why is this bad?
The author wrote the rule to give some requests its level, and none get it. Typical cases: a
`RequestResponse` rule for pods after a `Request` rule for the whole core group; a `Metadata`
rule for Secrets placed after a catch-all that already logs them with their bodies; a specific
rule after a broad `None` rule. The audit policy docs say it plainly: "the first matching rule
sets the audit level of the event", and the rules are "strictly ordered".

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Request
    resources:
      - group: ""
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["pods"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["pods"]
  - level: Request
    resources:
      - group: ""
  - level: Metadata
```

## Fix
Move the rule above the rules named in the message (more specific rules first), or delete it if
its requests are meant to get the earlier rules' level.

## References
- kube-apiserver: `k8s.io/apiserver pkg/audit/policy/checker.go` (first matching rule wins)
- `k8s.io/api audit/v1 types.go`: "PolicyRules are strictly ordered"
- https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import SENDERS, as_sent_by, rule_refs, rule_subject, sender_space

CODE = "KAL022"
NAME = "unreachable-rule"
SEVERITY = "warning"
CATEGORY = "correctness"

IDENTITY_NOTE = ("every authenticated user is in system:authenticated, the anonymous user only in "
                 "system:unauthenticated, and a request that failed authentication has no user")


def check(ctx):
    space = ctx.space
    for rule in ctx.policy.rules:
        if space.can_match(rule.index) is None:
            continue  # rule-never-matches
        if space.reachable(rule.index) is None:
            shadows, example, note = space.shadowed_by(rule.index), space.can_match(rule.index), ""
        else:
            found = unreachable_for_every_sender(ctx, rule.index)
            if found is None:
                continue
            (shadows, example), note = found, f" ({IDENTITY_NOTE})"
        taken_by = space.evaluate(example).rule
        together = "matches" if len(shadows) == 1 else "together match"
        yield ctx.finding(
            ("rules", rule.index),
            f"{ctx.policy.rule_ref(rule.index)} is never used: {rule_refs(ctx.policy, shadows)} {together} "
            f"every request it matches{note}, and the first matching rule wins (e.g. {example.describe()} "
            f"goes to {ctx.policy.rule_ref(taken_by)})",
            witness=example,
            fix=f"move it above {ctx.policy.rule_ref(shadows[0])}, or delete it",
            subject=f"unreachable {rule_subject(ctx.policy, rule.index)}",
            related=[("rules", j) for j in shadows],
        )


def unreachable_for_every_sender(ctx, index: int):
    """(shadowing rules, example request) when no request kube-apiserver can see reaches the rule,
    though some request the analysis can build does (a user in neither system:authenticated nor
    system:unauthenticated); None otherwise, or when no real request matches the rule at all."""
    shadows: set[int] = set()
    example = None
    for sender in SENDERS:
        space = sender_space(ctx, sender)
        if space.reachable(index) is not None:
            return None
        if space.can_match(index) is not None:
            shadows.update(space.shadowed_by(index))
            example = example or as_sent_by(space.can_match(index), sender)
    return (tuple(sorted(shadows)), example) if example is not None else None
