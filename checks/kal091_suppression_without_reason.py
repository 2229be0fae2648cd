"""A suppression comment gives no reason after `--`.

## What it does
Reports a `# kube-audit-lint: disable=...` or `disable-file` comment that has no `-- reason`. A
note by default; an error when the configuration sets `require-reasons = true` (a severity the
configuration sets for this check still wins, as for every check). The suppression itself still
applies. It runs on each file after the other checks (`SCOPE = "findings"`), as the other checks
about suppressions do.

## Why is this bad?
An audit policy is a security control: each waived finding is an exception an auditor will ask
about. The reason, kept next to the waiver, is the answer; it is also carried into SARIF as the
suppression's `justification`, which GitHub code scanning shows. Checkov and Trivy record such
statements for the same purpose.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    resources:
      - group: policy
        resources: ["podsecuritypolicies"]  # kube-audit-lint: disable=rule-never-matches
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    resources:
      # kube-audit-lint: disable=rule-never-matches -- also deployed to 1.24 clusters until OPS-12
      - group: policy
        resources: ["podsecuritypolicies"]
  - level: Metadata
```

## Fix
Add ` -- ` and the reason after the checks (and `until=YYYY-MM-DD` before it when the waiver is
temporary).

## References
- Checkov suppression comments: https://www.checkov.io/2.Basics/Suppressing%20and%20Skipping%20Policies.html
- SARIF 2.1.0 §3.34 suppression object, `justification`
"""

from __future__ import annotations

from typing import Iterator

from kube_audit_lint.api import Finding, FindingsContext, Severity
from kube_audit_lint.checks._suppression_helpers import readable

CODE = "KAL091"
NAME = "suppression-without-reason"
SEVERITY = "note"
CATEGORY = "suppression"
PRECISION = "very-high"
SCOPE = "findings"  # judges the findings of the other checks: once per file, after them


def check(ctx: FindingsContext) -> Iterator[Finding]:
    required = " (required by require-reasons)" if ctx.require_reasons else ""
    for directive in readable(ctx):
        if not directive.reason:
            yield ctx.finding(
                directive.location, f"suppression without a reason{required}: add '-- why' after the checks",
                subject="suppression without a reason", fix="add ' -- <why this finding is acceptable here>'",
                severity=Severity.ERROR if ctx.require_reasons else None,
            )
