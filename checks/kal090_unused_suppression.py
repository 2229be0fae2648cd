"""A suppression comment suppresses nothing: the finding is gone, or the check is misnamed.

## What it does
Reports each check named in a `# kube-audit-lint: disable=...` comment that suppresses no finding
on the line it applies to (or, for `disable-file`, anywhere in the file), and each name in such a
comment that is no check at all (a typo, or a check that was renamed). It reads the findings of
the other checks: it runs on each file after all of them (`SCOPE = "findings"`), and selecting it
alone runs them too, unreported. A suppression of a check that did not run on the file (not
selected, or ignored in the configuration) is not judged, since nothing shows whether it is still
needed.

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

from __future__ import annotations

from typing import Iterator

from kube_audit_lint.api import Finding, FindingsContext
from kube_audit_lint.checks._suppression_helpers import readable
from kube_audit_lint.lint.suppressions import Directive

CODE = "KAL090"
NAME = "unused-suppression"
SEVERITY = "note"
CATEGORY = "suppression"
SCOPE = "findings"  # judges the findings of the other checks: once per file, after them


def check(ctx: FindingsContext) -> Iterator[Finding]:
    for directive in readable(ctx):
        expired = directive.expired(ctx.today)
        for entry in directive.entries:
            if entry.code is None:
                yield ctx.finding(
                    directive.entry_location(entry),
                    f"unused suppression: unknown check {entry.written!r} (see: kube-audit-lint checks)",
                    subject=f"unknown check {entry.written}", fix="name a check by its code or name, or remove it",
                )
                continue
            # a check no comment may suppress is suppression-not-allowed's; one that did not run
            # on the file cannot show whether the suppression is still needed
            if not ctx.suppressible(entry.code) or expired or entry.used or entry.code not in ctx.ran:
                continue
            yield ctx.finding(
                directive.entry_location(entry),
                f"unused suppression: {entry.code} ({entry.name}) reports nothing {_where(directive)}",
                subject=f"unused suppression of {entry.code}", fix=f"remove {entry.written} from the comment",
            )
        if not expired and not directive.entries and not directive.used and not directive.blocked:
            yield ctx.finding(directive.location, "unused suppression: nothing in this file to suppress",
                              subject="unused disable-file", fix="remove the comment")


def _where(directive: Directive) -> str:
    if directive.scope == "line" and directive.target:
        if directive.target == directive.target_end:
            return f"on line {directive.target}"
        return f"on lines {directive.target}-{directive.target_end}"
    return "in this file"
