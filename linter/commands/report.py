"""`kube-audit-lint report`: build, render and write the compliance report."""

from __future__ import annotations

import sys

from kube_audit_lint.files import OutputError, write_output
from kube_audit_lint.report import EXIT_INPUT, check_format_available, render
from kube_audit_lint.report.model import ReportInputError, ReportOptions, build_report

__all__ = ["ReportOptions", "run_report_command"]


def run_report_command(options: ReportOptions) -> int:
    """Build, render and write the report. 0 when written, 2 for input to fix (one line on stderr)."""
    try:
        check_format_available(options.output_format)
        report = build_report(options)
        output = render(report, options.output_format)
        target = options.output or default_path(options.output_format)
        write(output, target)
        if target != "-":
            print(f"kube-audit-lint: wrote the {options.output_format} report to {target}", file=sys.stderr)
    except ReportInputError as exc:
        print(f"kube-audit-lint: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    return 0


def default_path(fmt: str) -> str:
    """A report goes to a file unless asked for on standard output (``--output -``)."""
    return f"audit-policy-report.{fmt}"


def write(output: str | bytes, path: str | None) -> None:
    if isinstance(output, str):
        output = output.encode("utf-8")
    try:
        write_output(output, None if path == "-" else path)
    except OutputError as exc:
        raise ReportInputError(str(exc)) from None
