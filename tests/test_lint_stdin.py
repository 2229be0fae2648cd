"""A policy read from standard input (``lint -``) is linted like a file.

stdin can be read only once, so the text the lint read is the one its suppressions and source
excerpts come from.
"""

import json

from typer.testing import CliRunner

from kube_audit_lint.cli import app

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  # kube-audit-lint: disable=health-endpoint-logged -- probes are kept while we debug
  - level: Metadata
"""


def lint_stdin(*args):
    return CliRunner().invoke(app, ["lint", "-", "--select", "KAL021,KAL090", *args], input=POLICY)


def test_inline_suppressions_apply_to_a_policy_read_from_stdin():
    result = lint_stdin("--format", "json")
    findings = json.loads(result.stdout)["findings"]
    assert [(f["code"], f["suppressed"]) for f in findings] == [("KAL021", True)]
    assert findings[0]["suppression"]["justification"] == "probes are kept while we debug"
    assert result.exit_code == 0


def test_text_output_shows_the_source_line_of_a_policy_read_from_stdin():
    result = CliRunner().invoke(app, ["lint", "-", "--select", "KAL006"],
                                input=POLICY.replace("omitStages: [RequestReceived]\n", ""))
    assert result.exit_code == 1
    assert "-:3:1: KAL006" in result.stdout
    assert "   3 | rules:" in result.stdout
