"""SARIF output of every test policy validates against the official SARIF 2.1.0 schema.

"Every test policy": the shipped examples, every real-world policy of the corpus, and the failing
and passing examples of every check's documentation.
"""

from __future__ import annotations

import functools
import json
import re

import pytest

from kube_audit_lint.findings import Report
from kube_audit_lint.lint.pipeline import LintOptions, lint_report, lint_text
from kube_audit_lint.output import render
from kube_audit_lint.lint.registry import all_checks, doc_sections

REPO_EXAMPLES = ["examples/audit-policy.yaml", "examples/insecure-policy.yaml"]


@functools.lru_cache(maxsize=1)
def sarif_validator(schema_path: str):
    import jsonschema

    schema = json.loads(open(schema_path, encoding="utf-8").read())
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def validator(shared_dir):
    return sarif_validator(str(shared_dir / "schemas" / "sarif-schema-2.1.0.json"))


def assert_valid(validator, sarif_text: str) -> dict:
    document = json.loads(sarif_text)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return document


def test_examples_and_corpus_policies(validator, corpus_policies, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    paths = REPO_EXAMPLES + sorted(str(p) for p in corpus_policies.glob("*.yaml"))
    for path in paths:
        report, _ = lint_report(LintOptions(paths=[path]))
        document = assert_valid(validator, render(report, "sarif"))
        run = document["runs"][0]
        assert len(run["results"]) == len(report.findings), path
        rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
        for result in run["results"]:
            assert rule_ids[result["ruleIndex"]] == result["ruleId"]


YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)


@pytest.mark.parametrize("spec", all_checks(), ids=lambda s: s.code)
def test_check_documentation_examples(validator, spec):
    sections = doc_sections(spec.doc)
    for title in ("example", "use instead"):
        for block in YAML_BLOCK.findall(sections.get(title, "")):
            if getattr(__import__(spec.module, fromlist=["_"]), "EXAMPLE_INPUT", None) == "apiserver-manifest":
                findings = lint_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n",
                                     apiserver_manifest_text=block)
            else:
                findings = lint_text(block, path="example.yaml")
            report = Report(findings=findings, files=["example.yaml"], checks=all_checks(), sources={"example.yaml": block})
            assert_valid(validator, render(report, "sarif"))
