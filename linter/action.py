"""The lint step of the GitHub Action (``action.yml``): one lint, every output the action promises.

Reads the action's inputs from ``INPUT_*`` environment variables, lints once, writes the SARIF
file, prints workflow-command annotations, appends a Markdown summary to ``$GITHUB_STEP_SUMMARY``
and sets the step outputs (``sarif-file``, ``findings``, ``errors``, ``status``) in
``$GITHUB_OUTPUT``. It always exits 0 so that the SARIF upload runs; the action's last step exits
with ``status`` (the pattern of scan, upload with ``if: always()``, then fail).
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile

from kube_audit_lint.findings import Severity
from kube_audit_lint.output.github import escape_data


def _input(name: str, default: str = "") -> str:
    return os.environ.get(f"INPUT_{name}", default).strip()


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("true", "yes", "1", "on")


def _split_paths(value: str) -> list[str]:
    return [p for line in value.splitlines() for p in shlex.split(line)] or ["."]


def _set_outputs(outputs: dict[str, str]) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    lines = [f"{key}={value}" for key, value in outputs.items()]
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    else:
        print("\n".join(lines))


def _append_summary(markdown: str) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(markdown if markdown.endswith("\n") else markdown + "\n")


def lint_options():
    """LintOptions built from the action inputs."""
    from kube_audit_lint.lint.pipeline import LintOptions
    from kube_audit_lint.policy import versions

    only_new = _input("ONLY_NEW", "false")
    releases = versions.parse_range(_input("KUBE_VERSION")) if _input("KUBE_VERSION") else ()
    options = LintOptions(
        paths=_split_paths(_input("PATHS", ".")),
        select=[v.strip() for v in _input("SELECT").split(",") if v.strip()],
        ignore=[v.strip() for v in _input("IGNORE").split(",") if v.strip()],
        fail_on=_input("FAIL_ON") or None,
        baseline=_input("BASELINE") or None,
        config=_input("CONFIG") or None,
        kube_version=releases[0] if len(releases) == 1 else None,
        kube_versions=releases if len(releases) > 1 else None,
    )
    if only_new.lower() == "diff":
        base = os.environ.get("BASE_REF", "").strip()
        if base:
            options.diff_base = f"origin/{base}"
        else:
            print("::notice title=kube-audit-lint::only-new: diff needs a pull request; reporting every finding")
    elif only_new and only_new.lower() not in ("false", "no", "0", "off"):
        options.accepted = only_new
    return options


def sarif_path() -> str:
    given = _input("SARIF_FILE")
    if given:
        return given
    directory = os.environ.get("RUNNER_TEMP_DIR") or os.environ.get("RUNNER_TEMP") or tempfile.gettempdir()
    return os.path.join(directory, "kube-audit-lint.sarif")


def run() -> int:
    from kube_audit_lint.lint.pipeline import exit_code, lint_report
    from kube_audit_lint.output import render

    sarif = sarif_path()
    try:
        options = lint_options()
        report, settings = lint_report(options)
    except ValueError as exc:  # configuration or input the user must fix
        print(f"::error title=kube-audit-lint::{escape_data(str(exc))}")
        _set_outputs({"sarif-file": "", "findings": "0", "errors": "0", "status": "2"})
        return 0
    os.makedirs(os.path.dirname(os.path.abspath(sarif)), exist_ok=True)
    with open(sarif, "w", encoding="utf-8") as handle:
        handle.write(render(report, "sarif"))
    print(render(report, "text"), end="")
    if _truthy(_input("ANNOTATIONS", "true")):
        print(render(report, "github"), end="")
    _append_summary(render(report, "markdown"))
    status = exit_code(report, settings)
    _set_outputs({
        "sarif-file": sarif,
        "findings": str(len(report.displayed)),  # one per problem, as the outputs show them
        "errors": str(report.count(Severity.ERROR)),
        "status": str(status),
    })
    return 0


def main() -> None:
    try:
        sys.exit(run())
    except Exception as exc:  # noqa: BLE001 - a bug must still fail the action, after outputs are set
        print(f"::error title=kube-audit-lint internal error::{escape_data(f'{type(exc).__name__}: {exc}')}")
        _set_outputs({"sarif-file": "", "findings": "0", "errors": "0", "status": "3"})
        sys.exit(0)


if __name__ == "__main__":
    main()
