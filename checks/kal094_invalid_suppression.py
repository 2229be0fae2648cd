"""A `kube-audit-lint:` comment cannot be read, so it suppresses nothing.

## What it does
Reports a comment starting `# kube-audit-lint:` that is not `disable=CHECKS`, `disable-file` or
`disable-file=CHECKS`, optionally followed by `until=YYYY-MM-DD` and `-- reason`: an unknown
directive (`disable-line`, `ignore`, `noqa`), `disable` without checks, a date that is not
`YYYY-MM-DD`, or words before the `--` of the reason. It runs on each file after the other checks
(`SCOPE = "findings"`), as the other checks about suppressions do.

## Why is this bad?
The author meant to waive a finding and believes it is waived; the finding is still reported, and
without this note the comment looks correct at a glance. Habits from other linters (yamllint's
`disable-line`, hadolint's `ignore=`) are the usual cause.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    resources:
      # kube-audit-lint: disable-line=rule-never-matches -- also deployed to 1.24 clusters
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
      # kube-audit-lint: disable=rule-never-matches -- also deployed to 1.24 clusters
      - group: policy
        resources: ["podsecuritypolicies"]
  - level: Metadata
```

## Fix
Write `# kube-audit-lint: disable=CHECK[,CHECK...] [until=YYYY-MM-DD] -- reason` on the line or
on the line above, or `# kube-audit-lint: disable-file[=CHECK,...] -- reason` anywhere in the file.

## References
- yamllint `disable-line` (a different syntax): https://yamllint.readthedocs.io/en/stable/disable_with_comments.html
"""

from __future__ import annotations

from typing import Iterator

from kube_audit_lint.api import Finding, FindingsContext

CODE = "KAL094"
NAME = "invalid-suppression"
SEVERITY = "warning"
CATEGORY = "suppression"
PRECISION = "very-high"
SCOPE = "findings"  # judges the findings of the other checks: once per file, after them


def check(ctx: FindingsContext) -> Iterator[Finding]:
    for directive in ctx.directives:
        if directive.problem:
            yield ctx.finding(
                directive.location, f"invalid suppression: {directive.problem}",
                subject=f"invalid suppression: {directive.problem}",
                fix="write '# kube-audit-lint: disable=CHECK[,CHECK] [until=YYYY-MM-DD] -- reason'",
            )
