"""Changes to roles and role bindings are logged without the request body.

## What it does
Asks at which level the policy logs create, update and patch requests on `roles`,
`rolebindings`, `clusterroles` and `clusterrolebindings` (`rbac.authorization.k8s.io`) by
authenticated users, and reports each rule that logs some of them at `Metadata` only, with an
example request. Option `level` sets the level asked for: `Request` (the default: the body of
the change is logged) or `RequestResponse` (the role as stored after the change as well, which
some detections read). Changes that are not logged at all are security-event-not-logged's.

## Why is this bad?
At `Metadata` the event says that `alice` patched the ClusterRoleBinding `ops`, not what the
binding now grants or to whom. Privilege escalation is exactly such a change: a binding to
`cluster-admin`, a role that gains `*` verbs, `escalate` or `bind`. Falco's "Attach to
cluster-admin Role" and "ClusterRole With Wildcard Created" read the request object; Elastic's
"Cluster-Admin Role Binding Created" requires level `RequestResponse`, and "RBAC Wildcard
Elevation on Existing Role" reads the response. GKE and EKS log writes to the RBAC API at
`RequestResponse`.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: RequestResponse
    verbs: ["create", "update", "patch", "delete"]
    resources:
      - group: rbac.authorization.k8s.io
        resources: ["roles", "rolebindings", "clusterroles", "clusterrolebindings"]
  - level: Metadata
```

## Fix
Log writes to the four RBAC resources at `RequestResponse` in a rule placed before the reported
one (GKE and EKS do so for every built-in API group).

## References
- Falco k8saudit rules "Attach to cluster-admin Role", "ClusterRole With Wildcard Created", "ClusterRole With Write Privileges Created"
- Elastic rules "Kubernetes Cluster-Admin Role Binding Created", "RBAC Wildcard Elevation on Existing Role"
- AWS EKS Best Practices, detective controls (queries on role and binding changes)
- GKE/GCE audit policy: `kubernetes/kubernetes cluster/gce/gci/configure-helper.sh` ("Default level for known APIs")
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import level_path, outcomes, rule_subject
from kube_audit_lint.engine.space import Selector
from kube_audit_lint.policy.model import GroupResources, Level

CODE = "KAL025"
NAME = "rbac-change-without-body"
SEVERITY = "warning"
CATEGORY = "security"
GROUPED_BY = "deciding-rule"  # findings caused by the same rule (or by no rule) are one problem
OPTIONS = {"level": "Request"}

RBAC_WRITES = Selector(
    verbs=("create", "update", "patch"),
    resources=(GroupResources("rbac.authorization.k8s.io",
                              ("roles", "rolebindings", "clusterroles", "clusterrolebindings")),),
)


def wanted_level(ctx) -> Level:
    text = ctx.option("level")
    level = Level.from_wire(text) if isinstance(text, str) and text in ("Request", "RequestResponse") else None
    if level is None:
        raise ValueError(f"{NAME}: level must be Request or RequestResponse, got {text!r}")
    return level


def check(ctx):
    wanted = wanted_level(ctx)
    for outcome in outcomes(ctx, RBAC_WRITES):
        if outcome.level is Level.NONE or outcome.level >= wanted:
            continue
        what = "without the request body" if outcome.level is Level.METADATA else "without the stored object"
        yield ctx.finding(
            level_path(outcome.rule),
            f"{outcome.witness.describe()} is logged at {outcome.level.wire} by "
            f"{ctx.policy.rule_ref(outcome.rule)}, "
            f"{what}: the event does not show which permissions or subjects the change grants",
            witness=outcome.witness,
            fix=f"log writes to roles and bindings at RequestResponse in a rule placed before "
                f"{ctx.policy.rule_ref(outcome.rule)}",
            subject=f"RBAC writes at {outcome.level.wire} by {rule_subject(ctx.policy, outcome.rule)}",
        )
