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
class Edit:
    """Replace the text from (line, column) up to (end_line, end_column), 1-based and end exclusive,
    with ``text``; an insertion starts and ends at the same position."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


@dataclass(frozen=True)
class Fix:
    """An automatic fix of a finding (``lint --fix``): text edits of the finding's file.

    ``safe`` fixes change exactly the requests they mean to (checked on the request space) and are
    applied by ``--fix``; the others need ``--unsafe-fixes``, and ``reason`` says why."""

    description: str
    safe: bool
    edits: tuple[Edit, ...]
    reason: str = ""


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    rule_index: int | None = None
    witness: dict[str, Any] | None = None
    fix: str | None = None  # a hint for the reader
    suppression: Suppression | None = None
    # a short, position-free description of what the finding is about (for fingerprints)
    subject: str = ""
    related: tuple[Location, ...] = field(default_factory=tuple)
    # the line where the policy starts: tells apart the policies of one file (a script's heredocs)
    policy_line: int | None = None
    autofix: Fix | None = None  # edits that fix it (lint --fix), when there are

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    def with_suppression(self, suppression: Suppression) -> "Finding":
        from dataclasses import replace

        return replace(self, suppression=suppression)

    def with_severity(self, severity: Severity) -> "Finding":
        from dataclasses import replace

        return replace(self, severity=severity)


@dataclass(frozen=True)
class Grouping:
    """Findings that share a root cause: the members shown under each primary, by identity."""

    _members: dict[int, list[Finding]]
    _primary_of: dict[int, Finding]

    def shown(self, finding: Finding) -> bool:
        return id(finding) not in self._primary_of

    def members(self, finding: Finding) -> list[Finding]:
        return self._members.get(id(finding), [])

    def primary_of(self, finding: Finding) -> Finding | None:
        return self._primary_of.get(id(finding))


@dataclass
class Report:
    """Everything a formatter needs: the findings (suppressed ones included) and their context."""

    findings: list[Finding]
    files: list[str] = field(default_factory=list)  # policy files that were linted
    checks: tuple = ()  # CheckSpec of every check that ran (SARIF rules, docs links)
    root: str = "."  # paths in findings are relative to this directory where possible
    skipped: list[str] = field(default_factory=list)  # files given that held no policy
    skip_reasons: dict[str, str] = field(default_factory=dict)  # skipped file -> why
    # policies inside a wrapping file (shell or Terraform heredoc) that could not be read as written
    skipped_blocks: list[tuple[str, int, int, str]] = field(default_factory=list)  # (path, line, column, why)
    sources: dict[str, str] = field(default_factory=dict)  # path -> text, for source excerpts
    plugin_problems: list[str] = field(default_factory=list)  # plugin checks that could not load or run
    input_errors: list[str] = field(default_factory=list)  # files refused (beyond the limits): FILE:LINE:COL: ...
    # one problem, one displayed finding: position of a finding -> position of the one it is shown under
    grouped_under: dict[int, int] = field(default_factory=dict)
    # every finding, when only-new (--diff-base) narrowed ``findings`` to what a change touched: the
    # whole analysis, for outputs that must see all of it (SARIF for code scanning)
    full_analysis: "Report | None" = None
    verdicts: dict[str, list[Any]] = field(default_factory=dict)  # path -> its policy documents, as read (fixes)

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    def grouping(self) -> "Grouping":
        """Which findings are shown, and what each shown finding stands for."""
        members: dict[int, list[Finding]] = {}
        primary_of: dict[int, Finding] = {}
        for member, primary in sorted(self.grouped_under.items()):
            members.setdefault(id(self.findings[primary]), []).append(self.findings[member])
            primary_of[id(self.findings[member])] = self.findings[primary]
        return Grouping(members, primary_of)

    @property
    def displayed(self) -> list[Finding]:
        """Active findings that are shown themselves (not under another with the same cause)."""
        members = set(self.grouped_under)
        return [f for i, f in enumerate(self.findings) if not f.suppressed and i not in members]

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


HEADLINE_LIMIT = 120
_BREAKS = ("; ", ": ", " (", ", ", " ")  # where a long first line is broken, the strongest first


def with_headline(message: str, limit: int = HEADLINE_LIMIT) -> str:
    """``message`` with a first line (the headline) of at most ``limit`` characters: a longer first
    line is broken at its last clause boundary that fits, and the rest goes on the next line."""
    first, newline, rest = message.partition("\n")
    if len(first) <= limit:
        return message
    for separator in _BREAKS:
        cut = first.rfind(separator, 0, limit - (len(separator) - 1 if separator.strip() else 0))
        if cut > limit // 3:
            keep = separator.rstrip() if separator.strip() not in ("(",) else ""
            head, tail = first[:cut] + keep, first[cut + len(separator) - (1 if separator == " (" else 0):]
            return head + "\n" + with_headline(tail.lstrip(), limit) + newline + rest
    return first[:limit] + "\n" + with_headline(first[limit:], limit) + newline + rest

