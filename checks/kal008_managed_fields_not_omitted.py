"""Request bodies are logged with their managedFields, which bloat every event.

## What it does
Reports rules that log request or response bodies (`Request`, `RequestResponse`) while
`omitManagedFields` is not set, neither on the rule nor at the policy level. When no rule that logs
bodies sets it, one finding suggests the policy-level field. An explicit
`omitManagedFields: false` is a decision and is not reported. Policies for kube-apiserver older
than 1.23, which does not know the field, are not reported.

## Why is this bad?
Server-side apply keeps `metadata.managedFields` on every object (KEP-555): a list of field sets
per manager, often larger than the object's spec. At `Request` and `RequestResponse` these are
copied into every event's `requestObject` and `responseObject`, including every item of a list,
and are of no use to an audit reader. `omitManagedFields` (Kubernetes 1.23,
kubernetes/enhancements#2982) strips them (`k8s.io/apiserver pkg/audit/request.go`
`copyWithoutManagedFields`); OpenShift sets it for its whole policy. Bigger events cost storage,
and hit the 256 KB CloudWatch limit (EKS) or the apiserver's truncation sooner.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: RequestResponse
    verbs: ["create", "update", "patch", "delete"]
    resources:
      - group: apps
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
omitManagedFields: true
rules:
  - level: RequestResponse
    verbs: ["create", "update", "patch", "delete"]
    resources:
      - group: apps
  - level: Metadata
```

## Fix
Add `omitManagedFields: true` at the policy level (or on each rule that logs bodies). Set it to
`false` on a rule where the managers of each field matter to you.

## References
- kube-apiserver: `pkg/audit/request.go` (`copyWithoutManagedFields`)
- kube-apiserver: `pkg/audit/policy/checker.go` (`isOmitManagedFields`)
- kubernetes/enhancements#2982 (omitManagedFields); KEP-555 (server-side apply, managedFields)
- OpenShift: `openshift/library-go pkg/operator/apiserver/audit/manifests/base-policy.yaml`
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import live
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.model import Level

CODE = "KAL008"
NAME = "managed-fields-not-omitted"
SEVERITY = "note"
CATEGORY = "cost"

POLICY_FIX = "add omitManagedFields: true at the policy level"


def check(ctx):
    policy = ctx.policy
    data = policy.document.data if isinstance(policy.document.data, dict) else {}
    if ctx.kube_version < versions.OMIT_MANAGED_FIELDS or "omitManagedFields" in data:
        return
    logging_bodies = [r for r in policy.rules if logs_bodies(r) and live(ctx, r)]
    lacking = [r for r in logging_bodies if r.omit_managed_fields is None]
    if not lacking:
        return
    if len(lacking) == len(logging_bodies):
        listed = ", ".join(str(r.index) for r in lacking)
        rules = f"rules {listed} log" if len(lacking) > 1 else f"rule {listed} logs"
        message = f"omitManagedFields is not set: {rules} bodies with their metadata.managedFields"
        yield ctx.finding(("rules",), message, fix=POLICY_FIX, key=True, subject="omitManagedFields not set")
        return
    for rule in lacking:
        message = (f"rule {rule.index} logs bodies at {rule.level} without omitManagedFields, which other "
                   "body-logging rules set")
        yield ctx.finding(("rules", rule.index, "level"), message, key=True,
                          fix=f"add omitManagedFields: true to rule {rule.index}, or once at the policy level",
                          subject="omitManagedFields not set on rule")


def logs_bodies(rule) -> bool:
    return rule.level_value in (Level.REQUEST, Level.REQUEST_RESPONSE) and not rule.is_non_resource_only
