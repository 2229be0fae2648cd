"""A suppression's `until=` date has passed: it no longer suppresses.

## What it does
Reports a `# kube-audit-lint: disable=... until=YYYY-MM-DD` comment whose date is before today. A
suppression applies up to and including its `until` day; afterwards the finding it suppressed is
reported again, as usual, and this finding says why. This finding is made by the suppression pass
that runs after every check (`linter/suppressions.py`), not by `check()`, which yields nothing.

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

CODE = "KAL092"
NAME = "expired-suppression"
SEVERITY = "warning"
CATEGORY = "suppression"
PRECISION = "very-high"


def check(ctx):
    """Nothing here: linter.suppressions reports this after every check has run."""
    yield from ()
