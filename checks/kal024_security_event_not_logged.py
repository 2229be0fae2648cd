"""Requests a security review needs (exec, Secrets, RBAC changes, ...) are not logged for some user.

## What it does
Takes the classes of security-relevant requests kept in `linter/data/security-events.yaml` and
asks, for each, whether some request in it by an authenticated user resolves to level `None`:
dropped by a `None` rule (often one scoped to a user or verb for noise reasons) or matched by no
rule. It reports one finding per responsible `None` rule, naming every class the rule drops, with an
example request from the first. The classes:

- exec into, attach to and port-forward to a container (`pods/exec`, `pods/attach`,
  `pods/portforward`), with both verbs `get` and `create`: kubectl 1.30 and later opens these
  with `get` over WebSocket, so a rule written for `create` misses them;
- ephemeral containers (`pods/ephemeralcontainers`), `pods/proxy`, `services/proxy`, `nodes/proxy`;
- access to Secrets; changes to Pods and Deployments;
- changes to roles and role bindings; TokenRequests (`serviceaccounts/token`); changes to
  admission webhooks and policies; changes to CustomResourceDefinitions; certificate signing
  requests and their approval;
- deletion of Events.

Requests that match no rule are no-catch-all's to report (it names the classes lost). Drops
scoped to `system:apiserver` are left alone: that is kube-apiserver's loopback client, whose
credential never leaves the process. Option `ignore_classes` takes class ids (`pod-exec`,
`secrets-access`, `events-deleted`, ...) whose loss is accepted.

Impersonation is not a class of its own: the policy sees the impersonating user (the audit filter
runs before impersonation), so an impersonated request is dropped exactly when its impersonator's
requests are; blanket-drop reports rules that drop everything a user does.

## Why is this bad?
These are the events incident response and detection tools look for: the CIS Kubernetes
Benchmark (3.2.2) asks for Secrets access, Pod and Deployment changes and `pods/exec`,
`pods/portforward`, `pods/proxy`, `services/proxy`; the EKS best practices query RBAC and webhook
changes; Falco's and Elastic's Kubernetes rules read exec, ephemeral containers, token requests,
CSRs, `nodes/proxy` and Event deletion. When the policy drops them, an attacker's steps leave no
trace. Drop rules meant to cut noise are the usual cause: a `None` rule for all reads of one
service account also drops its Secret reads.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    verbs: ["get", "list", "watch"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
    resources:
      - group: ""
        resources: ["endpoints", "services"]
  - level: Metadata
```

## Fix
Scope the reported `None` rule to the (user, verb, resource) tuples that are really noise, as GKE
does, or log the classes at least at `Metadata` in a rule placed before it.

## References
- CIS Kubernetes Benchmark 3.2.2 "Ensure that the audit policy covers key security concerns"
- AWS EKS Best Practices, detective controls (queries for RBAC, webhook and Secret access)
- Falco k8saudit rules (`falcosecurity/plugins plugins/k8saudit/rules/k8s_audit_rules.yaml`)
- Elastic detection rules (`elastic/detection-rules rules/integrations/kubernetes/`)
- kubectl 1.30 WebSocket exec: kubernetes/kubectl#1761
"""

from __future__ import annotations

from kube_audit_lint.checks._request_space import level_path, rule_subject, security_drops, titles

CODE = "KAL024"
NAME = "security-event-not-logged"
SEVERITY = "warning"
CATEGORY = "security"
GROUPED_BY = "deciding-rule"  # findings caused by the same rule (or by no rule) are one problem
OPTIONS = {"ignore_classes": []}


def check(ctx):
    ignored = set(ctx.option("ignore_classes") or ())
    for rule, drops in security_drops(ctx).items():
        drops = [(c, o) for c, o in drops if c.id not in ignored]
        if drops:
            yield finding(ctx, rule, drops)


def finding(ctx, rule, drops):
    (first, outcome), others = drops[0], [c for c, _ in drops[1:]]
    witness = outcome.witness
    if rule is None:
        return unmatched_finding(ctx, drops)
    message = f"not logged: {first.title}: {witness.describe()} is dropped by {ctx.policy.rule_ref(rule)}"
    note = first.verb_notes.get(witness.verb)
    if note:
        message += f" ({note})"
    message += f"; {first.why}" if not others else f"; also not logged: {titles(others)}"
    return ctx.finding(
        level_path(rule),
        message,
        witness=witness,
        fix=f"scope {ctx.policy.rule_ref(rule)} to the (user, verb, resource) tuples that are really noise, "
            f"or log {first.title} at Metadata in a rule placed before it",
        subject=f"{', '.join(c.id for c, _ in drops)} dropped by {rule_subject(ctx.policy, rule)}",
    )


def unmatched_finding(ctx, drops):
    """Security-relevant requests that no rule matches: kube-apiserver's default level is None."""
    (first, outcome), others = drops[0], [c for c, _ in drops[1:]]
    witness = outcome.witness
    message = f"not logged: {first.title}: {witness.describe()} matches no rule (default level None)"
    message += f"; {first.why}" if not others else f"; also not logged: {titles(others)}"
    return ctx.finding(
        ("rules",),
        message,
        key=True,
        rule_index=None,
        witness=witness,
        fix=f"log {first.title} in a rule (e.g. at Metadata), or end the policy with `- level: Metadata`",
        subject=f"{', '.join(c.id for c, _ in drops)} matched by no rule",
    )
