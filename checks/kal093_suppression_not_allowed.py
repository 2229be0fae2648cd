"""A suppression names a check that cannot be suppressed by a comment; the finding stays.

## What it does
Reports a suppression comment that names a check listed in the configuration's
`non-suppressible`, or one of the checks about suppressions themselves (KAL090-KAL094), and a
`disable-file` that met a finding of such a check. The finding the comment aimed at is reported as
usual. This finding is made by the suppression pass that runs after every check
(`linter/suppressions.py`), not by `check()`, which yields nothing.

## Why is this bad?
Some findings are not for an author to waive in the file under review: a team may decide that a
policy kube-apiserver refuses, or one that logs Secret payloads, is never acceptable
(`non-suppressible = ["invalid-policy", "sensitive-body-captured"]`), as tflint's
`ignorable = false` and hadolint's `--disable-ignore-pragma` allow. The comment does nothing; left
in place it tells the next reader the opposite.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
# kube-audit-lint: disable-file=suppression-without-reason
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
Fix the finding and remove the comment. A check about suppressions is turned off or down in the
configuration (`ignore`, `severity`), where the whole team sees it.

## References
- tflint `ignorable` rule attribute; hadolint `--disable-ignore-pragma`
"""

CODE = "KAL093"
NAME = "suppression-not-allowed"
SEVERITY = "warning"
CATEGORY = "suppression"


def check(ctx):
    """Nothing here: linter.suppressions reports this after every check has run."""
    yield from ()
