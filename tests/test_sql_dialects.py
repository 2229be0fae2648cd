"""``kube-audit-lint sql``: one query per dialect, parsed back by sqlglot; where no local engine
runs the dialect, its query is transpiled back to DuckDB and must give DuckDB's own result on the
same events; every policy string survives as the same literal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

sqlglot = pytest.importorskip("sqlglot", reason="the sql extra (sqlglot) is not installed")

from typer.testing import CliRunner  # noqa: E402

from kube_audit_lint.cli import app  # noqa: E402
from kube_audit_lint.policy.load import lint_read  # noqa: E402
from kube_audit_lint.sql.query import OUTPUT_COLUMNS, SUMMARY_COLUMNS, QueryOptions, render  # noqa: E402

from sql_cases import EDGE_POLICY, edge_events  # noqa: E402

DIALECTS = ("duckdb", "spark", "trino", "bigquery", "clickhouse")
RUN_ON_DUCKDB = ("trino", "bigquery")  # the others use functions DuckDB has no equivalent of
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="module")
def edge_policy(tmp_path_factory):
    path = tmp_path_factory.mktemp("policy") / "policy.yaml"
    path.write_text(EDGE_POLICY, encoding="utf-8")
    return lint_read(str(path), (1, 36)).verdicts[0].policy, str(path)


def policy_strings(policy) -> set[str]:
    out = set()
    for rule in policy.rules:
        out.update(rule.users, rule.user_groups, rule.verbs, rule.namespaces, rule.non_resource_urls)
        for entry in rule.resources:
            out.update(entry.resource_names, entry.resources)
            out.add(entry.group)
    return out


def literals(tree) -> set[str]:
    return {node.this for node in tree.find_all(sqlglot.exp.Literal) if node.is_string}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_query_parses_back_with_every_policy_string_intact(dialect, edge_policy):
    policy, _ = edge_policy
    text = render(policy, QueryOptions(dialect=dialect))
    tree = sqlglot.parse_one(text, read=dialect)
    assert [s.alias_or_name for s in tree.selects] == list(OUTPUT_COLUMNS)
    found = literals(tree)
    missing = {s for s in policy_strings(policy) if s not in ("", "*") and not s.endswith("*")} - found
    assert not missing, f"{dialect}: these policy strings did not come back as literals: {missing}"
    assert {"o'brien", 'x"y\\z', "'); DROP TABLE audit_events; --", "ünï'côdé"} <= found
    assert "DROP TABLE" not in text.replace("'); DROP TABLE audit_events; --", "")
    summary = sqlglot.parse_one(render(policy, QueryOptions(dialect=dialect, summary=True)), read=dialect)
    assert [s.alias_or_name for s in summary.selects] == list(SUMMARY_COLUMNS)


@pytest.mark.parametrize("dialect", RUN_ON_DUCKDB)
def test_query_transpiled_to_duckdb_gives_duckdbs_result(dialect, edge_policy):
    duckdb = pytest.importorskip("duckdb", reason="the duckdb extra is not installed")
    policy, _ = edge_policy
    events = [json.dumps(e, ensure_ascii=i % 2 == 0) for i, e in enumerate(edge_events())]
    folder = SHARED / "corpus" / "events"
    if folder.is_dir():
        events += [line for p in sorted(folder.glob("*.jsonl")) for line in p.read_text().splitlines() if line.strip()]
    con = duckdb.connect()
    con.execute("CREATE TABLE audit_events (event VARCHAR)")
    con.executemany("INSERT INTO audit_events VALUES (?)", [[e] for e in events])
    expected = con.execute(render(policy, QueryOptions(dialect="duckdb"))).fetchall()
    back = sqlglot.transpile(render(policy, QueryOptions(dialect=dialect)), read=dialect, write="duckdb")[0]
    assert con.execute(back).fetchall() == expected
    assert len({row[2] for row in expected}) == len(policy.rules) + 1


@pytest.mark.parametrize("name", sorted(p.name for p in (SHARED / "corpus" / "policies").glob("*.yaml"))
                         if (SHARED / "corpus" / "policies").is_dir() else ["(corpus absent)"])
def test_every_corpus_policy_renders_in_every_dialect(name):
    path = SHARED / "corpus" / "policies" / name
    if not path.is_file():
        pytest.skip(f"../shared not present: {path}")
    for version in ((1, 36), (1, 23)):
        verdicts = lint_read(str(path), version).verdicts
        if verdicts and verdicts[0].accepted:
            break
    else:
        pytest.skip(f"{name}: no release we implement accepts it")
    policy = verdicts[0].policy
    for dialect in DIALECTS:
        tree = sqlglot.parse_one(render(policy, QueryOptions(dialect=dialect, kube_version=version)), read=dialect)
        assert [s.alias_or_name for s in tree.selects] == list(OUTPUT_COLUMNS)


# --- the command ----------------------------------------------------------------------------------------

def sql(*args):
    return CliRunner().invoke(app, ["sql", *args])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sql_command_prints_one_query(dialect, edge_policy):
    _, path = edge_policy
    result = sql(path, "--dialect", dialect, "--table", "logs.audit", "--event-column", "raw")
    assert result.exit_code == 0, result.output
    statements = [s for s in sqlglot.parse(result.stdout, read=dialect) if s is not None]
    assert len(statements) == 1
    tables = {t.name for t in statements[0].find_all(sqlglot.exp.Table)}
    assert "audit" in tables and "audit_events" not in tables
    assert "raw" in {c.name for c in statements[0].find_all(sqlglot.exp.Column)}


def test_sql_command_writes_the_output_file(edge_policy, tmp_path):
    _, path = edge_policy
    out = tmp_path / "q.sql"
    result = sql(path, "--dialect", "trino", "--summary", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert "GROUP BY" in out.read_text()


@pytest.mark.parametrize("args, message", [
    (["--dialect", "oracle"], "--dialect: expected one of duckdb, spark, trino, bigquery, clickhouse"),
    (["--dialect", "trino", "--table", "x; DROP TABLE y"], "--table: expected a name"),
    (["--dialect", "trino", "--table", "a.b.c.d"], "--table: expected a name"),
    (["--dialect", "trino", "--event-column", "a b"], "--event-column: expected a column name"),
])
def test_sql_command_usage_errors_exit_2(args, message, edge_policy):
    _, path = edge_policy
    result = sql(path, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_sql_command_refused_policy_exit_2(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Loud\n")
    result = sql(str(path), "--dialect", "duckdb")
    assert result.exit_code == 2
    assert "kube-apiserver would refuse this policy" in result.stderr


def test_sql_command_without_sqlglot_names_the_extra(edge_policy, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sqlglot" else real(name, *a))
    _, path = edge_policy
    result = sql(path, "--dialect", "duckdb")
    assert result.exit_code == 2
    assert "pip install 'kube-audit-lint[sql]'" in result.stderr


def test_clickhouse_query_runs_on_embedded_clickhouse(edge_policy):
    """chdb is ClickHouse in-process: the clickhouse query, unchanged, decides as the engine."""
    pytest.importorskip("chdb", reason="chdb (embedded ClickHouse, extra [clickhouse]) is not installed")
    from chdb import session

    from kube_audit_lint.engine.evaluate import evaluate
    from kube_audit_lint.replay.events import event_to_request

    policy, _ = edge_policy
    events = edge_events()
    folder = SHARED / "corpus" / "events"
    if folder.is_dir():
        events += [json.loads(line) for p in sorted(folder.glob("*.jsonl")) for line in p.read_text().splitlines()
                   if line.strip()]
    db = session.Session()
    try:
        db.query("CREATE TABLE audit_events (event String) ENGINE = Memory")
        quoted = (sqlglot.exp.Literal.string(json.dumps(e)).sql(dialect="clickhouse") for e in events)
        db.query("INSERT INTO audit_events VALUES " + ",".join(f"({q})" for q in quoted))
        result = db.query(render(policy, QueryOptions(dialect="clickhouse")) + " FORMAT JSONEachRow")
        rows = [json.loads(line) for line in str(result).splitlines() if line.strip()]
    finally:
        db.close()
    assert len(rows) == len(events)
    for data, row in zip(events, rows):
        decision = evaluate(policy, event_to_request(data))
        assert (row["rule"], row["level"], row["omitStages"], row["omitManagedFields"], row["logged"]) == (
            decision.rule, decision.level.wire, sorted(decision.omit_stages), decision.omit_managed_fields,
            decision.logs(data.get("stage"))), data.get("auditID")
        # JSONExtractString cannot tell a missing key from "": the query NULLs what is absent
        assert (row["auditID"], row["stage"]) == (data.get("auditID"), data.get("stage"))
