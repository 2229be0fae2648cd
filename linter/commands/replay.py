"""``kube-audit-lint replay POLICY LOG...``: load the policies, replay, print in the chosen format.

Exit codes: 0 when the replay ran (whatever it found), 2 for unusable input: a policy the
apiserver would refuse or that cannot be read, a log that cannot be read, bad options, or under
``--strict`` a line that is not an audit event.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from kube_audit_lint.escape import terminal
from kube_audit_lint.files import AtomicFile
from kube_audit_lint.interrupts import Interrupted
from kube_audit_lint.kube.flags import read_apiserver_config
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.gitsource import GitSourceError, local_copy
from kube_audit_lint.policy.load import lint_read
from kube_audit_lint.policy.model import Policy
from kube_audit_lint.policy.yamlnodes import InputError
from kube_audit_lint.replay import formats, progress, render
from kube_audit_lint.replay.compare import compare_files, comparison_of
from kube_audit_lint.replay.cost import MANIFEST_SINK, SINKS
from kube_audit_lint.replay.nothing_read import NothingRead, require_events
from kube_audit_lint.replay.reading import LogError, MAX_EVENT_SIZE, parse_size
from kube_audit_lint.replay.rotation import expand
from kube_audit_lint.replay.runner import JSONL, Reading, Run, StrictError, default_jobs
from kube_audit_lint.replay.summary import replay_files, summary_of
from kube_audit_lint.sql import engines

EXIT_OK, EXIT_INPUT = 0, 2
FORMATS = ("summary", "json", "jsonl", "markdown")


@dataclass
class ReplayOptions:
    policy: str
    logs: list[str]
    output_format: str = "summary"
    output: str | None = None
    strict: bool = False
    jobs: int | None = None
    compare: str | None = None
    kube_version: tuple[int, int] | None = None
    progress: bool | None = None
    engine: str = "default"  # default, duckdb or spark (sql/engines.py)
    spark_master: str | None = None
    input_format: str | None = None  # one of replay.formats.FORMATS; None: recognised from content
    max_event_size: str | None = None  # e.g. "16MiB"
    cost: bool = False  # bytes and events per day per rule and request class (replay/cost.py)
    price_per_gb: float | None = None
    apiserver_manifest: str | None = None  # its --audit-log-truncate-max-event-size, for the cost
    partial_on_interrupt: bool = False  # on SIGINT/SIGTERM, write the summary of the events read so far
    force_jobs: bool = False  # --jobs above the number of cores, as given


class ReplayUsageError(Exception):
    """Bad input or options: reported in one line, exit code 2."""


def run_replay_command(options: ReplayOptions) -> int:
    try:
        return _run(options)
    except ReplayUsageError as exc:
        return _fail(str(exc))
    except BrokenPipeError:
        raise  # the reader went away (| head): not an error
    except OSError as exc:  # writing the output: a full disk, ...
        return _fail(f"cannot write {options.output or 'to stdout'}: {exc.strerror or exc}")


def _fail(message: str) -> int:
    print(f"kube-audit-lint: error: {terminal(message)}", file=sys.stderr)
    return EXIT_INPUT


def _run(options: ReplayOptions) -> int:
    if options.output_format not in FORMATS:
        raise ReplayUsageError(f"--format: expected one of {', '.join(FORMATS)}")
    if options.compare and options.output_format == "jsonl":
        raise ReplayUsageError("--compare reports changes, not events: use --format summary, json or markdown")
    if options.price_per_gb is not None and not options.price_per_gb >= 0:
        raise ReplayUsageError("--price-per-gb: expected a price of 0 or more, e.g. 0.50")
    if options.partial_on_interrupt and options.output_format == "jsonl":
        raise ReplayUsageError("--partial-on-interrupt writes a partial summary: use --format summary, json or markdown "
                               "(jsonl lines are written as events are read)")
    if options.output_format == "jsonl" and (options.cost or options.price_per_gb is not None):
        raise ReplayUsageError("--cost and --price-per-gb report totals: use --format summary, json or markdown")
    if options.jobs is not None and options.jobs < 1:
        raise ReplayUsageError("--jobs: expected a number of processes, 1 or more")
    stdin_uses = [options.policy, options.compare, *options.logs].count("-")
    if stdin_uses > 1:
        raise ReplayUsageError("standard input (-) can be read once: give the policy or one log as -, not both")
    if options.engine != "default" or options.spark_master:
        problem = engines.usage_problem(options)
        if problem:
            raise ReplayUsageError(problem)
        try:
            engines.require(options.engine)
        except engines.EngineUnavailable as exc:
            raise ReplayUsageError(str(exc)) from None
    options.logs = expand_logs(options.logs)
    reading = reading_options(options.input_format, options.max_event_size)
    if options.engine != "default" and reading != Reading():
        raise ReplayUsageError(f"--input-format and --max-event-size apply to the default engine, not --engine {options.engine}")
    jobs = options.jobs or default_jobs()
    if jobs > default_jobs() and not options.force_jobs:
        print(f"kube-audit-lint: note: --jobs {jobs} capped at {default_jobs()}, the number of cores "
              "(--force-jobs to run more)", file=sys.stderr)
        jobs = default_jobs()
    policy = load_policy(options.policy, options.kube_version)
    old = load_policy(options.compare, options.kube_version) if options.compare else None
    with Output(options.output) as out:
        progress = _progress(options)
        try:
            if options.engine != "default" and _other_engine(options, policy, out) is not None:
                return EXIT_OK
            if old is not None:
                _compare(options, policy, old, jobs, out, progress, reading)
            elif options.output_format == "jsonl":
                _jsonl(options, policy, jobs, out, progress, reading)
            else:
                _summary(options, policy, jobs, out, progress, reading)
        except LogError as exc:
            return _fail(str(exc))
        except StrictError as exc:
            return _fail(f"{exc} (--strict)")
        except NothingRead as exc:
            return _fail(str(exc))
        finally:
            if progress is not None:
                progress.finish()
    return EXIT_OK


def _other_engine(options: ReplayOptions, policy: Policy, out: "Output") -> int | None:
    return engines.run(options, policy, out)


def expand_logs(logs: list[str]) -> list[str]:
    """Folders and glob patterns of logs as their files in time order (replay/rotation.py); the
    files skipped are told on stderr."""
    try:
        files, skipped = expand(logs)
    except LogError as exc:
        raise ReplayUsageError(str(exc)) from None
    for reason in skipped:
        print(f"kube-audit-lint: {reason}", file=sys.stderr)
    if not files:
        raise ReplayUsageError(f"no log file in {', '.join(logs)}")
    return files


def reading_options(input_format: str | None, max_event_size: str | None):
    """The runner's Reading from --input-format and --max-event-size (ReplayUsageError when bad)."""
    if input_format is not None and input_format not in formats.FORMATS:
        raise ReplayUsageError(f"--input-format: {input_format!r} is not a log format; expected one of "
                               f"{', '.join(formats.FORMATS)}")
    size = MAX_EVENT_SIZE
    if max_event_size is not None:
        try:
            size = parse_size(max_event_size)
        except ValueError as exc:
            raise ReplayUsageError(f"--max-event-size: {exc}") from None
    return Reading(only=input_format, max_size=size)


def sinks(manifest: str | None) -> tuple[tuple[str, int], ...]:
    """The sinks whose size limit the cost counts oversized events for: the managed clusters', and
    the apiserver's own truncation when its manifest enables it."""
    if manifest is None:
        return SINKS

    try:
        config = read_apiserver_config(manifest)
    except InputError as exc:
        raise ReplayUsageError(str(exc)) from None
    if (config.value("audit-log-truncate-enabled") or "false").lower() != "true":
        return SINKS
    limit = config.value("audit-log-truncate-max-event-size", "102400") or "102400"
    if not limit.isdigit():
        raise ReplayUsageError(f"{manifest}: --audit-log-truncate-max-event-size={limit!r} is not a number of bytes")
    return SINKS + ((MANIFEST_SINK, int(limit)),)


def _summary(options: ReplayOptions, policy: Policy, jobs: int, out: "Output", progress, reading) -> None:
    limits = sinks(options.apiserver_manifest)
    try:
        summary = replay_files(policy, options.logs, options.kube_version, jobs=jobs, strict=options.strict,
                               progress=progress, reading=reading, with_cost=options.cost,
                               price_per_gb=options.price_per_gb, sinks=limits)
    except Interrupted as exc:
        if not options.partial_on_interrupt:
            raise
        summary = summary_of(policy, exc.partial, options.kube_version,  # type: ignore[arg-type]
                             options.cost or options.price_per_gb is not None, options.price_per_gb, limits)
        summary.interrupted = exc.what
        _write_summary(options, policy, summary, out)
        _keep_partial(out, exc, options)
        raise
    require_events(summary.events, options.logs)
    _write_summary(options, policy, summary, out)


def _keep_partial(out: "Output", exc, options: ReplayOptions) -> None:
    """Keep what was written of an interrupted run: the partial result the user asked for."""
    out.keep_on_error = True
    exc.outcome = f"the partial {'comparison' if options.compare else 'summary'} of those events was written " \
                  f"to {options.output or 'stdout'}"


def _write_summary(options: ReplayOptions, policy: Policy, summary, out: "Output") -> None:
    if options.output_format == "json":
        out.write_json(summary.to_dict())
    elif options.output_format == "markdown":
        out.write_text(render.summary_markdown(summary, policy.rules))
    else:
        out.write_text(render.summary_text(summary, policy.rules))


def _compare(options: ReplayOptions, policy: Policy, old: Policy, jobs: int, out: "Output", progress,
             reading) -> None:
    try:
        result = compare_files(policy, old, options.logs, options.kube_version, jobs=jobs, strict=options.strict,
                               progress=progress, reading=reading, price_per_gb=options.price_per_gb)
    except Interrupted as exc:
        if not options.partial_on_interrupt:
            raise
        result = comparison_of(policy, old, exc.partial, options.kube_version,  # type: ignore[arg-type]
                               options.price_per_gb)
        result.interrupted = exc.what
        _write_comparison(options, result, out)
        _keep_partial(out, exc, options)
        raise
    require_events(result.events, options.logs)
    _write_comparison(options, result, out)


def _write_comparison(options: ReplayOptions, result, out: "Output") -> None:
    if options.output_format == "json":
        out.write_json(result.to_dict())
    elif options.output_format == "markdown":
        out.write_text(render.comparison_markdown(result))
    else:
        out.write_text(render.comparison_text(result))


def _jsonl(options: ReplayOptions, policy: Policy, jobs: int, out: "Output", progress, reading) -> None:
    run = Run(JSONL, [policy], options.kube_version, jobs=jobs, sink=out.write_bytes, strict=options.strict,
              progress=progress, sink_file=out.copy_file, reading=reading)
    totals = run.replay(options.logs)
    require_events(totals.events, options.logs)
    print(f"kube-audit-lint: read {format_counts(totals.formats_dict())}", file=sys.stderr)
    if totals.bad_line_count:
        first = totals.bad_lines[0].render()
        print(f"kube-audit-lint: {totals.bad_line_count:,} line(s) are not audit events and were skipped; "
              f"the first: {first}", file=sys.stderr)


def format_counts(formats: dict[str, dict]) -> str:
    """``raw 7 events; aks 3 events (1 cut by the sink), 2 skipped: not JSON``: for stderr."""
    parts = []
    for fmt, entry in formats.items():
        text = f"{fmt} {entry['events']:,} events"
        if entry["truncated"]:
            text += f" ({entry['truncated']:,} cut by the sink)"
        text += "".join(f", {n:,} skipped: {reason}" for reason, n in entry["skipped"].items())
        parts.append(text)
    return "; ".join(parts) or "nothing"


def _progress(options: ReplayOptions):
    sizes = []
    for name in options.logs:
        try:
            sizes.append(None if name == "-" else os.stat(name).st_size)
        except OSError:
            sizes.append(0)
    total = None if None in sizes else sum(s or 0 for s in sizes)
    return progress.Progress() if progress.wanted(options.progress, total) else None


class Output:
    """Where the report goes: stdout, or the --output file (created only once there is output)."""

    def __init__(self, path: str | None):
        self.path = path
        self._stream = None
        self.bytes_written = 0
        self.keep_on_error = False  # commit even when the run fails (a partial result asked for)
        # a file is written beside the target and put in place only when the replay is complete
        self._file = AtomicFile(path) if path is not None else None

    def _binary(self):
        if self._stream is None:
            if self._file is None:
                self._stream = sys.stdout.buffer
            else:
                try:
                    self._stream = self._file.open()
                except OSError as exc:
                    raise ReplayUsageError(f"--output {self.path}: {exc.strerror or exc}") from None
        return self._stream

    def write_bytes(self, data: bytes) -> None:
        self.bytes_written += len(data)
        self._binary().write(data)

    def copy_file(self, path: str) -> None:
        """Append a file's bytes, in the kernel where it can (workers' jsonl output is large)."""
        stream = self._binary()
        stream.flush()
        with open(path, "rb") as source:
            size, sent = os.fstat(source.fileno()).st_size, 0
            try:
                while sent < size:
                    done = os.sendfile(stream.fileno(), source.fileno(), sent, size - sent)
                    if done == 0:
                        break
                    sent += done
            except (AttributeError, OSError, ValueError):  # no sendfile here, or not to this stream
                pass
            source.seek(sent)
            for block in iter(lambda: source.read(4 << 20), b""):
                stream.write(block)

    def write_text(self, text: str) -> None:
        self._binary().write(text.encode("utf-8"))

    def write_json(self, data) -> None:
        import json

        self.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def __enter__(self) -> "Output":
        if self.path is not None:
            self._binary()  # fail on an unwritable --output before the work, not after
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if self._stream is None:
            return
        try:
            if self._file is None:
                self._stream.flush()
            elif exc_type is None or self.keep_on_error:
                self._file.commit()
            else:
                self._file.discard()  # interrupted or failed: the previous file stays as it was
        except OSError:
            if exc_type is None:
                raise  # otherwise the error on its way out says it already


# --- policies -------------------------------------------------------------------------------------

def load_policy(spec: str, kube_version: tuple[int, int] | None) -> Policy:
    """The first policy of a file (or ``git:REF:path``), as the apiserver would accept it.

    ReplayUsageError when there is none or the apiserver would refuse it (with its reasons)."""
    version = kube_version or versions.DEFAULT
    with _policy_file(spec) as path:
        try:
            reading = lint_read(path, version)
        except InputError as exc:
            raise ReplayUsageError(str(exc).replace(path, spec, 1)) from None
        if not reading.verdicts:
            raise ReplayUsageError(f"{spec}: no audit policy (kind: Policy, apiVersion: audit.k8s.io/v1) in the file")
        verdict = reading.verdicts[0]
        if path != spec:
            verdict.policy.document.path = spec
    for note in reading.notes:  # e.g. the apiserver reads only the first YAML document
        print(f"kube-audit-lint: warning: {spec}:{note.span.line}:{note.span.column}: {note.render()}", file=sys.stderr)
    if not verdict.accepted:
        reasons = "".join(f"\n  {spec}:{p.span.line}:{p.span.column}: {p.render()}" for p in verdict.errors)
        raise ReplayUsageError(f"{spec}: kube-apiserver would refuse this policy:{reasons}")
    return verdict.policy


class _policy_file:
    """A path to read the policy from: the file itself, or a temporary copy of ``git:REF:path``
    (policy/gitsource.py); ReplayUsageError when git cannot give it."""

    def __init__(self, spec: str):
        self._copy = local_copy(spec)

    def __enter__(self) -> str:
        try:
            return self._copy.__enter__()
        except GitSourceError as exc:
            raise ReplayUsageError(str(exc)) from None

    def __exit__(self, *exc) -> None:
        self._copy.__exit__(*exc)
