"""``kube-audit-lint validate``: would kube-apiserver load these policy files?

Each file is read exactly as the apiserver's policy reader reads it (the first YAML document; JSON
when the file starts with ``{``) and judged by ``apiserver_verdict``. Exit codes: 0 when every file
would load, 1 when at least one would be refused, 2 when a file cannot be read at all.

Text output, one line per item, stable for grep and editors::

    PATH:LINE:COL: error: FIELD: MESSAGE       the apiserver refuses the policy for this reason
    PATH:LINE:COL: warning: MESSAGE            it loads the policy but says (or should say) this
    PATH:LINE:COL: note: TEXT                  our explanation of the line above
    PATH: kube-apiserver 1.36 would load this policy (N rules)
    PATH: kube-apiserver 1.36 would refuse this policy (N errors)

MESSAGE is the apiserver's own wording; FIELD its field path (``rules[3].resources.group``).
An unreadable file prints ``PATH:LINE:COL: MESSAGE`` on stderr.

JSON output (``--format json``)::

    {"kubeVersion": "1.36", "accepted": false,
     "files": [{"path": "policy.yaml", "readable": true, "accepted": false, "rules": 12,
                "apiVersion": "audit.k8s.io/v1beta1",
                "problems": [{"severity": "error", "kind": "version", "fieldPath": "",
                              "message": "...", "hint": "...", "line": 1, "column": 13,
                              "endLine": 1, "endColumn": 33}],
                "skippedDocuments": [{"document": 2, "line": 40, "column": 1}]},
               {"path": "broken.yaml", "readable": false, "accepted": null,
                "error": {"message": "invalid YAML: ...", "line": 3, "column": 5}}]}

``kind`` is one of decode, version, validation, rules, unknown-field, duplicate-key, multi-document.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

from kube_audit_lint.policy import versions
from kube_audit_lint.policy.load import apiserver_read, holds_audit_policy
from kube_audit_lint.policy.validate import Problem, is_audit_policy_document
from kube_audit_lint.policy.yamlnodes import InputError

EXIT_LOADS, EXIT_REFUSED, EXIT_UNREADABLE = 0, 1, 2


@dataclass
class FileResult:
    """What validate found for one file."""

    path: str
    problems: list = field(default_factory=list)  # Problem, verdict problems then file notes
    accepted: bool | None = None  # None: unreadable
    rules: int = 0
    api_version: str | None = None
    skipped: list = field(default_factory=list)  # Documents the apiserver never reads
    error: object | None = None  # InputError when unreadable
    # the releases the verdict is about, when not every targeted one: standard input (read for the
    # newest release only), or the releases that refuse a policy the others load
    judged_by: tuple = ()


def validate_file(path: str, kube_version: tuple[int, int]) -> FileResult:
    """Read ``path`` the apiserver's way and collect its verdict; never raises for bad input."""
    try:
        reading = apiserver_read(path, kube_version)
    except InputError as exc:
        return FileResult(path, error=exc)
    verdict = reading.verdicts[0]
    problems = list(verdict.problems) + list(reading.notes)
    if not verdict.accepted:
        problems += _policy_later_in_file(reading)
    return FileResult(path, problems=problems, accepted=verdict.accepted, rules=len(verdict.policy.rules),
                      api_version=verdict.policy.api_version, skipped=list(reading.skipped))


def _policy_later_in_file(reading) -> list:
    """A refused first document with a policy further down: say why the policy is not read."""
    for doc in reading.skipped:
        if is_audit_policy_document(doc.data):
            return [Problem("", f"document {doc.index + 1} is an audit policy, but kube-apiserver reads only the "
                            "first document of the file", doc.start, (), error=False, kind="multi-document",
                            hint="move the policy to its own file, or to the top of this one")]
    return []


def validate_releases(path: str, releases) -> FileResult:
    """``validate_file`` for every release of ``releases``; where they disagree, the result of the
    newest release that refuses the policy, with an error naming the releases that refuse it."""
    from dataclasses import replace

    if path == "-":  # standard input is read once: the newest release
        releases = (max(releases),)
    results = {release: validate_file(path, release) for release in sorted(releases)}
    newest = results[max(results)]
    if len(results) == 1 or newest.error is not None:
        return replace(newest, judged_by=tuple(results))
    refusing = [release for release, result in results.items() if not result.accepted]
    if not refusing or len(refusing) == len(results):
        return newest
    loading = [release for release in results if release not in refusing]
    refused = results[refusing[-1]]
    first = next(problem for problem in refused.problems if problem.error)
    named = Problem("", f"kube-apiserver {versions.format_range(refusing)} would refuse this policy "
                    f"({first.render()}); {versions.format_range(loading)} would load it",
                    first.span, first.path, error=True, kind="release",
                    hint="target only the releases that load it (--kube-version), or write the policy so every "
                    "targeted release loads it")
    return replace(refused, problems=[named] + list(refused.problems), judged_by=tuple(refusing))


def _release_text(kube_version) -> str:
    """``1.36`` for one release, ``1.33-1.36`` for several."""
    if kube_version and isinstance(kube_version[0], int):
        return versions.format(kube_version)
    return versions.format_range(kube_version)


def run_validate(files: list[str], kube_version, output_format: str, verbose: bool,
                 skip_non_policies: bool = False) -> int:
    """The validate command: print each file's verdict and return the exit code.

    ``kube_version`` is one release or a sequence of them (every one is validated).
    ``skip_non_policies`` (the pre-commit hook) passes over files that hold no audit policy.
    """
    if skip_non_policies:
        kept = [path for path in files if holds_audit_policy(path)]
        if verbose:
            for path in files:
                if path not in kept:
                    sys.stderr.write(f"{path}: skipped: no audit.k8s.io Policy document\n")
        files = kept
    releases = (kube_version,) if isinstance(kube_version[0], int) else tuple(kube_version)
    results = [validate_releases(path, releases) for path in files]
    if output_format == "json":
        sys.stdout.write(json.dumps(results_as_json(results, kube_version), indent=2) + "\n")
    else:
        for result in results:
            write_text(result, kube_version, verbose)
    return exit_code(results)


def exit_code(results: list[FileResult]) -> int:
    if any(r.error is not None for r in results):
        return EXIT_UNREADABLE
    if any(not r.accepted for r in results):
        return EXIT_REFUSED
    return EXIT_LOADS


def severity(problem) -> str:
    return "error" if problem.error else "warning"


def problem_lines(path: str, problem) -> list[str]:
    """The text lines for one problem: the apiserver's words, then our note if there is one."""
    where = f"{path}:{problem.span.line}:{problem.span.column}"
    lines = [f"{where}: {severity(problem)}: {problem.render()}"]
    if problem.hint:
        lines.append(f"{where}: note: {problem.hint}")
    return lines


def verdict_line(result: FileResult, kube_version: tuple[int, int]) -> str:
    release = f"kube-apiserver {_release_text(result.judged_by or kube_version)}"
    if result.accepted:
        rules = f"{result.rules} rule{'s' if result.rules != 1 else ''}"
        return f"{result.path}: {release} would load this policy ({rules})"
    errors = sum(1 for p in result.problems if p.error)
    return f"{result.path}: {release} would refuse this policy ({errors} error{'s' if errors != 1 else ''})"


def write_text(result: FileResult, kube_version: tuple[int, int], verbose: bool) -> None:
    if result.error is not None:
        print(str(result.error), file=sys.stderr)
        return
    lines: list[str] = []
    for problem in result.problems:
        lines += problem_lines(result.path, problem)
    if verbose:
        for doc in result.skipped:
            lines.append(f"{result.path}:{doc.start.line}:{doc.start.column}: note: skipped document "
                         f"{doc.index + 1}: kube-apiserver reads only the first document of a policy file")
    lines.append(verdict_line(result, kube_version))
    sys.stdout.write("\n".join(lines) + "\n")


def problem_as_json(problem) -> dict:
    span = problem.span
    return {
        "severity": severity(problem), "kind": problem.kind, "fieldPath": problem.field_path,
        "message": problem.message, "hint": problem.hint or None,
        "line": span.line, "column": span.column, "endLine": span.end_line, "endColumn": span.end_column,
    }


def result_as_json(result: FileResult) -> dict:
    if result.error is not None:
        error = result.error
        return {"path": result.path, "readable": False, "accepted": None,
                "error": {"message": error.message, "line": error.line, "column": error.column}}
    return {
        "path": result.path, "readable": True, "accepted": result.accepted, "rules": result.rules,
        "apiVersion": result.api_version,
        "problems": [problem_as_json(p) for p in result.problems],
        "skippedDocuments": [{"document": d.index + 1, "line": d.start.line, "column": d.start.column}
                             for d in result.skipped],
    }


def results_as_json(results: list[FileResult], kube_version: tuple[int, int]) -> dict:
    return {
        "kubeVersion": _release_text(kube_version),
        "accepted": all(r.accepted for r in results),
        "files": [result_as_json(r) for r in results],
    }
