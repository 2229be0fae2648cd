"""invalid-policy (KAL001): ``apiVersion: audit.k8s.io/v1beta1`` (or v1alpha1) -> ``audit.k8s.io/v1``.

The fields are the same, so no request's outcome may change."""

from __future__ import annotations

from kube_audit_lint.fixes.model import Proposal
from kube_audit_lint.fixes.text import lines_of, replace_token, scalar_like, token

OLD_VERSIONS = ("audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1")
CURRENT = "audit.k8s.io/v1"


def propose(finding, policy, text: str) -> Proposal | None:
    if policy.api_version not in OLD_VERSIONS or policy.kind not in (None, "Policy"):
        return None
    span = policy.document.spans.get(("apiVersion",))
    if span is None or (finding.location.line, finding.location.column) != (span.line, span.column):
        return None
    written = token(lines_of(text), span)
    if not written:
        return None
    return Proposal(f"use apiVersion {CURRENT}", (replace_token(span, scalar_like(written, CURRENT)),))
