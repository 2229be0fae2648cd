"""The audit policy an OpenShift ``APIServer`` resource stands for (``spec.audit``).

``profile`` (Default when unset) and ``customRules`` ([{group, profile}]) select rule sets from
``linter/data/openshift-audit-profiles.yaml``: the base rules, then each custom rule's profile
scoped to its group (``userGroups: [group]``), then the top-level profile. Every position in the
rendered policy is that of the ``spec.audit`` entry it comes from, so findings point at the line
to change.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from kube_audit_lint.datafiles import read_data
from kube_audit_lint.policy.yamlnodes import Document, Path, Span, parse_documents

PROFILES = ("Default", "WriteRequestBodies", "AllRequestBodies", "None")


@functools.lru_cache(maxsize=1)
def _profiles() -> dict[str, Any]:
    data: dict[str, Any] = parse_documents("openshift-audit-profiles.yaml", read_data("openshift-audit-profiles.yaml"))[0].data
    return data


def rendered_policy(document: Document) -> Document | None:
    """The policy for ``document`` (an APIServer resource), or None when its audit section names
    a profile OpenShift does not have (nothing to render)."""
    spec = document.data.get("spec")
    found = spec.get("audit") if isinstance(spec, dict) else None
    audit: dict[str, Any] = found if isinstance(found, dict) else {}
    profile = audit.get("profile") or "Default"
    listed = audit.get("customRules")
    custom: list[Any] = listed if isinstance(listed, list) else []
    data = _profiles()
    if profile not in PROFILES or any(not isinstance(c, dict) or c.get("profile") not in PROFILES for c in custom):
        return None
    rules: list[Any] = copy.deepcopy(data["base"]["rules"])
    where: list[Path] = [("spec", "audit")] * len(rules)
    for index, entry in enumerate(custom):
        for rule in copy.deepcopy(data["profiles"][entry["profile"]]):
            rules.append({**rule, "userGroups": [entry.get("group", "")]})
            where.append(("spec", "audit", "customRules", index))
    for rule in copy.deepcopy(data["profiles"][profile]):
        rules.append(rule)
        where.append(("spec", "audit", "profile") if "profile" in audit else ("spec", "audit"))
    policy = {"apiVersion": "audit.k8s.io/v1", "kind": "Policy",
              "omitManagedFields": data["base"]["omitManagedFields"],
              "omitStages": list(data["base"]["omitStages"]), "rules": rules}
    anchor = document.span(("spec", "audit"))
    spans: dict[Path, Span] = {}
    key_spans: dict[Path, Span] = {}
    for path in _paths(policy):
        at = document.span(where[path[1]]) if len(path) >= 2 and path[0] == "rules" else anchor
        spans[path] = key_spans[path] = at
    return Document(document.path, document.index, policy, spans, key_spans, [], anchor, document.is_json)


def _paths(value: Any, prefix: Path = ()) -> list[Path]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, prefix + (index,))
    return out
