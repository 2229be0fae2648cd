"""A suppression names a check that cannot be suppressed by a comment; the finding stays.

## What it does
Reports a suppression comment that names a check listed in the configuration's
`non-suppressible`, or one of the checks about suppressions themselves (KAL090-KAL094), and a
`disable-file` that met a finding of such a check. The finding the comment aimed at is reported as
usual. It reads the findings of the other checks: it runs on each file after all of them
(`SCOPE = "findings"`), and selecting it alone runs them too, unreported.

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

from __future__ import annotations

from typing import Iterator

from kube_audit_lint.api import Finding, FindingsContext, Location
from kube_audit_lint.checks._suppression_helpers import readable

CODE = "KAL093"
NAME = "suppression-not-allowed"
SEVERITY = "warning"
CATEGORY = "suppression"
SCOPE = "findings"  # judges the findings of the other checks: once per file, after them


def check(ctx: FindingsContext) -> Iterator[Finding]:
    for directive in readable(ctx):
        for entry in directive.entries:
            if entry.code is not None and not ctx.suppressible(entry.code):
                yield _not_allowed(ctx, directive.entry_location(entry), entry.code, entry.name or entry.code)
        if not directive.expired(ctx.today) and not directive.entries:
            for code, name in sorted(directive.blocked.items()):  # findings a disable-file met
                yield _not_allowed(ctx, directive.location, code, name)


def _not_allowed(ctx: FindingsContext, location: Location, code: str, name: str) -> Finding:
    if code in ctx.comment_proof:
        why = "findings about suppressions cannot be suppressed by a comment; use ignore or severity in the configuration"
    else:
        why = f"it is non-suppressible ({ctx.non_suppressible_origin}); the finding is reported"
    return ctx.finding(location, f"{code} ({name}) cannot be suppressed: {why}",
                       subject=f"suppression of non-suppressible {code}", fix="fix the finding; remove the suppression")
