"""The steps of the GitHub Action (``action.yml``) that need more than a line of shell.

``main()`` with the argument ``lint`` (the default) reads the action's inputs from ``INPUT_*``
environment variables, lints once, writes the SARIF file, prints the text report with workflow
commands stopped around it (a file or check name cannot forge an annotation or set an output),
then the annotations it means to emit (escaped), appends a Markdown summary to
``$GITHUB_STEP_SUMMARY`` and sets the step outputs (``sarif-file``, ``findings``, ``errors``,
``exit-code``) in ``$GITHUB_OUTPUT``. It always exits 0 so that the SARIF upload runs; the
action's last step exits with ``exit-code`` (scan, upload with ``if: always()``, then fail).

``upload-decision`` (environment variables ``INPUT_UPLOAD_SARIF``,
``EVENT_NAME``, ``ACTOR``, ``REPOSITORY``, ``HEAD_REPOSITORY``, ``HEAD_REPO_FORK``) decides whether the SARIF upload can work with the
job's token (not on a pull request from a fork, not for Dependabot) and says why not.

``--check`` says the environment works. The action runs ``main()`` from its own virtual
environment with ``python -I -c``: nothing is imported from the workspace.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import subprocess
import sys
import tempfile
from dataclasses import replace

from kube_audit_lint import __version__
from kube_audit_lint.escape import markdown_code
from kube_audit_lint.findings import Severity
from kube_audit_lint.lint.pipeline import LintOptions, exit_code, lint_report
from kube_audit_lint.lint.reporoot import git_toplevel, repository_root
from kube_audit_lint.output import render
from kube_audit_lint.output.github import escape_data
from kube_audit_lint.policy import versions
from kube_audit_lint.review import diff_render
from kube_audit_lint.review.semdiff import diff_policies
from kube_audit_lint.review.sources import SourceError, read_policy

TITLE = "kube-audit-lint"


def _input(name: str, default: str = "") -> str:
    return os.environ.get(f"INPUT_{name}", default).strip()


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("true", "yes", "1", "on")


def _falsy(value: str) -> bool:
    return value.strip().lower() in ("false", "no", "0", "off")


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


def notice(message: str) -> None:
    print(f"::notice title={TITLE}::{escape_data(message)}", flush=True)


@contextlib.contextmanager
def commands_stopped():
    """Everything printed inside (stdout, and stderr sent to stdout to keep the order) is shown as
    text: the runner ignores workflow commands until the unguessable token ends the block."""
    token = f"kal-{secrets.token_hex(16)}"
    sys.stdout.flush()
    print(f"::stop-commands::{token}", flush=True)
    try:
        with contextlib.redirect_stderr(sys.stdout):
            yield
    finally:
        sys.stdout.flush()
        print(f"::{token}::", flush=True)


def ensure_base_ref(base: str) -> str:
    """``origin/<base>``, fetched (one commit deep) when the checkout does not have it."""
    ref = f"refs/remotes/origin/{base}"
    have = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                          capture_output=True, text=True)
    if have.returncode != 0:
        fetched = subprocess.run(["git", "fetch", "--no-tags", "--depth=1", "origin", f"+refs/heads/{base}:{ref}"],
                                 capture_output=True, text=True)
        if fetched.returncode != 0:
            raise ValueError(f"only-new: diff could not fetch the base branch {base!r}: "
                             f"{fetched.stderr.strip().splitlines()[-1:] or ['?']}")
    return f"origin/{base}"


def lint_options():
    """LintOptions built from the action inputs."""
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
            options.diff_base = ensure_base_ref(base)
        else:
            notice("only-new: diff needs a pull request; reporting every finding")
    elif only_new and not _falsy(only_new):
        options.accepted = only_new
    return options


def sarif_path() -> str:
    given = _input("SARIF_FILE")
    if given:
        return os.path.abspath(given)
    directory = os.environ.get("RUNNER_TEMP_DIR") or os.environ.get("RUNNER_TEMP") or tempfile.gettempdir()
    return os.path.join(directory, "kube-audit-lint.sarif")


def report_root() -> str:
    """Paths in annotations and SARIF are relative to the repository (the workspace), also when
    ``working-directory`` is one of its subdirectories."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    here = os.path.abspath(os.getcwd())
    if workspace:
        workspace = os.path.abspath(workspace)
        if here == workspace or here.startswith(workspace + os.sep):
            return workspace
    return here


def _failed(status: int, message: str, title: str = TITLE) -> int:
    print(f"::error title={title}::{escape_data(message)}", flush=True)
    _set_outputs({"sarif-file": "", "findings": "0", "errors": "0", "exit-code": str(status)})
    return 0


def lint() -> int:
    sarif = sarif_path()
    with commands_stopped():
        try:
            options = lint_options()
            report, settings = lint_report(options)
        except ValueError as exc:  # configuration or input the user must fix
            problem = str(exc)
        else:
            problem = None
            report = replace(report, root=report_root())
            os.makedirs(os.path.dirname(sarif), exist_ok=True)

            with open(sarif, "w", encoding="utf-8") as handle:
                # the upload's paths are read from the repository's top, wherever the paths were given from
                handle.write(render(report, "sarif", root=repository_root(report.files, cwd=report_root())
                                    if report.files else report_root()))
            print(render(report, "text"), end="")
    if problem is not None:
        return _failed(2, problem)
    if _truthy(_input("ANNOTATIONS", "true")):
        print(render(report, "github"), end="", flush=True)
    _append_summary(render(report, "markdown"))
    changes = policy_changes(report.files, options.kube_version) if _truthy(_input("POLICY_DIFF", "true")) else ""
    if changes:
        _append_summary(changes)
    _set_outputs({
        "sarif-file": sarif,
        "findings": str(len(report.displayed)),  # one per problem, as the outputs show them
        "errors": str(report.count(Severity.ERROR)),
        "exit-code": str(exit_code(report, settings)),
    })
    return 0


def changed_files(base: str) -> set[str]:
    """The paths (from the repository's top) a pull request changes against ``base``."""
    result = subprocess.run(["git", "diff", "--name-only", f"{base}...HEAD"], capture_output=True, text=True)
    if result.returncode != 0:  # a shallow checkout without the merge base: compare the trees
        result = subprocess.run(["git", "diff", "--name-only", base, "HEAD"], capture_output=True, text=True)
    return set(result.stdout.split()) if result.returncode == 0 else set()


def policy_changes(files: list[str], kube_version) -> str:
    """For a pull request: each changed policy file's request-level difference against the base
    branch (kube-audit-lint diff), as Markdown for the job summary; "" otherwise."""
    base_branch = os.environ.get("BASE_REF", "").strip()
    if not base_branch or not files:
        return ""
    try:
        base = ensure_base_ref(base_branch)
    except ValueError as exc:
        notice(f"policy diff skipped: {exc}")
        return ""
    top = git_toplevel(os.getcwd()) or os.getcwd()
    changed = changed_files(base)
    version = kube_version or versions.DEFAULT
    parts = []
    for path in files:
        relative = os.path.relpath(os.path.abspath(path), top).replace(os.sep, "/")
        if relative not in changed:
            continue
        try:
            new = read_policy(path, version)
        except SourceError:
            continue  # the lint findings above say why it does not load
        try:
            old = read_policy(f"git:{base}:{relative}", version)
        except SourceError:
            parts.append(f"### {markdown_code(relative)}\n\nA new policy file (or none the apiserver loads on "
                         f"{markdown_code(base_branch)}).")
            continue
        parts.append(diff_render.render(diff_policies(old, new, version), "markdown", versions.format(version)))
    if not parts:
        return ""
    return "## What this pull request changes in what is logged\n\n" + "\n\n".join(parts)


def upload_decision(env: dict[str, str]) -> tuple[bool, str]:
    """Whether to upload the SARIF report, and why not: (upload, reason).

    ``upload-sarif: auto`` skips the upload where the job's token cannot write security events:
    a ``pull_request`` from another repository (a fork), and runs started by Dependabot.
    ``true`` always tries (the upload step still never fails the job), ``false`` never does.
    """
    wanted = env.get("INPUT_UPLOAD_SARIF", "auto").strip().lower() or "auto"
    if _falsy(wanted):
        return False, "upload-sarif is false"
    if _truthy(wanted):
        return True, ""
    if wanted != "auto":
        return False, f"upload-sarif is {wanted!r}, expected auto, true or false; not uploading"
    if env.get("ACTOR", "") == "dependabot[bot]":
        return False, "the run was started by Dependabot, whose token cannot upload to code scanning"
    if env.get("EVENT_NAME", "") == "pull_request":
        head = env.get("HEAD_REPOSITORY", "")
        own = env.get("REPOSITORY", "")
        from_fork = (head != own) if (head and own) else env.get("HEAD_REPO_FORK", "") == "true"
        if from_fork:
            return False, (f"the pull request comes from a fork ({head or 'another repository'}), "
                           "whose token cannot upload to code scanning; see the job summary and annotations")
    return True, ""


def decide_upload() -> int:
    upload, reason = upload_decision(dict(os.environ))
    _set_outputs({"upload": "true" if upload else "false"})
    if not upload and not _falsy(os.environ.get("INPUT_UPLOAD_SARIF", "")):  # false: as asked, nothing to say
        notice(f"SARIF upload skipped: {reason}")
    return 0


def check_installed() -> int:
    """The environment works: the package and its checks import (the install step's last word;
    this module imports the lint pipeline when it is loaded)."""
    print(f"kube-audit-lint {__version__}")
    return 0


COMMANDS = {"lint": lint, "upload-decision": decide_upload, "--check": check_installed}


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "lint"
    if command not in COMMANDS:
        print(f"usage: python -I -c 'from kube_audit_lint.action import main; main()' [{'|'.join(COMMANDS)}]",
              file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(COMMANDS[command]())
    except Exception as exc:  # noqa: BLE001 - a bug must still fail the action, after outputs are set
        sys.exit(_failed(3, f"{type(exc).__name__}: {exc}", title=f"{TITLE} internal error"))


if __name__ == "__main__":
    main()
