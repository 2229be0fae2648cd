from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kube_audit_lint.commands.checks import run_checks_command
from kube_audit_lint import INFORMATION_URI, __version__

from kube_audit_lint.lint import checkdocs

from kube_audit_lint.lint import registry
from kube_audit_lint.cli import app
from kube_audit_lint.findings import Severity
from test_output_support import SPECS, spec

REPO = Path(__file__).resolve().parents[1]
REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix")


@pytest.fixture
def fake_checks(monkeypatch):
    """The registry answers with the fake checks only (find_check reads all_checks at call time)."""
    monkeypatch.setattr(registry, "all_checks", lambda: SPECS)
    return SPECS


def run(*args):
    result = CliRunner().invoke(app, ["checks", *args])
    return result.exit_code, result.stdout, result.stderr


def test_text_table(fake_checks):
    code, out, _ = run()
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["CODE", "NAME", "SEVERITY", "SUMMARY"]
    assert lines[1] == "KAL001  sensitive-body-captured  error     Secrets can be logged with their body."
    assert [line.split()[0] for line in lines[1:]] == ["KAL001", "KAL003", "KAL004", "KAL010"]


@pytest.mark.parametrize("key", ["KAL001", "kal001", "sensitive-body-captured"])
def test_one_check_in_full(fake_checks, key):
    code, out, _ = run(key)
    assert code == 0
    assert out.startswith("KAL001 sensitive-body-captured (error)\n\nSecrets can be logged with their body.\n")
    for title in REQUIRED_SECTIONS + ("References", "Options"):
        assert f"\n{title}\n" in out
    assert "\n    rules:\n      - level: RequestResponse\n" in out
    assert 'resources: ["secrets", "configmaps"]' in out
    assert out.rstrip().endswith("docs/checks.md#kal001-sensitive-body-captured")


def test_unknown_check_is_a_usage_error(fake_checks):
    code, out, err = run("no-such-check")
    assert code == 2
    assert out == ""
    assert err == "kube-audit-lint: error: unknown check 'no-such-check' (run `kube-audit-lint checks` for the list)\n"


def test_markdown_table(fake_checks):
    code, out, _ = run("--format", "markdown")
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == [
        "| Code | Name | Severity | What it does |",
        "| --- | --- | --- | --- |",
        "| [KAL001](docs/checks.md#kal001-sensitive-body-captured) | `sensitive-body-captured` | error "
        "| Secrets can be logged with their body. |",
    ]
    assert len(lines) == 2 + len(SPECS)


def test_markdown_table_escapes_pipes():
    table = checkdocs.checks_table([spec("KAL005", "pipes", Severity.NOTE, "Either a | b.")])
    assert "| Either a \\| b. |" in table


def test_markdown_full_page(fake_checks):
    code, out, _ = run("--format", "markdown", "--full")
    assert code == 0
    assert out == checkdocs.checks_markdown_doc(SPECS)
    assert out.startswith("# Checks\n")
    assert "| [KAL004](#kal004-unreachable-rule) |" in out
    section = out[out.index("## KAL001 sensitive-body-captured"):out.index("## KAL003")]
    positions = [section.index(f"### {title}") for title in REQUIRED_SECTIONS + ("References", "Options")]
    assert positions == sorted(positions)
    assert "```yaml\nrules:\n  - level: Metadata\n```" in section
    assert "- `resources` (default: `[\"secrets\", \"configmaps\"]`)" in section
    assert out.endswith("\n") and not out.endswith("\n\n")


def test_json(fake_checks):
    code, out, _ = run("--format", "json")
    assert code == 0
    document = json.loads(out)
    assert [c["code"] for c in document["checks"]] == ["KAL001", "KAL003", "KAL004", "KAL010"]
    first = document["checks"][0]
    assert first["severity"] == "error"
    assert first["options"] == {"resources": ["secrets", "configmaps"]}
    assert first["documentationUri"] == f"{INFORMATION_URI}/blob/v{__version__}/docs/checks.md#kal001-sensitive-body-captured"
    assert list(first["sections"]) == list(REQUIRED_SECTIONS) + ["References"]
    assert {check["category"] for check in document["checks"]} <= {"security", "correctness", "cost", "style",
                                                                     "suppression"}
    assert all(check["precision"] in ("very-high", "high", "medium", "low") for check in document["checks"])
    code, out, _ = run("--format", "json", "KAL010")
    assert json.loads(out)["name"] == "verbose-read-logging"


def test_extra_sections_keep_their_heading_and_come_last():
    custom = spec("KAL030", "custom", Severity.NOTE)
    custom = replace(custom, doc="Short.\n\n## Fix safety\nSafe.\n\n## What it does\nThings.\n")
    assert checkdocs.ordered_sections(custom) == [("What it does", "Things."), ("Fix safety", "Safe.")]


def test_options_that_are_sets_are_shown_as_lists():
    custom = spec("KAL031", "sets", Severity.NOTE, options={"verbs": frozenset({"get", "list"})})
    assert "- `verbs` (default: `[\"get\", \"list\"]`)" in checkdocs.check_markdown(custom)
    assert checkdocs.check_object(custom)["options"] == {"verbs": ["get", "list"]}


def test_github_slug():
    assert checkdocs.github_slug("KAL001 sensitive-body-captured") == "kal001-sensitive-body-captured"
    assert checkdocs.github_slug("KAL002: `a_b` (x)") == "kal002-a_b-x"


def test_broken_check_module_is_reported_in_one_line(monkeypatch, capsys):
    def broken():
        raise ValueError("check module checks.bad has no CODE")

    monkeypatch.setattr(registry, "all_checks", broken)
    assert run_checks_command("text", None) == 2
    assert capsys.readouterr().err == "kube-audit-lint: error: cannot load the checks: check module checks.bad has no CODE\n"


def test_every_installed_check_is_documented():
    """Over whatever checks exist: each docstring has the standard sections and renders."""
    registry._discovered.cache_clear()
    specs = registry.all_checks()
    missing = {
        spec.code: [title for title in REQUIRED_SECTIONS if not spec.section(title)]
        for spec in specs
    }
    assert {code: titles for code, titles in missing.items() if titles} == {}
    page = checkdocs.checks_markdown_doc(specs)
    for each in specs:
        assert f"## {each.code} {each.name}\n" in page
        assert f"(#{checkdocs.docs_anchor(each)})" in page
        assert "```yaml" in each.section("Example") and "```yaml" in each.section("Use instead")
        assert each.summary and len(each.summary) < 200


def test_docs_page_is_up_to_date():
    page = REPO / "docs" / "checks.md"
    if not page.is_file():
        pytest.skip("docs/checks.md not generated yet: kube-audit-lint checks --format markdown --full > docs/checks.md")
    assert page.read_text() == checkdocs.checks_markdown_doc(), (
        "docs/checks.md is stale: kube-audit-lint checks --format markdown --full > docs/checks.md"
    )
