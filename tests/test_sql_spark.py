"""``replay --engine spark``: the policy's query on Spark (local mode) gives, event by event, the
default engine's decisions on the real corpus and on the edge cases, and the same summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("sqlglot", reason="the sql extra (sqlglot) is not installed")

from typer.testing import CliRunner  # noqa: E402

from kube_audit_lint.cli import app  # noqa: E402

from sql_cases import EDGE_POLICY, edge_events, write_lines  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
POLICIES = ["gce-configure-helper.yaml", "openshift-default.yaml", "kubespray.yaml", "falco-k8saudit-plugin.yaml"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = SHARED / "corpus" / "events"
    if not folder.is_dir():
        pytest.skip(f"../shared not present: {folder}")
    tmp = tmp_path_factory.mktemp("spark")
    corpus = tmp / "corpus.jsonl"  # one file: Spark starts a job per log
    corpus.write_text("".join(p.read_text() for p in sorted(folder.glob("*.jsonl"))))
    policy = tmp / "edge.yaml"
    policy.write_text(EDGE_POLICY, encoding="utf-8")
    return {"corpus": str(corpus), "edge": write_lines(tmp / "edge.jsonl", edge_events()), "edge_policy": str(policy)}


def replay(*args):
    return CliRunner().invoke(app, ["replay", *args])


def rows(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("name", POLICIES)
def test_spark_decides_every_corpus_event_as_the_default_engine(spark, files, name):
    policy = str(SHARED / "corpus" / "policies" / name)
    expected = rows(replay(policy, files["corpus"], "--format", "jsonl"))
    assert len(expected) > 1000
    assert rows(replay(policy, files["corpus"], "--format", "jsonl", "--engine", "spark")) == expected


def test_spark_decides_the_edge_cases_and_keeps_the_order_of_logs(spark, files):
    logs = [files["edge"], files["corpus"]]
    expected = rows(replay(files["edge_policy"], *logs, "--format", "jsonl"))
    got = rows(replay(files["edge_policy"], *logs, "--format", "jsonl", "--engine", "spark"))
    assert got == expected
    assert {r["rule"] for r in got} >= set(range(13))


@pytest.mark.parametrize("fmt", ["json", "summary"])
def test_spark_summary_is_the_default_engines(spark, files, fmt):
    logs = [files["edge"], files["corpus"]]
    default = replay(files["edge_policy"], *logs, "--format", fmt)
    engine = replay(files["edge_policy"], *logs, "--format", fmt, "--engine", "spark")
    assert engine.exit_code == 0, engine.output
    assert engine.stdout == default.stdout


def test_spark_counts_and_reports_lines_that_are_not_events(spark, files, tmp_path):
    log = tmp_path / "mixed.jsonl"
    log.write_text(Path(files["edge"]).read_text() + "not json\n[1]\n{\"foo\": 1}\n")
    result = replay(files["edge_policy"], str(log), "--format", "json", "--engine", "spark")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["badLineCount"] == 3
    assert [(f["path"], f["events"], f["badLines"]) for f in data["files"]] == [(str(log), len(edge_events()), 3)]
    assert "3 line(s) are not audit events" in data["badLines"][0]["message"]
    jsonl = replay(files["edge_policy"], str(log), "--format", "jsonl", "--engine", "spark")
    assert "3 line(s) are not audit events" in jsonl.stderr


def test_spark_path_it_cannot_read_is_exit_2(spark, files, tmp_path):
    result = replay(files["edge_policy"], str(tmp_path / "nope.jsonl"), "--engine", "spark")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "--engine spark (master local[*])" in result.stderr
    assert "nope.jsonl" in result.stderr


def test_spark_reads_parquet_with_an_event_column(spark, files, tmp_path):
    parquet = tmp_path / "audit.parquet"
    spark.read.text(files["edge"]).withColumnRenamed("value", "event").coalesce(1).write.parquet(str(parquet))
    expected = rows(replay(files["edge_policy"], files["edge"], "--format", "jsonl"))
    got = rows(replay(files["edge_policy"], str(parquet), "--format", "jsonl", "--engine", "spark"))
    assert got == expected
