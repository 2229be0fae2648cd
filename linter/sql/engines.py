"""Replay engines other than the default one: ``--engine duckdb`` and ``--engine spark``.

Each gives the default engine's outputs: jsonl lines with the same keys and values, and the
summary (text, json, markdown) rendered from the same counts. Options an engine does not support
are usage errors; inputs the DuckDB engine leaves to the default engine are said on stderr.
"""

from __future__ import annotations

from kube_audit_lint.replay import render
from kube_audit_lint.replay.nothing_read import require_events
from kube_audit_lint.replay.reading import LogError
from kube_audit_lint.replay.summary import summarize

ENGINES = ("default", "duckdb", "spark")
EXTRAS = {"duckdb": ("duckdb", "duckdb"), "spark": ("pyspark", "spark")}  # engine -> (module, extra)


class EngineUnavailable(Exception):
    """The engine's library is not installed (the message says which extra to install)."""


def require(engine: str) -> None:
    import importlib.util

    module, extra = EXTRAS[engine]
    for name in (module, "sqlglot"):
        if importlib.util.find_spec(name) is None:
            raise EngineUnavailable(
                f"--engine {engine} needs {name}: pip install 'kube-audit-lint[{extra}]'")


def usage_problem(options) -> str | None:
    """Why the options cannot run on ``options.engine``, or None."""
    if options.engine not in ENGINES:
        return f"--engine: expected one of {', '.join(ENGINES)}"
    if options.engine == "default":
        return "--spark-master is for --engine spark" if options.spark_master else None
    if options.compare:
        return f"--compare runs on the default engine only; leave out --engine {options.engine}"
    if options.spark_master and options.engine != "spark":
        return "--spark-master is for --engine spark"
    return None


def run(options, policy, out) -> int | None:
    """Replay on the chosen engine; None when the default engine is to run instead (said on stderr)."""
    if options.engine == "duckdb":
        return _duckdb(options, policy, out)
    return _spark(options, policy, out)


def _duckdb(options, policy, out) -> int | None:
    from kube_audit_lint.sql import duckdb_engine  # needs the duckdb extra (sqlglot, duckdb): loaded when chosen

    try:
        if options.output_format == "jsonl":
            written = out.bytes_written
            duckdb_engine.write_jsonl(policy, options.logs, options.kube_version, out.write_bytes, options.jobs)
            if out.bytes_written == written:
                require_events(0, options.logs)
            return 0
        totals = duckdb_engine.summary_totals(policy, options.logs, options.kube_version, options.jobs)
    except duckdb_engine.NotForDuckDB as exc:
        duckdb_engine.explain_fallback(str(exc))
        return None
    write_summary(options, policy, totals, out)
    return 0


def _spark(options, policy, out) -> int:
    from pyspark.errors import PySparkException

    from kube_audit_lint.sql import spark_engine  # needs the spark extra (sqlglot, pyspark): loaded when chosen

    master = options.spark_master or spark_engine.DEFAULT_MASTER
    try:
        with spark_engine.session(master) as spark:
            if options.output_format == "jsonl":
                spark_engine.write_jsonl(spark, policy, options.logs, options.kube_version, out.write_bytes)
                return 0
            totals = spark_engine.summary_totals(spark, policy, options.logs, options.kube_version)
    except PySparkException as exc:  # a path Spark cannot read, a master it cannot reach, no Java
        raise LogError(f"--engine spark (master {master}): {spark_error(exc)}") from None
    write_summary(options, policy, totals, out)
    return 0


def spark_error(exc: Exception) -> str:
    """The first line of Spark's message (its class and the path or setting at fault), which names
    what failed without the JVM's stack trace."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    if "JAVA_GATEWAY_EXITED" in first:
        return "Spark could not start: it needs Java 17 (e.g. apt-get install openjdk-17-jre-headless)"
    return first[:300]


def write_summary(options, policy, totals, out) -> None:
    summary = summarize(policy, totals, options.kube_version)
    require_events(summary.events, options.logs)
    if options.output_format == "json":
        out.write_json(summary.to_dict())
    elif options.output_format == "markdown":
        out.write_text(render.summary_markdown(summary, policy.rules))
    else:
        out.write_text(render.summary_text(summary, policy.rules))
