"""A rule for exec, attach or port-forward lists `create` but not `get` (or the reverse).

## What it does
Reports a rule that names `pods/exec`, `pods/attach` or `pods/portforward` and restricts `verbs`
to one of the two verbs these sessions arrive with: `create` without `get`, or `get` without
`create`.

## Why is this bad?
The verb of a request comes from its HTTP method (`k8s.io/apiserver
pkg/endpoints/request/requestinfo.go`). Sessions opened over SPDY are POSTs, logged as `create`;
kubectl 1.30 and later opens exec and attach (1.31 and later, port-forward) over WebSockets,
which start with a GET and are logged as `get` (kubernetes/kubectl#1761, sapcc/kubernikus#996).
A rule written for `create` therefore misses every modern `kubectl exec`, which falls through to
a later rule, perhaps at a lower level or `None`. Falco (`kcreate or kget`) and Elastic
(`verb in ("get", "create")`) match both.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: RequestResponse
    verbs: ["create"]
    resources:
      - group: ""
        resources: ["pods/exec", "pods/attach"]
  - level: None
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: RequestResponse
    verbs: ["create", "get"]
    resources:
      - group: ""
        resources: ["pods/exec", "pods/attach"]
  - level: None
```

## Fix
List both `create` and `get`, or leave `verbs` out (no other verb reaches these subresources).

## References
- kube-apiserver: `pkg/endpoints/request/requestinfo.go` (verb from the HTTP method)
- kubernetes/kubectl#1761 and KEP-4006 (WebSockets for exec, attach, cp; port-forward)
- sapcc/kubernikus#996: "kubectl 1.30 switched to websockets ... changes exec from a POST to a GET"
- CIS Kubernetes Benchmark 3.2.2 (use of `pods/exec`, `pods/portforward`)
"""

from __future__ import annotations

from kube_audit_lint.findings import Severity
from kube_audit_lint.policy.model import Level

CODE = "KAL013"
NAME = "exec-verbs-incomplete"
SEVERITY = "warning"
CATEGORY = "security"

SESSIONS = ("pods/exec", "pods/attach", "pods/portforward")
SESSION_VERBS = {"create": "SPDY clients (kubectl before 1.30) open sessions with POST, logged as create",
                 "get": "kubectl 1.30 and later opens sessions with a WebSocket GET, logged as get"}


def check(ctx):
    for rule in ctx.policy.rules:
        named = sorted({p for e in rule.resources if e.group == "" for p in e.resources if p in SESSIONS})
        if not named or not rule.verbs:
            continue
        present = [v for v in SESSION_VERBS if v in rule.verbs]
        if len(present) != 1:
            continue
        missing = "get" if present[0] == "create" else "create"
        message = (f"rule {rule.index} selects {', '.join(named)} with {present[0]} but not {missing}: "
                   f"{SESSION_VERBS[missing]}, which this rule misses")
        severity = Severity.NOTE if rule.level_value is Level.NONE else None
        yield ctx.finding(("rules", rule.index, "verbs"), message, fix=f'add "{missing}" to verbs',
                          severity=severity, subject=f"{'/'.join(named)} without {missing}")
