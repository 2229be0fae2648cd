"""ResponseStarted is omitted where exec and attach sessions are logged, blinding exec detection.

## What it does
Reports `ResponseStarted` in the policy-level `omitStages`, or in the `omitStages` of a logging
rule that can match an exec or attach session (`get` or `create` on `pods/exec`, `pods/attach`),
when some logging rule can match such a session.

## Why is this bad?
`ResponseStarted` is written once the response headers are sent, and only for long-running
requests (`k8s.io/apiserver pkg/apis/audit/v1/types.go`; kube-apiserver counts watch, proxy and the
exec, attach, portforward, log and proxy subresources as long-running). An exec or attach session
can last hours: its `ResponseComplete` event comes when it ends, so the `ResponseStarted` event is
the one written when someone opens a shell in a pod. Falco's `Attach/Exec Pod` rule
(`falcosecurity/plugins plugins/k8saudit/rules/k8s_audit_rules.yaml`, macro `kevt_started`)
matches only that stage, so omitting it silently disables the rule; other detectors see the
session only once it has ended. CIS Kubernetes Benchmark 3.2.2 names `pods/exec` among the
requests a policy must cover.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
  - level: None
    resources:
      - group: ""
        resources: ["events"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    resources:
      - group: ""
        resources: ["events"]
  - level: Metadata
```

## Fix
Keep `ResponseStarted`; omit only `RequestReceived`. To save volume, drop `ResponseStarted` in a
rule that cannot match exec or attach (watches of a busy resource, for example), not for the whole
policy.

## References
- kube-apiserver: `pkg/apis/audit/v1/types.go` (stages), `pkg/endpoints/filters/audit.go`
- Falco k8saudit rules: `Attach/Exec Pod` (`kevt_started`)
- CIS Kubernetes Benchmark 3.2.2 (use of `pods/exec`, `pods/portforward`, `pods/proxy`, `services/proxy`)
"""

from __future__ import annotations

from dataclasses import replace

from kube_audit_lint.checks._request_space import live
from kube_audit_lint.engine.evaluate import WILDCARD_GROUP_SINCE, rule_matches
from kube_audit_lint.engine.request import Request
from kube_audit_lint.policy.model import Level

CODE = "KAL010"
NAME = "response-started-omitted"
SEVERITY = "warning"
CATEGORY = "security"

STAGE = "ResponseStarted"
SESSIONS = tuple(
    Request(user="user", verb=verb, api_group="", resource="pods", subresource=sub, namespace="default", name="pod")
    for sub in ("exec", "attach") for verb in ("get", "create")
)


def check(ctx):
    policy = ctx.policy
    wildcard_group = ctx.kube_version >= WILDCARD_GROUP_SINCE
    session_rules = [r for r in policy.rules if logs_sessions(r, wildcard_group) and live(ctx, r)]
    if not session_rules:
        return
    if STAGE in policy.omit_stages:
        message = (f"{STAGE} is omitted for every rule: exec and attach sessions lose the event written when "
                   f"they open (rule {session_rules[0].index} logs them)")
        yield ctx.finding(("omitStages", policy.omit_stages.index(STAGE)), message,
                          fix=f'remove "{STAGE}" from the policy-level omitStages', subject=f"{STAGE} omitted")
        return
    for rule in session_rules:
        if STAGE in rule.omit_stages:
            message = (f"rule {rule.index} logs exec and attach sessions but omits {STAGE}: the event written "
                       "when a session opens is lost")
            yield ctx.finding(("rules", rule.index, "omitStages", rule.omit_stages.index(STAGE)), message,
                              fix=f'remove "{STAGE}" from the rule\'s omitStages', subject=f"{STAGE} omitted by rule")


def logs_sessions(rule, wildcard_group: bool) -> bool:
    """Whether a logging rule can match some exec or attach request, whoever sends it, wherever."""
    if rule.level_value in (None, Level.NONE):
        return False
    anyone_anywhere = replace(
        rule, users=(), user_groups=(), namespaces=(),
        resources=tuple(replace(entry, resource_names=()) for entry in rule.resources),
    )
    return any(rule_matches(anyone_anywhere, request, wildcard_group) for request in SESSIONS)
