"""``replay --engine duckdb``: the policy's query (sql/query.py) run by DuckDB, in this process.

DuckDB reads the logs itself (JSON lines, gzip, Parquet with an ``event`` column), in parallel,
and decides every event with the same query ``kube-audit-lint sql`` prints. The outputs are the
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

    from kube_audit_lint.sql.dialects import JsonAccess, call

    root = exp.JSONPath(expressions=[exp.JSONPathRoot()])
    return JsonAccess(
        scalar=lambda e, keys: exp.JSONExtractScalar(this=_field(e, keys), expression=root.copy()),
        strings=lambda e, keys: exp.Cast(this=_field(e, keys), to=exp.DataType.build("ARRAY<VARCHAR>")),
        is_object=lambda e, keys: exp.EQ(this=call("JSON_TYPE", _field(e, keys)), expression=exp.Literal.string("OBJECT")),
        byte_length=lambda e: exp.Literal.number(0),  # the engines take sizes from the summary of replay, not here
    )


def _f(name: str) -> str:
    return f"fields[{FIELDS.index(name) + 1}]"


def event_check() -> str:
    """A DuckDB condition on ``fields`` true for exactly the lines replay's decoder reads as an event."""
    typed = [f"COALESCE(json_type({_f(name)}) IN ({', '.join(repr(t) for t in types)}), TRUE)"
             for name, types in FIELD_TYPES.items()]
    kind = f"json_type({_f('kind')})"
    return " AND ".join([
        "json_type(json) = 'OBJECT'",
        f"COALESCE({kind} = 'NULL' OR ({kind} = 'VARCHAR' AND {_f('kind')} ->> '$' = 'Event'), TRUE)",
        *typed,
        f"COALESCE(list_bool_and(list_transform(json_extract({_f('user.groups')}, '$[*]'), "
        f"lambda g: json_type(g) = 'VARCHAR')), TRUE)",
        # looks_like_event: a kind, or request fields
        f"(COALESCE({kind} = 'VARCHAR', FALSE) OR COALESCE({_f('verb')} ->> '$', '') <> '' "
        f"OR COALESCE({_f('requestURI')} ->> '$', '') <> '' OR COALESCE(json_type({_f('objectRef')}) = 'OBJECT', FALSE))",
    ])


class NotForDuckDB(Exception):
    """The input needs the default engine (the message says why)."""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Inputs:
    """The logs, as one DuckDB relation with the columns ``event`` (JSON) and ``filename``."""

    paths: list[str]

    def relation(self) -> str:
        parts = []
        json_paths = [p for p in self.paths if not p.endswith(".parquet")]
        parquet_paths = [p for p in self.paths if p.endswith(".parquet")]
        if json_paths:
            files = "[" + ", ".join(_literal(p) for p in json_paths) + "]"
            parts.append(f"SELECT json, filename FROM read_json_objects({files}, format='newline_delimited', "
                         f"compression='auto', filename=true, maximum_object_size={MAX_OBJECT_SIZE})")
        if parquet_paths:
            files = "[" + ", ".join(_literal(p) for p in parquet_paths) + "]"
            parts.append(f"SELECT CAST(event AS JSON) AS json, filename FROM read_parquet({files}, filename=true)")
        paths = "[" + ", ".join(_literal("$." + name) for name in FIELDS) + "]"
        return f"SELECT json, json_extract(json, {paths}) AS fields, filename FROM ({' UNION ALL '.join(parts)})"


def check_inputs(paths: list[str]) -> None:
    """NotForDuckDB for inputs the default engine must read (stdin, whole JSON documents)."""
    from kube_audit_lint.replay.reading import LogError, is_whole_document, open_input

    for path in paths:
        if path == "-":
            raise NotForDuckDB("standard input is read by the default engine")
        if path.endswith(".parquet"):
            if not os.path.isfile(path):
                raise LogError(f"{path}: cannot read: no such file")
            continue
        with open_input(path) as source:  # LogError for a missing or unreadable file
            head = source.read(1 << 16)
        if is_whole_document(head):
            raise NotForDuckDB(f"{path} is one JSON document (an EventList), which the default engine reads")


def connect(threads: int | None = None):
    import duckdb

    con = duckdb.connect(config={"threads": threads} if threads else {})
    con.execute("SET preserve_insertion_order = true")
    return con


def count_not_events(con, inputs: Inputs) -> int:
    """Lines that are not plain audit events; NotForDuckDB when a line is not JSON at all."""
    import duckdb

    try:
        row = con.execute(f"SELECT count(*) FILTER (WHERE NOT ({event_check()})) "
                          f"FROM ({inputs.relation()})").fetchone()
    except duckdb.InvalidInputException:
        raise NotForDuckDB(f"a line is not JSON, or longer than {MAX_OBJECT_SIZE >> 20} MiB; "
                           "the default engine reports each such line") from None
    except duckdb.IOException as exc:
        from kube_audit_lint.replay.reading import LogError

        raise LogError(f"cannot read: {str(exc).splitlines()[0]}") from None
    return row[0]


def prepare(policy: Policy, paths: list[str], threads: int | None = None):
    """A DuckDB connection with the ``audit_events`` view over ``paths``, after checking that every
    line is an event DuckDB can decide (NotForDuckDB otherwise)."""
    check_inputs(paths)
    con = connect(threads)
    inputs = Inputs(paths)
    if count_not_events(con, inputs):
        raise NotForDuckDB("some lines are not plain audit events; the default engine reports each such line")
    con.execute(f"CREATE TEMP VIEW audit_events AS SELECT fields, filename FROM ({inputs.relation()})")
    return con


def jsonl_query(policy: Policy, kube_version) -> str:
    """One JSON text per event, in input order, with replay --format jsonl's keys in its order."""
    query = build_query(policy, QueryOptions(dialect="duckdb", kube_version=kube_version, event_column="fields",
                                             access=field_access())).sql(dialect="duckdb")
    return (f'SELECT to_json(struct_pack("auditID" := "auditID", "stage" := "stage", "rule" := "rule", '
            f'"level" := "level", "omitStages" := "omitStages", "omitManagedFields" := "omitManagedFields", '
            f'"logged" := "logged")) AS line FROM ({query})')


def write_jsonl(policy: Policy, paths: list[str], kube_version, write, threads: int | None = None) -> int:
    """Decide every event and pass its jsonl line to ``write`` (bytes, in input order)."""
    con = prepare(policy, paths, threads)
    result = con.execute(jsonl_query(policy, kube_version))
    events = 0
    while True:
        batch = result.fetchmany(50_000)
        if not batch:
            return events
        events += len(batch)
        write(("\n".join(line for (line,) in batch) + "\n").encode("utf-8"))


# --- the summary ----------------------------------------------------------------------------------------

def summary_totals(policy: Policy, paths: list[str], kube_version, threads: int | None = None):
    """The run's Totals (replay/runner.py) as the default engine counts them."""
    from kube_audit_lint.replay.runner import Totals
    from kube_audit_lint.sql.counts import add_rows, counts_query

    con = prepare(policy, paths, threads)
    totals = Totals()
    for path in paths:
        totals.files[path] = [0, 0]
    rows = con.execute(counts_query(policy, "duckdb", kube_version, by_file=True, event_column="fields",
                                    access=field_access())).fetchall()
    add_rows(policy, paths, totals, rows)
    return totals


def explain_fallback(reason: str) -> None:
    print(f"kube-audit-lint: note: --engine duckdb: {reason}; replaying with the default engine", file=sys.stderr)


__all__ = ["NotForDuckDB", "write_jsonl", "summary_totals", "explain_fallback"]
