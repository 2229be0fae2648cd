"""Secrets, ConfigMaps or tokens can be written to the audit log in a request or response body.

## What it does
Asks, for every request on a sensitive resource, at which level the policy logs it, whatever rule
decides it: a rule naming the resource, a group-wide entry, `resources: ["*"]`, `group: "*"`
(Kubernetes 1.36) or a catch-all. It reports each rule that logs such a request at a level that
writes the sensitive data, with an example request:

- Secrets and ConfigMaps: `Request` on create, update or patch (the request body is the object or
  the patch) and `RequestResponse` on any verb (a get or list response holds the data; a list
  holds every object of the namespace).
- TokenReviews: `Request` or `RequestResponse` on create (the request body holds the bearer token
  under review).
- `serviceaccounts/token` (TokenRequest): `RequestResponse` on create (the response holds the
  issued token). `Request` is fine: a TokenRequest body holds no token, which is why EKS logs it
  at Request.

Option `resources` lists the sensitive resources: entries with `group` and `resources` (as in a
policy rule), and optionally `verbs` (default: every verb), `level` (the lowest level that writes
the data: `Request`, the default, or `RequestResponse`), `what` (how messages name the data) and
`ignore_names` (objects known to hold nothing sensitive: by default the EKS `aws-auth` ConfigMap,
whose changes EKS logs at RequestResponse on purpose). Option `extra_resources` takes more
entries of the same form, added to the defaults rather than replacing them.

## Why is this bad?
At `Request` kube-apiserver writes the request body to the audit event (`requestObject`), at
`RequestResponse` the response body as well (`responseObject`), base64-encoded Secret data
included. Whoever reads the audit log, and every system it is shipped to, then holds the
cluster's credentials. The CIS Kubernetes Benchmark (3.2.2) asks to "only log Metadata for
requests to Secrets, ConfigMaps, and TokenReviews"; GKE and EKS log them at Metadata before any
broader rule, and OpenShift pins them at Metadata in every profile.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: RequestResponse
    resources:
      - group: ""
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps", "serviceaccounts/token"]
      - group: authentication.k8s.io
        resources: ["tokenreviews"]
  - level: RequestResponse
    resources:
      - group: ""
```

## Fix
Put a `Metadata` rule for `secrets`, `configmaps` and `serviceaccounts/token` (core group) and
`tokenreviews` (`authentication.k8s.io`) before the first rule that logs bodies, as GKE and EKS
do; or lower the reported rule's level.

## References
- CIS Kubernetes Benchmark 3.2.2 "Ensure that the audit policy covers key security concerns"
- kube-apiserver: `k8s.io/apiserver pkg/audit/request.go` (`LogRequestObject`, `LogResponseObject`)
- GKE/GCE audit policy: `kubernetes/kubernetes cluster/gce/gci/configure-helper.sh`
- AWS EKS Best Practices, detective controls (the EKS audit policy)
- https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/
"""

from __future__ import annotations

from dataclasses import dataclass

from kube_audit_lint.checks._request_space import (
    BODY_VERBS, RESOURCE_VERBS, level_path, outcomes, rule_subject,
)
from kube_audit_lint.engine.space import Outcome, Selector
from kube_audit_lint.policy.model import GroupResources, Level

CODE = "KAL020"
NAME = "sensitive-body-captured"
SEVERITY = "error"
CATEGORY = "security"
GROUPED_BY = "deciding-rule"  # findings caused by the same rule (or by no rule) are one problem
OPTIONS = {
    "resources": [
        {"group": "", "resources": ["secrets"], "what": "Secret data"},
        # aws-auth maps IAM roles to Kubernetes users and holds no secret; EKS logs its changes at
        # RequestResponse on purpose, to show who changed cluster access.
        {"group": "", "resources": ["configmaps"], "what": "ConfigMap data", "ignore_names": ["aws-auth"]},
        {"group": "authentication.k8s.io", "resources": ["tokenreviews"], "verbs": ["create"],
         "what": "the bearer token under review"},
        {"group": "", "resources": ["serviceaccounts/token"], "verbs": ["create"], "level": "RequestResponse",
         "what": "the issued service account token"},
    ],
    "extra_resources": [],
}


BODY_LEVELS = {"Request": Level.REQUEST, "RequestResponse": Level.REQUEST_RESPONSE}


@dataclass(frozen=True)
class Sensitive:
    """One entry of the ``resources`` option."""

    selector: Selector
    verbs: tuple[str, ...]
    level: Level  # the lowest level that writes the sensitive data
    what: str
    ignore_names: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        entry = self.selector.resources[0]
        group = f".{entry.group}" if entry.group else ""
        return ", ".join(f"{r}{group}" for r in entry.resources)


def parse_entry(entry: dict) -> Sensitive:
    if not isinstance(entry, dict):
        raise ValueError(f"{NAME}: resources: expected a mapping, got {entry!r}")
    entry = dict(entry)
    verbs = tuple(entry.pop("verbs", None) or RESOURCE_VERBS)
    level_text = entry.pop("level", "Request")
    what = entry.pop("what", None)
    ignore_names = entry.pop("ignore_names", None) or ()
    if not isinstance(ignore_names, (list, tuple)) or not all(isinstance(n, str) for n in ignore_names):
        raise ValueError(f"{NAME}: ignore_names must be a list of object names, got {ignore_names!r}")
    level = BODY_LEVELS.get(level_text) if isinstance(level_text, str) else None
    if level is None:
        raise ValueError(f"{NAME}: level must be Request or RequestResponse, got {level_text!r}")
    try:
        selector = Selector.from_mapping({"resources": [entry]})
    except ValueError as exc:
        raise ValueError(f"{NAME}: resources: {exc}") from None
    resources = ", ".join(selector.resources[0].resources) or "every resource"
    return Sensitive(selector, verbs, level, what or f"the body of {resources}", tuple(ignore_names))


def exposures(ctx, sensitive: Sensitive) -> list[Outcome]:
    """Outcomes that write ``sensitive`` data to the log: bodies of writes, then responses."""
    found = []
    resources = target(ctx.policy, sensitive)
    body_verbs = tuple(v for v in sensitive.verbs if v in BODY_VERBS)
    if sensitive.level is Level.REQUEST and body_verbs:
        writes = Selector(verbs=body_verbs, resources=resources)
        found += [o for o in outcomes(ctx, writes) if o.level >= Level.REQUEST]
    every = Selector(verbs=sensitive.verbs, resources=resources)
    found += [o for o in outcomes(ctx, every) if o.level is Level.REQUEST_RESPONSE]
    return found


def target(policy, sensitive: Sensitive) -> tuple[GroupResources, ...]:
    """The sensitive resources, less the ignored objects.

    A selector cannot say "any name but these", but it need not: the policy only tells apart the
    names it writes. Every other name behaves like one fresh name, so the names the policy writes
    (less the ignored ones), the empty name (create, list) and one fresh name stand for them all.
    """
    entry = sensitive.selector.resources[0]
    if not sensitive.ignore_names:
        return (entry,)
    named = {n for rule in policy.rules for e in rule.resources for n in e.resource_names}
    fresh = next(f"example-{i}" for i in range(len(named) + 1) if f"example-{i}" not in named)
    names = sorted((named | {"", fresh}) - set(sensitive.ignore_names))
    return (GroupResources(entry.group, entry.resources, tuple(names)),)


def check(ctx):
    by_rule: dict[int, list[tuple[Sensitive, Outcome]]] = {}
    for entry in list(ctx.option("resources") or ()) + list(ctx.option("extra_resources") or ()):
        sensitive = parse_entry(entry)
        for outcome in exposures(ctx, sensitive):
            exposed = by_rule.setdefault(outcome.rule, [])
            if sensitive not in (s for s, _ in exposed):
                exposed.append((sensitive, outcome))
    for rule in sorted(by_rule):
        (first, outcome), *others = by_rule[rule]
        labels = ", ".join(s.label for s, _ in by_rule[rule])
        yield ctx.finding(
            level_path(rule),
            message(ctx, first, outcome, [s for s, _ in others]),
            witness=outcome.witness,
            fix=f"log {first.label} at Metadata in a rule placed before {ctx.policy.rule_ref(rule)}, "
                "or lower this rule's level",
            subject=f"{labels} bodies logged by {rule_subject(ctx.policy, rule)}",
        )


def message(ctx, sensitive: Sensitive, outcome: Outcome, others: list[Sensitive]) -> str:
    witness = outcome.witness
    what = sensitive.what
    if outcome.level is Level.REQUEST_RESPONSE and witness.verb in ("list", "watch", "deletecollection"):
        what += " of every object listed"
    text = (f"{witness.describe()} is logged at {outcome.level.wire} by {ctx.policy.rule_ref(outcome.rule)}: "
            f"{what} is written to the audit log")
    if others:
        text += f" (the rule does the same to {', '.join(s.label for s in others)})"
    return text
