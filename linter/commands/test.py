"""``kube-audit-lint test [PATH...]``: run the policy unit tests in ``*.audit-test.yaml`` files.

PATH is a test file or a folder searched recursively (default: the current folder). Exit 0 when
every case and property passes, 1 when one fails, 2 when a test file is malformed or its policy
cannot be loaded (``FILE:LINE:COL: what is wrong`` on stderr; the other files still run).
The file format: ``kube_audit_lint.review.policytests``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from kube_audit_lint.files import OutputError, write_output
from kube_audit_lint.policy import versions
from kube_audit_lint.review.policytests import FileReport, SUFFIX, find_test_files, run_file
from kube_audit_lint.review.policytests_render import render, totals

EXIT_PASSED, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


@dataclass
class TestOptions:
    paths: list[str] = field(default_factory=lambda: ["."])
    output_format: str = "text"  # text, json, junit
    output: str | None = None
    kube_version: tuple[int, int] | None = None


def run_test(options: TestOptions) -> int:
    kube_version = options.kube_version or versions.DEFAULT
    paths, missing = find_test_files(options.paths or ["."])
    reports = [FileReport(error.path, error=str(error)) for error in missing]
    policies: dict = {}
    reports += [run_file(path, kube_version, policies) for path in paths]
    for report in reports:
        if report.error is not None:
            print(report.error, file=sys.stderr)
    if not reports:
        print(f"kube-audit-lint: error: no *{SUFFIX} file in {' '.join(options.paths or ['.'])}", file=sys.stderr)
        return EXIT_INPUT
    text = render(reports, options.output_format, versions.format(kube_version))
    try:
        write_output(text, options.output or None)
    except OutputError as exc:
        print(f"kube-audit-lint: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    passed, failed, errors = totals(reports)
    if errors:
        return EXIT_INPUT
    return EXIT_FAILED if failed else EXIT_PASSED

