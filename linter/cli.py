"""The kube-audit-lint command line: argument handling and exit codes only.

Exit codes: 0 clean, 1 findings at or above the failure threshold (validate: a policy the apiserver
would refuse), 2 usage, configuration or input error, 3 internal error.
"""

from __future__ import annotations

import sys
from enum import Enum
from typing import List, Optional

import typer

from kube_audit_lint import __version__
from kube_audit_lint.interrupts import Interrupted, Terminated, terminate
from kube_audit_lint.policy import versions

EXIT_INPUT, EXIT_INTERNAL = 2, 3  # 0 clean and 1 findings come from the commands
ISSUES_URL = "https://github.com/kube-audit-lint/kube-audit-lint/issues"

app = typer.Typer(
    name="kube-audit-lint",
    help="Lint, validate and replay Kubernetes API-server audit policies (audit.k8s.io/v1 Policy).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
baseline_app = typer.Typer(help="Compare a policy with a baseline.", no_args_is_help=True)
app.add_typer(baseline_app, name="baseline")


def fail_input(message: str) -> None:
    typer.echo(f"kube-audit-lint: error: {message}", err=True)
    raise typer.Exit(EXIT_INPUT)


def _kube_version(text: Optional[str]) -> tuple[int, int]:
    if text is None:
        return versions.DEFAULT
    try:
        return versions.parse(text)
    except ValueError as exc:
        fail_input(str(exc))
        raise  # unreachable


KUBE_VERSION_HELP = ("Kubernetes release whose apiserver behaviour to reproduce, e.g. 1.30 (default: the configuration "
                     "file's kube-version, else the newest implemented).")


def _optional_kube_version(text: Optional[str]) -> tuple[int, int] | None:
    return _newest_of(text) if text is not None else None


def _configured(text: Optional[str], near: str | None) -> Optional[str]:
    """``--kube-version`` as given, else the ``kube-version`` of the configuration file found from
    ``near`` (a file the command reads) upwards, as lint finds it."""
    if text is not None:
        return text
    # the configuration (and the check registry it names checks from) loads only for a command that reads it
    from kube_audit_lint.lint.config import ConfigError, configured_kube_version

    try:
        return configured_kube_version(near)
    except ConfigError as exc:
        fail_input(str(exc))
        raise  # unreachable


def _kube_versions(text: Optional[str]) -> tuple[tuple[int, int], ...] | None:
    """``--kube-version 1.33-1.36`` (or one release) for the commands that target several."""
    if text is None:
        return None
    try:
        return versions.parse_range(text)
    except ValueError as exc:
        fail_input(str(exc))
        raise  # unreachable


def _newest_of(text: Optional[str]) -> tuple[int, int]:
    """The release a single-release command uses: the newest of a range, said on stderr."""
    releases = _kube_versions(text)
    if releases is None:
        return versions.DEFAULT
    if len(releases) > 1:
        typer.echo(f"kube-audit-lint: note: this command reproduces one release: Kubernetes "
                   f"{versions.format(releases[-1])}, the newest of {text}", err=True)
    return releases[-1]


KUBE_VERSIONS_HELP = ("Kubernetes release, or range of releases such as 1.33-1.36, whose apiserver behaviour to "
                      "reproduce (default: every release still supported upstream, 1.33-1.36).")
INPUT_FORMAT_HELP = ("Read only this log format (default: recognised from content): raw, eventlist, cloudwatch, "
                     "cloudwatch-subscription, cloudwatch-insights, aks, gke, viaq or otlp.")
MAX_EVENT_SIZE_HELP = "Largest event read, e.g. 16MiB (the default), 512KiB or 1000000; longer lines are counted and skipped."


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"kube-audit-lint {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True, help="Print the version."),
) -> None:
    """kube-audit-lint: a linter and CI compliance checker for Kubernetes audit policies."""


@app.command()
def validate(
    files: List[str] = typer.Argument(..., help="Policy files (YAML or JSON; - for stdin)."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version", help=KUBE_VERSIONS_HELP),
    output_format: TextOrJson = typer.Option(TextOrJson.text, "--format", help="text or json."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also say what was skipped and why."),
    skip_non_policies: bool = typer.Option(False, "--skip-non-policies", help="Pass over files that hold no audit policy (for pre-commit)."),
) -> None:
    """Say whether kube-apiserver would load each policy, with its reasons when it would not.

    Exit 0 when every policy would load, 1 when at least one would be refused, 2 on unreadable input.
    """
    from kube_audit_lint.commands.validate import run_validate

    releases = _kube_versions(_configured(kube_version, files[0] if files else None)) or versions.SUPPORTED
    raise typer.Exit(run_validate(files, releases, output_format.value, verbose, skip_non_policies))


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    note = "note"
    never = "never"


@app.command()
def lint(
    paths: List[str] = typer.Argument(None, help="Policy files or directories (searched for policies)."),
    output_format: Optional[List[str]] = typer.Option(None, "--format", "--output-format", help="text, concise (one line per finding), json, sarif, github, markdown, junit, gitlab or rdjson; repeat it, each as FORMAT=PATH, to write several (one may go to standard output).", metavar="FORMAT[=PATH]"),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the report to this file (with a single --format)."),
    sarif_category: Optional[str] = typer.Option(None, "--sarif-category", help="Code-scanning category of the SARIF output: runs[].automationDetails.id is NAME/."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Only these checks (codes or names; comma-separated or repeated)."),
    extend_select: Optional[List[str]] = typer.Option(None, "--extend-select", help="Add these checks to the selection (and drop them from the ignored ones)."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Skip these checks (codes or names)."),
    fail_on: Optional[FailOn] = typer.Option(None, "--fail-on", help="Lowest severity that fails the run (default: warning)."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when findings are reported."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Baseline name (gke, eks, cis, recommended) or file."),
    config: Optional[str] = typer.Option(None, "--config", help="Configuration file (default: found from the current directory upwards)."),
    show_config: bool = typer.Option(False, "--show-config", help="Print the effective settings and where each came from, then exit."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version", help=KUBE_VERSIONS_HELP),
    accepted: Optional[str] = typer.Option(None, "--accepted", help="Report only findings not recorded in this accepted-findings file."),
    write_accepted: Optional[str] = typer.Option(None, "--write-accepted", help="Record the current findings in this file and exit 0."),
    diff_base: Optional[str] = typer.Option(None, "--diff-base", help="Report only findings on lines (or rules) changed since this git ref."),
    apiserver_manifest: Optional[str] = typer.Option(None, "--apiserver-manifest", help="Also check the audit flags of this kube-apiserver manifest."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Say which files and documents were skipped."),
    allow_no_policy: bool = typer.Option(False, "--allow-no-policy", help="Exit 0 when no input holds an audit policy (default: exit 2)."),
    stdin_filename: Optional[str] = typer.Option(None, "--stdin-filename", help="The file name of a policy read from standard input (-): findings and per-file settings use it."),
    statistics: bool = typer.Option(False, "--statistics", help="Print the number of findings per check instead of the findings."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print the findings only: no closing count, no 'No findings.'."),
    color: Color = typer.Option(Color.auto, "--color", help="auto (on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it), always or never."),
    fix: bool = typer.Option(False, "--fix", help="Apply the safe fixes to the files, then report what remains."),
    diff: bool = typer.Option(False, "--diff", help="Print the fixes as a unified diff; write nothing."),
    unsafe_fixes: bool = typer.Option(False, "--unsafe-fixes", help="Apply (with --fix or --diff) the unsafe fixes too."),
) -> None:
    """Run the checks on audit policies and report findings."""
    from kube_audit_lint.commands.lint import LintOptions, run_lint_command

    releases = _kube_versions(kube_version)
    options = LintOptions(
        paths=list(paths or []),
        output_format=(output_format or ["text"])[0],
        output=output,
        formats=list(output_format or []),
        sarif_category=sarif_category,
        select=_split(select),
        ignore=_split(ignore),
        fail_on=fail_on.value if fail_on else None,
        exit_zero=exit_zero,
        baseline=baseline,
        config=config,
        show_config=show_config,
        kube_version=releases[0] if releases and len(releases) == 1 else None,
        kube_versions=releases if releases and len(releases) > 1 else None,
        accepted=accepted,
        write_accepted=write_accepted,
        diff_base=diff_base,
        apiserver_manifest=apiserver_manifest,
        verbose=verbose,
        allow_no_policy=allow_no_policy,
        extend_select=_split(extend_select),
        stdin_filename=stdin_filename,
        statistics=statistics,
        quiet=quiet,
        color=color.value,
        fix=fix,
        diff=diff,
        unsafe_fixes=unsafe_fixes,
    )
    raise typer.Exit(run_lint_command(options))


def _split(values: Optional[List[str]]) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out += [v.strip() for v in value.split(",") if v.strip()]
    return out


@app.command()
def explain(
    policy: str = typer.Argument(..., help="Policy file."),
    user: Optional[str] = typer.Option(None, "--user", help="User name (omit with --unauthenticated)."),
    group: Optional[List[str]] = typer.Option(None, "--group", help="User group (repeat for several). kube-apiserver gives every authenticated user system:authenticated: add it to see what the apiserver sees."),
    verb: str = typer.Option("get", "--verb", help="Request verb (get, list, watch, create, update, patch, delete, ...)."),
    resource: Optional[str] = typer.Option(None, "--resource", help="Resource, pods or pods/exec style."),
    api_group: str = typer.Option("", "--api-group", help="API group of the resource (\"\" for core)."),
    namespace: str = typer.Option("", "--namespace", "-n", help="Namespace (empty for cluster-scoped)."),
    name: str = typer.Option("", "--name", help="Object name."),
    path: Optional[str] = typer.Option(None, "--path", help="Non-resource URL path, e.g. /healthz."),
    unauthenticated: bool = typer.Option(False, "--unauthenticated", help="A request with no authenticated user (401)."),
    event: Optional[str] = typer.Option(None, "--event", help="Take the request from an audit event: FILE:LINE (any log format replay reads)."),
    event_index: Optional[int] = typer.Option(None, "--event-index", help="Which event of a record or document holding several (1-based)."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version", help=KUBE_VERSION_HELP),
    output_format: TextOrJson = typer.Option(TextOrJson.text, "--format", help="text or json."),
) -> None:
    """Explain which rule decides a request, and why every earlier rule did not match."""
    from kube_audit_lint.commands.explain import ExplainRequest, run_explain

    request = ExplainRequest(
        user=user, groups=list(group or []), verb=verb, resource=resource, api_group=api_group,
        namespace=namespace, name=name, path=path, unauthenticated=unauthenticated, event=event, event_index=event_index,
    )
    raise typer.Exit(run_explain(policy, request, _newest_of(_configured(kube_version, policy)), output_format.value))


class ReplayFormat(str, Enum):
    summary = "summary"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"


@app.command()
def replay(
    policy: str = typer.Argument(..., help="Policy file (or git:REF:path)."),
    logs: List[str] = typer.Argument(..., help="Audit logs: JSON lines, EventList JSON, .gz, or - for stdin."),
    output_format: ReplayFormat = typer.Option(ReplayFormat.summary, "--format", help="summary, json, jsonl or markdown."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write to this file."),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 2) when a line is not a valid event."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Worker processes (default: the number of cores)."),
    compare: Optional[str] = typer.Option(None, "--compare", help="Old policy (file or git:REF:path) to compare with."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version", help=KUBE_VERSION_HELP),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr (default: when stderr is a terminal)."),
    engine: str = typer.Option("default", "--engine", help="default, duckdb (in-process DuckDB; extra [duckdb]) or spark (extra [spark])."),
    spark_master: Optional[str] = typer.Option(None, "--spark-master", help="Spark master URL for --engine spark (default: local[*])."),
    input_format: Optional[str] = typer.Option(None, "--input-format", help=INPUT_FORMAT_HELP),
    max_event_size: Optional[str] = typer.Option(None, "--max-event-size", help=MAX_EVENT_SIZE_HELP),
    cost: bool = typer.Option(False, "--cost", help="Bytes and events per day per rule and request class, over the sample's own time span."),
    price_per_gb: Optional[float] = typer.Option(None, "--price-per-gb", help="Price of a GB (10^9 bytes) of logs: money per day in the cost (implies --cost) and in --compare."),
    apiserver_manifest: Optional[str] = typer.Option(None, "--apiserver-manifest", help="kube-apiserver manifest: its --audit-log-truncate-max-event-size is a sink limit the cost counts."),
    force_jobs: bool = typer.Option(False, "--force-jobs", help="Run --jobs processes even above the number of cores."),
    partial_on_interrupt: bool = typer.Option(False, "--partial-on-interrupt", help="On Ctrl-C or SIGTERM, still write the summary of the events read so far, marked partial (exit 130/143)."),
) -> None:
    """Replay recorded audit events against a policy: what each event hits and what would be logged."""
    from kube_audit_lint.commands.replay import ReplayOptions, run_replay_command

    options = ReplayOptions(
        policy=policy, logs=list(logs), output_format=output_format.value, output=output, strict=strict,
        jobs=jobs, compare=compare, kube_version=_newest_of(_configured(kube_version, policy)), progress=progress,
        engine=engine, spark_master=spark_master, input_format=input_format, max_event_size=max_event_size,
        cost=cost, price_per_gb=price_per_gb, apiserver_manifest=apiserver_manifest,
        partial_on_interrupt=partial_on_interrupt, force_jobs=force_jobs,
    )
    raise typer.Exit(run_replay_command(options))


@app.command("filter")
def filter_(
    policy: str = typer.Argument(..., help="Policy file (or git:REF:path) to apply."),
    logs: List[str] = typer.Argument(..., help="Audit logs in any format replay reads, or - for stdin."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the events to this file (default: stdout)."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version", help=KUBE_VERSION_HELP),
    input_format: Optional[str] = typer.Option(None, "--input-format", help=INPUT_FORMAT_HELP),
    max_event_size: Optional[str] = typer.Option(None, "--max-event-size", help=MAX_EVENT_SIZE_HELP),
    drop_undecidable: bool = typer.Option(False, "--drop-undecidable", help="Drop records the policy cannot decide without the user's groups (GKE) instead of keeping them."),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 2) on a record that is not an event or an input cut short."),
    stats_json: Optional[str] = typer.Option(None, "--stats-json", help="Also write the counts (read, written, dropped, by format) as JSON to this file."),
) -> None:
    """Apply a policy to exported events as kube-apiserver would have written them: JSON lines out."""
    from kube_audit_lint.commands.filter import FilterOptions, run_filter_command

    options = FilterOptions(policy=policy, logs=list(logs), output=output,
                            kube_version=_newest_of(_configured(kube_version, policy)),
                            input_format=input_format, max_event_size=max_event_size,
                            drop_undecidable=drop_undecidable, strict=strict, stats_json=stats_json)
    raise typer.Exit(run_filter_command(options))


@app.command()
def sql(
    policy: str = typer.Argument(..., help="Policy file (or git:REF:path)."),
    dialect: str = typer.Option(..., "--dialect", help="duckdb, spark, trino (Athena), bigquery or clickhouse."),
    table: str = typer.Option("audit_events", "--table", help="The relation holding the events (may be dotted: db.table)."),
    event_column: str = typer.Option("event", "--event-column", help="Its column holding each raw Event as JSON."),
    summary: bool = typer.Option(False, "--summary", help="Events, logged events and bytes by rule and level instead of one row per event."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version", help=KUBE_VERSION_HELP),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write to this file."),
    preset: Optional[str] = typer.Option(None, "--preset", help="gke: the table is GKE's Cloud Logging export to BigQuery (protopayload_auditlog columns); adds an undecidable column."),
) -> None:
    """Print the policy as one SQL query computing, for every event, what kube-apiserver decides (extra [sql])."""
    from kube_audit_lint.commands.sql import SqlOptions, run_sql

    options = SqlOptions(policy=policy, dialect=dialect, table=table, event_column=event_column, summary=summary,
                         kube_version=_optional_kube_version(_configured(kube_version, policy)), output=output,
                         preset=preset)
    raise typer.Exit(run_sql(options))


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command()
def diff(
    old: str = typer.Argument(..., help="The policy before the change: a file or git:REF:path."),
    new: str = typer.Argument(..., help="The policy after the change: a file or git:REF:path."),
    output_format: DiffFormat = typer.Option(DiffFormat.text, "--format", help="text, markdown (a pull-request comment) or json."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write to this file."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version", help=KUBE_VERSION_HELP),
) -> None:
    """Show every class of requests whose logging changes between two policies, with an example each.

    Exit 0 when no request changes outcome, 1 when some do, 2 on bad input.
    """
    from kube_audit_lint.commands.diff import DiffOptions, run_diff

    options = DiffOptions(old=old, new=new, output_format=output_format.value, output=output,
                          kube_version=_newest_of(_configured(kube_version, new)))
    raise typer.Exit(run_diff(options))


class TestFormat(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"


@app.command("test")
def test_policies(
    paths: Optional[List[str]] = typer.Argument(None, help="*.audit-test.yaml files, or folders to search recursively (default: .)."),
    output_format: TestFormat = typer.Option(TestFormat.text, "--format", help="text, json or junit (JUnit XML)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write to this file."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version", help=KUBE_VERSION_HELP),
) -> None:
    """Run policy unit tests: the cases and properties of *.audit-test.yaml files.

    Exit 0 when all pass, 1 when one fails, 2 on a bad test file or a policy that does not load.
    """
    from kube_audit_lint.commands.test import TestOptions, run_test

    options = TestOptions(paths=list(paths or ["."]), output_format=output_format.value, output=output,
                          kube_version=_newest_of(_configured(kube_version, (paths or ["."])[0])))
    raise typer.Exit(run_test(options))


@baseline_app.command("diff")
def baseline_diff(
    policy: str = typer.Argument(..., help="Policy file."),
    baseline: str = typer.Option("recommended", "--baseline", help="Baseline name (gke, eks, cis, recommended) or file."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version", help=KUBE_VERSION_HELP),
    output_format: TextOrJson = typer.Option(TextOrJson.text, "--format", help="text or json."),
) -> None:
    """Show, request class by request class, where the policy logs less or more than a baseline."""
    from kube_audit_lint.commands.baseline import run_baseline_diff

    raise typer.Exit(run_baseline_diff(policy, baseline, _newest_of(_configured(kube_version, policy)), output_format.value))


class CheckDocsFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command("checks")
def list_checks(
    output_format: CheckDocsFormat = typer.Option(CheckDocsFormat.text, "--format", help="text, markdown (the README table) or json."),
    check: Optional[str] = typer.Argument(None, help="Show the full documentation of one check (code or name)."),
    full: bool = typer.Option(False, "--full", help="Every check's full documentation (with markdown: the docs/checks.md page)."),
) -> None:
    """List the checks, or show one check's documentation."""
    from kube_audit_lint.commands.checks import run_checks_command

    raise typer.Exit(run_checks_command(output_format.value, check, full=full))


class ReportFormat(str, Enum):
    html = "html"
    pdf = "pdf"
    md = "md"
    json = "json"


@app.command()
def report(
    policy: str = typer.Argument(..., help="Policy file."),
    events: Optional[List[str]] = typer.Option(None, "--events", help="Audit log to replay as evidence (repeat for several)."),
    framework: Optional[str] = typer.Option(None, "--framework", help="Frameworks, comma-separated: cis, nsa, stig, pci, falco, elastic, eks-detections, or a profile file (default: cis, nsa, stig and pci)."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Baseline name (gke, eks, cis, recommended) or file, for the findings."),
    apiserver_manifest: Optional[str] = typer.Option(None, "--apiserver-manifest", help="kube-apiserver manifest, kubeadm configuration or flags file whose audit flags to check."),
    output_format: ReportFormat = typer.Option(ReportFormat.html, "--format", help="html, pdf, md or json."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the report to this file (default: audit-policy-report.FORMAT; - for standard output)."),
    accepted: Optional[str] = typer.Option(None, "--accepted", help="Accepted-findings file: its findings are listed as accepted exceptions."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version", help=KUBE_VERSION_HELP),
) -> None:
    """Write a compliance report for auditors: framework controls with evidence, the effective levels, replay evidence."""
    from kube_audit_lint.commands.report import ReportOptions, run_report_command

    options = ReportOptions(
        policy=policy, events=list(events or []), frameworks=framework, baseline=baseline,
        apiserver_manifest=apiserver_manifest, output_format=output_format.value, output=output,
        kube_version=_optional_kube_version(_configured(kube_version, policy)), accepted=accepted,
    )
    raise typer.Exit(run_report_command(options))


def main() -> None:
    """Console entry point: never a traceback for bad input, exit 3 with a pointer for a bug."""
    import signal

    if hasattr(signal, "SIGPIPE"):
        # `kube-audit-lint ... | head`: end quietly as other command-line tools do, rather than
        # letting a broken pipe turn into an exit status that means something else here
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, terminate)
    try:
        code = app(standalone_mode=False)  # click returns the exit code instead of raising
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Interrupted as exc:
        typer.echo(f"kube-audit-lint: {exc.what} ({exc.signal_name}); {exc.outcome}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("kube-audit-lint: interrupted (SIGINT); no output file was changed", err=True)
        sys.exit(130)
    except Terminated:
        typer.echo("kube-audit-lint: terminated (SIGTERM); no output file was changed", err=True)
        sys.exit(143)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        # click's exceptions (vendored by newer typer releases): recognised by their shape
        if type(exc).__name__ == "Abort":
            sys.exit(130)
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            sys.exit(EXIT_INPUT)
        import traceback

        typer.echo(f"kube-audit-lint: internal error: {type(exc).__name__}: {exc}", err=True)
        typer.echo(f"This is a bug in kube-audit-lint {__version__}; please report it at {ISSUES_URL}", err=True)
        if "KUBE_AUDIT_LINT_DEBUG" in __import__("os").environ:
            traceback.print_exc()
        sys.exit(EXIT_INTERNAL)
