"""`namespaces: [""]` on a namespaced resource matches only its lists and watches across all namespaces.

## What it does
Reports a namespaced built-in resource (`pods`, `secrets`, ...) selected by a rule whose
`namespaces` include `""`. For such a resource the empty namespace is not "cluster-scoped
objects": it is the all-namespaces list and watch (`kubectl get secrets -A`).

## Why is this bad?
The API reference says that "the empty string "" matches non-namespaced resources". For a
namespaced resource, the request's namespace attribute is empty exactly when the request is not
inside a namespace (`k8s.io/apiserver pkg/endpoints/request/requestinfo.go`): `GET /api/v1/secrets`
lists every secret of the cluster and has namespace `""`. So the entry does not match the
resource's requests in any namespace, and does match the broadest reads of it: a `None` rule of
this shape hides `kubectl get secrets -A`, a `RequestResponse` one writes every secret's body.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    namespaces: [""]
    resources:
      - group: ""
        resources: ["nodes", "secrets"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    namespaces: [""]
    resources:
      - group: ""
        resources: ["nodes"]
  - level: Metadata
```

## Fix
Keep `namespaces: [""]` for cluster-scoped resources (nodes, namespaces, clusterroles). Select
namespaced resources in a rule without `namespaces`, or with the namespaces meant; to single out
the all-namespaces reads, say so in a comment.

## References
- kube-apiserver: `pkg/endpoints/request/requestinfo.go` (the namespace of a request)
- kube-apiserver: `pkg/audit/policy/checker.go` (`ruleMatchesResource`)
- https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/#audit-k8s-io-v1-PolicyRule (`namespaces`)
"""

from __future__ import annotations

from kube_audit_lint.kube import api as kubeapi
from kube_audit_lint.policy.model import Level

CODE = "KAL015"
NAME = "empty-namespace-on-namespaced-resource"
SEVERITY = "note"
CATEGORY = "correctness"


def check(ctx):
    for rule in ctx.policy.rules:
        if "" not in rule.namespaces:
            continue
        for k, entry in enumerate(rule.resources):
            for j, pattern in enumerate(entry.resources):
                resource = pattern.partition("/")[0]
                served = kubeapi.lookup(entry.group, resource)
                if served is None or not served.namespaced:
                    continue
                message = (f'rule {rule.index}: namespace "" selects "{pattern}" only in requests across all '
                           f"namespaces (kubectl get {resource} -A), {effect(rule)}")
                yield ctx.finding(("rules", rule.index, "resources", k, "resources", j), message,
                                  fix=f'select "{pattern}" in a rule without namespaces: [""]',
                                  subject=f'namespace "" with namespaced "{pattern}"')


def effect(rule) -> str:
    others = [n for n in rule.namespaces if n]
    inside = f"and in namespaces {', '.join(others)}" if others else "never inside a namespace"
    if rule.level_value is Level.NONE:
        return f"{inside}; those cluster-wide reads go unlogged"
    return inside
