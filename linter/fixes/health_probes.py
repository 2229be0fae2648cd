"""health-endpoint-logged (KAL021): a first rule ``- level: None`` with ``nonResourceURLs`` for
the health and version probes (``/healthz*``, ``/livez*``, ``/readyz*``, ``/version``).

Only requests on those paths may change, and only to not being logged."""

from __future__ import annotations

from kube_audit_lint.checks.kal021_health_endpoint_logged import OPTIONS, fix_paths
from kube_audit_lint.engine.space import Selector
from kube_audit_lint.fixes.model import Proposal
from kube_audit_lint.fixes.text import insert_rule_before
from kube_audit_lint.policy.model import Level


def propose(finding, policy, text: str) -> Proposal | None:
    if not policy.rules:
        return None
    paths = fix_paths(tuple(OPTIONS["paths"]))
    listed = ", ".join(f'"{p}"' for p in paths)
    edit = insert_rule_before(policy, text, 0, ["level: None", f"nonResourceURLs: [{listed}]"])
    if edit is None:
        return None
    return Proposal("add a first rule that does not log health and version probes", (edit,),
                    intended=(Selector(non_resource_urls=tuple(paths)),), expects=not_logged,
                    expected="no longer logged")


def not_logged(old, new) -> bool:
    return new.level is Level.NONE
