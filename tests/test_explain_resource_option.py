"""Explain's --resource takes RESOURCE or RESOURCE/SUBRESOURCE, no empty part."""

import pytest

from kube_audit_lint.commands.explain import ExplainRequest, option_conflict


@pytest.mark.parametrize("resource", ["pods/", "/exec", "pods/exec/x", "", "/"])
def test_a_resource_with_an_empty_or_extra_part_is_refused(resource):
    conflict = option_conflict(ExplainRequest(resource=resource))
    assert conflict is not None and conflict.startswith("--resource must be RESOURCE or RESOURCE/SUBRESOURCE")


@pytest.mark.parametrize("resource", ["pods", "pods/exec"])
def test_a_resource_or_a_subresource_is_accepted(resource):
    assert option_conflict(ExplainRequest(resource=resource)) is None
