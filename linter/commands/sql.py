"""``kube-audit-lint sql POLICY --dialect DIALECT``: print the policy as one SQL query.

Exit codes: 0 the query was printed, 2 bad input or options (a policy kube-apiserver would refuse,
an unknown dialect, sqlglot not installed: the message names the extra to install).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass

from kube_audit_lint.commands.replay import ReplayUsageError, load_policy
from kube_audit_lint.files import OutputError, write_output
from kube_audit_lint.sql.query import QueryOptions, render

EXIT_OK, EXIT_INPUT = 0, 2
DIALECTS = ("duckdb", "spark", "trino", "bigquery", "clickhouse")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$-]*")


@dataclass
class SqlOptions:
    policy: str
    dialect: str
    table: str = "audit_events"
    event_column: str = "event"
    summary: bool = False
    kube_version: tuple[int, int] | None = None
    output: str | None = None
    preset: str | None = None  # "gke": GKE's Cloud Logging export to BigQuery (sql/gke.py)


PRESETS = ("gke",)


class SqlUsageError(Exception):
    pass


def check_options(options: SqlOptions) -> None:
    if options.dialect not in DIALECTS:
        raise SqlUsageError(f"--dialect: expected one of {', '.join(DIALECTS)}, got {options.dialect!r}")
    # names become quoted identifiers; still, refuse what no warehouse names a table or column
    parts = options.table.split(".")
    if len(parts) > 3 or not all(IDENTIFIER.fullmatch(part) for part in parts):
        raise SqlUsageError(f"--table: expected a name such as audit_events, dataset.table or project.dataset.table, "
                            f"got {options.table!r}")
    if options.preset is not None and options.preset not in PRESETS:
        raise SqlUsageError(f"--preset: expected one of {', '.join(PRESETS)}, got {options.preset!r}")
    if not IDENTIFIER.fullmatch(options.event_column):
        raise SqlUsageError(f"--event-column: expected a column name, got {options.event_column!r}")
    if importlib.util.find_spec("sqlglot") is None:
        raise SqlUsageError("the sql command needs sqlglot: pip install 'kube-audit-lint[sql]'")


def run_sql(options: SqlOptions) -> int:
    try:
        check_options(options)
        policy = load_policy(options.policy, options.kube_version)
    except (SqlUsageError, ReplayUsageError) as exc:
        print(f"kube-audit-lint: error: {exc}", file=sys.stderr)
        return EXIT_INPUT

    text = render(policy, QueryOptions(dialect=options.dialect, table=options.table, event_column=options.event_column,
                                       kube_version=options.kube_version, summary=options.summary,
                                       preset=options.preset)) + ";\n"
    try:
        write_output(text, options.output)
    except OutputError as exc:
        print(f"kube-audit-lint: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK
