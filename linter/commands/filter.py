"""``kube-audit-lint filter POLICY LOG...``: the events as kube-apiserver would have written them
under POLICY, as JSON lines on stdout or ``--output`` (see replay/filtering.py).

What was read, written and dropped is told on stderr (``--stats-json PATH`` writes it as JSON).
Exit codes: 0 when the filter ran, 2 for unusable input (a policy the apiserver would refuse, a log
that cannot be read or holds no event, bad options; under ``--strict`` a bad line or a cut input).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from kube_audit_lint.escape import terminal
from kube_audit_lint.commands.replay import (
    EXIT_INPUT, EXIT_OK, Output, ReplayUsageError, expand_logs, format_counts, load_policy, reading_options,
)
from kube_audit_lint.files import write_atomically
from kube_audit_lint.replay.filtering import Filter
from kube_audit_lint.replay.nothing_read import NothingRead, require_events
from kube_audit_lint.replay.reading import LogError
from kube_audit_lint.replay.runner import StrictError


@dataclass
class FilterOptions:
    policy: str
    logs: list[str]
    output: str | None = None
    kube_version: tuple[int, int] | None = None
    input_format: str | None = None
    max_event_size: str | None = None
    drop_undecidable: bool = False
    strict: bool = False
    stats_json: str | None = None


def run_filter_command(options: FilterOptions) -> int:
    try:
        if [options.policy, *options.logs].count("-") > 1:
            raise ReplayUsageError("standard input (-) can be read once: give the policy or one log as -, not both")
        options.logs = expand_logs(options.logs)
        reading = reading_options(options.input_format, options.max_event_size)
        policy = load_policy(options.policy, options.kube_version)
        with Output(options.output) as out:
            counts = Filter(policy, options.kube_version, out.write_bytes, reading, options.drop_undecidable,
                            options.strict).run(options.logs)
            require_events(counts.totals.events, options.logs)
    except (ReplayUsageError, LogError, NothingRead) as exc:
        return _fail(str(exc))
    except StrictError as exc:
        return _fail(f"{exc} (--strict)")
    except OSError as exc:
        return _fail(f"cannot write {options.output or 'to stdout'}: {exc.strerror or exc}")
    print(stats_line(counts.to_dict()), file=sys.stderr)
    print(f"kube-audit-lint: read {format_counts(counts.totals.formats_dict())}", file=sys.stderr)
    for bad in counts.totals.bad_lines[:1]:
        print(f"kube-audit-lint: {counts.totals.bad_line_count:,} record(s) skipped; the first: {bad.render()}",
              file=sys.stderr)
    if options.stats_json:
        import json

        write_atomically(options.stats_json, json.dumps(counts.to_dict(), indent=2) + "\n")
    return EXIT_OK


def stats_line(stats: dict) -> str:
    parts = [f"{stats['events']:,} events read", f"{stats['written']:,} written",
             f"{stats['droppedLevelNone']:,} dropped at level None",
             f"{stats['droppedOmittedStage']:,} dropped in omitted stages"]
    if stats["undecidableKept"]:
        parts.append(f"{stats['undecidableKept']:,} undecidable without groups, kept")
    if stats["undecidableDropped"]:
        parts.append(f"{stats['undecidableDropped']:,} undecidable without groups, dropped")
    for file in stats["files"]:
        if file["truncatedAfter"] is not None:
            parts.append(f"{file['path']} truncated after {file['truncatedAfter']:,} events")
    return terminal("kube-audit-lint filter: " + "; ".join(parts)).replace("\n", "\\n")


def _fail(message: str) -> int:
    print(f"kube-audit-lint: error: {terminal(message)}", file=sys.stderr)
    return EXIT_INPUT
