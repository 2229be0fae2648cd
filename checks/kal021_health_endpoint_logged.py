"""Health and version probes (`/healthz`, `/livez`, `/readyz`, `/version`) are logged.

## What it does
Asks at which level the policy logs `get` requests to the health and version endpoints
(`/healthz`, `/livez`, `/readyz`, each with its sub-checks such as `/livez/etcd`, and `/version`
by default; option `paths`, written like `nonResourceURLs`) sent by any user, authenticated or
anonymous, and reports each rule that logs some of them, with an example request. It catches the
usual near misses: `/healthz` written without `*` leaves `/healthz/etcd` and `/healthz/ping`
logged; a drop rule for `/healthz*` alone leaves `/livez` and `/readyz`, which load balancers and
kubelets probe today.

## Why is this bad?
Load balancers, kubelets and monitoring probe these endpoints every few seconds on every
apiserver. The events say nothing about who did what, yet they can outnumber every other event
and cost real money where logs are billed (CloudWatch, Cloud Logging). GKE and EKS drop
`/healthz*` and `/version`; OpenShift drops `/healthz`, `/livez`, `/readyz` and `/version`.
Requests that fail authentication are a different matter: see unauthenticated-not-logged.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/version"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
  - level: Metadata
```

## Fix
Drop the probes first: `- level: None` with
`nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]` and no `users` or
`userGroups`, placed before the reported rule.

## References
- GKE/GCE audit policy: `kubernetes/kubernetes cluster/gce/gci/configure-helper.sh` ("Don't log these read-only URLs")
- AWS EKS Best Practices, detective controls (the EKS audit policy)
- OpenShift `openshift/library-go pkg/operator/apiserver/audit/manifests/base-policy.yaml`
- https://kubernetes.io/docs/reference/using-api/health-checks/
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import ANY_USER, level_path, outcomes, rule_subject
from kube_audit_lint.engine.evaluate import path_matches
from kube_audit_lint.engine.space import Selector
from kube_audit_lint.policy.model import Level

CODE = "KAL021"
NAME = "health-endpoint-logged"
SEVERITY = "warning"
CATEGORY = "cost"
GROUPED_BY = "deciding-rule"  # findings caused by the same rule (or by no rule) are one problem
OPTIONS = {"paths": ["/healthz", "/healthz/*", "/livez", "/livez/*", "/readyz", "/readyz/*", "/version"]}

# Real sub-checks: named in the question so that an example request is one a probe really sends.
SUB_CHECKS = ("/healthz/etcd", "/livez/etcd", "/readyz/etcd", "/healthz/ping", "/livez/ping", "/readyz/ping")


def check(ctx):
    paths = tuple(ctx.option("paths") or ())
    if not paths:
        return
    examples = tuple(p for p in SUB_CHECKS if any(path_matches(p, spec) for spec in paths))
    probes = Selector(verbs=("get",), non_resource_urls=paths + examples)
    for outcome in outcomes(ctx, probes, senders=ANY_USER):
        if outcome.level is Level.NONE:
            continue
        yield ctx.finding(
            level_path(outcome.rule),
            f"{outcome.witness.describe()} is logged at {outcome.level.wire} by "
            f"{ctx.policy.rule_ref(outcome.rule)}: health and version probes arrive every few seconds "
            "and record nothing a review needs" + exact_path_hint(ctx.policy, outcome.witness.path),
            witness=outcome.witness,
            fix=f"add `- level: None` with `nonResourceURLs: [{', '.join(fix_paths(paths))}]` before "
                f"{ctx.policy.rule_ref(outcome.rule)}",
            subject=f"health probes logged by {rule_subject(ctx.policy, outcome.rule)}",
        )


def fix_paths(paths: tuple[str, ...]) -> list[str]:
    """The shortest nonResourceURLs that drop ``paths``: ``/livez`` and ``/livez/*`` become ``/livez*``."""
    out = []
    for path in paths:
        if path.endswith("/*") and path[:-2] in out:
            out[out.index(path[:-2])] = path[:-2] + "*"
        elif path not in out:
            out.append(path)
    return out


def exact_path_hint(policy, path: str) -> str:
    """Why a sub-check escapes a drop rule that names its endpoint without ``*``."""
    endpoint = "/" + path.split("/")[1]
    if endpoint == path or not any(endpoint in rule.non_resource_urls for rule in policy.rules):
        return ""
    return f" (`{endpoint}` without `*` matches only that exact path, not `{path}`)"
