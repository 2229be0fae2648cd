"""``kube-audit-lint diff OLD NEW``: what a policy change does to the requests that get logged.

Exit 0 when no request changes outcome, 1 when some do, 2 when a policy cannot be read or would
not load (with file:line:col).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from kube_audit_lint.files import OutputError, write_output
from kube_audit_lint.policy import versions
from kube_audit_lint.review.diff_render import render
from kube_audit_lint.review.semdiff import diff_policies
from kube_audit_lint.review.sources import SourceError, read_policy

EXIT_SAME, EXIT_CHANGED, EXIT_INPUT = 0, 1, 2


@dataclass
class DiffOptions:
    old: str
    new: str
    output_format: str = "text"  # text, markdown, json
    output: str | None = None
    kube_version: tuple[int, int] | None = None


def run_diff(options: DiffOptions) -> int:
    kube_version = options.kube_version or versions.DEFAULT
    try:
        old = read_policy(options.old, kube_version)
        new = read_policy(options.new, kube_version)
    except SourceError as exc:
        print(f"kube-audit-lint: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    diff = diff_policies(old, new, kube_version)
    text = render(diff, options.output_format, versions.format(kube_version))
    try:
        write_output(text, options.output or None)
    except OutputError as exc:
        print(f"kube-audit-lint: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_CHANGED if diff.changed else EXIT_SAME

