"""Shared fixtures: the repository, the shared corpus next to it, small policy builders, and the
command line run in this process."""

from __future__ import annotations

import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

from kube_audit_lint.cli import main

# Property tests are seeded and keep no example database, and hypothesis's own caches go to a
# temporary folder, so a run leaves the source tree as it was.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="kube-audit-lint-hypothesis-"))
settings.register_profile("kube-audit-lint", database=None, derandomize=True)
settings.load_profile("kube-audit-lint")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def cli(capsys, monkeypatch):
    """The console entry point run in this process as a user runs it: ``cli("lint", path)`` gives
    (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["kube-audit-lint", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        out, err = capsys.readouterr()
        return exited.value.code, out, err

    return run


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``<repo>/../shared`` (the corpus of real policies and events, schemas); skips when absent."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared not present: {SHARED} (the corpus tests need it)")
    return SHARED


@pytest.fixture(scope="session")
def corpus_policies(shared_dir) -> Path:
    path = shared_dir / "corpus" / "policies"
    if not path.is_dir():
        pytest.skip(f"../shared not present: {path}")
    return path


@pytest.fixture
def write_policy(tmp_path):
    """Write dedented text to a file and return its path: ``write_policy(text, name="p.yaml")``."""

    def write(text: str, name: str = "policy.yaml") -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for every Spark test (starting one costs seconds); skips with the
    reason when pyspark or Java is missing."""
    import os
    import shutil
    import sys

    pytest.importorskip("pyspark", reason="the spark extra (pyspark) is not installed")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java 17: apt-get install openjdk-17-jre-headless")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("kube-audit-lint tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def pytest_terminal_summary(terminalreporter):
    """Say, in the summary, how many tests of the real corpus were skipped because ../shared is
    absent (a clone of its own): the run is then no full pass."""
    skipped = terminalreporter.stats.get("skipped", [])
    corpus = [report for report in skipped if "../shared not present" in str(report.longrepr)]
    if corpus:
        terminalreporter.write_line(
            f"{len(corpus)} tests of the real corpus were skipped: ../shared (real policies, events and "
            "managed-cluster logs) is not beside this checkout, so this run is not a full pass")

