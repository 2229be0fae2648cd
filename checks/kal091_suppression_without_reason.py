"""A suppression comment gives no reason after `--`.

## What it does
Reports a `# kube-audit-lint: disable=...` or `disable-file` comment that has no `-- reason`. A
note by default; an error when the configuration sets `require-reasons = true`. The suppression
itself still applies. This finding is made by the suppression pass that runs after every check
(`linter/suppressions.py`), not by `check()`, which yields nothing.

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

CODE = "KAL091"
NAME = "suppression-without-reason"
SEVERITY = "note"
CATEGORY = "suppression"
PRECISION = "very-high"


def check(ctx):
    """Nothing here: linter.suppressions reports this after every check has run."""
    yield from ()
