"""Only new findings: an accepted-findings file, and findings limited to what a git change touched.

Teams adopt a linter on an existing policy. ``--write-accepted FILE`` records today's findings by
fingerprint (stable across unrelated edits and line moves); ``--accepted FILE`` then reports only
findings that are not recorded (recorded ones stay in the report as suppressed, kind "accepted",
so SARIF and the compliance report still show them) and says which recorded findings no longer
occur, so the file shrinks over time. ``--diff-base REF`` keeps only findings on lines changed
since REF, or whose policy rule the change touched: those fail the run and are annotated, while
the narrowed report keeps the whole analysis in ``full_analysis`` for SARIF (code scanning
compares complete analyses and does its own pull-request filtering).

The accepted-findings file is JSON::

    {"version": 1, "tool": "kube-audit-lint",
     "findings": [{"fingerprint": "...", "code": "KAL020", "name": "...", "file": "...", "message": "..."}]}
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace

from kube_audit_lint.files import write_atomically
from kube_audit_lint.findings import Finding, Report, Suppression
from kube_audit_lint.lint.fingerprint import fingerprint
from kube_audit_lint.policy.load import lint_read

ACCEPTED_VERSION = 1


class OnlyNewError(ValueError):
    """An unreadable accepted file or a failing git command: one line, exit code 2."""


def finding_fingerprint(finding: Finding, report: Report) -> str:
    return fingerprint(finding, report.sources.get(finding.location.path, ""), root=report.root)


def _relative(path: str, root: str) -> str:
    try:
        return os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    except ValueError:
        return path


def write_accepted(report: Report, path: str) -> int:
    entries = [
        {
            "fingerprint": finding_fingerprint(f, report),
            "code": f.code,
            "name": f.name,
            "file": _relative(f.location.path, report.root),
            "message": f.message,
        }
        for f in report.active
    ]
    entries.sort(key=lambda e: (e["file"], e["code"], e["fingerprint"]))

    document = {"version": ACCEPTED_VERSION, "tool": "kube-audit-lint", "findings": entries}
    try:
        write_atomically(path, json.dumps(document, indent=2) + "\n")
    except OSError as exc:
        raise OnlyNewError(f"{path}: cannot write: {exc.strerror or exc}") from None
    print(f"kube-audit-lint: recorded {len(entries)} accepted finding(s) in {path}", file=sys.stderr)
    return len(entries)


def read_accepted(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise OnlyNewError(f"{path}:1:1: accepted-findings file not found (create it with --write-accepted)") from None
    except OSError as exc:
        raise OnlyNewError(f"{path}:1:1: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise OnlyNewError(f"{path}:1:1: not an accepted-findings file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise OnlyNewError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise OnlyNewError(f"{path}:1:1: not an accepted-findings file (expected an object with a findings list)")
    if data.get("version") != ACCEPTED_VERSION:
        raise OnlyNewError(f"{path}:1:1: accepted-findings file version {data.get('version')!r} is not supported")
    return [entry for entry in data["findings"] if isinstance(entry, dict) and "fingerprint" in entry]


def apply_accepted(report: Report, path: str) -> Report:
    accepted = read_accepted(path)
    wanted = {entry["fingerprint"]: entry for entry in accepted}
    seen: set[str] = set()
    findings = []
    for finding in report.findings:
        key = finding_fingerprint(finding, report) if not finding.suppressed else None
        if key is not None and key in wanted:
            seen.add(key)
            finding = finding.with_suppression(Suppression("accepted", f"recorded in {path}"))
        findings.append(finding)
    gone = [entry for key, entry in wanted.items() if key not in seen]
    if gone:
        print(f"kube-audit-lint: note: {len(gone)} accepted finding(s) in {path} no longer occur; "
              f"run with --write-accepted {path} to drop them:", file=sys.stderr)
        for entry in gone:
            print(f"  {entry.get('file', '?')}: {entry.get('code', '?')} {entry.get('message', '')}", file=sys.stderr)
    return replace(report, findings=findings)


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def changed_lines(diff_text: str) -> set[int]:
    """New-side line numbers added or changed in a unified diff with zero context (-U0).

    A pure deletion (``+N,0``) marks line N and N+1, the lines around the removal.
    """
    lines: set[int] = set()
    for line in diff_text.splitlines():
        match = _HUNK.match(line)
        if not match:
            continue
        start = int(match.group(1))
        count = int(match.group(2)) if match.group(2) is not None else 1
        lines |= set(range(start, start + count)) if count else {start, start + 1}
    return lines


def git_changed_lines(path: str, base: str) -> set[int] | None:
    """Lines of ``path`` changed since ``base``; None when the file is new (everything changed)."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    try:
        tracked = subprocess.run(["git", "cat-file", "-e", f"{base}:./{os.path.basename(path)}"],
                                 cwd=directory, capture_output=True, text=True)
        if tracked.returncode != 0:
            check = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"],
                                   cwd=directory, capture_output=True, text=True)
            if check.returncode != 0:
                raise OnlyNewError(f"--diff-base: {base!r} is not a commit in the git repository of {path}")
            return None
        result = subprocess.run(["git", "diff", "-U0", "--no-color", base, "--", os.path.basename(path)],
                                cwd=directory, capture_output=True, text=True)
    except FileNotFoundError:
        raise OnlyNewError("--diff-base needs git on PATH") from None
    if result.returncode != 0:
        raise OnlyNewError(f"--diff-base: git diff failed: {result.stderr.strip().splitlines()[-1:] or ['?']}")
    return changed_lines(result.stdout)


def _rule_lines(finding: Finding, report: Report, policy_rules: dict[str, list[tuple[int, int]]]) -> range | None:
    if finding.rule_index is None:
        return None
    spans = policy_rules.get(finding.location.path) or []
    for start, end in spans:
        if start <= finding.location.line <= end:
            return range(start, end + 1)
    return None


def _rule_spans(path: str) -> list[tuple[int, int]]:
    """(first, last) line of every rule of every policy in ``path``."""
    spans = []
    try:
        reading = lint_read(path)
    except Exception:  # noqa: BLE001 - the file was read once already; this is best effort
        return spans
    for verdict in reading.verdicts:
        for rule in verdict.policy.rules:
            span = verdict.policy.span(("rules", rule.index))
            spans.append((span.line, max(span.line, span.end_line - (1 if span.end_column == 1 else 0))))
    return spans


def apply_diff_base(report: Report, base: str) -> Report:
    changed: dict[str, set[int] | None] = {path: git_changed_lines(path, base) for path in report.files}
    rules = {path: _rule_spans(path) for path in report.files}
    kept = []
    for finding in report.findings:
        lines = changed.get(finding.location.path, None)
        if finding.location.path not in changed or lines is None:
            kept.append(finding)
            continue
        end = finding.location.end_line or finding.location.line
        if any(line in lines for line in range(finding.location.line, end + 1)):
            kept.append(finding)
            continue
        rule_range = _rule_lines(finding, report, rules)
        if rule_range is not None and any(line in lines for line in rule_range):
            kept.append(finding)
    return replace(report, findings=kept)


def apply(report: Report, options) -> Report:
    if options.write_accepted:
        write_accepted(report, options.write_accepted)
        return report
    if options.accepted:
        report = apply_accepted(report, options.accepted)
    if options.diff_base:
        narrowed = apply_diff_base(report, options.diff_base)
        narrowed.full_analysis = report
        report = narrowed
    return report
