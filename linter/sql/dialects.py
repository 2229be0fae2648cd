"""The few leaves of the query where SQL engines genuinely differ: reading fields out of the raw
event JSON, and a string's size in bytes. Everything else in the query is one sqlglot tree that
sqlglot renders for each dialect.

Each entry builds sqlglot expressions (never SQL text) from the event column and a JSON path given
as a tuple of keys, so a key cannot change the query either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlglot import exp

Path = tuple[str, ...]


def json_path(keys: Path) -> exp.JSONPath:
    return exp.JSONPath(expressions=[exp.JSONPathRoot(), *(exp.JSONPathKey(this=k) for k in keys)])


def path_text(keys: Path) -> exp.Literal:
    return exp.Literal.string("$." + ".".join(keys))


def call(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _scalar(event: exp.Expression, keys: Path) -> exp.Expression:
    return exp.JSONExtractScalar(this=event, expression=json_path(keys))


def _duckdb_strings(event: exp.Expression, keys: Path) -> exp.Expression:
    return exp.JSONValueArray(this=event, expression=json_path(keys))  # CAST(event -> path AS TEXT[])


def _duckdb_is_object(event: exp.Expression, keys: Path) -> exp.Expression:
    return exp.EQ(this=call("JSON_TYPE", event, path_text(keys)), expression=exp.Literal.string("OBJECT"))


def _spark_strings(event: exp.Expression, keys: Path) -> exp.Expression:
    return call("FROM_JSON", exp.JSONExtract(this=event, expression=json_path(keys)), exp.Literal.string("array<string>"))


def _not_null(value: exp.Expression) -> exp.Expression:
    return exp.Not(this=exp.Is(this=value, expression=exp.Null()))


def _spark_is_object(event: exp.Expression, keys: Path) -> exp.Expression:
    # GET_JSON_OBJECT gives an object's text, and NULL for a JSON null or a missing key
    return exp.Like(this=exp.JSONExtract(this=event, expression=json_path(keys)), expression=exp.Literal.string("{%"))


def _trino_strings(event: exp.Expression, keys: Path) -> exp.Expression:
    return exp.Cast(this=exp.JSONExtract(this=event, expression=json_path(keys)), to=exp.DataType.build("ARRAY<VARCHAR>"))


def _trino_is_object(event: exp.Expression, keys: Path) -> exp.Expression:
    return exp.Like(this=call("JSON_FORMAT", exp.JSONExtract(this=event, expression=json_path(keys))),
                    expression=exp.Literal.string("{%"))


def _bigquery_is_object(event: exp.Expression, keys: Path) -> exp.Expression:
    return exp.Like(this=call("JSON_QUERY", event, path_text(keys)), expression=exp.Literal.string("{%"))


def _clickhouse_scalar(event: exp.Expression, keys: Path) -> exp.Expression:
    # JSONExtractString gives '' for a missing key: NULL it, as the other engines do
    return exp.Case(ifs=[exp.If(this=call("JSONHas", event, *map(exp.Literal.string, keys)),
                               true=call("JSONExtractString", event, *map(exp.Literal.string, keys)))])


def _clickhouse_strings(event: exp.Expression, keys: Path) -> exp.Expression:
    return call("JSONExtract", event, *map(exp.Literal.string, keys), exp.Literal.string("Array(String)"))


def _clickhouse_is_object(event: exp.Expression, keys: Path) -> exp.Expression:
    return exp.EQ(this=call("JSONType", event, *map(exp.Literal.string, keys)), expression=exp.Literal.string("Object"))


@dataclass(frozen=True)
class JsonAccess:
    """How one engine reads the event: a string field (NULL when absent or null), an array of
    strings, whether a field holds an object, and the bytes of the event text."""

    scalar: Callable[[exp.Expression, Path], exp.Expression]
    strings: Callable[[exp.Expression, Path], exp.Expression]
    is_object: Callable[[exp.Expression, Path], exp.Expression]
    byte_length: Callable[[exp.Expression], exp.Expression]


DIALECTS: dict[str, JsonAccess] = {
    "duckdb": JsonAccess(_scalar, _duckdb_strings, _duckdb_is_object,
                         lambda e: call("STRLEN", exp.Cast(this=e, to=exp.DataType.build("VARCHAR")))),
    "spark": JsonAccess(_scalar, _spark_strings, _spark_is_object, lambda e: call("OCTET_LENGTH", e)),
    "trino": JsonAccess(_scalar, _trino_strings, _trino_is_object, lambda e: exp.Length(this=call("TO_UTF8", e))),
    "bigquery": JsonAccess(_scalar, lambda e, k: exp.JSONValueArray(this=e, expression=json_path(k)),
                           _bigquery_is_object, lambda e: exp.ByteLength(this=e)),
    "clickhouse": JsonAccess(_clickhouse_scalar, _clickhouse_strings, _clickhouse_is_object,
                             lambda e: exp.Length(this=e)),
}
