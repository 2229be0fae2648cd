"""What kube-apiserver puts in a request's attributes, as far as a policy check needs to know it.

Verbs come from the apiserver's request-info resolver (``k8s.io/apiserver
pkg/endpoints/request/requestinfo.go``): a resource request carries a Kubernetes verb (``get``,
``list``, ``watch``, ``create``, ...), a non-resource request the lower-cased HTTP method. The
built-in API groups and their resources are data (``linter/data/kubernetes-resources.yaml``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

RESOURCE_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "proxy")
NON_RESOURCE_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
REQUEST_VERBS = frozenset(RESOURCE_VERBS + NON_RESOURCE_VERBS)

# What an upper-case HTTP method becomes in a resource request's verb.
HTTP_METHOD_VERBS = {
    "GET": ("get", "list", "watch"),
    "HEAD": ("get",),
    "POST": ("create",),
    "PUT": ("update",),
    "PATCH": ("patch",),
    "DELETE": ("delete", "deletecollection"),
}

# Verbs that RBAC checks but no request carries: the authorizer asks about them while handling a
# request that has its own verb (an impersonated get is logged as a get).
AUTHORIZATION_VERBS = {
    "impersonate": "impersonated requests are logged with their own verb; the impersonator is the event's user",
    "bind": "a role binding is created with create/update/patch on rolebindings or clusterrolebindings",
    "escalate": "a role is changed with create/update/patch on roles or clusterroles",
    "use": "'use' is checked for PodSecurityPolicies and other admission objects, never sent as a request",
    "approve": "a CSR is approved with update on certificatesigningrequests/approval",
    "sign": "a CSR is signed with update on certificatesigningrequests/status",
    "attest": "'attest' is checked by the node restriction of ClusterTrustBundles, never sent as a request",
}

# The groups kube-apiserver's authenticators give: every authenticated user is in
# system:authenticated; the anonymous user (system:anonymous) is only in system:unauthenticated.
AUTHENTICATED_GROUP = "system:authenticated"
UNAUTHENTICATED_GROUP = "system:unauthenticated"
ANONYMOUS_USER = "system:anonymous"

# Well-known identities: a user name in userGroups (or a group in users) matches nothing.
SYSTEM_GROUPS = frozenset({
    "system:authenticated", "system:unauthenticated", "system:masters", "system:nodes",
    "system:serviceaccounts", "system:bootstrappers", "system:monitoring",
})
SYSTEM_GROUP_PREFIXES = ("system:serviceaccounts:", "system:bootstrappers:")
SYSTEM_USERS = frozenset({
    "system:anonymous", "system:kube-proxy", "system:kube-controller-manager", "system:kube-scheduler",
    "system:apiserver",
})
SYSTEM_USER_PREFIXES = ("system:serviceaccount:", "system:node:")


def is_system_group(name: str) -> bool:
    return name in SYSTEM_GROUPS or name.startswith(SYSTEM_GROUP_PREFIXES)


def is_system_user(name: str) -> bool:
    return name in SYSTEM_USERS or name.startswith(SYSTEM_USER_PREFIXES)


@dataclass(frozen=True)
class ApiResource:
    group: str
    name: str
    namespaced: bool
    subresources: tuple[str, ...] = ()
    removed: tuple[int, int] | None = None  # the release from which no version serves it

    def served_in(self, kube_version: tuple[int, int]) -> bool:
        return self.removed is None or kube_version < self.removed


def _release(text) -> tuple[int, int] | None:
    if text is None:
        return None
    major, minor = str(text).split(".")
    return int(major), int(minor)


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    from kube_audit_lint.datafiles import read_data

    from ruamel.yaml import YAML

    text = read_data("kubernetes-resources.yaml")
    return YAML(typ="safe", pure=False).load(text)


@functools.lru_cache(maxsize=1)
def builtin_groups() -> dict[str, dict[str, ApiResource]]:
    """Every built-in API group (core is ``""``) and the resources it serves or served."""
    groups: dict[str, dict[str, ApiResource]] = {}
    for group, resources in _data()["groups"].items():
        groups[group] = {
            name: ApiResource(group, name, bool(info["namespaced"]), tuple(info.get("subresources", ())),
                              _release(info.get("removed")))
            for name, info in resources.items()
        }
    return groups


def is_builtin_group(group: str) -> bool:
    return group in builtin_groups()


def lookup(group: str, resource: str) -> ApiResource | None:
    return builtin_groups().get(group, {}).get(resource)


def groups_serving(resource: str, kube_version: tuple[int, int]) -> list[str]:
    """The built-in groups that serve ``resource`` in ``kube_version``, sorted."""
    return sorted(
        group for group, resources in builtin_groups().items()
        if resource in resources and resources[resource].served_in(kube_version)
    )


def kubelet_subresources(resource: str) -> tuple[str, ...]:
    return tuple(_data().get("kubelet_subresources", {}).get(resource, ()))


def subresource_kind(resource: str) -> tuple[str, str] | None:
    """(group, resource/subresource) serving a kind that has no resource of its own (tokenrequests)."""
    entry = _data().get("subresource_kinds", {}).get(resource)
    return (entry["group"], entry["resource"]) if entry else None


def group_label(group: str) -> str:
    """How messages name a group: the core group needs saying, the others speak for themselves."""
    return 'the core group ""' if group == "" else f'group "{group}"'


def close_match_hint(word: str, known) -> str:
    """``; did you mean 'x'?`` for the known word closest to ``word``, or nothing."""
    import difflib

    found = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {found[0]!r}?" if found else ""


def unknown_resource(resource: str, api_group: str, group_option: str = "--api-group") -> str | None:
    """Why ``resource`` in ``api_group`` is not served by kube-apiserver, or None. A group the
    catalogue does not know (a CRD's) is taken as given; in a built-in group, the resource must be
    one it serves (``secret`` for ``secrets`` is a mistake, not a request). ``group_option``: how
    the hint names the API group's option or key."""
    served = builtin_groups().get(api_group)
    if served is None or resource in served or resource == "*":
        return None
    elsewhere = [group or '""' for group, resources in builtin_groups().items() if resource in resources]
    if elsewhere:
        return (f"{resource!r} is not served in API group {api_group or chr(34) * 2}: it is in "
                f"{', '.join(elsewhere)} (add {group_option} {elsewhere[0]})")
    return f"unknown resource {resource!r} in API group {api_group or chr(34) * 2}{close_match_hint(resource, served)}"
