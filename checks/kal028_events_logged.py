"""Writes of Events (create, update, patch) are logged.

## What it does
Asks at which level the policy logs create, update and patch requests on Events, core `events`
and `events.k8s.io` `events`, and reports each rule that logs some of them, with an example
request. Deleting Events is not this check's business: keep deletions logged (see
security-event-not-logged).

## Why is this bad?
Every controller, scheduler decision and kubelet writes Events, all the time: they are often the
largest share of a cluster's API writes, and an Event's body says nothing about who changed what
(the object it describes has its own audit events). GKE and EKS drop core events "because of
performance impact". Their drop covers every verb, though, which also hides Events being deleted,
a way to remove traces that Elastic's "Kubernetes Events Deleted" rule looks for; dropping only
create, update and patch keeps that.

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
    verbs: ["create", "update", "patch"]
    resources:
      - group: ""
        resources: ["events"]
      - group: events.k8s.io
        resources: ["events"]
  - level: Metadata
```

## Fix
Add a `None` rule for `verbs: ["create", "update", "patch"]` on core `events` and
`events.k8s.io` `events` before the reported rule; leave `delete` and `deletecollection` logged.

## References
- GKE/GCE audit policy: `kubernetes/kubernetes cluster/gce/gci/configure-helper.sh` ("Don't log events requests because of performance impact")
- AWS EKS Best Practices, detective controls (the EKS audit policy)
- Elastic rule "Kubernetes Events Deleted"
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import level_path, outcomes, rule_subject
from kube_audit_lint.engine.space import Selector
from kube_audit_lint.policy.model import GroupResources, Level

CODE = "KAL028"
NAME = "events-logged"
SEVERITY = "note"
CATEGORY = "cost"
GROUPED_BY = "deciding-rule"  # findings caused by the same rule (or by no rule) are one problem

EVENT_WRITES = Selector(
    verbs=("create", "update", "patch"),
    resources=(GroupResources("", ("events",)), GroupResources("events.k8s.io", ("events",))),
)


def check(ctx):
    for outcome in outcomes(ctx, EVENT_WRITES):
        if outcome.level is Level.NONE:
            continue
        yield ctx.finding(
            level_path(outcome.rule),
            f"{outcome.witness.describe()} is logged at {outcome.level.wire} by "
            f"{ctx.policy.rule_ref(outcome.rule)}: "
            "controllers and kubelets write Events constantly; drop their create, update and patch "
            "(and keep delete logged)",
            witness=outcome.witness,
            fix=f"add a None rule for create, update and patch of events (core and events.k8s.io) before "
                f"{ctx.policy.rule_ref(outcome.rule)}",
            subject=f"event writes logged by {rule_subject(ctx.policy, outcome.rule)}",
        )
