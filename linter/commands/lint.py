"""`kube-audit-lint lint`: run the pipeline, write the chosen format, choose the exit code."""

from __future__ import annotations

import os
import sys

from kube_audit_lint.lint.pipeline import LintInputError, LintOptions, exit_code, lint_report

__all__ = ["LintOptions", "run_lint_command", "write_output"]


def write_output(text: str, output: str | None) -> None:
    if output:
        from kube_audit_lint.files import write_atomically

        try:
            write_atomically(output, text)
        except OSError as exc:
            raise LintInputError(f"{output}: cannot write: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def no_policy_message(report) -> str:
    """``no audit policy found in 3 files; 3 skipped: 2 with no audit.k8s.io Policy document, 1 ...``"""
    from collections import Counter

    reasons = Counter(report.skip_reasons.get(path, "skipped") for path in report.skipped)
    count = len(report.skipped)
    if not count:
        return "no audit policy found: no YAML or JSON file in the paths given (--allow-no-policy makes this exit 0)"
    listed = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0])))
    return (f"no audit policy found in {count} file{'s' if count != 1 else ''}; {count} skipped: {listed} "
            "(--verbose names them; --allow-no-policy makes this exit 0)")


def use_color(choice: str, terminal: bool, environ) -> bool:
    """--color always|never wins; auto: FORCE_COLOR forces colour, NO_COLOR (https://no-color.org)
    turns it off, else colour on a terminal only."""
    if choice in ("always", "never"):
        return choice == "always"
    if environ.get("FORCE_COLOR"):
        return True
    return terminal and "NO_COLOR" not in environ


def run_lint_command(options: LintOptions) -> int:
    from kube_audit_lint.lint.config import ConfigError, load_settings, show_settings

    try:
        if options.show_config:
            write_output(show_settings(load_settings(options)), options.output)
            return 0
        report, settings = lint_report(options)
        if options.write_accepted:
            return 0
        for problem in report.input_errors:
            print(problem, file=sys.stderr)
        if not report.files and report.input_errors:
            return 2
        if not report.files and not options.allow_no_policy:
            # nothing was linted: no report that could be read as a clean run
            print(f"kube-audit-lint: error: {no_policy_message(report)}", file=sys.stderr)
            return 2
        from kube_audit_lint.output import render

        color = use_color(options.color, options.output is None and sys.stdout.isatty(), os.environ)
        if options.statistics:
            from kube_audit_lint.output.text import statistics

            write_output(statistics(report), options.output)
        else:
            write_output(render(report, options.output_format, color=color, quiet=options.quiet), options.output)
        for problem in report.plugin_problems:
            print(f"kube-audit-lint: error: {problem}", file=sys.stderr)
        return 2 if report.plugin_problems or report.input_errors else exit_code(report, settings)
    except (ConfigError, LintInputError, ValueError) as exc:
        print(f"kube-audit-lint: error: {exc}", file=sys.stderr)
        return 2
