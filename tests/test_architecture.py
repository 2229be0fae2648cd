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


# Function-level imports of the package's own modules hide the arrows between its parts: every one
# is at module level, where import-linter and a reader see it. The exceptions, each with its reason:
# - linter/cli.py: each command's callback imports that command's module (one import per command),
#   so `kube-audit-lint lint` loads nothing of replay, report or sql;
# - the two engines of sql/engines.py that need an extra (sqlglot with duckdb or pyspark), loaded
#   when chosen (engines.py itself is read by every replay).
OWN_IMPORTS_ALLOWED_FILES = (
    "linter/cli.py",
)
OWN_IMPORTS_ALLOWED = {
    ("linter/sql/engines.py", "kube_audit_lint.sql.duckdb_engine"),
    ("linter/sql/engines.py", "kube_audit_lint.sql.spark_engine"),
}


def _own_modules(node) -> list[str]:
    """The package modules an import statement names (relative ones included), else []."""
    import ast

    if isinstance(node, ast.ImportFrom):
        if node.level or (node.module or "").split(".")[0] == "kube_audit_lint":
            base = node.module or ""
            return [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
        return []
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "kube_audit_lint"]
    return []


def function_level_own_imports(root: Path) -> list[tuple[str, int, str]]:
    """(file, line, module) of every import of the package's own modules inside a function body."""
    import ast
    import fnmatch

    found = []
    for folder in ("linter", "checks"):
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if any(fnmatch.fnmatch(relative, pattern) for pattern in OWN_IMPORTS_ALLOWED_FILES):
                continue
            functions = [n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                         if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            lines = set()
            for function in functions:
                for node in ast.walk(function):
                    for module in _own_modules(node):
                        from_module = module.rsplit(".", 1)[0]
                        if (relative, module) in OWN_IMPORTS_ALLOWED or (relative, from_module) in OWN_IMPORTS_ALLOWED:
                            continue
                        if (node.lineno, module) not in lines:
                            lines.add((node.lineno, module))
                            found.append((relative, node.lineno, module))
    return found


def test_the_package_imports_its_own_modules_at_module_level():
    found = function_level_own_imports(REPO)
    assert not found, "imports of the package's own modules inside functions (move them to module level):\n" + \
        "\n".join(f"  {path}:{line}: {module}" for path, line, module in found)


def test_the_import_count_sees_function_level_imports(tmp_path):
    """The count above is not vacuous: it finds absolute and relative imports in nested functions."""
    (tmp_path / "linter").mkdir()
    (tmp_path / "checks").mkdir()
    (tmp_path / "linter" / "sample.py").write_text(
        "import os\n"
        "from kube_audit_lint.findings import Report\n"
        "def f():\n"
        "    import json\n"
        "    from kube_audit_lint.policy import versions\n"
        "    def g():\n"
        "        from .escape import terminal\n"
        "        import kube_audit_lint.files\n",
        encoding="utf-8",
    )
    assert [(line, module) for _, line, module in function_level_own_imports(tmp_path)] == [
        (5, "kube_audit_lint.policy.versions"), (7, "escape.terminal"), (8, "kube_audit_lint.files"),
    ]


# What `kube-audit-lint lint` on one policy may not load: the other commands' parts and the heavy
# third-party modules of the extras and of the other formats (pre-commit runs lint on every commit).
NOT_FOR_A_PLAIN_LINT = (
    "kube_audit_lint.replay", "kube_audit_lint.report", "kube_audit_lint.sql", "kube_audit_lint.review",
    "kube_audit_lint.commands.replay", "kube_audit_lint.commands.report", "kube_audit_lint.commands.sql",
    "jinja2", "jsonschema", "sarif_om", "duckdb", "sqlglot", "pyspark",
    "pathspec",  # only a run with exclude, include or per-file-ignores patterns, or a folder walk, needs it
)


def test_a_plain_lint_loads_nothing_it_does_not_need(repo_root):
    code = (
        "import sys\n"
        "from kube_audit_lint.cli import main\n"
        "sys.argv = ['kube-audit-lint', 'lint', 'examples/audit-policy.yaml']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, 1), exc.code\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = set(result.stderr.split())
    assert "kube_audit_lint.commands.lint" in loaded  # the lint ran
    heavy = sorted(name for name in loaded for part in NOT_FOR_A_PLAIN_LINT
                   if name == part or name.startswith(part + "."))
    assert not heavy, f"a plain lint loaded: {', '.join(heavy)}"
