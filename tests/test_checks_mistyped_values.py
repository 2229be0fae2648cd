"""A value kube-apiserver cannot decode (``users: [123]``) is reported once,
by invalid-policy, not also as an "empty" entry by rule-never-matches."""

import pytest

from kube_audit_lint.lint.pipeline import lint_text

HEAD = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n"


@pytest.mark.parametrize("rule", [
    "  - level: Metadata\n    users: [123]\n",
    "  - level: Metadata\n    verbs: [yes]\n",
    "  - level: Metadata\n    namespaces: [1.5]\n",
    '  - level: Metadata\n    resources:\n      - group: ""\n        resources: [7]\n',
])
def test_a_value_of_the_wrong_type_is_not_called_empty(rule):
    findings = lint_text(HEAD + rule, select=["invalid-policy", "rule-never-matches"])
    assert [f.code for f in findings] == ["KAL001"]
    assert "empty" not in findings[0].message


def test_a_really_empty_entry_next_to_a_mistyped_one_is_still_reported():
    findings = lint_text(HEAD + '  - level: Metadata\n    verbs: [yes, ""]\n',
                         select=["invalid-policy", "rule-never-matches"])
    assert sorted(f.code for f in findings) == ["KAL001", "KAL004"]
    never = next(f for f in findings if f.code == "KAL004")
    assert never.message == "rule 0: an empty verb matches no request"
