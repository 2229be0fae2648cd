"""The policy does not meet an expectation of the baseline it is held to (by default: recommended).

## What it does
Evaluates every expectation of the configured baseline (`lint --baseline NAME|FILE`, or
`baseline` in the configuration; `recommended` when none is set) over every request the
expectation selects, with kube-apiserver's first-match semantics, and reports each rule (or the
absence of a matching rule) that gives some of those requests a level outside the expectation's
bound, or omits a stage the expectation needs kept. The message names the rule, the level, an
example request and the expectation. The finding's subject is `BASELINE:ID` (for instance
`cis:secrets-metadata-only`); fingerprints are built from it, so an accepted-findings file
accepts one expectation on a rule, not every expectation that rule misses.

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

CODE = "KAL050"
NAME = "baseline-expectation-unmet"
SEVERITY = "warning"  # each finding carries its expectation's own severity
# The baseline comes from ``lint --baseline`` or the configuration (option "baseline"); no default
# here, so that the configured one is not masked: recommended when none is configured.


def check(ctx):
    from kube_audit_lint.lint.baseline import DEFAULT_BASELINE, load_baseline, unmet_expectations, violation_fix, violation_message

    if not ctx.verdict.accepted:
        return  # kube-apiserver would not load the policy: invalid-policy says why
    baseline = load_baseline(ctx.option("baseline") or DEFAULT_BASELINE)
    for violation in unmet_expectations(ctx.policy, baseline, ctx.kube_version, space=ctx.space):
        at_rule = violation.rule is not None
        yield ctx.finding(
            ("rules", violation.rule) if at_rule else ("rules",),
            violation_message(violation, baseline.name, ctx.policy),
            rule_index=violation.rule,
            witness=violation.witness,
            fix=violation_fix(violation, ctx.policy),
            subject=f"{baseline.name}:{violation.expectation.id}",
            severity=violation.expectation.severity,
            key=not at_rule,
        )
