"""A rule, or one entry of it, names something no request ever carries, so it matches nothing.

## What it does
Checks each value a rule selects on against what kube-apiserver puts in a request:
- **verbs**: upper-case or HTTP verbs (`GET`, `POST`), verbs only the authorizer knows
  (`impersonate`, `bind`, `escalate`, `use`, `approve`), `*`, and verbs of the wrong kind
  (`list` on a `nonResourceURLs` rule, `post` on a resource rule);
- **users, userGroups, namespaces**: wildcards (`system:node-*`, `openshift-*`, `*`), a group
  written under `users` or a user name under `userGroups`, names that cannot be namespaces;
- **resources**: `*/*`, capitals, kubectl's `deployments.apps` form, a resource its group does not
  serve (`deployments` under the core group, `pod`, `tokenrequests`), an unknown subresource
  (`pods/exe`), the kubelet's own subresources (`nodes/stats`), a resource not served in the
  target release (removed, like `extensions` `podsecuritypolicies`, or not yet added), a rule
  whose only groups were removed in the target release (`auditregistration.k8s.io`, removed in
  1.19), and
  cluster-scoped resources on a rule whose `namespaces` leave out `""`;
- **resourceNames** on a rule whose verbs are only `create` or `deletecollection`;
- **nonResourceURLs** with a query string or a path that is a resource path (`/api/v1/pods`).

Groups are checked only when they are built-in API groups, whose resources are known.

## Why is this bad?
kube-apiserver accepts all of these (its validation does not look at verbs, names or resources)
and the policy checker compares them exactly (`k8s.io/apiserver pkg/audit/policy/checker.go`:
`hasString` for users, groups, verbs and namespaces, `ruleMatchesResource` for resources,
`pathMatches` for URLs), so the entry never matches and the requests it was written for fall
through to a later rule. Request verbs are set by `pkg/endpoints/request/requestinfo.go`
(`get list watch create update patch delete deletecollection` for resources, the lower-case HTTP
method otherwise); a create has no object name yet, so `resourceNames` cannot match it. Falco's
shipped policy puts `deployments` under the core group; OpenShift's profiles list
`tokenrequests` under `authentication.k8s.io`, where no such resource exists.

## Example
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: RequestResponse
    verbs: ["POST", "PUT"]
    resources:
      - group: ""
        resources: ["pods", "deployments"]
  - level: Metadata
```

## Use instead
```yaml
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: RequestResponse
    verbs: ["create", "update"]
    resources:
      - group: ""
        resources: ["pods"]
      - group: apps
        resources: ["deployments"]
  - level: Metadata
```

## Fix
Use lower-case Kubernetes verbs; list identities and namespaces one by one (or select
`system:nodes`, `system:serviceaccounts:<namespace>` through `userGroups`); write resources as
lower-case plurals under the group that serves them; select subresources as `pods/exec`; leave
`namespaces` off rules about cluster-scoped resources (or include `""`).

## References
- kube-apiserver: `pkg/audit/policy/checker.go` (`ruleMatches`, `ruleMatchesResource`, `hasString`, `pathMatches`)
- kube-apiserver: `pkg/endpoints/request/requestinfo.go` (request verbs, namespace and name)
- https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb
- https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-subjects (user and group names)
"""

from __future__ import annotations

import difflib
import re
from functools import partial

from kube_audit_lint.kube import api as kubeapi

CODE = "KAL004"
NAME = "rule-never-matches"
SEVERITY = "warning"
CATEGORY = "correctness"

NAMESPACE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
NAMELESS_VERBS = frozenset({"create", "deletecollection"})  # requests without an object name
SUBRESOURCE_VERBS = ("exec", "attach", "portforward", "log")


def check(ctx):
    for rule in ctx.policy.rules:
        base = ("rules", rule.index)
        scope = request_scope(rule)
        yield from field_findings(ctx, rule, "verbs", rule.verbs, partial(verb_problem, scope=scope))
        yield from field_findings(ctx, rule, "users", rule.users, partial(identity_problem, field="users"))
        yield from field_findings(ctx, rule, "userGroups", rule.user_groups,
                                  partial(identity_problem, field="userGroups"))
        yield from field_findings(ctx, rule, "namespaces", rule.namespaces, namespace_problem)
        yield from field_findings(ctx, rule, "nonResourceURLs", rule.non_resource_urls, url_problem)
        yield from resource_findings(ctx, rule, base)
        yield from resource_name_findings(ctx, rule, base)


def request_scope(rule) -> str:
    """Which requests a rule can match: "resource", "non-resource" or "any" (``ruleMatches``)."""
    if rule.namespaces or rule.resources:
        return "resource"
    return "non-resource" if rule.non_resource_urls else "any"


def field_findings(ctx, rule, field: str, values, judge):
    """One finding per value that can never match; the first says when the whole rule is dead."""
    mistyped = mistyped_paths(ctx)
    problems = [(i, judge(value)) for i, value in enumerate(values)
                if ("rules", rule.index, field, i) not in mistyped]
    problems = [(i, p) for i, p in problems if p is not None]
    dead = bool(values) and len(problems) == len(values)
    for n, (i, (reason, fix)) in enumerate(problems):
        suffix = f"; no {field} entry can match, so rule {rule.index} matches no request" if dead and n == 0 else ""
        yield ctx.finding(("rules", rule.index, field, i), f"rule {rule.index}: {reason}{suffix}", fix=fix,
                          subject=reason)


def mistyped_paths(ctx) -> set:
    """Values that are not strings at all (``users: [123]``): the model reads them as "", but they
    are not empty, and invalid-policy already reports that kube-apiserver cannot decode them."""
    return {issue.path for issue in ctx.policy.issues if issue.kind == "type"}


def verb_problem(verb: str, scope: str):
    if verb == "*":
        return 'verb "*" is not a wildcard: verbs match exactly', "omit verbs to match every verb"
    if verb == "":
        return "an empty verb matches no request", "remove it"
    if verb != verb.lower():
        if verb.upper() in kubeapi.HTTP_METHOD_VERBS and scope != "non-resource":
            meant = kubeapi.HTTP_METHOD_VERBS[verb.upper()]
            return (f'verb "{verb}" is an HTTP method; requests carry lower-case Kubernetes verbs',
                    "use " + ", ".join(f'"{v}"' for v in meant))
        return f'verb "{verb}" matches no request: verbs are lower-case', f'use "{verb.lower()}"'
    if verb in kubeapi.AUTHORIZATION_VERBS:
        return (f'verb "{verb}" is an authorization verb, never a request verb '
                f"({kubeapi.AUTHORIZATION_VERBS[verb]})"), None
    if verb not in kubeapi.REQUEST_VERBS:
        fix = f'select the subresource instead: resources: ["pods/{verb}"]' if verb in SUBRESOURCE_VERBS else None
        close = difflib.get_close_matches(verb, sorted(kubeapi.REQUEST_VERBS), n=1, cutoff=0.75)
        if close and not fix:
            fix = f'use "{close[0]}"'
        return f'verb "{verb}" is not a verb kube-apiserver gives any request', fix
    if scope == "resource" and verb not in kubeapi.RESOURCE_VERBS:
        meant = kubeapi.HTTP_METHOD_VERBS.get(verb.upper(), ())
        return (f'verb "{verb}" is an HTTP method; resource requests carry Kubernetes verbs',
                "use " + ", ".join(f'"{v}"' for v in meant) if meant else None)
    if scope == "non-resource" and verb not in kubeapi.NON_RESOURCE_VERBS:
        return (f'verb "{verb}" is a resource verb; non-resource requests carry the lower-case HTTP method '
                '("get", "post", "put", "delete", ...)'), None
    return None


def identity_problem(name: str, field: str):
    if "*" in name:
        return f'{field} entry "{name}" is not a pattern: names match exactly', wildcard_identity_fix(name, field)
    if name == "":
        return f"an empty {field} entry matches no request", "remove it"
    if field == "users" and kubeapi.is_system_group(name):
        return f'"{name}" is a group, not a user name', f'list it under userGroups: ["{name}"]'
    if field == "userGroups" and kubeapi.is_system_user(name):
        parts = name.split(":")
        if name.startswith("system:serviceaccount:") and len(parts) == 3:
            return (f'"{name}" is not a group (a service account user name lacks its name)',
                    f'the group of every service account in that namespace is "system:serviceaccounts:{parts[2]}"')
        return f'"{name}" is a user name, not a group', f'list it under users: ["{name}"]'
    return None


def wildcard_identity_fix(name: str, field: str) -> str:
    if name == "*":
        return f"omit {field} to match everyone"
    if name.startswith(("system:node:", "system:node-", "system:nodes")):
        return 'select every node with userGroups: ["system:nodes"]'
    parts = name.split(":")
    if name.startswith("system:serviceaccount:") and len(parts) >= 3:
        namespace = parts[2]
        if "*" not in namespace:
            return f'select the namespace\'s service accounts with userGroups: ["system:serviceaccounts:{namespace}"]'
        return 'select every service account with userGroups: ["system:serviceaccounts"]'
    return "list each " + {"users": "user", "userGroups": "group"}.get(field, field) + " explicitly"


def namespace_problem(namespace: str):
    if "*" in namespace:
        fix = "omit namespaces to match every namespace" if namespace == "*" else "list each namespace explicitly"
        return f'namespace "{namespace}" is not a pattern: namespaces match exactly', fix
    if namespace and not (len(namespace) <= 63 and NAMESPACE_NAME.match(namespace)):
        return (f'"{namespace}" cannot be a namespace (namespaces are lower-case DNS labels)',
                f'use "{namespace.lower()}"' if NAMESPACE_NAME.match(namespace.lower()) else None)
    return None


def url_problem(url: str):
    if "?" in url:
        return (f'"{url}" has a query string; nonResourceURLs match the path only',
                f'use "{url.split("?")[0]}"')
    if is_resource_path(url):
        return (f'"{url}" is a resource path: its requests are resource requests, which nonResourceURLs never match',
                "select them with resources (group and resource) instead")
    return None


def is_resource_path(url: str) -> bool:
    """Paths that requestinfo.go always resolves to a resource (``/api/v1/<resource>...``,
    ``/apis/<group>/<version>/<resource>...``); a trailing ``*`` keeps that true for its prefix."""
    parts = url.rstrip("*").split("/")[1:]
    if url.endswith("*") and parts and parts[-1] == "":
        parts = parts[:-1]
    if not parts:
        return False
    if parts[0] == "api":
        return len(parts) >= 3 and parts[2] != ""
    if parts[0] == "apis":
        return len(parts) >= 4 and parts[3] != ""
    return False


def resource_findings(ctx, rule, base):
    dead_entries = 0
    findings = []
    removed_groups = []  # reported only when they leave the rule nothing to match
    mistyped = mistyped_paths(ctx)
    for k, entry in enumerate(rule.resources):
        gone = kubeapi.group_removed(entry.group, ctx.kube_version)
        named = any(kubeapi.lookup(entry.group, p.partition("/")[0]) for p in entry.resources)
        if gone is not None and not named:  # a named resource says when it went, below
            dead_entries += 1
            reason = (f"{kubeapi.group_label(entry.group)} was removed in Kubernetes {gone[0]}.{gone[1]} "
                      f"(target: {ctx.kube_version[0]}.{ctx.kube_version[1]}): no request in it reaches the apiserver")
            removed_groups.append((base + ("resources", k, "group"), f"rule {rule.index}: {reason}",
                                   "remove the entry (or target the releases that still serve the group)", reason))
            continue
        dead_patterns = 0
        for j, pattern in enumerate(entry.resources):
            if base + ("resources", k, "resources", j) in mistyped:
                continue
            problem = (pattern_problem(pattern, entry.group, ctx.kube_version)
                       or scope_problem(pattern, entry.group, rule.namespaces))
            if problem is None:
                continue
            dead_patterns += 1
            reason, fix = problem
            findings.append((base + ("resources", k, "resources", j), f"rule {rule.index}: {reason}", fix, reason))
        if entry.resources and dead_patterns == len(entry.resources):
            dead_entries += 1
    dead = bool(rule.resources) and dead_entries == len(rule.resources)
    if dead:  # an old group kept in a list of groups (GKE's "known APIs") costs nothing
        findings = removed_groups + findings
    for n, (path, message, fix, reason) in enumerate(findings):
        if dead and n == 0:
            message += f"; no resources entry can match, so rule {rule.index} matches no request"
        yield ctx.finding(path, message, fix=fix, subject=reason)


def pattern_problem(pattern: str, group: str, kube_version):
    if pattern == "":
        return "an empty resource matches no request", "remove it"
    if pattern == "*/*":
        return ('"*/*" matches nothing: the apiserver has no pattern for every subresource of every resource',
                'use "*" (every resource and subresource of the group)')
    if pattern.count("/") > 1:
        return f'"{pattern}" has more than one "/": a pattern is resource or resource/subresource', None
    resource, _, subresource = pattern.partition("/")
    if pattern != pattern.lower():
        known = kubeapi.lookup(group, resource.lower()) if resource != "*" else None
        return (f'"{pattern}" matches no request: resources are lower-case plurals',
                f'use "{pattern.lower()}"' if known or not kubeapi.is_builtin_group(group) else None)
    if "." in resource:
        name, _, meant_group = resource.partition(".")
        return (f'"{pattern}" is kubectl\'s resource.group form; the policy names the group separately',
                f'write group: "{meant_group}" with resources: ["{name}{"/" + subresource if subresource else ""}"]')
    if resource == "*" or not kubeapi.is_builtin_group(group):
        return None
    return builtin_resource_problem(resource, subresource, group, kube_version)


def builtin_resource_problem(resource: str, subresource: str, group: str, kube_version):
    served = kubeapi.lookup(group, resource)
    label = kubeapi.group_label(group)
    if served is None:
        elsewhere = kubeapi.groups_serving(resource, kube_version)
        if elsewhere:
            where = ", ".join(f'"{g}"' for g in elsewhere)
            return (f'{label} has no resource "{resource}"; it is served by group {where}',
                    f'move it to an entry with group: "{elsewhere[0]}"')
        kind = kubeapi.subresource_kind(resource)
        if kind:
            meant_group, meant = kind
            return (f'{label} has no resource "{resource}": it is served as the subresource "{meant}" of '
                    f"{kubeapi.group_label(meant_group)}"), f'write group: "{meant_group}" with resources: ["{meant}"]'
        close = difflib.get_close_matches(resource, sorted(kubeapi.builtin_groups()[group]), n=1, cutoff=0.75)
        if close:
            return f'{label} has no resource "{resource}"; did you mean "{close[0]}"?', f'use "{close[0]}"'
        return f'{label} has no resource "{resource}"', None
    if not served.served_in(kube_version):
        target = f"(target: {kube_version[0]}.{kube_version[1]})"
        if served.added is not None and kube_version < served.added:
            return (f'"{resource}" of {label} is served from Kubernetes {served.added[0]}.{served.added[1]} '
                    f"{target}"), None
        removed = f"{served.removed[0]}.{served.removed[1]}"
        return f'"{resource}" of {label} was removed in Kubernetes {removed} {target}', None
    if not subresource or subresource == "*" or subresource in served.subresources:
        return None
    if subresource in kubeapi.kubelet_subresources(resource):
        return (f'"{resource}/{subresource}" is checked by the kubelet\'s authorizer and never requested through '
                f'kube-apiserver; requests through the apiserver are "{resource}/proxy"'), f'use "{resource}/proxy"'
    close = difflib.get_close_matches(subresource, served.subresources, n=1, cutoff=0.6)
    if close:
        return (f'"{resource}" has no subresource "{subresource}"; did you mean "{close[0]}"?',
                f'use "{resource}/{close[0]}"')
    known = ", ".join(served.subresources) or "none"
    return f'"{resource}" has no subresource "{subresource}" (its subresources: {known})', None


def scope_problem(pattern: str, group: str, namespaces):
    """A cluster-scoped resource on a rule whose namespaces leave out "" (``namespaces`` itself is
    different: a request on a Namespace object carries that namespace's name)."""
    if not namespaces or "" in namespaces:
        return None
    resource = pattern.partition("/")[0]
    served = kubeapi.lookup(group, resource)
    if served is None or served.namespaced or resource == "namespaces":
        return None
    return (f'"{pattern}" is cluster-scoped: its requests have namespace "" and the rule\'s namespaces '
            'do not include "", so it never matches'), 'add "" to namespaces, or move it to a rule without namespaces'


def resource_name_findings(ctx, rule, base):
    """``resourceNames`` never match requests that carry no object name (requestinfo.go)."""
    named = [k for k, entry in enumerate(rule.resources) if entry.resource_names]
    if not named or not rule.verbs:
        return
    nameless = [i for i, verb in enumerate(rule.verbs) if verb in NAMELESS_VERBS]
    if len(nameless) == len(rule.verbs):
        verbs = ", ".join(f'"{v}"' for v in rule.verbs)
        for k in named:
            reason = (f"resourceNames never match {verbs}: those requests carry no object name, "
                      "so this entry matches nothing")
            yield ctx.finding(base + ("resources", k, "resourceNames"), f"rule {rule.index}: {reason}",
                              fix="select these requests by resource alone, without resourceNames", subject=reason)
    elif len(named) == len(rule.resources):
        for i in nameless:
            verb = rule.verbs[i]
            reason = (f'verb "{verb}" never matches: a {verb} request carries no object name and every '
                      "resources entry of this rule has resourceNames")
            yield ctx.finding(base + ("verbs", i), f"rule {rule.index}: {reason}",
                              fix=f'select {verb} requests in a rule without resourceNames', subject=reason)
