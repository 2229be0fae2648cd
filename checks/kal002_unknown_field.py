"""A key kube-apiserver does not know is dropped, so the rule matches more than written.

## What it does
Reports every key that is not a field of the audit Policy, of a rule, of a `resources` entry or
of the policy's `metadata`: `verb:` for `verbs:`, `resource:` for `resources:`, `namespace:`,
`omitstages:`, `group:` written on the rule instead of inside a `resources` entry. It names the
field that was probably meant and what the rule matches once the key is gone.

## Why is this bad?
kube-apiserver decodes the policy strictly first and, when that fails, falls back to lenient
decoding, which **drops unknown fields** (`k8s.io/apiserver pkg/audit/policy/reader.go`: "Audit
policy contains errors, falling back to lenient decoding"; before 1.26 it dropped them without a
word, kubernetes/kubernetes#113266). A dropped selector widens the rule: `verb: [get]` on a `None`
rule silences every verb (gardener/gardener#12126); OpenShift's `resource: [machineconfig]` makes
its entry cover the whole `machineconfiguration.openshift.io` group. A dropped `omitStages` or
`omitManagedFields` silently keeps what the author meant to leave out.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    verb: ["get", "list", "watch"]
    resources:
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
    verbs: ["get", "list", "watch"]
    resources:
      - group: ""
        resources: ["events"]
  - level: Metadata
```

## Fix
Rename the key to the field suggested (field names are case-sensitive and plural: `verbs`,
`resources`, `namespaces`, `users`, `userGroups`, `nonResourceURLs`, `omitStages`). Remove keys
that belong to other tools (a ClusterLogForwarder's `redactions`, comments written as keys).

## References
- kube-apiserver: `pkg/audit/policy/reader.go` (strict, then lenient decoding)
- kubernetes/kubernetes#113266: the audit policy decoder silently drops unknown fields
- gardener/gardener#12126: `verb:` instead of `verbs:`
- https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/#audit-k8s-io-v1-PolicyRule
"""

from __future__ import annotations

import difflib

from kube_audit_lint.findings import Severity
from kube_audit_lint.policy.model import GROUP_RESOURCES_FIELDS, OBJECT_META_FIELDS, POLICY_FIELDS, RULE_FIELDS

CODE = "KAL002"
NAME = "unknown-field"
SEVERITY = "error"
CATEGORY = "correctness"
PRECISION = "very-high"

# What a rule loses when the field it meant is dropped.
WIDENED = {
    "verbs": "the rule matches every verb",
    "users": "the rule matches every user",
    "userGroups": "the rule matches every group",
    "namespaces": "the rule matches every namespace",
    "resources": "the rule matches every resource",
    "nonResourceURLs": "the rule matches every request",
    "omitStages": "no stage is omitted",
    "omitManagedFields": "managedFields are logged",
    "level": "the rule has no level (kube-apiserver refuses the policy)",
    "rules": "the policy has no rules (kube-apiserver refuses it)",
}
ENTRY_WIDENED = {
    "resources": "the entry matches every resource of its group",
    "resourceNames": "the entry matches every object name",
    "group": 'the entry selects the core group ""',
}


def check(ctx):
    for issue in ctx.policy.unknown_fields:
        key = str(issue.path[-1])
        known, consequences = fields_at(issue.path)
        intended = intended_field(key, known)
        message = f'{where(issue.path)}unknown field "{key}" is dropped by kube-apiserver'
        fix = None
        if key == "omitManagedFields":
            message += f" before Kubernetes 1.23 (target: {ctx.kube_version[0]}.{ctx.kube_version[1]})"
            fix = "drop the field or target Kubernetes 1.23 or later"
        elif key in GROUP_RESOURCES_FIELDS and key not in known:
            message += f'; "{key}" belongs inside a resources entry'
            fix = f"move it into the rule's resources list: resources: [{{{key}: ...}}]"
        elif intended and intended in parent_mapping(ctx.policy.document.data, issue.path):
            message += f'; did you mean "{intended}"? (it is set as well, so only its value counts)'
            fix = f'merge "{key}" into "{intended}"'
        elif intended:
            consequence = consequences.get(intended)
            message += (f", so {consequence}" if consequence else "") + f'; did you mean "{intended}"?'
            fix = f'rename "{key}" to "{intended}"'
        yield ctx.finding(issue.path, message, fix=fix, key=True, subject=f'unknown field "{key}"',
                          severity=None if inside_a_rule(issue.path) else Severity.WARNING)


def inside_a_rule(path) -> bool:
    """A key dropped inside a rule widens what the rule matches (error); one dropped at the top of
    the policy or in its metadata changes no rule (warning)."""
    return len(path) > 1 and path[0] == "rules"


def fields_at(path) -> tuple[tuple[str, ...], dict[str, str]]:
    """The fields known where ``path`` sits, and what losing each of them does."""
    if len(path) == 1:
        return POLICY_FIELDS, WIDENED
    if path[0] == "metadata":
        return OBJECT_META_FIELDS, {}
    if len(path) == 3:
        return RULE_FIELDS, WIDENED
    return GROUP_RESOURCES_FIELDS, ENTRY_WIDENED


def intended_field(key: str, known: tuple[str, ...]) -> str | None:
    """The known field a misspelt key most likely meant: same letters in another case, then close."""
    lowered = {name.lower(): name for name in known}
    for candidate in (key.lower(), key.lower() + "s", key.lower().rstrip("s")):
        if candidate in lowered and lowered[candidate] != key:
            return lowered[candidate]
    close = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.7)
    return lowered[close[0]] if close else None


def parent_mapping(data, path) -> dict:
    for part in path[:-1]:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return {}
    return data if isinstance(data, dict) else {}


def where(path) -> str:
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        if len(path) >= 4 and path[2] == "resources":
            return f"rule {path[1]}, resources[{path[3]}]: "
        return f"rule {path[1]}: "
    return ""
