"""Every check documents itself, and its documentation is a test.

For each check found (entry points and the built-in ``checks`` package): the docstring has the
required sections, the ``## Example`` policy makes the check report, and the ``## Use instead``
policy, which kube-apiserver accepts, makes it report nothing.
"""

from __future__ import annotations

import importlib
import re

import pytest

from kube_audit_lint.findings import Severity
from kube_audit_lint.lint.pipeline import lint_text
from kube_audit_lint.policy.validate import apiserver_verdict, is_audit_policy_document
from kube_audit_lint.policy.yamlnodes import parse_documents
from kube_audit_lint.lint.registry import all_checks, doc_sections

REQUIRED_SECTIONS = ("what it does", "why is this bad?", "example", "use instead", "fix", "references")
BUILTIN_CODE = re.compile(r"^KAL\d{3}$")
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
YAML_BLOCK = re.compile(r"```ya?ml\n(.*?)```", re.S)

# Checks of the kube-apiserver flags (EXAMPLE_INPUT = "apiserver-manifest") document a manifest;
# they run next to this policy, named as kube-apiserver manifests usually name it.
MINIMAL_POLICY = """apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
"""

CHECKS = all_checks()
IDS = [f"{spec.code}-{spec.name}" for spec in CHECKS]


def example(spec, section: str) -> str:
    text = doc_sections(spec.doc).get(section, "")
    blocks = YAML_BLOCK.findall(text)
    assert blocks, f"{spec.code}: the '## {section.capitalize()}' section has no ```yaml block"
    return blocks[0]


def example_input(spec) -> str:
    return getattr(importlib.import_module(spec.module), "EXAMPLE_INPUT", "policy")


def lint_example(spec, text: str, path: str):
    if example_input(spec) == "apiserver-manifest":
        return lint_text(MINIMAL_POLICY, path="audit-policy.yaml", select=[spec.code], apiserver_manifest_text=text)
    return lint_text(text, path=path, select=[spec.code])


def test_checks_are_found():
    assert len(CHECKS) >= 8
    assert {"invalid-policy", "unknown-field", "versioned-group", "rule-never-matches"} <= {s.name for s in CHECKS}


def test_codes_and_names_are_unique():
    codes = [spec.code for spec in CHECKS]
    names = [spec.name for spec in CHECKS]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("spec", CHECKS, ids=IDS)
def test_code_name_and_severity(spec):
    if spec.module.startswith("checks."):
        assert BUILTIN_CODE.match(spec.code), spec.code
        assert spec.module.startswith(f"kube_audit_lint.checks.{spec.code.lower()}_"), f"{spec.module} should be named for {spec.code}"
    assert NAME.match(spec.name), f"{spec.name!r} is not a kebab-case name"
    assert spec.severity in tuple(Severity)


@pytest.mark.parametrize("spec", CHECKS, ids=IDS)
def test_docstring_has_summary_and_sections(spec):
    lines = spec.doc.strip().splitlines()
    assert lines and lines[0].strip(), f"{spec.code}: no summary line"
    assert not lines[0].startswith("#"), f"{spec.code}: the first line should be a one-line summary"
    assert len(lines) == 1 or not lines[1].strip(), f"{spec.code}: the summary should be one line followed by a blank"
    assert len(lines[0]) <= 120, f"{spec.code}: summary longer than 120 characters"
    sections = doc_sections(spec.doc)
    missing = [s for s in REQUIRED_SECTIONS if not sections.get(s)]
    assert not missing, f"{spec.code}: missing or empty sections {missing}"


@pytest.mark.parametrize("spec", CHECKS, ids=IDS)
def test_example_is_reported(spec):
    text = example(spec, "example")
    findings = [f for f in lint_example(spec, text, "example.yaml") if not f.suppressed]
    assert findings, f"{spec.code} {spec.name}: its ## Example reports nothing"
    lines = text.count("\n") + 1
    for finding in findings:
        assert (finding.code, finding.name) == (spec.code, spec.name)
        assert 1 <= finding.location.line <= lines and finding.location.column >= 1, finding
        assert finding.message.strip()


@pytest.mark.parametrize("spec", CHECKS, ids=IDS)
def test_use_instead_is_clean_and_accepted(spec):
    text = example(spec, "use instead")
    if example_input(spec) == "policy":
        documents = parse_documents("use-instead.yaml", text)
        assert documents and all(is_audit_policy_document(d.data) for d in documents), "not an audit policy"
        for document in documents:
            verdict = apiserver_verdict(document)
            assert verdict.accepted, f"{spec.code}: kube-apiserver refuses the ## Use instead policy: {verdict.errors}"
    findings = lint_example(spec, text, "use-instead.yaml")
    assert not findings, f"{spec.code} {spec.name}: its ## Use instead reports {[f.message for f in findings]}"
