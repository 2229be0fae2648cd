"""The fast (libyaml) and the pure parser read policies alike, and as go-yaml does."""

from __future__ import annotations

import pytest

from kube_audit_lint.policy.yamlnodes import parse_documents


def test_colon_inside_a_flow_item_is_read_as_go_yaml_reads_it():
    """go-yaml (scannerc.go, yaml_parser_scan_plain_scalar) ends a plain scalar at ':' only before a
    blank, so `[system:kube-proxy]` is one string to kube-apiserver; libyaml would refuse it."""
    (document,) = parse_documents("p.yaml", "users: [system:kube-proxy, system:nodes]\nverbs: [get]\n")
    assert document.data == {"users": ["system:kube-proxy", "system:nodes"], "verbs": ["get"]}
    assert document.span(("users", 1)).column == 28


@pytest.mark.parametrize("text", [
    "a: yes\nb: [1, '2', ~]\nc: &x {k: v}\nd:\n  <<: *x\n  z: 2\n",
    "rules:\n- level: Metadata\n  users: [system:anonymous]\n  omitStages: [\"RequestReceived\"]\n",
    "--- \nkind: Policy\n---\nkind: Other\n",
])
def test_fast_and_pure_parsers_agree(text, monkeypatch):
    fast = [(d.data, d.spans) for d in parse_documents("p.yaml", text)]
    monkeypatch.setenv("KUBE_AUDIT_LINT_PURE_YAML", "1")
    pure = [(d.data, d.spans) for d in parse_documents("p.yaml", text)]
    assert fast == pure
