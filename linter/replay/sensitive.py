"""Which requests an auditor cares about most, and who made a request, in broad classes.

The sensitive categories are the requests that detections and compliance frameworks depend on
(see the detection matrix in the project's domain notes): shells and tunnels into pods, secret
access, RBAC changes, token and certificate issuance, admission webhook changes.
"""

from __future__ import annotations

from kube_audit_lint.engine.request import Request

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
RESOURCE_ITSELF = frozenset({""})

# (category, api group, resources, subresources ("" is the resource itself; None: any), verbs (None: any))
SENSITIVE = (
    ("pod-exec", "", frozenset({"pods"}), frozenset({"exec", "attach", "portforward"}), None),
    ("proxy", "", frozenset({"pods", "services", "nodes"}), frozenset({"proxy"}), None),
    ("secrets", "", frozenset({"secrets"}), RESOURCE_ITSELF, None),
    ("rbac-change", "rbac.authorization.k8s.io",
     frozenset({"roles", "rolebindings", "clusterroles", "clusterrolebindings"}), RESOURCE_ITSELF, WRITE_VERBS),
    ("token-request", "", frozenset({"serviceaccounts"}), frozenset({"token"}), frozenset({"create"})),
    ("certificate-request", "certificates.k8s.io", frozenset({"certificatesigningrequests"}), None, WRITE_VERBS),
    ("webhook-change", "admissionregistration.k8s.io",
     frozenset({"mutatingwebhookconfigurations", "validatingwebhookconfigurations"}), RESOURCE_ITSELF, WRITE_VERBS),
)
CATEGORIES = tuple(entry[0] for entry in SENSITIVE)


def sensitive_category(request: Request) -> str | None:
    """The sensitive category of a request, or None for ordinary traffic."""
    if not request.resource_request:
        return None
    for category, group, resources, subresources, verbs in SENSITIVE:
        if (
            request.api_group == group
            and request.resource in resources
            and (subresources is None or request.subresource in subresources)
            and (verbs is None or request.verb in verbs)
        ):
            return category
    return None


def user_class(request: Request) -> str:
    """A coarse class of the requesting identity, for grouping changes a reviewer can read."""
    user = request.user or ""
    if request.user is None or user == "":
        return "unauthenticated"
    if user == "system:anonymous":
        return "anonymous"
    if user.startswith("system:node:"):
        return "kubelet"
    if user.startswith("system:serviceaccount:"):
        namespace = user.split(":")[2] if user.count(":") >= 3 else ""
        return f"serviceaccount:{namespace}"
    if user.startswith("system:"):
        return "control-plane"
    return "user"


def resource_label(request: Request) -> str:
    """``pods/exec``, ``deployments.apps``, ``rolebindings.rbac.authorization.k8s.io`` or a URL path."""
    if not request.resource_request:
        return request.path or "/"
    label = request.resource or "<any>"
    if request.api_group:
        label += f".{request.api_group}"
    if request.subresource:
        label += f"/{request.subresource}"
    return label
