"""ResponseComplete is omitted, so logged requests lose their outcome (or are not logged at all).

## What it does
Reports `ResponseComplete` in the policy-level `omitStages`, or in the `omitStages` of a rule that
logs (level other than `None`). The message says what is left: when `RequestReceived` is omitted
too, requests that are not long-running produce no event at all.

## Why is this bad?
`ResponseComplete` is the event written when the response body is complete, and the only one
that carries the response status (code and reason) for ordinary requests: whether a delete
succeeded, whether a secret read was forbidden. kube-apiserver writes an event only at stages the
matching rule does not omit (`k8s.io/apiserver pkg/audit/policy/checker.go` `unionStages`;
`pkg/endpoints/filters/audit.go`); `ResponseStarted` exists only for long-running requests. So
without `ResponseComplete` a request is logged before it is authorised, or, with `RequestReceived`
omitted as usual, not at all, while the rule's level suggests it is. Falco's k8saudit rules
(`kevt`: `ResponseComplete`) and Elastic's Kubernetes rules read that stage; EKS's queries for 401
and 403 responses need the status.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    omitStages: ["ResponseComplete"]
    resources:
      - group: ""
        resources: ["secrets"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets"]
  - level: Metadata
```

## Fix
Remove `ResponseComplete` from `omitStages`. To stop logging requests, give them `level: None`,
which says so.

## References
- kube-apiserver: `pkg/apis/audit/v1/types.go` (stages), `pkg/audit/policy/checker.go` (`unionStages`)
- Falco k8saudit rules (`kevt` requires stage ResponseComplete)
- https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import live
from kube_audit_lint.policy.model import Level

CODE = "KAL011"
NAME = "response-complete-omitted"
SEVERITY = "warning"
CATEGORY = "security"

STAGE = "ResponseComplete"


def check(ctx):
    policy = ctx.policy
    logging = [r for r in policy.rules if r.level_value not in (None, Level.NONE) and live(ctx, r)]
    if not logging:
        return
    if STAGE in policy.omit_stages:
        message = f"{STAGE} is omitted for every rule: {what_is_left(set(policy.omit_stages))}"
        yield ctx.finding(("omitStages", policy.omit_stages.index(STAGE)), message,
                          fix=f'remove "{STAGE}" from omitStages', subject=f"{STAGE} omitted")
        return
    for rule in logging:
        if STAGE in rule.omit_stages:
            omitted = set(policy.omit_stages) | set(rule.omit_stages)
            message = f"rule {rule.index} logs at {rule.level} but omits {STAGE}: {what_is_left(omitted)}"
            yield ctx.finding(("rules", rule.index, "omitStages", rule.omit_stages.index(STAGE)), message,
                              fix=f'remove "{STAGE}" from the rule\'s omitStages (or use level: None)',
                              subject=f"{STAGE} omitted by rule")


def what_is_left(omitted: set[str]) -> str:
    if "RequestReceived" in omitted:
        return ("with RequestReceived omitted too, requests that are not long-running (all but watch, proxy, "
                "exec, attach, portforward, log) are not logged at all")
    return "requests are logged only when received, without their response status"
