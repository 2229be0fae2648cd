"""A `kube-audit-lint:` comment cannot be read, so it suppresses nothing.

## What it does
Reports a comment starting `# kube-audit-lint:` that is not `disable=CHECKS`, `disable-file` or
`disable-file=CHECKS`, optionally followed by `until=YYYY-MM-DD` and `-- reason`: an unknown
directive (`disable-line`, `ignore`, `noqa`), `disable` without checks, a date that is not
`YYYY-MM-DD`, or words before the `--` of the reason. This finding is made by the suppression
pass that runs after every check (`linter/suppressions.py`), not by `check()`, which yields nothing.

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

CODE = "KAL094"
NAME = "invalid-suppression"
SEVERITY = "warning"
CATEGORY = "suppression"
PRECISION = "very-high"


def check(ctx):
    """Nothing here: linter.suppressions reports this after every check has run."""
    yield from ()
