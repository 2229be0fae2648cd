"""The tree's parts and their arrows, as pyproject.toml writes them down ([tool.importlinter]).

The package is installed as ``kube_audit_lint`` from three folders (linter/, checks/, baselines/),
so the static tools read it through a tree of links that spells it the way it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOOLS = Path(sys.executable).parent


@pytest.fixture(scope="module")
def package_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("package-tree")
    package = root / "kube_audit_lint"
    package.mkdir()
    for entry in (REPO / "linter").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for folder in ("checks", "baselines"):
        (package / folder).symlink_to(REPO / folder)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def tool(name: str) -> str:
    path = TOOLS / name
    if not path.exists():
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return str(path)


def test_import_contracts_hold(package_tree):
    result = subprocess.run([tool("lint-imports")], cwd=package_tree, capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(package_tree), "PATH": str(TOOLS)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout


def test_ruff_finds_nothing():
    result = subprocess.run([tool("ruff"), "check", "--no-cache", "linter", "checks", "tests", "benchmarks", "examples"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_the_engine_and_the_policy_model_are_typed_strictly(package_tree):
    """[tool.mypy] in pyproject.toml: strict flags for kube_audit_lint.engine and .policy."""
    result = subprocess.run([tool("mypy"), "--no-incremental", "--follow-imports=silent",
                             "-p", "kube_audit_lint.engine", "-p", "kube_audit_lint.policy"],
                            cwd=package_tree, capture_output=True, text=True, timeout=600,
                            env={"MYPYPATH": str(package_tree), "PATH": str(TOOLS)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_the_version_is_written_once_and_the_readme_pins_its_tag(repo_root):
    import re

    from kube_audit_lint import __version__

    pyproject = (repo_root / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and 'attr = "kube_audit_lint.__version__"' in pyproject
    readme = (repo_root / "README.md").read_text()
    assert f"kube-audit-lint/kube-audit-lint@v{__version__}" in readme and f"rev: v{__version__}" in readme
    changelog = (repo_root / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(__version__)}\]", changelog, re.M)
    assert 'tags: ["v*.*.*"]' in (repo_root / ".github" / "workflows" / "release.yml").read_text()
