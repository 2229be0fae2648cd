"""A suppression comment suppresses nothing: the finding is gone, or the check is misnamed.

## What it does
Reports each check named in a `# kube-audit-lint: disable=...` comment that suppresses no finding
on the line it applies to (or, for `disable-file`, anywhere in the file), and each name in such a
comment that is no check at all (a typo, or a check that was renamed). This finding is made by the
suppression pass that runs after every check (`linter/suppressions.py`), not by `check()`, which
yields nothing. A suppression of a check that did not run on the file (not selected, or ignored
in the configuration) is not judged, since nothing shows whether it is still needed.

## Why is this bad?
A stale suppression is a waiver nobody reviews: when the policy changes, it silently hides the
next finding of that check on that line. A misspelt check name suppresses nothing while looking as
if it did. ruff's `RUF100` (unused `noqa`) is the model.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    resources:
      # kube-audit-lint: disable=rule-never-matches -- PodSecurityPolicy kept for 1.24 clusters
      - group: ""
        resources: ["events"]
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
Remove the comment, or the checks in it that no longer report anything; correct a misspelt check
(`kube-audit-lint checks` lists codes and names).

## References
- ruff `RUF100` unused-noqa: https://docs.astral.sh/ruff/rules/unused-noqa/
"""

CODE = "KAL090"
NAME = "unused-suppression"
SEVERITY = "note"
CATEGORY = "suppression"


def check(ctx):
    """Nothing here: linter.suppressions reports this after every check has run."""
    yield from ()
