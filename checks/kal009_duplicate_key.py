"""A key is written twice in the same mapping; kube-apiserver keeps only the last value.

## What it does
Reports a key that appears twice in one mapping of the policy (two `verbs:` in one rule, two
`omitStages:` at the top), pointing at the second one.

## Why is this bad?
kube-apiserver's strict decoding fails on a duplicate key and it falls back to lenient decoding,
in which the last value silently replaces the first (`k8s.io/apiserver
pkg/audit/policy/reader.go`; sigs.k8s.io/yaml). Whatever the first occurrence said is gone: two
`resources:` lists written one after another do not add up, the rule selects only the second.
YAML editors and most linters do not warn about it.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets"]
    resources:
      - group: authentication.k8s.io
        resources: ["tokenreviews"]
  - level: RequestResponse
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets"]
      - group: authentication.k8s.io
        resources: ["tokenreviews"]
  - level: RequestResponse
```

## Fix
Merge the two values into one key, or remove the one that is not meant.

## References
- kube-apiserver: `pkg/audit/policy/reader.go` (strict decoding, then lenient decoding)
- YAML 1.2, section 3.2.1.1: mapping keys are unique
"""

from __future__ import annotations

from kube_audit_lint.findings import Location

CODE = "KAL009"
NAME = "duplicate-key"
SEVERITY = "warning"
CATEGORY = "correctness"
PRECISION = "very-high"


def check(ctx):
    for issue in ctx.policy.issues:
        if issue.kind != "duplicate-key":
            continue
        key = str(issue.path[-1])
        where = owner(issue.path[:-1])
        message = f'{where}key "{key}" repeats an earlier key; kube-apiserver keeps only the last value'
        finding = ctx.finding(issue.path, message, fix=f'merge the two "{key}" values into one', key=True,
                              subject=f'duplicate key "{key}"')
        yield at_key(finding, issue.span)


def owner(path) -> str:
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        return f"rule {path[1]}: " if len(path) == 2 else f"rule {path[1]}, resources[{path[3]}]: "
    return "metadata: " if path[:1] == ("metadata",) else ""


def at_key(finding, span):
    """Point at this occurrence: a key written three times has two findings, one per repeat."""
    from dataclasses import replace

    loc = finding.location
    return replace(finding, location=Location(loc.path, span.line, span.column, span.end_line, span.end_column))
