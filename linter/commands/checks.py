"""`kube-audit-lint checks`: the list of checks, or one check's documentation."""

from __future__ import annotations

import sys

from kube_audit_lint.lint import registry  # looked up when called: the checks can be swapped (tests)
from kube_audit_lint.lint.checkdocs import EXIT_OK, EXIT_USAGE, check_list, one_check


def run_checks_command(output_format: str, check: str | None, full: bool = False) -> int:
    """``kube-audit-lint checks [CHECK] [--format text|markdown|json] [--full]``."""
    try:
        specs = registry.all_checks()
    except (ImportError, ValueError) as exc:
        return _fail(f"cannot load the checks: {exc}")
    if check is not None:
        spec = registry.find_check(check)
        if spec is None:
            return _fail(f"unknown check {check!r} (run `kube-audit-lint checks` for the list)")
        sys.stdout.write(one_check(spec, output_format))
        return EXIT_OK
    sys.stdout.write(check_list(specs, output_format, full))
    return EXIT_OK


def _fail(message: str) -> int:
    sys.stderr.write(f"kube-audit-lint: error: {message}\n")
    return EXIT_USAGE
