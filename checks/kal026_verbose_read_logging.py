"""Reads (get, list, watch) are logged at RequestResponse, with their whole response.

## What it does
Asks at which level the policy logs `get`, `list` and `watch` requests by authenticated users on
resources and on their `status` and `scale` subresources, and reports each rule that logs some of
them at `RequestResponse`, with an example request. A `get` on `pods/exec`, `attach`,
`portforward`, `proxy` or `log` opens a stream rather than reading an object, and is left out.
(Whether the response holds Secrets is sensitive-body-captured's question; this one is about
volume.)

## Why is this bad?
At `RequestResponse` the audit event carries the response body: the object for a get, every
object for a list (all pods of a namespace, all nodes), each change for a watch. Reads are most of
an apiserver's traffic, and their responses are its largest bodies; logging them multiplies the
log's size, cost and the chance that events exceed a sink's limit (CloudWatch Logs truncates at
256 KB). GKE and EKS log reads at `Request` ("Get responses can be large; skip them") and keep
`RequestResponse` for writes.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps"]
  - level: RequestResponse
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps"]
  - level: Request
    verbs: ["get", "list", "watch"]
  - level: RequestResponse
```

## Fix
Add a `Request` (or `Metadata`) rule for `verbs: ["get", "list", "watch"]` before the reported
rule.

## References
- GKE/GCE audit policy: `kubernetes/kubernetes cluster/gce/gci/configure-helper.sh` ("Get responses can be large; skip them")
- AWS EKS Best Practices, detective controls (CloudWatch Logs entries are limited to 256 KB)
- kube-apiserver: `k8s.io/apiserver pkg/audit/request.go` (`LogResponseObject`)
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import level_path, outcomes, rule_subject
from kube_audit_lint.engine.space import Selector
from kube_audit_lint.policy.model import GroupResources, Level

CODE = "KAL026"
NAME = "verbose-read-logging"
SEVERITY = "warning"  # a cost and size problem: whole response bodies of reads
CATEGORY = "cost"
GROUPED_BY = "deciding-rule"  # findings caused by the same rule (or by no rule) are one problem

READ_VERBS = ("get", "list", "watch")
OBJECT_SUBRESOURCES = ("*/status", "*/scale")  # subresources whose get returns an object
# Resources no policy needs to name, to stand for the ones it does not name (and read naturally
# in an example request, whatever API group it falls in).
FRESH_RESOURCES = ("pods", "deployments", "jobs", "roles", "ingresses", "leases", "endpointslices")


def reads(policy) -> Selector:
    """Reads of objects: every resource without a subresource, plus status and scale.

    A selector cannot say "any resource, no subresource", but it need not: the policy only tells
    apart the resources it names, and any other behaves like a fresh name. So the resources the
    policy names plus some it does not name stand for them all.
    """
    named = {p.partition("/")[0] for rule in policy.rules for e in rule.resources for p in e.resources} - {"*", ""}
    fresh = next(f"example-resource-{i}" for i in range(len(named) + 1) if f"example-resource-{i}" not in named)
    patterns = tuple(sorted(named | set(FRESH_RESOURCES) | {fresh})) + OBJECT_SUBRESOURCES
    return Selector(verbs=READ_VERBS, resources=(GroupResources("*", patterns),))


def check(ctx):
    for outcome in outcomes(ctx, reads(ctx.policy)):
        if outcome.level is not Level.REQUEST_RESPONSE:
            continue
        yield ctx.finding(
            level_path(outcome.rule),
            f"{outcome.witness.describe()} is logged at RequestResponse by {ctx.policy.rule_ref(outcome.rule)}: "
            "read responses are the largest bodies an apiserver sends (a list returns every object); "
            "GKE and EKS log reads at Request",
            witness=outcome.witness,
            fix=f'add `- level: Request` with `verbs: ["get", "list", "watch"]` before '
                f'{ctx.policy.rule_ref(outcome.rule)}',
            subject=f"reads at RequestResponse by {rule_subject(ctx.policy, outcome.rule)}",
        )
