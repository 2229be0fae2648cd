"""The policy does not meet an expectation of the baseline it is held to (by default: recommended).

## What it does
Evaluates every expectation of the configured baseline (`lint --baseline NAME|FILE`, or
`baseline` in the configuration; `recommended` when none is set) over every request the
expectation selects, with kube-apiserver's first-match semantics, and reports each rule (or the
absence of a matching rule) that gives some of those requests a level outside the expectation's
bound, or omits a stage the expectation needs kept: one finding per responsible rule, listing
every expectation it leaves unmet, each with its level, an example request and its reference.
The finding's severity is the highest of those expectations'. Its subject is `BASELINE:IDS`
(for instance `cis:secrets-metadata-only`); fingerprints are built from it, so an
accepted-findings entry accepts exactly that set of unmet expectations on that rule.

Built-in baselines: `recommended` (what detections and audit frameworks need beyond the other
checks: request bodies of pod, workload, service and ingress changes, response bodies of RBAC
changes, 401 and anonymous requests not dropped by rules meant for something else, ...),
`cis` (CIS Kubernetes Benchmark 3.2.2, literally), `gke` (the GCE/GKE policy's guarantees) and
`eks` (the EKS best-practices policy's). A baseline file of your own uses the same format
(`baselines/schema/baseline.schema.json`).

## Why is this bad?
A policy is written once and trusted for years; what it must record comes from outside it: a
benchmark (CIS 3.2.2: pods/exec, pods/portforward, pods/proxy and services/proxy logged;
secrets, config maps and token reviews at Metadata only), the detections that read the log
(Falco's Attach/Exec Pod rule reads the ResponseStarted event; privileged-pod rules read the
request object, which Metadata does not record) or a platform's reference policy. Scanners that
look for resource names in the file miss rule order, wildcards and catch-alls; this check
evaluates the policy as the apiserver does, so an earlier rule that shadows the intended one is
found, with the request that proves it.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps", "serviceaccounts/token"]
      - group: authentication.k8s.io
        resources: ["tokenreviews"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps", "serviceaccounts/token"]
      - group: authentication.k8s.io
        resources: ["tokenreviews"]
  - level: Request
    verbs: ["get", "list", "watch"]
  - level: RequestResponse
    verbs: ["create", "update", "patch"]
  - level: Metadata
```

## Fix
Add a rule for the requests named in the message before the rule responsible, at a level within
the bound (or narrow the rule responsible); for a stage, remove it from `omitStages` for those
requests. If the expectation does not apply to your cluster, suppress it by its subject with a
reason, or hold the policy to another baseline.

## References
- CIS Kubernetes Benchmark 3.2.1 and 3.2.2 (remediation text as transcribed in aquasecurity/kube-bench `cfg/cis-1.12/controlplane.yaml`)
- kubernetes/kubernetes `cluster/gce/gci/configure-helper.sh` (`create-master-audit-policy`): the GCE/GKE policy
- aws/aws-eks-best-practices `latest/bpg/security/detective.adoc`: the EKS policy and its CloudWatch queries
- falcosecurity/plugins `plugins/k8saudit/rules/k8s_audit_rules.yaml` (Attach/Exec Pod reads `stage=ResponseStarted`)
- elastic/detection-rules `rules/integrations/kubernetes/`
- NSA/CISA Kubernetes Hardening Guidance, "Log auditing"; PCI DSS v4.0 requirement 10.2.1
"""

from __future__ import annotations

from kube_audit_lint.lint.baseline import (
    DEFAULT_BASELINE, load_baseline, unmet_expectations, violation_fix, violation_message,
)

CODE = "KAL050"
NAME = "baseline-expectation-unmet"
SEVERITY = "warning"  # each finding carries its expectation's own severity
CATEGORY = "security"
GROUPED_BY = "deciding-rule"  # findings caused by the same rule (or by no rule) are one problem
# The baseline is this check's option "baseline" when set, else the run's (``lint --baseline`` or the
# configuration's ``baseline``), else recommended.


def check(ctx):
    if not ctx.verdict.accepted:
        return  # kube-apiserver would not start with this policy: there is no logging to hold to a baseline
    baseline = load_baseline(ctx.option("baseline") or ctx.baseline or DEFAULT_BASELINE)
    by_rule: dict[int | None, list] = {}
    for violation in unmet_expectations(ctx.policy, baseline, ctx.kube_version, space=ctx.space):
        by_rule.setdefault(violation.rule, []).append(violation)
    for rule, violations in by_rule.items():
        yield rule_finding(ctx, baseline.name, rule, violations)


def rule_finding(ctx, baseline_name: str, rule: int | None, violations: list):
    """One finding per responsible rule (or for the requests no rule matches), listing every
    expectation of the baseline that rule leaves unmet."""
    first = violations[0]
    if len(violations) == 1:
        message = violation_message(first, baseline_name, ctx.policy)
    else:
        who = ctx.policy.rule_ref(rule) if rule is not None else "requests that match no rule"
        message = (f"{who} leaves {len(violations)} expectations of baseline {baseline_name} unmet: "
                   + ", ".join(v.expectation.title for v in violations))
        message += "".join(f"\n- {violation_message(v, baseline_name, ctx.policy)}" for v in violations)
    return ctx.finding(
        ("rules", rule) if rule is not None else ("rules",),
        message,
        rule_index=rule,
        witness=first.witness,
        fix=violation_fix(first, ctx.policy),
        subject=f"{baseline_name}:{','.join(sorted(v.expectation.id for v in violations))}",
        severity=max(v.expectation.severity for v in violations),
        key=rule is None,
    )
