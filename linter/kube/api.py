"""What kube-apiserver puts in a request's attributes, as far as a policy check needs to know it.

Verbs come from the apiserver's request-info resolver (``k8s.io/apiserver
pkg/endpoints/request/requestinfo.go``): a resource request carries a Kubernetes verb (``get``,
``list``, ``watch``, ``create``, ...), a non-resource request the lower-cased HTTP method. The
built-in API groups and their resources are data (``linter/data/kubernetes-resources.yaml``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from kube_audit_lint.datafiles import read_data
from kube_audit_lint.policy.yamlnodes import parse_data

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
    added: tuple[int, int] | None = None  # the first release that serves it
    verbs: tuple[str, ...] = ()  # the only verbs served, when not every verb
    subresource_verbs: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def served_in(self, kube_version: tuple[int, int]) -> bool:
        return (self.removed is None or kube_version < self.removed) and (
            self.added is None or kube_version >= self.added)

    def verbs_of(self, subresource: str) -> tuple[str, ...]:
        """The only verbs served on ``subresource`` ("" for the resource itself); () for any verb."""
        if not subresource:
            return self.verbs
        return dict(self.subresource_verbs).get(subresource, ())


def _release(text) -> tuple[int, int] | None:
    if text is None:
        return None
    major, minor = str(text).split(".")
    return int(major), int(minor)


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    return parse_data("kubernetes-resources.yaml", read_data("kubernetes-resources.yaml"))


@functools.lru_cache(maxsize=1)
def builtin_groups() -> dict[str, dict[str, ApiResource]]:
    """Every built-in API group (core is ``""``) and the resources it serves or served."""
    groups: dict[str, dict[str, ApiResource]] = {}
    for group, resources in _data()["groups"].items():
        groups[group] = {
            name: ApiResource(group, name, bool(info["namespaced"]), tuple(info.get("subresources", ())),
                              _release(info.get("removed")), _release(info.get("added")),
                              tuple(info.get("verbs", ())),
                              tuple((sub, tuple(verbs)) for sub, verbs in info.get("subresource_verbs", {}).items()))
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


def group_removed(group: str, kube_version: tuple[int, int]) -> tuple[int, int] | None:
    """The release that removed the last resource of built-in ``group``, when ``kube_version`` is
    that release or later (no request in the group can reach kube-apiserver); None otherwise, and
    for a group the catalogue does not know (a CRD's group stays possible)."""
    resources = builtin_groups().get(group)
    if not resources or any(r.removed is None for r in resources.values()):
        return None
    last = max(r.removed for r in resources.values() if r.removed is not None)
    return last if kube_version >= last else None


# requestinfo.go: a request on the namespaces resource takes the Namespace's name as its namespace
# (/api/v1/namespaces/NAME[/status|/finalize]); only the collection requests (/api/v1/namespaces:
# create, list, watch, deletecollection) carry namespace "".
NAMESPACE_COLLECTION_VERBS = frozenset({"create", "list", "watch", "deletecollection"})
# requestinfo.go: these verbs act on one object, named in the URL (without a name, a GET is a list
# and a DELETE a deletecollection); a create POSTs to the collection and has no name unless it
# creates a subresource (pods/NAME/eviction).
OBJECT_VERBS = frozenset({"get", "update", "patch", "delete"})
# Only list and watch of a namespaced resource are served across all namespaces (/api/v1/pods),
# where the request's namespace is "".
CLUSTER_WIDE_VERBS = frozenset({"list", "watch"})


def is_namespace_object(api_group: str, resource: str) -> bool:
    return api_group == "" and resource == "namespaces"


def request_namespace(api_group: str, resource: str, verb: str, name: str, namespace: str) -> str:
    """The namespace kube-apiserver's request info gives a request: NAME for a request on the
    Namespace object NAME, "" for the namespaces collection, ``namespace`` otherwise."""
    if is_namespace_object(api_group, resource):
        return "" if verb in NAMESPACE_COLLECTION_VERBS else name
    return namespace


def request_problem(request, kube_version: tuple[int, int] | None = None) -> str | None:
    """Why kube-apiserver never serves a resource request like ``request`` (an
    ``engine.request.Request``), or None when it can. Resources the catalogue does not know
    (CRDs, aggregated APIs) are possible whatever they look like."""
    if not request.resource_request:
        return None
    namespace, name = request.namespace, request.name
    # what the answer depends on besides the group, resource, subresource and verb: whether there
    # are a namespace and a name, and (for a Namespace object) whether they are the same
    return _problem(request.api_group, request.resource, request.subresource, request.verb,
                    "n" if namespace else "", "n" if name else "", namespace == name, kube_version)


@functools.lru_cache(maxsize=65536)
def _problem(group: str, resource: str, subresource: str, verb: str, namespace: str, name: str,
             namespace_is_name: bool, kube_version: tuple[int, int] | None) -> str | None:
    if verb in OBJECT_VERBS and not name:
        return f"{verb} without an object name (a GET on a collection is a list, a DELETE a deletecollection)"
    if verb == "create" and name and not subresource:
        return "create of a named object (a create POSTs to the collection)"
    if subresource and not name:
        return "a subresource without an object name"
    if kube_version is not None and (gone := group_removed(group, kube_version)):
        return f"API group {group} was removed in Kubernetes {gone[0]}.{gone[1]}"
    served = lookup(group, resource)
    if served is None:
        return f"{group_label(group)} has no resource {resource}" if is_builtin_group(group) else None
    if kube_version is not None and not served.served_in(kube_version):
        return f"{resource} is not served by Kubernetes {kube_version[0]}.{kube_version[1]}"
    if subresource and subresource not in served.subresources:
        return f"{resource} has no subresource {subresource}"
    only = served.verbs_of(subresource)
    if only and verb not in only:
        return f"verb {verb} on {resource}{'/' + subresource if subresource else ''}"
    if is_namespace_object(group, resource):
        if verb in NAMESPACE_COLLECTION_VERBS:
            return "a namespace on the namespaces collection" if namespace or subresource else None
        if not name:
            return f"{verb} namespaces without a name"
        return None if namespace_is_name else "a Namespace object whose namespace is not its name"
    if served.namespaced:
        if not namespace and (verb not in CLUSTER_WIDE_VERBS or subresource):
            return f"{verb} {resource} across all namespaces (only list and watch are)"
        return None
    if namespace:
        return "a namespace on a cluster-scoped resource"
    return None


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
