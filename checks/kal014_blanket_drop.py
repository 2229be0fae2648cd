"""A `None` rule selects only who or where, so every request of theirs goes unlogged.

## What it does
Reports a `level: None` rule that restricts neither verbs, resources nor non-resource URLs, only
`users`, `userGroups` or `namespaces`: it drops everything those identities do, or everything that
happens in those namespaces, reads and writes, secrets and RBAC included.

## Why is this bad?
First match wins (`k8s.io/apiserver pkg/audit/policy/checker.go` `EvaluatePolicyRule`), so no
later rule can log what this rule drops. Dropping an identity wholesale means a stolen token of
that identity, or a misbehaving controller, is invisible: `userGroups:
["system:serviceaccounts:kube-system"]` hides every kube-system service account, `namespaces:
["kube-system"]` hides reads of the secrets kept there. The GKE and EKS policies drop only
(user, verb, resource) tuples they have measured as noisy and harmless (kube-proxy watching
endpoints, nodes getting their own status), never an identity or a namespace as a whole. CIS
Kubernetes Benchmark 3.2.2 asks that the policy cover access to secrets and changes to pods.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    userGroups: ["system:serviceaccounts:kube-system"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    userGroups: ["system:serviceaccounts:kube-system"]
    verbs: ["get", "list", "watch"]
    resources:
      - group: coordination.k8s.io
        resources: ["leases"]
      - group: ""
        resources: ["endpoints"]
  - level: Metadata
```

## Fix
Add the verbs and resources that make the noise (from an audit log: `kube-audit-lint replay`
counts requests per rule), so that the rule drops those requests and nothing else.

## References
- kube-apiserver: `pkg/audit/policy/checker.go` (`EvaluatePolicyRule`: the first matching rule decides)
- GKE/GCE policy: `kubernetes/kubernetes cluster/gce/gci/configure-helper.sh` (`create-master-audit-policy`)
- CIS Kubernetes Benchmark 3.2.2 (the policy covers key security concerns)
"""

from __future__ import annotations

from kube_audit_lint.policy.model import Level

CODE = "KAL014"
NAME = "blanket-drop"
SEVERITY = "warning"
CATEGORY = "security"
GROUPED_BY = "deciding-rule"  # findings caused by the same rule (or by no rule) are one problem


def check(ctx):
    for rule in ctx.policy.rules:
        if rule.level_value is not Level.NONE or rule.verbs or rule.resources or rule.non_resource_urls:
            continue
        whom = selected(rule)
        if not whom:
            continue
        field = "namespaces" if rule.namespaces and not (rule.users or rule.user_groups) else (
            "users" if rule.users else "userGroups")
        if rule.users or rule.user_groups:
            consequence = "whatever the verb or resource: a misuse of these credentials leaves no trace"
        else:
            consequence = "whoever sends it and whatever the verb or resource"
        message = f"rule {rule.index} drops every request {whom}, {consequence}"
        yield ctx.finding(("rules", rule.index, field), message, subject=f"blanket drop {whom}",
                          fix="add the verbs and resources that make the noise, so the rule drops only those")


def selected(rule) -> str:
    parts = []
    if rule.users:
        parts.append("by " + ", ".join(rule.users))
    if rule.user_groups:
        parts.append("by members of " + ", ".join(rule.user_groups))
    if rule.namespaces:
        names = ", ".join(f'"{n}"' if n == "" else n for n in rule.namespaces)
        parts.append(f"in namespace{'s' if len(rule.namespaces) > 1 else ''} {names}")
    return " ".join(parts)
