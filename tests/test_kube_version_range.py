"""--kube-version takes a release or a range; lint and validate target every supported release by
default and evaluate each release that behaves differently; explain and replay use the newest."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app
from kube_audit_lint.policy import versions

WILDCARD_GROUP = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    resources:
      - group: "*"
"""

PLAIN = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
  - level: Metadata
"""


def write(tmp_path, text):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return str(path)


def test_the_supported_releases_are_data_and_the_default():
    assert versions.SUPPORTED == ((1, 33), (1, 34), (1, 35), (1, 36))
    assert versions.SUPPORTED[-1] == versions.NEWEST


def test_a_range_is_every_release_between_its_ends():
    assert versions.parse_range("1.33-1.36") == ((1, 33), (1, 34), (1, 35), (1, 36))
    assert versions.parse_range("v1.35") == ((1, 35),)
    assert versions.format_range([(1, 35), (1, 33), (1, 34)]) == "1.33-1.35"
    assert versions.format_range([(1, 33), (1, 36)]) == "1.33, 1.36"
    with pytest.raises(ValueError, match="backwards"):
        versions.parse_range("1.36-1.33")
    with pytest.raises(ValueError, match="outside"):
        versions.parse_range("1.33-1.99")


def test_validate_names_the_releases_that_refuse_a_wildcard_group(tmp_path):
    path = write(tmp_path, WILDCARD_GROUP)
    result = CliRunner().invoke(app, ["validate", path, "--kube-version", "1.33-1.36"])
    assert result.exit_code == 1
    assert "kube-apiserver 1.33-1.35 would refuse this policy" in result.stdout
    assert "1.36 would load it" in result.stdout
    default = CliRunner().invoke(app, ["validate", path])
    assert default.exit_code == 1 and "1.33-1.35" in default.stdout
    assert CliRunner().invoke(app, ["validate", path, "--kube-version", "1.36"]).exit_code == 0


def test_lint_reports_the_releases_that_refuse_a_policy(tmp_path):
    path = write(tmp_path, WILDCARD_GROUP)
    result = CliRunner().invoke(app, ["lint", path, "--format", "json", "--select", "invalid-policy"])
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["code"] == "KAL001" and finding["message"].endswith("(Kubernetes 1.33-1.35 only)")
    newest = CliRunner().invoke(app, ["lint", path, "--format", "json", "--select", "invalid-policy",
                                      "--kube-version", "1.36"])
    assert json.loads(newest.stdout)["findings"] == []


def test_releases_that_behave_alike_give_each_finding_once(tmp_path):
    path = write(tmp_path, PLAIN)
    ranged = json.loads(CliRunner().invoke(app, ["lint", path, "--format", "json"]).stdout)["findings"]
    newest = json.loads(CliRunner().invoke(app, ["lint", path, "--format", "json", "--kube-version", "1.36"]).stdout)
    assert [f["message"] for f in ranged] == [f["message"] for f in newest["findings"]]


def test_a_policy_that_names_no_wildcard_group_is_linted_once_for_1_35_and_1_36():
    """Whether a release takes group "*" for every group only matters to a policy that may say it."""
    from kube_audit_lint.lint.pipeline import release_behaviour

    assert release_behaviour((1, 35), PLAIN) == release_behaviour((1, 36), PLAIN)
    assert release_behaviour((1, 35), WILDCARD_GROUP) != release_behaviour((1, 36), WILDCARD_GROUP)


@pytest.mark.parametrize("written", ['group: "*"', "group: '*'", '"group": "*"', "{group: '*'}", 'group: !!str "*"',
                                     'group: *every', 'group:\n        "*"', 'group: "\\x2a"', 'group: "\\u002a"'])
def test_every_spelling_of_a_wildcard_group_keeps_the_releases_apart(written):
    from kube_audit_lint.lint.pipeline import release_behaviour

    text = PLAIN + f"  - level: None\n    resources:\n      - {written}\n"
    assert release_behaviour((1, 35), text) != release_behaviour((1, 36), text)


def test_explain_uses_the_newest_release_of_a_range_and_says_so(tmp_path):
    path = write(tmp_path, WILDCARD_GROUP)
    result = CliRunner().invoke(app, ["explain", path, "--resource", "pods", "--kube-version", "1.33-1.36",
                                      "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["kubeVersion"] == "1.36"
    assert "Kubernetes 1.36, the newest of 1.33-1.36" in result.stderr
