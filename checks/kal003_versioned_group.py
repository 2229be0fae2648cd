"""A resources entry names an API version (`apps/v1`, `v1`) or `core` instead of an API group.

## What it does
Reports a `group` written with its version (`apps/v1`, `extensions/v1beta1`,
`rbac.authorization.k8s.io/v1beta1`), a bare version (`v1`, `v1beta1`) or the word `core`, and
says what the group is: the part before the version, and `""` for the core group (pods, secrets,
configmaps, ...).

## Why is this bad?
An audit rule matches the request's API group, never its version (`k8s.io/apiserver
pkg/audit/policy/checker.go` `ruleMatchesResource` compares `gr.Group` with the request's
`APIGroup`). A group with a `/` is not a DNS subdomain, so kube-apiserver **refuses** the policy
and does not start (`pkg/apis/audit/validation/validation.go` `validateResources`, which exists to
catch "rbac.authorization.k8s.io/v1beta1", kubernetes/kubernetes#47784). `v1`, `v1beta1` and
`core` are valid names, so the apiserver **accepts** them, and the entry never matches: no API
group has that name. The Kubernetes documentation's example policy warns that the version of a
group "should NOT be included"; the 2017 GCE policy shipped this bug for its whole list of known
API groups.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: RequestResponse
    resources:
      - group: v1
        resources: ["pods"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["pods"]
  - level: Metadata
```

## Fix
Write the group alone: `apps`, `batch`, `rbac.authorization.k8s.io`; write the core group as `""`
(or leave `group` out, which means the same).

## References
- kube-apiserver: `pkg/audit/policy/checker.go` (`ruleMatchesResource`)
- kube-apiserver: `pkg/apis/audit/validation/validation.go` (`validateResources`)
- kubernetes/kubernetes#47784: validate the group of audit policy resources
- https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/ (example policy: "Version of group should NOT
  be included")
"""

from __future__ import annotations

import re

CODE = "KAL003"
NAME = "versioned-group"
SEVERITY = "error"
CATEGORY = "correctness"
PRECISION = "very-high"

VERSION = re.compile(r"^v\d+((alpha|beta)\d+)?$")
CORE_ALIASES = ("", "core", "api")
UNCLEAR_FIX = 'write the group without its version ("" for the core group)'


def check(ctx):
    for rule in ctx.policy.rules:
        for k, entry in enumerate(rule.resources):
            reading = read_group(entry.group)
            if reading is None:
                continue
            intended, refused = reading
            path = ("rules", rule.index, "resources", k, "group")
            yield ctx.finding(
                path,
                message(rule.index, entry.group, intended, refused),
                fix=f'write group: "{intended}"' if intended is not None else UNCLEAR_FIX,
                subject=f"group {entry.group!r}",
            )


def read_group(group: str) -> tuple[str | None, bool] | None:
    """(the group meant or None when unclear, whether the apiserver refuses it); None if fine."""
    if group == "core":
        return "", False
    if VERSION.match(group):
        return ("" if group == "v1" else None), False
    head, slash, tail = group.partition("/")
    if slash and VERSION.match(tail):
        return ("" if head in CORE_ALIASES else head), True
    return None


def message(index: int, group: str, intended: str | None, refused: bool) -> str:
    if intended is None:
        meant = 'a group is written without its version (the core group is "")'
    elif intended == "":
        meant = 'the core group is ""'
    else:
        meant = f'the group is "{intended}"'
    if refused:
        return (f'rule {index}: group "{group}" includes a version; kube-apiserver refuses it '
                f"(a group is a DNS subdomain, without '/'); {meant}")
    what = "a version" if VERSION.match(group) else "not an API group name"
    return (f'rule {index}: group "{group}" is {what}; kube-apiserver accepts it but the entry never '
            f"matches a request; {meant}")
