"""`pods/*` matches `pods` itself too, not only its subresources.

## What it does
Reports a resource pattern `<resource>/*` whose entry does not also list `<resource>` (or `*`),
and says what the rule then does to requests on the resource itself.

## Why is this bad?
The API reference says "`pods/*` matches all subresources of pods", and RBAC reads it that way.
The audit policy checker does not: for a pattern ending in `/*` it compares only the resource
and never checks that the request has a subresource (`k8s.io/apiserver pkg/audit/policy/checker.go`
`ruleMatchesResource`), so `get pods/web-0` matches `pods/*` as well as `get pods/web-0/log`. A
`None` rule meant to silence `nodes/*` subresource noise silences every request on nodes; a
`RequestResponse` rule meant for `pods/*` subresources also logs every pod body.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    resources:
      - group: ""
        resources: ["nodes/*"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    resources:
      - group: ""
        resources: ["nodes/status"]
  - level: Metadata
```

## Fix
List the subresources meant (`pods/log`, `pods/status`), or select every subresource of every
resource with `*/<subresource>`. If the resource itself is meant too, list it next to the
wildcard (`["pods", "pods/*"]`) so that readers see it.

## References
- kube-apiserver: `pkg/audit/policy/checker.go` (`ruleMatchesResource`)
- kube-apiserver: `pkg/apis/audit/v1/types.go` (`GroupResources.Resources` comment, which says otherwise)
"""

from __future__ import annotations

from kube_audit_lint.policy.model import Level

CODE = "KAL012"
NAME = "subresource-wildcard-includes-resource"
SEVERITY = "note"
CATEGORY = "correctness"


def check(ctx):
    for rule in ctx.policy.rules:
        for k, entry in enumerate(rule.resources):
            if "*" in entry.resources:
                continue
            for j, pattern in enumerate(entry.resources):
                resource, _, subresource = pattern.partition("/")
                if subresource != "*" or resource in ("*", "") or resource in entry.resources:
                    continue
                message = (f'rule {rule.index}: "{pattern}" also matches "{resource}" itself, not only its '
                           f"subresources: {consequence(rule, resource)}")
                yield ctx.finding(("rules", rule.index, "resources", k, "resources", j), message,
                                  fix=f'list the subresources meant ("{resource}/status", ...), or add "{resource}" '
                                      "to say that the resource is meant too",
                                  subject=f'"{pattern}" matches "{resource}"')


def consequence(rule, resource: str) -> str:
    if rule.level_value is Level.NONE:
        return f"requests on {resource} are not logged either"
    return f"requests on {resource} are logged at {rule.level} too"
