"""Request attributes: what the apiserver's audit filter knows about a request when it evaluates
the policy (authorizer.Attributes, reduced to the fields the policy checker reads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kube_audit_lint.escape import one_line


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the policy checker sees it.

    ``user`` is None for a request with no authenticated user at all (the failed-authentication
    path): rules with ``users`` or ``userGroups`` never match it. A resource request has
    ``resource_request`` True and uses api_group/resource/subresource/namespace/name; a
    non-resource request uses ``path`` (without the query string).
    """

    user: str | None = ""
    groups: tuple[str, ...] = ()
    verb: str = ""
    resource_request: bool = True
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""
    api_version: str = field(default="", compare=False)

    @property
    def combined_resource(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    def describe(self) -> str:
        """kubectl-like one-line description: ``get secrets/db-password -n prod by alice``."""
        who = "an unauthenticated client" if self.user is None else (self.user or '""')
        if self.groups:
            who += f" (groups {', '.join(self.groups)})"
        if not self.resource_request:
            return one_line(f"{self.verb or '<any verb>'} {self.path or '/'} by {who}")
        target = self.combined_resource or "<resource>"
        if self.api_group:
            target = f"{target}.{self.api_group}" if not self.subresource else (
                f"{self.resource}.{self.api_group}/{self.subresource}"
            )
        if self.name:
            target = f"{target} {self.name}" if self.subresource else f"{target}/{self.name}"
        where = f" -n {self.namespace}" if self.namespace else " (cluster-wide)"
        return one_line(f"{self.verb or '<any verb>'} {target}{where} by {who}")  # shown to people: no controls

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"user": self.user, "groups": list(self.groups), "verb": self.verb}
        if self.resource_request:
            out.update(
                apiGroup=self.api_group, resource=self.resource, subresource=self.subresource,
                namespace=self.namespace, name=self.name,
            )
        else:
            out["path"] = self.path
        return out


def parse_resource(text: str) -> tuple[str, str]:
    """``pods/exec`` -> ("pods", "exec"); ``pods`` -> ("pods", "")."""
    resource, _, subresource = text.partition("/")
    return resource, subresource
