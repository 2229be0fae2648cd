"""Well-known high-volume, low-risk requests of system components are logged.

## What it does
Takes the well-known noisy requests of system components kept in
`linter/data/noisy-requests.yaml` and reports each rule that logs some of them (level above
`None`), naming the classes it logs, with an example request:

- node lease renewals (`coordination.k8s.io` `leases` in `kube-node-lease` by `system:nodes`);
- leader-election lease renewals by `system:kube-controller-manager` and `system:kube-scheduler`;
- `system:kube-proxy` watching `endpoints`, `services` and `endpointslices`;
- kubelets (`system:nodes`) reading their Node;
- the horizontal pod autoscaler (`system:kube-controller-manager`) reading `metrics.k8s.io`;
- kube-apiserver (`system:apiserver`) reading Namespaces.

Option `ignore_classes` takes class ids (`node-lease-renewal`, `leader-election`, ...) to leave
alone.

## Why is this bad?
These requests repeat every few seconds per node or component, all day, and record nothing an
investigation needs: on a mid-sized cluster node lease renewals alone are millions of events a
day. GKE and EKS drop most of them with `None` rules scoped to the component, the verb and the
resource; the GCE policy's list predates Leases, so node lease renewals and leader election still
reach its catch-all.

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
  - level: None
    userGroups: ["system:nodes"]
    verbs: ["get", "update"]
    namespaces: ["kube-node-lease"]
    resources:
      - group: coordination.k8s.io
        resources: ["leases"]
  - level: None
    users: ["system:kube-controller-manager", "system:kube-scheduler"]
    verbs: ["get", "update"]
    namespaces: ["kube-system"]
    resources:
      - group: coordination.k8s.io
        resources: ["leases"]
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
    resources:
      - group: ""
        resources: ["endpoints", "services"]
      - group: discovery.k8s.io
        resources: ["endpointslices"]
  - level: None
    userGroups: ["system:nodes"]
    verbs: ["get"]
    resources:
      - group: ""
        resources: ["nodes", "nodes/status"]
  - level: None
    users: ["system:kube-controller-manager"]
    verbs: ["get", "list"]
    resources:
      - group: metrics.k8s.io
  - level: None
    users: ["system:apiserver"]
    verbs: ["get"]
    resources:
      - group: ""
        resources: ["namespaces", "namespaces/status", "namespaces/finalize"]
  - level: Metadata
```

## Fix
Drop each class with a `None` rule scoped, like the requests, to the component's user or group,
the verbs and the resources, placed before the reported rule. Keep the scope: a drop for all of
`system:nodes` or all `leases` would also hide what a stolen node credential does.

## References
- GKE/GCE audit policy: `kubernetes/kubernetes cluster/gce/gci/configure-helper.sh` ("manually identified as high-volume and low-risk")
- AWS EKS Best Practices, detective controls (the EKS audit policy)
- Kubernetes node heartbeats: https://kubernetes.io/docs/reference/node/node-status/#heartbeats
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import (
    level_path, outcomes, request_classes, rule_subject, titles,
)
from kube_audit_lint.policy.model import Level

CODE = "KAL027"
NAME = "noisy-system-requests"
SEVERITY = "note"
CATEGORY = "cost"
GROUPED_BY = "deciding-rule"  # findings caused by the same rule (or by no rule) are one problem
OPTIONS = {"ignore_classes": []}


def check(ctx):
    ignored = set(ctx.option("ignore_classes") or ())
    logged: dict[int, list] = {}
    for request_class in request_classes("noisy-requests.yaml"):
        if request_class.id in ignored:
            continue
        for outcome in outcomes(ctx, *request_class.selectors):
            if outcome.level is not Level.NONE:
                logged.setdefault(outcome.rule, []).append((request_class, outcome))
    for rule in sorted(logged):
        (first, outcome), classes = logged[rule][0], [c for c, _ in logged[rule]]
        yield ctx.finding(
            level_path(rule),
            f"{outcome.witness.describe()} is logged at {outcome.level.wire} by {ctx.policy.rule_ref(rule)}: "
            f"{titles(classes)} {'are' if len(classes) > 1 else 'is'} high-volume noise from system "
            f"components ({first.why})",
            witness=outcome.witness,
            fix=f"drop them with None rules scoped to the component, verbs and resources, placed before "
                f"{ctx.policy.rule_ref(rule)}",
            subject=f"{', '.join(c.id for c in classes)} logged by {rule_subject(ctx.policy, rule)}",
        )
