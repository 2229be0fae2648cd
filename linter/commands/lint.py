"""`kube-audit-lint lint`: run the pipeline, write the chosen formats, choose the exit code.

``--format`` may be repeated, each with an optional ``=PATH``: one run writes every format asked
for (``--format text --format sarif=results.sarif --format junit=junit.xml``). A format without a
path goes to standard output, so at most one may lack a path; with a single format, ``--output
PATH`` is its path. Files are written whole or not at all (``kube_audit_lint.files``).
"""

from __future__ import annotations

import os
import sys

from kube_audit_lint import files
from kube_audit_lint.files import write_atomically
from kube_audit_lint.fixes.apply import attach_to_report, fix_file, unified_diff
from kube_audit_lint.lint.config import ConfigError, is_excluded, load_settings, show_settings
from kube_audit_lint.lint.pipeline import (
    LintInputError, LintOptions, check_baseline, collect_files, did_you_mean, exit_code, lint_report, target_version,
)
from kube_audit_lint.lint.reporoot import repository_root
from kube_audit_lint.output import FORMATS, REPOSITORY_ROOTED, render
from kube_audit_lint.output.text import statistics
from kube_audit_lint.policy.load import lint_read
from kube_audit_lint.policy.yamlnodes import InputError

__all__ = ["LintOptions", "output_plan", "run_lint_command", "write_output"]

STDOUT = None  # the destination of a format given without =PATH


def write_output(text: str, output: str | None) -> None:
    try:
        files.write_output(text, output or None)
    except files.OutputError as exc:
        raise LintInputError(str(exc)) from None


def output_plan(options: LintOptions) -> list[tuple[str, str | None]]:
    """(format, path or None for standard output) for each format asked for, in the order given.

    Raises LintInputError (exit 2) for an unknown format, two formats on standard output, one path
    named twice, or ``--output`` beside several formats."""
    plan: list[tuple[str, str | None]] = []
    for given in options.formats or [options.output_format]:
        name, equals, path = given.partition("=")
        name = name.strip().lower()
        if name not in FORMATS:
            raise LintInputError(f"--format: unknown format {name!r}{did_you_mean(name, FORMATS)} "
                                 f"(expected one of {', '.join(FORMATS)}, each optionally =PATH)")
        if equals and not path.strip():
            raise LintInputError(f"--format {given}: no path after '=' (leave out '=' for standard output)")
        plan.append((name, path.strip() if equals else STDOUT))
    if options.output:
        if len(plan) > 1:
            raise LintInputError("--output goes with a single --format; with several, give each its own path "
                                 "(--format sarif=results.sarif)")
        if plan[0][1] is None:
            plan = [(plan[0][0], options.output)]
    on_stdout = [name for name, path in plan if path is STDOUT]
    if len(on_stdout) > 1:
        raise LintInputError(f"--format: {' and '.join(on_stdout)} would both go to standard output; give all "
                             f"but one a path (--format {on_stdout[-1]}=FILE)")
    paths = [os.path.abspath(path) for _, path in plan if path is not STDOUT]
    twice = next((path for path in paths if paths.count(path) > 1), None)
    if twice is not None:
        raise LintInputError(f"--format: two formats would be written to {twice}")
    return plan


def render_outputs(report, plan, options: LintOptions) -> list[tuple[str | None, str]]:
    """(path or None, text) for each planned output; the repository root is found only when a
    format that needs it (sarif, gitlab) is written."""
    root = None
    if any(name in REPOSITORY_ROOTED for name, _ in plan):
        root = repository_root(report.files)
    outputs = []
    for name, path in plan:
        if options.statistics and (path is STDOUT or len(plan) == 1):
            outputs.append((path, statistics(report)))
            continue
        color = path is STDOUT and use_color(options.color, sys.stdout.isatty(), os.environ)
        outputs.append((path, render(report, name, color=color, quiet=options.quiet, root=root,
                                     sarif_category=options.sarif_category)))
    return outputs


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
    try:
        if options.show_config:
            write_output(show_settings(load_settings(options)), options.output)
            return 0
        plan = output_plan(options)
        fixing = None
        if options.fix or options.diff:
            fixing = apply_fixes(options)
        report, settings = lint_report(options)
        report = attach_to_report(report, target_version(options, settings),
                                  every_policy=options.fix or options.diff or options.unsafe_fixes)
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
        outputs = render_outputs(report, plan, options)
        # the files first, standard output last: what a terminal shows ends the run
        for path, text in sorted(outputs, key=lambda output: output[0] is STDOUT):
            if options.diff and path is STDOUT:
                continue  # the diff is what standard output shows
            write_output(text, path)
        for problem in report.plugin_problems:
            print(f"kube-audit-lint: error: {problem}", file=sys.stderr)
        if fixing is not None:
            print(fix_summary(fixing, report, options), file=sys.stderr)
        return 2 if report.plugin_problems or report.input_errors else exit_code(report, settings)
    except (ConfigError, LintInputError, ValueError) as exc:
        print(f"kube-audit-lint: error: {exc}", file=sys.stderr)
        return 2


def apply_fixes(options: LintOptions) -> list:
    """``--fix`` / ``--diff``: fix every policy file given (or print the diff); the FileFix of each.

    Files are written whole or not at all (files.write_atomically); a fix that would make the
    policy unloadable, or that re-linting shows to add a problem, is left out and said on stderr."""
    settings = load_settings(options)
    kube_version = target_version(options, settings)
    check_baseline(settings.baseline)
    results = []
    for path in collect_files(options.paths, settings):
        if path == "-" or is_excluded(settings, path):
            continue
        try:
            reading = lint_read(path, kube_version)
        except InputError:
            continue  # the lint that follows reports it
        if not reading.is_policy_file:
            continue
        try:
            results.append(fix_file(path, reading.text, settings, kube_version, options.unsafe_fixes))
        except InputError:
            continue  # not YAML as a whole (a policy found inside another file): not edited
    for result in results:
        for finding, why in result.not_applied:
            location = finding.location
            print(f"{location}: {finding.code} fix not applied ({finding.autofix.description}): {why}",
                  file=sys.stderr)
    if options.diff:
        sys.stdout.write("".join(unified_diff(result) for result in results if result.changed))
        sys.stdout.flush()
        return results
    for result in results:
        if result.changed:
            try:
                write_atomically(result.path, _with_bom(result.path, result.text))
            except OSError as exc:
                raise LintInputError(f"{result.path}: cannot write: {exc.strerror or exc}") from None
    return results


def _with_bom(path: str, text: str) -> str:
    """A file that started with a byte order mark keeps it."""
    with open(path, "rb") as handle:
        return ("\ufeff" + text) if handle.read(3) == b"\xef\xbb\xbf" else text


def fix_summary(results: list, report, options: LintOptions) -> str:
    """``Fixed 3 problems in 2 files; 4 remain (1 more with --unsafe-fixes).``"""
    fixed = sum(len(result.applied) for result in results)
    files = sum(1 for result in results if result.changed)
    remaining = report.active
    fixable = [f for f in remaining if f.autofix and (f.autofix.safe or options.unsafe_fixes)]
    hidden = [f for f in remaining if f.autofix and not f.autofix.safe and not options.unsafe_fixes]
    counted = f"{fixed} problem{'s' if fixed != 1 else ''} in {files} file{'s' if files != 1 else ''}"
    if options.diff:  # nothing was written: the findings are those of the files as they are
        text = f"Would fix {counted}; {len(remaining)} finding{'s' if len(remaining) != 1 else ''} before fixing"
    else:
        text = f"Fixed {counted}; {len(remaining)} remain{'s' if len(remaining) == 1 else ''}"
    notes = []
    if fixable and not options.diff:
        notes.append(f"{len(fixable)} with a fix that could not be applied")
    if hidden:
        notes.append(f"{len(hidden)} with an unsafe fix, hidden: --unsafe-fixes applies it")
    return text + (f" ({'; '.join(notes)})" if notes else "") + "."
