"""Failed authentication (HTTP 401) or anonymous requests are never logged.

## What it does
Asks what the policy logs of two kinds of requests: requests whose authentication failed (HTTP
401), which reach the policy with no user at all, and anonymous requests (`system:anonymous`,
group `system:unauthenticated`). When a `None` rule drops every request of a kind, it reports the
rule, with an example request. (When such requests match no rule at all, no-catch-all reports
it.) The usual cause is a catch-all at `None`, or a last logging rule scoped with `userGroups`:
a request that failed authentication has no user, so only rules without `users` and
`userGroups` can match it.

## Why is this bad?
Failed and anonymous requests are what a credential-guessing or scanning attacker produces, and
often the first sign of one. kube-apiserver audits failed authentication with the same policy
(`WithFailedAuthenticationAudit`), so the policy decides whether they are seen. The NSA/CISA
hardening guidance asks that "logging policies should still record actions taken by anonymous
accounts"; the EKS best practices alert on 401 spikes; PCI DSS v4.0 10.2.1.4 requires "invalid
logical access attempts" to be logged; Falco's "Anonymous Request Allowed" and Elastic's
anonymous-request rules need the events.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    userGroups: ["system:authenticated"]
  - level: None
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
End the policy with a catch-all that logs, without `users` or `userGroups`: `- level: Metadata`.

## References
- kube-apiserver: `k8s.io/apiserver pkg/endpoints/filters/authn_audit.go` (failed authentication is audited), `pkg/audit/policy/checker.go` (rules with users or userGroups never match a request without a user)
- NSA/CISA Kubernetes Hardening Guidance, "Log auditing"
- PCI DSS v4.0 requirement 10.2.1.4
- AWS EKS Best Practices, detective controls (alarms on 401 and 403 responses)
- Falco k8saudit rule "Anonymous Request Allowed"
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import (
    ANONYMOUS, NO_USER, level_path, outcomes, rule_subject,
)
from kube_audit_lint.engine.space import Selector
from kube_audit_lint.policy.model import Level

CODE = "KAL029"
NAME = "unauthenticated-not-logged"
SEVERITY = "warning"
CATEGORY = "security"
GROUPED_BY = "deciding-rule"  # findings caused by the same rule (or by no rule) are one problem

KINDS = (
    (NO_USER, "requests that fail authentication (HTTP 401)"),
    (ANONYMOUS, "anonymous requests"),
)


def check(ctx):
    dropped: dict[int | None, list] = {}
    for sender, label in KINDS:
        found = outcomes(ctx, Selector(), senders=(sender,))
        if not found or any(o.level is not Level.NONE for o in found):
            continue  # some of them are logged
        last = found[-1]  # the rule that drops what no earlier drop rule took (None: no rule matches)
        dropped.setdefault(last.rule, []).append((label, last))
    for rule, kinds in dropped.items():
        labels = " and ".join(label for label, _ in kinds)
        witness = kinds[0][1].witness
        if rule is None:
            where = "no rule matches them (default level None) and no rule logs any"
        else:
            where = f"{ctx.policy.rule_ref(rule)} drops them and no earlier rule logs any"
        yield ctx.finding(
            level_path(rule) if rule is not None else ("rules",),
            f"{labels} are never logged: {where} (e.g. {witness.describe()})",
            key=rule is None,
            rule_index=rule,
            witness=witness,
            fix="end the policy with a catch-all that logs, without users or userGroups: `- level: Metadata`",
            subject=f"{labels} dropped by {rule_subject(ctx.policy, rule) if rule is not None else 'no rule'}",
        )
