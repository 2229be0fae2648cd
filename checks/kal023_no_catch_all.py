"""Some requests match no rule, so they are not logged at all.

## What it does
Looks for requests that no rule matches: kube-apiserver gives them level `None`. It asks in turn
about requests by authenticated users, by the anonymous user, and requests that failed
authentication (HTTP 401), and reports the first kind with a gap, with an example request. The
last kind catches a subtle case: a request that fails authentication has no user at all, so a
rule with `users` or `userGroups` (even `userGroups: ["system:unauthenticated"]`) never matches
it; only a rule without them can. The message names the security-relevant requests (the classes
of security-event-not-logged) that are lost this way.

## Why is this bad?
"If no rule matches, the request is not logged" (the default level is `None`,
`k8s.io/apiserver pkg/audit/policy/checker.go`). A policy that lists what to log, without a final
rule for everything else, silently drops every request its author did not think of: new APIs,
CRDs, and most of what an attacker does. GKE and EKS end with `- level: Metadata`, and the CIS
Kubernetes Benchmark (3.2.2) recommends "minimally logging at the Metadata level" for most
requests. The NSA/CISA hardening guidance asks that failed and anonymous requests be recorded.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["pods"]
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["pods"]
  - level: Metadata
```

## Fix
End the policy with a catch-all rule without `users` or `userGroups`, e.g. `- level: Metadata`.

## References
- kube-apiserver: `k8s.io/apiserver pkg/audit/policy/checker.go` (`DefaultAuditLevel` is None; rules with users or userGroups never match a request without a user)
- kube-apiserver: `k8s.io/apiserver pkg/endpoints/filters/authn_audit.go` (failed authentication is audited with the same policy)
- CIS Kubernetes Benchmark 3.2.2
- GKE/GCE audit policy: `kubernetes/kubernetes cluster/gce/gci/configure-helper.sh` ("Default level for all other requests")
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import (
    ANONYMOUS, AUTHENTICATED, NO_USER, outcomes, security_drops, titles,
)
from kube_audit_lint.engine.space import Selector

CODE = "KAL023"
NAME = "no-catch-all"
SEVERITY = "warning"
CATEGORY = "security"
GROUPED_BY = "deciding-rule"  # findings caused by the same rule (or by no rule) are one problem

FIX = "end the policy with a catch-all rule without users or userGroups, e.g. `- level: Metadata`"

SENDERS = (
    (AUTHENTICATED, "the policy has no rule for everything else, and kube-apiserver's default level is None"),
    (ANONYMOUS, "anonymous requests fall through every rule, and kube-apiserver's default level is None"),
    (NO_USER,
     "a request that fails authentication (HTTP 401) has no user, so only rules without users and "
     "userGroups can match it, and none does"),
)


def check(ctx):
    if not ctx.policy.rules:
        return  # no rule at all: kube-apiserver refuses the policy (invalid-policy), nothing to add
    for sender, reason in SENDERS:
        unmatched = [o for o in outcomes(ctx, Selector(), senders=(sender,)) if o.rule is None]
        if unmatched:
            witness = unmatched[0].witness
            lost = security_drops(ctx).get(None, []) if sender == AUTHENTICATED else []
            if lost:
                witness = lost[0][1].witness
                reason += f"; {titles(c for c, _ in lost)} {'are' if len(lost) > 1 else 'is'} lost this way"
            yield ctx.finding(
                ("rules",),
                f"{witness.describe()} matches no rule, so it is not logged: {reason}",
                witness=witness,
                fix=FIX,
                subject=f"no catch-all for {sender}",
                key=True,
            )
            return
