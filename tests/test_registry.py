"""Check discovery: every built-in check is registered through the entry-point group."""

from __future__ import annotations

import pkgutil
import sys
from pathlib import Path

import kube_audit_lint.checks as checks
from kube_audit_lint.lint.registry import ENTRY_POINT_GROUP, all_checks, find_check

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]


def declared_entry_points() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return project["entry-points"][ENTRY_POINT_GROUP]


def test_every_builtin_check_module_is_an_entry_point():
    modules = {f"kube_audit_lint.checks.{m.name}" for m in pkgutil.iter_modules(checks.__path__) if not m.name.startswith("_")}
    assert set(declared_entry_points().values()) == modules


def test_entry_point_names_are_the_check_names():
    by_module = {spec.module: spec for spec in all_checks()}
    for name, module in declared_entry_points().items():
        assert by_module[module].name == name


def test_checks_are_found_by_code_and_by_name():
    for spec in all_checks():
        assert find_check(spec.code) is spec
        assert find_check(spec.code.lower()) is spec
        assert find_check(spec.name) is spec
    assert find_check("no-such-check") is None


def test_codes_and_names_are_unique():
    specs = all_checks()
    assert len({s.code for s in specs}) == len(specs)
    assert len({s.name for s in specs}) == len(specs)


def test_readme_checks_table_is_the_generated_one():
    from kube_audit_lint.lint.checkdocs import DOCS_PAGE, checks_table

    readme = (REPO / "README.md").read_text()
    start = readme.index("<!-- checks-table:start")
    start = readme.index("\n", start) + 1
    end = readme.index("<!-- checks-table:end -->")
    assert readme[start:end].strip() == checks_table(all_checks(), link_to=DOCS_PAGE).strip(), (
        "README checks table is stale: regenerate it with `kube-audit-lint checks --format markdown`"
    )
