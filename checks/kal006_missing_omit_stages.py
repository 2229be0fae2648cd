"""RequestReceived is not omitted, so every logged request is written twice.

## What it does
Reports a policy in which requests that are logged also produce a `RequestReceived` event: the
stage is omitted neither at the policy level nor in the logging rules. When most logging rules
keep it, one finding suggests the policy-level `omitStages`; when only a few do, each of them is
reported.

## Why is this bad?
kube-apiserver writes an event at every stage a request reaches, unless the matching rule's
stages, unioned with the policy's (`k8s.io/apiserver pkg/audit/policy/checker.go`
`unionStages`), omit it. `RequestReceived` is written "as soon as the audit handler receives the
request" and holds nothing that the `ResponseComplete` event of the same request lacks (apart
from a request that never completes), so keeping it roughly doubles the log volume and its cost.
The GKE and EKS policies omit it in every rule, OpenShift and the Kubernetes documentation's
example at the policy level.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*"]
  - level: Metadata
```

## Fix
Add `omitStages: ["RequestReceived"]` at the top of the policy (it applies to every rule), or to
each rule that logs.

## References
- kube-apiserver: `pkg/audit/policy/checker.go` (`unionStages`); stages in `pkg/apis/audit/v1/types.go`
- https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy (example policy omits RequestReceived)
- GKE/GCE policy: `kubernetes/kubernetes cluster/gce/gci/configure-helper.sh` (`create-master-audit-policy`)
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import live
from kube_audit_lint.policy.model import Level

CODE = "KAL006"
NAME = "missing-omit-stages"
SEVERITY = "warning"
CATEGORY = "cost"

STAGE = "RequestReceived"
POLICY_FIX = 'add omitStages: ["RequestReceived"] at the policy level'


def check(ctx):
    policy = ctx.policy
    if STAGE in policy.omit_stages:
        return
    logging = [r for r in policy.rules if r.level_value not in (None, Level.NONE) and live(ctx, r)]
    lacking = [r for r in logging if STAGE not in r.omit_stages]
    if not lacking:
        return
    if len(lacking) == len(logging):
        message = (f"{STAGE} is not omitted: every logged request is written twice "
                   f"({len(logging)} logging rule{'s' if len(logging) != 1 else ''}, none omits it)")
        yield ctx.finding(("rules",), message, fix=POLICY_FIX, key=True, subject=f"{STAGE} not omitted")
        return
    if 2 * len(lacking) >= len(logging):
        listed = ", ".join(str(r.index) for r in lacking)
        message = (f"{STAGE} is not omitted by rules {listed} ({len(lacking)} of {len(logging)} logging rules): "
                   "their requests are written twice")
        yield ctx.finding(("rules",), message, fix=POLICY_FIX, key=True, subject=f"{STAGE} not omitted by most rules",
                          related=[("rules", r.index, "level") for r in lacking])
        return
    for rule in lacking:
        message = (f"rule {rule.index} logs at {rule.level} but does not omit {STAGE}, which other "
                   "logging rules omit: its requests are written twice")
        yield ctx.finding(("rules", rule.index, "level"), message, key=True, subject=f"{STAGE} not omitted by rule",
                          fix=f'add omitStages: ["{STAGE}"] to rule {rule.index}, or once at the policy level')
