"""``replay --engine duckdb``: the policy's query (sql/query.py) run by DuckDB, in this process.

DuckDB reads the logs itself (JSON lines, gzip told by its first bytes as the default engine
tells it, Parquet with an ``event`` column), in parallel, and decides every event with the query
``kube-audit-lint sql`` prints, built from the same tree; only its leaves differ: DuckDB parses
each line once into the fields the query reads (``field_access``) rather than calling a JSON
function per field, which is four times faster. The outputs are the
default engine's: ``--format jsonl`` lines with the same keys and values, and the summary built
from the same counts (replay/summary.py renders both).

What DuckDB does not decide is handed to the default engine, whole, with a note on stderr, so
that nothing is skipped or decided differently: standard input, a log that is one JSON document (an
EventList), and a log with any line that is not a plain audit event (not JSON, an EventList line,
a field of the wrong type), whose lines the default engine names one by one.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from kube_audit_lint.policy.model import Policy
from kube_audit_lint.replay.reading import LogError, is_whole_document, open_input
from kube_audit_lint.replay.runner import FileCount, Totals
from kube_audit_lint.sql.counts import add_rows, counts_query
from kube_audit_lint.sql.dialects import JsonAccess, call
from kube_audit_lint.sql.query import QueryOptions, build_query

MAX_OBJECT_SIZE = 64 << 20  # the longest line (event) read; a longer one goes to the default engine

# DuckDB parses each line once, into the fields the query reads (json_extract with a list of
# paths): a field is NULL when absent, a JSON value (``null`` included) when present.
FIELDS = ("kind", "auditID", "stage", "verb", "requestURI", "user", "user.username", "user.groups", "objectRef",
          *(f"objectRef.{key}" for key in ("resource", "namespace", "name", "apiGroup", "subresource", "apiVersion")))
_INDEX = {tuple(name.split(".")): i for i, name in enumerate(FIELDS)}

# An event as replay's decoder (msgspec structs in replay/events.py) accepts it: every field it
# reads has the declared type or is absent (a str field may not be null; Optional ones may).
_STRING = ("VARCHAR",)
_OPTIONAL = ("VARCHAR", "NULL")
FIELD_TYPES = {
    "auditID": _OPTIONAL, "stage": _OPTIONAL, "verb": _STRING, "requestURI": _STRING,
    "user": ("OBJECT", "NULL"), "user.username": _STRING, "user.groups": ("ARRAY",),
    "objectRef": ("OBJECT", "NULL"),
    **{name: _STRING for name in FIELDS if name.startswith("objectRef.")},
}


def _field(event, keys):
    from sqlglot import exp

    return exp.Bracket(this=event, expressions=[exp.Literal.number(_INDEX[tuple(keys)])])


def field_access():
    """The query's JsonAccess over the parsed fields (sql/dialects.py has the one over raw JSON)."""
    from sqlglot import exp

    root = exp.JSONPath(expressions=[exp.JSONPathRoot()])
    return JsonAccess(
        scalar=lambda e, keys: exp.JSONExtractScalar(this=_field(e, keys), expression=root.copy()),
        strings=lambda e, keys: exp.Cast(this=_field(e, keys), to=exp.DataType.build("ARRAY<VARCHAR>")),
        is_object=lambda e, keys: exp.EQ(this=call("JSON_TYPE", _field(e, keys)), expression=exp.Literal.string("OBJECT")),
        byte_length=_no_byte_length,
    )


def _no_byte_length(_event):
    raise NotImplementedError("the parsed fields do not keep the event's size; the engines count no bytes")


def _f(name: str) -> str:
    return f"fields[{FIELDS.index(name) + 1}]"


# the first character of a JSON value's text tells its type (json_extract gives the value's text)
_TYPE_START = {"VARCHAR": '"', "OBJECT": "{", "ARRAY": "["}


def _has_type(name: str, types: tuple[str, ...]) -> str:
    text = f"CAST({_f(name)} AS VARCHAR)"
    tests = [f"{text} = 'null'" if t == "NULL" else f"starts_with({text}, '{_TYPE_START[t]}')" for t in types]
    return f"COALESCE({' OR '.join(tests)}, TRUE)"  # absent: NULL, which every field may be


def event_check() -> str:
    """A DuckDB condition on ``fields`` true for exactly the lines replay's decoder reads as an event."""
    typed = [_has_type(name, types) for name, types in FIELD_TYPES.items()]
    kind = f"CAST({_f('kind')} AS VARCHAR)"
    groups = _f("user.groups")
    return " AND ".join([
        "starts_with(ltrim(CAST(json AS VARCHAR)), '{')",
        f"COALESCE({kind} = 'null' OR {_f('kind')} ->> '$' = 'Event', TRUE)",
        *typed,
        f"COALESCE(list_bool_and(list_transform(json_extract({groups}, '$[*]'), "
        f"lambda g: starts_with(CAST(g AS VARCHAR), '\"'))), TRUE)",
        # looks_like_event: a kind, or request fields
        f"(COALESCE({kind} <> 'null', FALSE) OR COALESCE({_f('verb')} ->> '$', '') <> '' "
        f"OR COALESCE({_f('requestURI')} ->> '$', '') <> '' OR COALESCE(starts_with(CAST({_f('objectRef')} AS VARCHAR), '{{'), FALSE))",
    ])


class NotForDuckDB(Exception):
    """The input needs the default engine (the message says why)."""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Log:
    """One log as DuckDB reads it: JSON lines (gzip or not, as its first bytes say, which is how
    the default engine tells) or Parquet with an ``event`` column."""

    path: str
    kind: str  # "json", "gzip" or "parquet"

    def relation(self) -> str:
        if self.kind == "parquet":
            return f"SELECT CAST(event AS JSON) AS json, filename FROM read_parquet({_literal(self.path)}, filename=true)"
        compression = "gzip" if self.kind == "gzip" else "none"
        return (f"SELECT json, filename FROM read_json_objects({_literal(self.path)}, format='newline_delimited', "
                f"compression='{compression}', filename=true, maximum_object_size={MAX_OBJECT_SIZE})")


def relation(logs: list[Log]) -> str:
    """The logs as one relation: the line's JSON, its parsed ``fields``, its ``filename``."""
    paths = "[" + ", ".join(_literal("$." + name) for name in FIELDS) + "]"
    union = " UNION ALL ".join(log.relation() for log in logs)
    return f"SELECT json, json_extract(json, {paths}) AS fields, filename FROM ({union})"


def check_inputs(paths: list[str]) -> list[Log]:
    """The logs DuckDB reads; NotForDuckDB for inputs the default engine must read (stdin, whole
    JSON documents, paths DuckDB would take as patterns), LogError for a log that cannot be read."""
    logs = []
    for path in paths:
        if path == "-":
            raise NotForDuckDB("standard input is read by the default engine")
        if any(c in path for c in "*?[{"):
            raise NotForDuckDB(f"{path}: DuckDB would read * ? [ {{ in a path as a pattern")
        if path.endswith(".parquet"):
            if not os.path.isfile(path):
                raise LogError(f"{path}: cannot read: no such file")
            logs.append(Log(path, "parquet"))
            continue
        with open_input(path) as source:  # LogError for a missing or unreadable file
            head = source.read(1 << 16)
            compression = source.compression
        if compression not in (None, "gzip"):
            raise NotForDuckDB(f"{path} is {compression}-compressed, which the default engine reads")
        if head.startswith(b"\xef\xbb\xbf"):
            raise NotForDuckDB(f"{path} starts with a byte-order mark, which the default engine reads")
        if is_whole_document(head):
            raise NotForDuckDB(f"{path} is one JSON document (an EventList), which the default engine reads")
        logs.append(Log(path, "gzip" if compression else "json"))
    return logs


def connect(threads: int | None = None):
    import duckdb

    con = duckdb.connect(config={"threads": threads} if threads else {})
    con.execute("SET preserve_insertion_order = true")
    return con


def use_logs(con, logs: list[Log]) -> None:
    """(Re)define the ``audit_events`` view over ``logs``: the parsed ``fields``, ``filename``, and
    ``valid``: whether the line is an event DuckDB decides as the default engine (checked while
    the query runs, in the same pass)."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW audit_events AS SELECT fields, filename, {event_check()} AS valid "
                f"FROM ({relation(logs)})")


def translate(exc: Exception) -> Exception:
    """DuckDB's reading errors as ours (never with DuckDB's text, which may quote a line's content):
    NotForDuckDB when a line is not JSON, LogError when a file cannot be read."""
    import duckdb

    if isinstance(exc, duckdb.InvalidInputException):
        return NotForDuckDB(f"a line is not JSON, or longer than {MAX_OBJECT_SIZE >> 20} MiB; "
                            "the default engine reports each such line")
    if isinstance(exc, duckdb.IOException):
        return LogError(f"cannot read: {str(exc).splitlines()[0]}")
    return exc


def run_query(con, sql: str):
    import duckdb

    try:
        return con.execute(sql)
    except (duckdb.InvalidInputException, duckdb.IOException) as exc:
        raise translate(exc) from None


NOT_EVENTS = "some lines are not plain audit events; the default engine reports each such line"


def jsonl_query(policy: Policy, kube_version) -> str:
    """One JSON text per event, in input order, with replay --format jsonl's keys in its order."""
    query = build_query(policy, QueryOptions(dialect="duckdb", kube_version=kube_version, event_column="fields",
                                             access=field_access(), keep=("valid",),
                                             table_columns=("valid",))).sql(dialect="duckdb")
    return (f'SELECT to_json(struct_pack("auditID" := "auditID", "stage" := "stage", "rule" := "rule", '
            f'"level" := "level", "omitStages" := "omitStages", "omitManagedFields" := "omitManagedFields", '
            f'"logged" := "logged")) AS line, "valid" FROM ({query})')


def write_jsonl(policy: Policy, paths: list[str], kube_version, write, threads: int | None = None) -> int:
    """Decide every event and pass its jsonl line to ``write`` (bytes, in input order).

    The lines are spooled to a temporary file first: only once every line proved to be an event
    DuckDB decides does the output go out (otherwise the default engine writes all of it)."""
    import tempfile

    import duckdb

    logs = check_inputs(paths)
    con = connect(threads)
    query = jsonl_query(policy, kube_version)
    events = 0
    with tempfile.TemporaryFile(prefix="kube-audit-lint-") as spool:
        for log in logs:  # one log at a time: the output keeps the order of the logs
            use_logs(con, [log])
            result = run_query(con, query)
            while True:
                try:
                    batch = result.fetchmany(50_000)
                except (duckdb.InvalidInputException, duckdb.IOException) as exc:  # raised while streaming
                    raise translate(exc) from None
                if not batch:
                    break
                if not all(valid for _, valid in batch):
                    raise NotForDuckDB(NOT_EVENTS)
                events += len(batch)
                spool.write(("\n".join(line for line, _ in batch) + "\n").encode("utf-8"))
        spool.seek(0)
        for block in iter(lambda: spool.read(4 << 20), b""):
            write(block)
    return events


# --- the summary ----------------------------------------------------------------------------------------

def summary_totals(policy: Policy, paths: list[str], kube_version, threads: int | None = None):
    """The run's Totals (replay/runner.py) as the default engine counts them."""
    con = connect(threads)
    use_logs(con, check_inputs(paths))
    totals = Totals()
    for path in paths:
        totals.files[path] = FileCount()
    sql = counts_query(policy, "duckdb", kube_version, by=("filename", "valid"), event_column="fields",
                       access=field_access())
    rows = run_query(con, sql).fetchall()
    if not all(row[1] for row in rows):
        raise NotForDuckDB(NOT_EVENTS)
    add_rows(policy, paths, totals, [(row[0], *row[2:]) for row in rows])
    return totals


def explain_fallback(reason: str) -> None:
    print(f"kube-audit-lint: note: --engine duckdb: {reason}; replaying with the default engine", file=sys.stderr)


__all__ = ["NotForDuckDB", "write_jsonl", "summary_totals", "explain_fallback"]
