"""Paths matched as git matches them: ``exclude``, ``include`` and ``per-file-ignores`` patterns,
and the ``.gitignore`` files a directory walk passes.

Patterns use gitignore syntax (pathspec's ``GitIgnoreSpec``): a pattern without a slash matches a
name at any depth (``*.bak``, ``templates/``); one with a slash is anchored at the configuration
file's folder (``clusters/dev/*.yaml`` names the files directly in ``clusters/dev``, not deeper);
``*`` never crosses a ``/``, ``**`` does (``**/templates/*`` names ``templates/x.yaml`` too); ``!``
negates. A path is matched relative to the configuration file's folder when it lies inside it,
else as given (relative to the working directory).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec


def _spec(lines) -> GitIgnoreSpec:
    # pathspec loads only for a run that has patterns to match (most lint runs have none)
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


@lru_cache(maxsize=256)
def compiled(patterns: tuple[str, ...]) -> GitIgnoreSpec:
    return _spec(patterns)


def relative_to(path: str, base: str | None) -> str:
    """``path`` relative to ``base`` (the configuration file's folder) when inside it, else
    normalised as given; with ``/`` separators."""
    if base:
        relative = os.path.relpath(os.path.abspath(path), base)
        if not relative.startswith(".."):
            return relative.replace(os.sep, "/")
    normal = os.path.normpath(path)
    if os.path.isabs(normal):
        cwd_relative = os.path.relpath(normal)
        if not cwd_relative.startswith(".."):
            normal = cwd_relative
    return normal.replace(os.sep, "/")


def matches(patterns, path: str, base: str | None) -> bool:
    """Whether the gitignore-style ``patterns`` name ``path`` (or a folder it is in)."""
    if not patterns:
        return False
    return compiled(tuple(patterns)).match_file(relative_to(path, base))


class GitIgnores:
    """The ``.gitignore`` files met on a walk, each applying to its own folder and below."""

    def __init__(self) -> None:
        self._specs: list[tuple[str, GitIgnoreSpec]] = []

    def enter(self, directory: str) -> None:
        """Read ``directory/.gitignore`` when there is one (a walk calls this top-down)."""
        path = os.path.join(directory, ".gitignore")
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            return
        self._specs.append((os.path.abspath(directory), _spec(lines)))

    def ignored(self, path: str, is_dir: bool = False) -> bool:
        absolute = os.path.abspath(path)
        for base, spec in self._specs:
            if absolute.startswith(base + os.sep):
                relative = os.path.relpath(absolute, base).replace(os.sep, "/") + ("/" if is_dir else "")
                if spec.match_file(relative):
                    return True
        return False
