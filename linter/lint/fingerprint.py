"""Fingerprints: a finding's identity that survives unrelated edits to the policy.

A fingerprint is what SARIF ``partialFingerprints`` carries (key ``kubeAuditLint/v1``), what the JSON
report calls ``fingerprint``, and what an accepted-findings file records. It is the SHA-256 (first
32 hex digits) of, joined by NUL bytes:

1. the version tag ``kubeAuditLint/v1``;
2. the check code (``KAL001``), not its name, so renaming a check keeps its findings;
3. the file path relative to the report root (forward slashes, ``./`` removed);
4. the finding's ``subject`` (a position-free description chosen by the check; its message when
   the check gives none);
5. the normalised text of the line the finding points at: comments removed, whitespace collapsed.

Line and column numbers are deliberately left out: inserting or deleting lines elsewhere in the file
moves a finding without changing its fingerprint, while editing the offending line itself (or adding
or removing a suppression comment on it) does not change it either.

Two findings of the same check with the same subject on identical lines of one file share a base
fingerprint; :func:`report_fingerprints` tells them apart by order of occurrence (``<hash>:2``,
``<hash>:3``, ... for the second, third, ...), the way GitHub numbers its own line hashes.

Changing anything in this recipe changes every fingerprint users have stored: bump the version tag.
"""

from __future__ import annotations

import functools
import posixpath
import re

from kube_audit_lint.findings import Finding, Report, order_key, relative_path

FINGERPRINT_KEY = "kubeAuditLint/v1"
_WHITESPACE = re.compile(r"\s+")


def fingerprint(finding: Finding, source_text: str | None, root: str | None = None) -> str:
    """The base fingerprint of ``finding``; ``source_text`` is the whole file it points into."""
    import hashlib  # here, not at the top: a plain text lint needs no fingerprint (hashlib loads OpenSSL)

    parts = (
        FINGERPRINT_KEY,
        finding.code,
        fingerprint_path(finding.location.path, root),
        finding.subject or finding.message,
        normalised_line(source_text, finding.location.line),
    )
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]


def report_fingerprints(report: Report) -> list[str]:
    """One fingerprint per finding of ``report`` (same order), repeated base hashes numbered.

    Repeats are numbered in file and line order, so the numbering does not depend on the order in
    which the checks happened to report them.
    """
    key = order_key(report)
    positions = sorted(range(len(report.findings)), key=lambda i: key(report.findings[i]))
    seen: dict[str, int] = {}
    out = [""] * len(report.findings)
    for position in positions:
        finding = report.findings[position]
        base = fingerprint(finding, report.sources.get(finding.location.path), report.root)
        seen[base] = seen.get(base, 0) + 1
        out[position] = base if seen[base] == 1 else f"{base}:{seen[base]}"
    return out


def fingerprint_path(path: str, root: str | None) -> str:
    """The path as it enters a fingerprint: relative to ``root`` when inside it, forward slashes."""
    if root is not None:
        relative = relative_path(path, root)
        if relative is not None:
            return relative
    return posixpath.normpath(path.replace("\\", "/"))


def normalised_line(source_text: str | None, line: int) -> str:
    """Line ``line`` (1-based) of ``source_text`` without its comment, whitespace collapsed."""
    if not source_text or line < 1:
        return ""
    lines = _lines(source_text)
    if line > len(lines):
        return ""
    return _WHITESPACE.sub(" ", strip_comment(lines[line - 1])).strip()


@functools.lru_cache(maxsize=4)
def _lines(text: str) -> tuple[str, ...]:
    """The lines of a source, split once for all the findings in it (not once per finding)."""
    return tuple(text.splitlines())


def strip_comment(line: str) -> str:
    """``line`` without a YAML comment: a ``#`` at the start or after a blank, outside quotes."""
    quote = ""
    escaped = False
    for index, char in enumerate(line):
        after_blank = index == 0 or line[index - 1] in " \t"
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "'\"" and (after_blank or line[index - 1] in "[{,:"):
            quote = char  # only a quote that opens a scalar; ``it's`` is plain text
        elif char == "#" and after_blank:
            return line[:index]
    return line
