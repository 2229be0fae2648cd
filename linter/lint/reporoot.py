"""The repository root: what code scanning resolves the paths of a SARIF upload against.

GitHub reads an artifact URI as a path from the top of the repository, whatever folder the linter
ran in; so the SARIF paths are relative to git's top level (``git rev-parse --show-toplevel``, run
in the folder of the first linted file), or to the working directory outside a git repository.
"""

from __future__ import annotations

import os
import subprocess


def repository_root(files: list[str], cwd: str | None = None) -> str:
    """The top level of the git repository holding the first of ``files`` (stdin and missing
    files skipped), else the working directory."""
    cwd = cwd or os.getcwd()
    for path in files:
        if path in ("-", "<stdin>"):
            continue
        folder = os.path.dirname(os.path.abspath(os.path.join(cwd, path)))
        if os.path.isdir(folder):
            top = git_toplevel(folder)
            return top or cwd
    return git_toplevel(cwd) or cwd


def git_toplevel(folder: str) -> str | None:
    try:
        result = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=folder, capture_output=True,
                                text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):  # no git, or a folder git cannot enter
        return None
    top = result.stdout.strip()
    return os.path.normpath(top) if result.returncode == 0 and top else None
