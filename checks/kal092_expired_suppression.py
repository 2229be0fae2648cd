"""A suppression's `until=` date has passed: it no longer suppresses.

## What it does
Reports a `# kube-audit-lint: disable=... until=YYYY-MM-DD` comment whose date is before today. A
suppression applies up to and including its `until` day; afterwards the finding it suppressed is
reported again, as usual, and this finding says why. It runs on each file after the other checks
(`SCOPE = "findings"`), as the other checks about suppressions do.

## Why is this bad?
A dated waiver is a promise to fix something by then. When the day passes the finding comes back
and the run may fail; this finding points at the comment so the reviewer sees it was a waiver that
ran out, not a new problem. Trivy's `exp:` and Kubescape's `skip-expiry` work the same way.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    resources:
      # kube-audit-lint: disable=rule-never-matches until=2024-06-30 -- 1.24 clusters retire in June
      - group: policy
        resources: ["podsecuritypolicies"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    resources:
      - group: ""
        resources: ["events"]
  - level: Metadata
```

## Fix
Fix the finding and remove the comment; or, deliberately, renew the waiver with a new date and the
reason it is still needed.

## References
- Trivy inline ignores with expiry (`#trivy:ignore:ID:exp:2024-03-10`): https://trivy.dev/latest/docs/scanner/misconfiguration/config/config/
"""

from __future__ import annotations

from typing import Iterator

from kube_audit_lint.api import Finding, FindingsContext
from kube_audit_lint.checks._suppression_helpers import readable

CODE = "KAL092"
NAME = "expired-suppression"
SEVERITY = "warning"
CATEGORY = "suppression"
PRECISION = "very-high"
SCOPE = "findings"  # judges the findings of the other checks: once per file, after them


def check(ctx: FindingsContext) -> Iterator[Finding]:
    for directive in readable(ctx):
        if directive.until is None or not directive.expired(ctx.today):
            continue
        what = ", ".join(entry.written for entry in directive.entries) or "every check in this file"
        reason = f" (reason given: {directive.reason})" if directive.reason else ""
        yield ctx.finding(
            directive.location,
            f"suppression expired on {directive.until.isoformat()}: {what} is reported again{reason}",
            subject=f"expired suppression of {what}",
            fix="fix the finding, or renew the suppression with a new date and reason",
        )
