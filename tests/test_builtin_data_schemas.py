"""The data shipped with the package validates against its schemas (the loader trusts it at run time)."""

from __future__ import annotations

from importlib import resources

import pytest

from kube_audit_lint.lint import baseline
from kube_audit_lint.policy.yamlnodes import parse_documents

BASELINE_FILES = sorted(p.name for p in resources.files("kube_audit_lint.baselines").iterdir()
                        if p.name.endswith(".yaml") and p.name != baseline.REQUEST_CLASSES)


@pytest.mark.parametrize("name", BASELINE_FILES)
def test_builtin_baseline_matches_the_baseline_schema(name):
    text = resources.files("kube_audit_lint.baselines").joinpath(name).read_text("utf-8")
    (document,) = parse_documents(name, text)
    baseline._validate(document, baseline.BASELINE_SCHEMA)


def test_request_classes_match_their_schema():
    text = resources.files("kube_audit_lint.baselines").joinpath(baseline.REQUEST_CLASSES).read_text("utf-8")
    (document,) = parse_documents(baseline.REQUEST_CLASSES, text)
    baseline._validate(document, baseline.REQUEST_CLASSES_SCHEMA)


def test_a_broken_builtin_would_fail_here(tmp_path):
    text = resources.files("kube_audit_lint.baselines").joinpath("cis.yaml").read_text("utf-8").replace("expectations:", "expectationz:", 1)
    (document,) = parse_documents("cis.yaml", text)
    with pytest.raises(baseline.BaselineError):
        baseline._validate(document, baseline.BASELINE_SCHEMA)

