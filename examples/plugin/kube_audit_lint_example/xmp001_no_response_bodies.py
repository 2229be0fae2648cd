"""A rule logs response bodies (RequestResponse), which this team keeps out of its audit log.

## What it does
Reports every rule whose level is `RequestResponse`, except for the resources listed in the
`allowed_resources` option.

## Why is this bad?
Response bodies are the largest part of an audit event and can hold whatever a client read:
this team's log budget and data-handling rules allow request bodies at most.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: RequestResponse
    resources:
      - group: "apps"
        resources: ["deployments"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Request
    resources:
      - group: "apps"
        resources: ["deployments"]
  - level: Metadata
```

## Fix
Write `level: Request`, or list the resource in `allowed_resources`.

## References
- https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy
"""

from __future__ import annotations

from collections.abc import Iterator

from kube_audit_lint.api import CheckContext, Finding, Level

CODE = "XMP001"
NAME = "no-response-bodies"
SEVERITY = "warning"
CATEGORY = "cost"
OPTIONS = {"allowed_resources": []}
DOCS_URL = "https://example.com/kube-audit-lint-example-plugin#xmp001"


def check(ctx: CheckContext) -> Iterator[Finding]:
    allowed = set(ctx.option("allowed_resources"))
    for rule in ctx.policy.rules:
        if rule.level_value is not Level.REQUEST_RESPONSE:
            continue
        named = {name for entry in rule.resources for name in entry.resources}
        if named and named <= allowed:
            continue
        yield ctx.finding(("rules", rule.index, "level"),
                          f"rule {rule.index} logs response bodies (RequestResponse)",
                          fix="use level: Request")
