"""``replay --engine spark``: the policy's query (sql/query.py, Spark dialect) run on Spark.

Spark reads the logs where they are (``s3a://``, ``gs://``, ``hdfs://``, local paths): JSON lines,
compressed as Spark recognises by the file extension (``.gz``), or Parquet with an ``event``
column. The decisions are the query's; this module only reads the logs, checks that each line is
a JSON object that looks like an audit event, and brings the rows or the counts back.

A line that is not one (not JSON, an EventList line, no kind and no request fields) is counted as
a bad line of its file and reported; Spark does not number lines, so the report names the file
and the count, and the default engine on that file names the lines. Spark does not check the type
of every field as the default engine's decoder does: a field of the wrong type (``"verb": 5``) is
read as its text.

jsonl keeps the order of the logs given and, within a file, of its lines; a directory or a glob is
one log whose files come in the order Spark reads them.
"""

from __future__ import annotations

import contextlib
import os
import sys

from kube_audit_lint.policy.model import Policy
from kube_audit_lint.replay.reading import BadLine
from kube_audit_lint.replay.runner import FileCount, Totals
from kube_audit_lint.sql.counts import add_rows, counts_query
from kube_audit_lint.sql.query import OUTPUT_COLUMNS, QueryOptions, build_query

DEFAULT_MASTER = "local[*]"

# an event as the default engine's decoder accepts it, as far as Spark can tell without types
EVENT_CHECK = """
get_json_object(value, '$') IS NOT NULL AND ltrim(value) LIKE '{%'
AND COALESCE(get_json_object(value, '$.kind'), 'Event') = 'Event'
AND (get_json_object(value, '$.kind') IS NOT NULL OR COALESCE(get_json_object(value, '$.verb'), '') <> ''
     OR COALESCE(get_json_object(value, '$.requestURI'), '') <> '' OR get_json_object(value, '$.objectRef') LIKE '{%')
"""


@contextlib.contextmanager
def session(master: str):
    """A SparkSession on ``master``; one that is already running in this process is reused (and
    left running), a new one is stopped at the end."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master(master).appName("kube-audit-lint replay")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()


def _lines(spark, path: str):
    """The non-blank lines of one log as a DataFrame with ``value`` and ``filename``."""
    from pyspark.sql import functions as F

    if path.endswith(".parquet"):
        frame = spark.read.parquet(path).select(F.col("event").cast("string").alias("value"))
    else:
        frame = spark.read.text(path)
    return frame.where(F.trim(F.col("value")) != "").withColumn("filename", F.lit(path))


def _events(spark, path: str):
    """(the events of one log as the ``audit_events`` view, the number of lines that are not events)."""
    from pyspark.sql import functions as F

    # NULL (a missing field somewhere in the check) is no event: every line is an event or bad
    lines = _lines(spark, path).withColumn("is_event", F.coalesce(F.expr(EVENT_CHECK), F.lit(False)))
    lines = lines.cache()
    bad = lines.where(~F.col("is_event")).count()
    lines.where(F.col("is_event")).select(F.col("value").alias("event"), "filename").createOrReplaceTempView("audit_events")
    return lines, bad


def _report_bad(path: str, bad: int, totals=None) -> None:
    if not bad:
        return

    message = (f"{bad:,} line(s) are not audit events (--engine spark does not number lines: replay this file "
               f"with the default engine to see them)")
    if totals is not None:
        totals.bad_line_count += bad
        totals.files[path].bad_lines += bad
        skipped = totals.format_entry("raw")["skipped"]
        skipped["not an audit event"] = skipped.get("not an audit event", 0) + bad
        totals.bad_lines.append(BadLine(path, 0, message))
    else:
        print(f"kube-audit-lint: {path}: {message}", file=sys.stderr)


def write_jsonl(spark, policy: Policy, paths: list[str], kube_version, write) -> int:
    """Every event's jsonl line, log by log in the order given, lines in file order."""
    import msgspec

    encode = msgspec.json.Encoder().encode
    query = build_query(policy, QueryOptions(dialect="spark", kube_version=kube_version)).sql(dialect="spark")
    events = 0
    for path in paths:
        lines, bad = _events(spark, path)
        try:
            batch: list[bytes] = []
            for row in spark.sql(query).toLocalIterator():
                batch.append(encode(dict(zip(OUTPUT_COLUMNS, _values(row)))) + b"\n")
                if len(batch) >= 10_000:
                    write(b"".join(batch))
                    events += len(batch)
                    batch = []
            write(b"".join(batch))
            events += len(batch)
        finally:
            lines.unpersist()
        _report_bad(path, bad)
    return events


def _values(row) -> tuple:
    audit_id, stage, rule, level, omit_stages, omit_managed_fields, logged = row
    return audit_id, stage, rule, level, list(omit_stages), omit_managed_fields, logged


def summary_totals(spark, policy: Policy, paths: list[str], kube_version):
    """The run's Totals (replay/runner.py), counted by Spark as duckdb_engine counts them."""
    counts_sql = counts_query(policy, "spark", kube_version)
    totals = Totals()
    for path in paths:
        totals.files.setdefault(path, FileCount())
        lines, bad = _events(spark, path)
        try:
            rows = [tuple(r) for r in spark.sql(counts_sql).collect()]
        finally:
            lines.unpersist()
        add_rows(policy, paths, totals, rows)
        _report_bad(path, bad, totals)
    return totals
