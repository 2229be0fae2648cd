"""A rule that matches only non-resource URLs asks for request bodies, which are never logged there.

## What it does
Reports a `Request` or `RequestResponse` level on a rule that selects only `nonResourceURLs`
(such a rule never matches a resource request).

## Why is this bad?
"Request and RequestResponse levels do not apply for non-resource requests"
(`k8s.io/apiserver pkg/apis/audit/v1/types.go`, `Level`): the apiserver records bodies only for
resource requests, so the events of these requests are exactly what `Metadata` writes. The level
suggests the author expects `/metrics` payloads or webhook calls in the log, and a reviewer
counting body-logging rules gets a wrong picture.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: RequestResponse
    nonResourceURLs: ["/metrics", "/logs*"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    nonResourceURLs: ["/metrics", "/logs*"]
  - level: Metadata
```

## Fix
Write `level: Metadata` on non-resource rules.

## References
- kube-apiserver: `pkg/apis/audit/v1/types.go` (`Level`: Request and RequestResponse "do not apply for
  non-resource requests")
- https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import live
from kube_audit_lint.policy.model import Level

CODE = "KAL007"
NAME = "body-level-on-non-resource"
SEVERITY = "note"
CATEGORY = "correctness"


def check(ctx):
    for rule in ctx.policy.rules:
        if rule.is_non_resource_only and rule.level_value in (Level.REQUEST, Level.REQUEST_RESPONSE) and live(ctx, rule):
            message = (f"rule {rule.index} matches only non-resource URLs, whose bodies are never logged: "
                       f"{rule.level} logs the same as Metadata here")
            yield ctx.finding(("rules", rule.index, "level"), message, fix="use level: Metadata",
                              subject=f"{rule.level} on a non-resource rule")
