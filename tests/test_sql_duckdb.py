"""The policy as a query, run by DuckDB: event by event the default engine's decisions, on the real
corpus (every policy the apiserver accepts) and on generated edge cases; ``replay --engine duckdb``
with the same outputs as the default engine; policy strings as escaped literals."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from corpus_policies import load, policy_ids

pytest.importorskip("sqlglot", reason="the sql extra (sqlglot) is not installed")
duckdb = pytest.importorskip("duckdb", reason="the duckdb extra is not installed")

from kube_audit_lint.cli import app  # noqa: E402
from kube_audit_lint.engine.evaluate import evaluate  # noqa: E402
from kube_audit_lint.replay.events import event_to_request  # noqa: E402
from kube_audit_lint.replay.runner import JSONL, Run  # noqa: E402
from kube_audit_lint.sql import duckdb_engine  # noqa: E402
from kube_audit_lint.sql.query import QueryOptions, render  # noqa: E402
from sql_cases import EDGE_POLICY, edge_events, write_lines  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="module")
def event_files() -> list[str]:
    folder = SHARED / "corpus" / "events"
    if not folder.is_dir():
        pytest.skip(f"../shared not present: {folder}")
    return [str(p) for p in sorted(folder.glob("*.jsonl"))]


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edge")
    policy_path = folder / "policy.yaml"
    policy_path.write_text(EDGE_POLICY, encoding="utf-8")
    policy, _ = load(policy_path)
    assert policy is not None, "the edge-case policy must be one kube-apiserver accepts"
    events = edge_events()
    return policy, str(policy_path), events, write_lines(folder / "edge.jsonl", events)


def default_rows(policy, paths: list[str], version) -> list[dict]:
    out: list[bytes] = []
    totals = Run(JSONL, [policy], version, sink=out.append).replay(paths)
    assert totals.bad_line_count == 0
    return [json.loads(line) for line in b"".join(out).splitlines()]


def duckdb_rows(policy, paths: list[str], version) -> list[dict]:
    out: list[bytes] = []
    duckdb_engine.write_jsonl(policy, paths, version, out.append, threads=2)
    return [json.loads(line) for line in b"".join(out).splitlines()]


@pytest.mark.parametrize("name", policy_ids())
def test_duckdb_decides_every_corpus_event_as_the_default_engine(name, event_files):
    policy, version = load(SHARED / "corpus" / "policies" / name)
    if policy is None:
        pytest.skip(f"{name}: no release we implement accepts it")
    expected = default_rows(policy, event_files, version)
    assert len(expected) > 1000
    assert duckdb_rows(policy, event_files, version) == expected


def test_duckdb_decides_the_edge_cases_as_the_engine(edge):
    policy, _, events, path = edge
    rows = duckdb_rows(policy, [path], None)
    assert len(rows) == len(events)
    for data, row in zip(events, rows):
        decision = evaluate(policy, event_to_request(data))
        assert row == {
            "auditID": data.get("auditID"), "stage": data.get("stage"), "rule": decision.rule,
            "level": decision.level.wire, "omitStages": sorted(decision.omit_stages),
            "omitManagedFields": decision.omit_managed_fields, "logged": decision.logs(data.get("stage")),
        }, data
    reached = {row["rule"] for row in rows}
    assert reached == set(range(len(policy.rules))) | {None}, "every rule is reached by some edge case"


def test_group_wildcard_follows_the_kube_version(edge):
    """Before 1.36, group "*" is a group name like any other (no match for coordination.k8s.io)."""
    policy, _, events, path = edge
    old = (1, 35)
    rows = duckdb_rows(policy, [path], old)
    for data, row in zip(events, rows):
        assert row["rule"] == evaluate(policy, event_to_request(data), old).rule
    lease = [r for d, r in zip(events, rows) if (d.get("objectRef") or {}).get("resource") == "leases"]
    assert lease and all(r["rule"] != 4 for r in lease)


def test_a_quote_in_a_policy_string_is_a_literal(edge):
    """Users named o'brien and '); DROP TABLE ... match as names and change nothing else."""
    policy, _, events, path = edge
    con = duckdb.connect()
    con.execute("CREATE TABLE audit_events (event JSON)")
    con.executemany("INSERT INTO audit_events VALUES (?)", [[json.dumps(e)] for e in events])
    rows = con.execute(render(policy, QueryOptions(dialect="duckdb"))).fetchall()
    assert con.execute("SELECT count(*) FROM audit_events").fetchone()[0] == len(events)
    matched = {(e.get("user") or {}).get("username") for e, row in zip(events, rows) if row[2] == 0}
    assert matched == {"o'brien", 'x"y\\z', "'); DROP TABLE audit_events; --"}


def test_the_event_column_may_be_text_and_renamed(edge):
    policy, _, events, _ = edge
    con = duckdb.connect()
    con.execute('CREATE SCHEMA logs; CREATE TABLE logs.raw (line VARCHAR)')
    con.executemany("INSERT INTO logs.raw VALUES (?)", [[json.dumps(e)] for e in events])
    rows = con.execute(render(policy, QueryOptions(dialect="duckdb", table="logs.raw", event_column="line"))).fetchall()
    assert [r[2] for r in rows] == [evaluate(policy, event_to_request(e)).rule for e in events]


def test_summary_query_gives_replays_figures(edge):
    policy, _, events, path = edge
    con = duckdb.connect()
    con.execute("CREATE TABLE audit_events (event VARCHAR)")
    con.executemany("INSERT INTO audit_events VALUES (?)", [[json.dumps(e)] for e in events])
    rows = con.execute(render(policy, QueryOptions(dialect="duckdb", summary=True))).fetchall()
    from kube_audit_lint.replay.summary import replay_files

    summary = replay_files(policy, [path]).to_dict()
    by_rule = {r[0]: r for r in rows}
    for use in summary["rules"]:
        if use["events"]:
            assert by_rule[use["index"]][2:4] == (use["events"], use["logged"])
    assert by_rule[None][2] == summary["unmatched"]
    assert sum(r[4] for r in rows) == sum(len(json.dumps(e).encode()) for e in events)


# --- replay --engine duckdb ---------------------------------------------------------------------------

def replay(*args):
    return CliRunner().invoke(app, ["replay", *args])


@pytest.mark.parametrize("fmt", ["json", "jsonl", "markdown", "summary"])
def test_engine_duckdb_prints_what_the_default_engine_prints(fmt, edge, event_files):
    _, policy_path, _, path = edge
    logs = [path, *event_files]
    default = replay(policy_path, *logs, "--format", fmt)
    engine = replay(policy_path, *logs, "--format", fmt, "--engine", "duckdb")
    assert default.exit_code == engine.exit_code == 0, engine.output
    if fmt == "jsonl":
        assert [json.loads(x) for x in engine.stdout.splitlines()] == [json.loads(x) for x in default.stdout.splitlines()]
    else:
        assert engine.stdout == default.stdout
    assert "default engine" not in engine.stderr


def test_engine_duckdb_reads_gzip_and_parquet(edge, tmp_path):
    _, policy_path, events, path = edge
    zipped = tmp_path / "audit.log.gz"
    zipped.write_bytes(gzip.compress(Path(path).read_bytes()))
    parquet = tmp_path / "audit.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT json AS event FROM read_json_objects('{path}', format='newline_delimited')) TO '{parquet}'")
    zipped_unnamed = tmp_path / "audit-zipped.log"  # gzip is told by its first bytes, as replay does
    zipped_unnamed.write_bytes(zipped.read_bytes())
    plain_named_gz = tmp_path / "plain.log.gz"
    plain_named_gz.write_text(Path(path).read_text())
    expected = replay(policy_path, path, "--format", "jsonl").stdout
    for log in (zipped, parquet, zipped_unnamed, plain_named_gz):
        result = replay(policy_path, str(log), "--format", "jsonl", "--engine", "duckdb")
        assert result.exit_code == 0, result.output
        assert "default engine" not in result.stderr
        assert [json.loads(x) for x in result.stdout.splitlines()] == [json.loads(x) for x in expected.splitlines()]
    # several logs of different kinds: the output keeps the order of the logs
    first = tmp_path / "first.log"
    first.write_text("".join(Path(path).read_text().splitlines(keepends=True)[:10]))
    mixed = replay(policy_path, str(first), str(parquet), str(zipped), "--format", "jsonl", "--engine", "duckdb")
    default = replay(policy_path, str(first), path, str(zipped), "--format", "jsonl")
    assert [json.loads(x) for x in mixed.stdout.splitlines()] == [json.loads(x) for x in default.stdout.splitlines()]


@pytest.mark.parametrize("bad", ["not json", '{"kind":"Event","verb":5}', '{"kind":"EventList","items":[]}',
                                 '{"kind":"Event","user":{"groups":null}}', "[1]", '{"foo":1}'])
def test_lines_duckdb_does_not_decide_go_to_the_default_engine(bad, edge, tmp_path):
    """Nothing is skipped silently: the default engine replays the log and names the bad line."""
    _, policy_path, _, path = edge
    log = tmp_path / "mixed.log"
    log.write_text(Path(path).read_text() + bad + "\n")
    default = replay(policy_path, str(log), "--format", "json")
    engine = replay(policy_path, str(log), "--format", "json", "--engine", "duckdb")
    assert engine.exit_code == 0
    assert "replaying with the default engine" in engine.stderr
    assert engine.stdout == default.stdout


@pytest.mark.parametrize("args, message", [
    (["--engine", "duckdb", "--compare", "{policy}"], "--compare runs on the default engine only"),
    (["--engine", "oracle"], "--engine: expected one of default, duckdb, spark"),
    (["--spark-master", "local[2]"], "--spark-master is for --engine spark"),
    (["--engine", "duckdb", "--spark-master", "local[2]"], "--spark-master is for --engine spark"),
])
def test_engine_usage_errors_exit_2(args, message, edge):
    _, policy_path, _, path = edge
    result = replay(policy_path, path, *[a.replace("{policy}", policy_path) for a in args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_engine_library_names_the_extra(edge, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "duckdb" else real(name, *a))
    _, policy_path, _, path = edge
    result = replay(policy_path, path, "--engine", "duckdb")
    assert result.exit_code == 2
    assert "pip install 'kube-audit-lint[duckdb]'" in result.stderr


def test_missing_log_is_exit_2(edge, tmp_path):
    _, policy_path, _, _ = edge
    result = replay(policy_path, str(tmp_path / "nope.log"), "--engine", "duckdb")
    assert result.exit_code == 2
    assert "nope.log: cannot read" in result.stderr


def test_inputs_duckdb_leaves_to_the_default_engine(edge, tmp_path):
    """Standard input, an EventList document and a path DuckDB would read as a pattern: the default
    engine replays them, and says so."""
    _, policy_path, events, path = edge
    document = tmp_path / "list.json"
    document.write_text(json.dumps({"kind": "EventList", "items": events[:50]}, indent=2))
    patterned = tmp_path / "audit[1].log"
    patterned.write_text(Path(path).read_text())
    for args, stdin in (([path], None), (["-"], Path(path).read_text()), ([str(document)], None),
                        ([str(patterned)], None)):
        default = CliRunner().invoke(app, ["replay", policy_path, *args, "--format", "json"], input=stdin)
        engine = CliRunner().invoke(app, ["replay", policy_path, *args, "--format", "json", "--engine", "duckdb"],
                                    input=stdin)
        assert engine.exit_code == 0, engine.output
        assert json.loads(engine.stdout)["events"] == json.loads(default.stdout)["events"] > 0
        assert engine.stdout == default.stdout
        assert ("replaying with the default engine" in engine.stderr) == (args != [path])


def test_empty_log(edge, tmp_path):
    _, policy_path, _, _ = edge
    empty = tmp_path / "empty.log"
    empty.write_text("\n\n")
    for fmt in ("json", "jsonl"):
        default = replay(policy_path, str(empty), "--format", fmt)
        engine = replay(policy_path, str(empty), "--format", fmt, "--engine", "duckdb")
        assert engine.exit_code == default.exit_code == 2, engine.output  # nothing read is an error
        assert engine.stdout == default.stdout == ""
