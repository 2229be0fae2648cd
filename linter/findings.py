"""Findings: the one value every check produces and every formatter reads."""

from __future__ import annotations

import enum
import os
import posixpath
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """Ordered so that ``severity >= threshold`` reads naturally."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or note)") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Location:
    """A 1-based position in a file; ``end_*`` are inclusive of the last character's column + 1."""

    path: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Suppression:
    """Why a finding was suppressed, kept so that reports and SARIF can show it."""

    kind: str  # "inline", "file", "accepted"
    justification: str = ""
    location: Location | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    rule_index: int | None = None
    witness: dict[str, Any] | None = None
    fix: str | None = None
    suppression: Suppression | None = None
    # a short, position-free description of what the finding is about (for fingerprints)
    subject: str = ""
    related: tuple[Location, ...] = field(default_factory=tuple)

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    def with_suppression(self, suppression: Suppression) -> "Finding":
        from dataclasses import replace

        return replace(self, suppression=suppression)

    def with_severity(self, severity: Severity) -> "Finding":
        from dataclasses import replace

        return replace(self, severity=severity)


@dataclass
class Report:
    """Everything a formatter needs: the findings (suppressed ones included) and their context."""

    findings: list[Finding]
    files: list[str] = field(default_factory=list)  # policy files that were linted
    checks: tuple = ()  # CheckSpec of every check that ran (SARIF rules, docs links)
    root: str = "."  # paths in findings are relative to this directory where possible
    skipped: list[str] = field(default_factory=list)  # files given that held no policy
    sources: dict[str, str] = field(default_factory=dict)  # path -> text, for source excerpts
    plugin_problems: list[str] = field(default_factory=list)  # plugin checks that could not load or run

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.active if f.severity == severity)


STDIN_NAMES = ("-", "<stdin>")


def relative_path(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` with forward slashes, or None when it lies outside ``root``."""
    if path in STDIN_NAMES:
        return None
    try:
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root or "."))
    except ValueError:  # another drive on Windows
        return None
    relative = relative.replace(os.sep, "/")
    if relative == ".." or relative.startswith("../"):
        return None
    return posixpath.normpath(relative)


def order_key(report: Report):
    """The sort key behind :func:`ordered`, for sorting findings paired with other values."""
    file_rank = {path: rank for rank, path in enumerate(report.files)}

    def key(finding: Finding):
        location = finding.location
        return (
            file_rank.get(location.path, len(file_rank)),
            location.path,
            location.line,
            location.column,
            finding.code,
            finding.message,
        )

    return key
