"""Audit policies kept inside other documents, found where people really keep them:

- a ConfigMap whose ``data`` value is a policy file (mounted into kube-apiserver's pod);
- a Talos machine configuration, ``cluster.apiServer.auditPolicy`` (an inline mapping);
- an OpenShift ``APIServer`` resource (``config.openshift.io/v1``): ``spec.audit.profile`` and
  ``spec.audit.customRules`` stand for the policy OpenShift's operator renders
  (``openshift_profiles``).

Each is returned as a Document of its own whose positions are those of the wrapping file, so that
findings point at the lines a reviewer edits.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kube_audit_lint.policy.model import type_meta
from kube_audit_lint.policy.openshift_profiles import rendered_policy
from kube_audit_lint.policy.validate import is_audit_policy_document
from kube_audit_lint.policy.yamlnodes import Document, Path, Span, parse_leading_documents


def embedded_policies(document: Document, text: str) -> list[tuple[str, Document]]:
    """(where, policy document) for every audit policy held inside ``document``."""
    data = document.data
    if not isinstance(data, dict):
        return []
    kind, api_version = type_meta(data, "kind"), type_meta(data, "apiVersion")
    if kind == "ConfigMap" and isinstance(data.get("data"), dict):
        return [(f"ConfigMap data {key!r}", found)
                for key, value in data["data"].items() if isinstance(value, str)
                for found in _configmap_value(document, text, ("data", key), value)]
    talos = _at(data, ("cluster", "apiServer", "auditPolicy"))
    if isinstance(talos, dict) and is_audit_policy_document(talos):
        return [("Talos cluster.apiServer.auditPolicy", subdocument(document, ("cluster", "apiServer", "auditPolicy")))]
    if kind == "APIServer" and isinstance(api_version, str) and api_version.startswith("config.openshift.io/"):
        rendered = rendered_policy(document)
        return [] if rendered is None else [("OpenShift APIServer spec.audit", rendered)]
    return []


def _at(data: Any, path: Path) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def subdocument(document: Document, prefix: Path) -> Document:
    """The mapping at ``prefix`` as a document of its own, with the wrapping file's positions."""
    def inside(spans: dict[Path, Span]) -> dict[Path, Span]:
        return {path[len(prefix):]: span for path, span in spans.items() if path[:len(prefix)] == prefix}

    return replace(
        document, data=_at(document.data, prefix), spans=inside(document.spans), key_spans=inside(document.key_spans),
        duplicate_keys=[(path[len(prefix):], span) for path, span in document.duplicate_keys
                        if path[:len(prefix)] == prefix],
        start=document.span(prefix),
    )


def _configmap_value(document: Document, text: str, path: Path, value: str) -> list[Document]:
    """The policy in a ConfigMap value: the first document of the value (what the apiserver reads
    from the mounted file), positioned where a block scalar's lines stand in the wrapping file."""
    try:
        documents, _ = parse_leading_documents(document.path, value)
    except Exception:  # noqa: BLE001 - a value that is no YAML at all holds no policy
        return []
    if not documents or not is_audit_policy_document(documents[0].data):
        return []
    at = document.span(path)
    lines = text.splitlines()
    block = 0 < at.line <= len(lines) and lines[at.line - 1][at.column - 1:at.column] in ("|", ">")
    if block:
        content = next((line for line in lines[at.line:] if line.strip()), "")
        return [_shifted(documents[0], at.line, len(content) - len(content.lstrip(" ")))]
    return [_pinned(documents[0], at)]


def _shifted(document: Document, lines: int, columns: int) -> Document:
    def move(span: Span) -> Span:
        return Span(span.line + lines, span.column + columns, span.end_line + lines, span.end_column + columns)

    return replace(document, spans={p: move(s) for p, s in document.spans.items()},
                   key_spans={p: move(s) for p, s in document.key_spans.items()},
                   duplicate_keys=[(p, move(s)) for p, s in document.duplicate_keys], start=move(document.start))


def _pinned(document: Document, at: Span) -> Document:
    """A value written as a quoted string: every position is the value's own."""
    return replace(document, spans={p: at for p in document.spans}, key_spans={p: at for p in document.key_spans},
                   duplicate_keys=[(p, at) for p, _ in document.duplicate_keys], start=at)
