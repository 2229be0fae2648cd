"""How a replay names a policy's rule in one line (``Metadata: verbs get, list; resources secrets``).

Shared by the comparison and the renderings (replay/render.py).
"""

from __future__ import annotations

from kube_audit_lint.escape import one_line
from kube_audit_lint.policy.model import Rule


def _short(values: tuple[str, ...], limit: int = 3) -> str:
    shown = ", ".join(v if v else '""' for v in values[:limit])
    return shown + (f", +{len(values) - limit}" if len(values) > limit else "")


def describe_rule(rule: Rule) -> str:
    """A one-line description: ``Metadata: verbs get, list; resources secrets`` and so on."""
    parts = []
    if rule.users:
        parts.append(f"users {_short(rule.users)}")
    if rule.user_groups:
        parts.append(f"userGroups {_short(rule.user_groups)}")
    if rule.verbs:
        parts.append(f"verbs {_short(rule.verbs, 4)}")
    if rule.resources:
        labels = []
        for entry in rule.resources:
            group = f"{entry.group}:" if entry.group else ""
            labels += [f"{group}{r}" for r in entry.resources] or [f"{group}*" if group else "core:*"]
        parts.append(f"resources {_short(tuple(labels), 4)}")
    if rule.namespaces:
        parts.append(f"namespaces {_short(rule.namespaces)}")
    if rule.non_resource_urls:
        parts.append(f"nonResourceURLs {_short(rule.non_resource_urls)}")
    return one_line(f"{rule.level or '<no level>'}: " + ("; ".join(parts) if parts else "everything"))
