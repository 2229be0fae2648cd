"""kube-apiserver refuses to load this policy, so it does not start.

## What it does
Reports everything kube-apiserver's policy reader and validator refuse, with the apiserver's own
wording and field path: an apiVersion other than `audit.k8s.io/v1` (v1beta1 and v1alpha1 were
removed in Kubernetes 1.24), a kind other than `Policy`, a value of the wrong type, a missing or
unknown `level`, an unknown stage in `omitStages`, a non-resource URL that does not start with `/`
or has a `*` before its end, a rule that mixes `nonResourceURLs` with `resources` or `namespaces`,
a `group` that is not a DNS subdomain (`apps/v1`), `group: "*"` before Kubernetes 1.36,
`resourceNames` without `resources`, and a policy with no rules. A file whose first YAML document
is not the policy is reported too: the apiserver reads only the first document.

On a release that still reads a deprecated apiVersion (`audit.k8s.io/v1beta1` before 1.24) the
deprecation is reported as a warning.

## Why is this bad?
kube-apiserver loads the policy once at start-up (`k8s.io/apiserver pkg/audit/policy/reader.go`
`LoadPolicyFromBytes`, then `pkg/apis/audit/validation/validation.go` `ValidatePolicy`); any error
is fatal (`pkg/server/options/audit.go`: "loading audit policy file"), so the control plane does
not come up. Upgrading to 1.24 with a `v1beta1` policy is a well-known way to break a cluster
(rancher/rke2#3813).

## Example
```yaml
apiVersion: audit.k8s.io/v1beta1
kind: Policy
rules:
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: Metadata
```

## Fix
Do what the message says: use `apiVersion: audit.k8s.io/v1`, one of the levels `None`,
`Metadata`, `Request`, `RequestResponse`, the stages `RequestReceived`, `ResponseStarted`,
`ResponseComplete`, `Panic`, a bare API group (`apps`, not `apps/v1`), and keep non-resource and
resource rules apart.

## References
- kube-apiserver: `pkg/audit/policy/reader.go` (`LoadPolicyFromBytes`), `pkg/apis/audit/validation/validation.go`
- Kubernetes 1.24 release notes: audit.k8s.io/v1alpha1 and v1beta1 removed
- https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy
"""

from __future__ import annotations

from dataclasses import replace

from kube_audit_lint.findings import Location, Severity

CODE = "KAL001"
NAME = "invalid-policy"
SEVERITY = "error"
CATEGORY = "correctness"
PRECISION = "very-high"

FIXES = {
    "version": "use apiVersion: audit.k8s.io/v1 and kind: Policy",
    "rules": "add at least one rule; the usual last rule is `- level: Metadata`",
}


def check(ctx):
    problems = list(ctx.verdict.errors)
    problems += [p for p in ctx.verdict.warnings if p.kind == "version"]
    for problem in problems:
        finding = ctx.finding(
            problem.path,
            problem.render() + (f" ({problem.hint})" if problem.hint else ""),
            fix=FIXES.get(problem.kind),
            subject=f"{problem.kind}: {problem.render()}",
            severity=None if problem.error else Severity.WARNING,
        )
        yield at_span(finding, problem.span)


def at_span(finding, span):
    """The problem knows its exact token (the root for a missing field); keep that position."""
    location = finding.location
    return replace(finding, location=Location(location.path, span.line, span.column, span.end_line, span.end_column))
