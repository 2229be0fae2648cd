"""The policy logs no request at all.

## What it does
Asks whether any request, of any user, on any resource or URL, is logged at a level above
`None`, and reports the policy when none is: its rules are all `None`, or the rules that log can
never be reached. While this holds, the finer coverage checks (no-catch-all,
security-event-not-logged, unauthenticated-not-logged) stay quiet: this one
finding says it all.

## Why is this bad?
With this policy, auditing is switched on in name only: kube-apiserver runs with
`--audit-policy-file` and writes nothing. Scanners that only check that the flag is set (kube-bench
for CIS 1.2.x and 3.2.1) pass it. RKE2 writes exactly such a policy (`- level: None`) when it finds
none, and OpenShift's `None` profile is the same; the NSA/CISA guidance notes that "if no audit
policy has been written, nothing is logged", and CIS 3.2.1 asks for a minimal policy that logs.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
```

## Fix
Start from a policy that logs, e.g. the one-rule `- level: Metadata` policy from the Kubernetes
documentation, or the GKE or EKS policy.

## References
- CIS Kubernetes Benchmark 3.2.1 "Ensure that a minimal audit policy is created"
- NSA/CISA Kubernetes Hardening Guidance, "Log auditing"
- RKE2: `rancher/rke2 pkg/podtemplate/utils.go` (default policy `- level: None`)
- https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import logs_nothing
from kube_audit_lint.engine.space import Selector

CODE = "KAL030"
NAME = "policy-logs-nothing"
SEVERITY = "error"
CATEGORY = "security"
GROUPED_BY = "deciding-rule"  # findings caused by the same rule (or by no rule) are one problem


def check(ctx):
    if not logs_nothing(ctx):
        return
    reached = [o for o in ctx.space.outcomes(Selector()) if o.rule is not None]
    if len(reached) == 1:
        rule = reached[0].rule
        path, key, where = ("rules", rule, "level"), False, f"{ctx.policy.rule_ref(rule)} drops every request"
    else:
        path, key, where = ("rules",), True, "every request is dropped or matches no rule"
    yield ctx.finding(
        path,
        f"the policy logs no request at all: {where}, so auditing is on in name only",
        key=key,
        fix="end the policy with a rule that logs, e.g. `- level: Metadata`",
        subject="policy logs nothing",
    )
