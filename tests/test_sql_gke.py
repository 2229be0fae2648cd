"""The sql command's GKE preset (GKE's Cloud Logging export to BigQuery), run on DuckDB with the
export's columns: row by row the decisions replay makes on the same LogEntry records, undecidable
where the user's groups could change the decision, exactly as replay counts them."""

from __future__ import annotations

import itertools
import json

import pytest
from typer.testing import CliRunner

pytest.importorskip("sqlglot", reason="the sql extra is not installed (pip install '.[sql]')")
duckdb = pytest.importorskip("duckdb", reason="the duckdb extra is not installed (pip install '.[duckdb]')")

from kube_audit_lint.cli import app  # noqa: E402
from kube_audit_lint.policy.load import lint_read  # noqa: E402
from kube_audit_lint.sql.query import QueryOptions, render  # noqa: E402

POLICIES = {
    "no groups": """
- level: None
  nonResourceURLs: ["/healthz*"]
- level: Metadata
  resources: [{group: "", resources: ["secrets"]}]
- level: RequestResponse
  namespaces: ["kube-system"]
- level: Request
""",
    "groups": """
- level: None
  userGroups: ["system:nodes"]
  verbs: ["patch"]
- level: Metadata
  userGroups: ["system:nodes", "devs"]
  resources: [{group: "", resources: ["pods"]}]
- level: Metadata
  userGroups: ["devs"]
  resources: [{group: "", resources: ["pods"]}]
- level: Request
  userGroups: ["admins"]
- level: Metadata
  resources: [{group: "", resources: ["secrets"]}]
- level: Request
  userGroups: ["ops"]
  verbs: ["delete"]
- level: Request
""",
}
METHODS = ["io.k8s.core.v1.pods.create", "io.k8s.core.v1.pods.status.patch", "io.k8s.core.v1.secrets.get",
           "io.k8s.core.v1.namespaces.delete", "io.k8s.apps.v1.deployments.delete", "io.k8s.get"]
NAMES = ["core/v1/namespaces/prod/pods/web", "core/v1/namespaces/prod/pods/web/status", "core/v1/namespaces/kube-system",
         "core/v1/namespaces/kube-system/finalize", "core/v1/secrets", "apps/v1/namespaces/kube-system/deployments/d/scale",
         "/healthz/etcd", "/version", "core/v1", "core/x1/pods", "", "core/v1beta1/namespaces/a/pods"]


def records() -> list[dict]:
    out = []
    for i, (method, name) in enumerate(itertools.product(METHODS, NAMES)):
        out.append({"insertId": f"i{i}", "operation": {"id": f"op{i}" if i % 3 else ""},
                    "protoPayload": {"serviceName": "k8s.io" if i % 17 else "compute.googleapis.com",
                                     "methodName": method, "resourceName": name,
                                     "authenticationInfo": {"principalEmail": f"user{i % 4}@example.com"}}})
    return out


def policy_file(tmp_path, rules: str) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:" + rules)
    return str(path)


def replayed(policy: str, tmp_path) -> dict[str, dict]:
    log = tmp_path / "gke.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records()))
    result = CliRunner().invoke(app, ["replay", policy, str(log), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    return {row["auditID"]: row for row in map(json.loads, result.stdout.splitlines())}


def queried(policy: str) -> dict[str, dict]:
    verdict = lint_read(policy, (1, 36)).verdicts[0]
    sql = render(verdict.policy, QueryOptions(dialect="duckdb", preset="gke", table="activity"))
    con = duckdb.connect()
    con.execute("CREATE TABLE activity (insertId VARCHAR, operation STRUCT(id VARCHAR), protopayload_auditlog "
                "STRUCT(serviceName VARCHAR, methodName VARCHAR, resourceName VARCHAR, "
                "authenticationInfo STRUCT(principalEmail VARCHAR)))")
    for r in records():
        p = r["protoPayload"]
        con.execute("INSERT INTO activity VALUES (?, {'id': ?}, {'serviceName': ?, 'methodName': ?, 'resourceName': ?, "
                    "'authenticationInfo': {'principalEmail': ?}})",
                    [r["insertId"], r["operation"]["id"], p["serviceName"], p["methodName"], p["resourceName"],
                     p["authenticationInfo"]["principalEmail"]])
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return {row["auditID"]: row for row in (dict(zip(names, values)) for values in cursor.fetchall())}


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_the_gke_preset_decides_as_replay(tmp_path, name):
    policy = policy_file(tmp_path, POLICIES[name])
    want, got = replayed(policy, tmp_path), queried(policy)
    assert set(got) == set(want)  # the same records are requests (other services, bad names left out)
    undecidable = 0
    for audit_id, row in want.items():
        if row.get("undecidable"):
            undecidable += 1
            assert got[audit_id]["undecidable"] and got[audit_id]["rule"] is None and got[audit_id]["level"] is None
            continue
        sql_row = got[audit_id]
        assert not sql_row["undecidable"], audit_id
        assert (sql_row["rule"], sql_row["level"], list(sql_row["omitStages"]), sql_row["omitManagedFields"],
                sql_row["logged"]) == (row["rule"], row["level"], row["omitStages"], row["omitManagedFields"],
                                       row["logged"]), audit_id
    assert (undecidable > 0) == (name == "groups")


def test_the_command_prints_the_bigquery_query(tmp_path):
    policy = policy_file(tmp_path, POLICIES["groups"])
    result = CliRunner().invoke(app, ["sql", policy, "--dialect", "bigquery", "--preset", "gke", "--table",
                                      "my-project.audit.cloudaudit_googleapis_com_activity"])
    assert result.exit_code == 0, result.output
    assert "protopayload_auditlog.resourceName" in result.stdout and "`undecidable`" in result.stdout
    import sqlglot

    sqlglot.parse_one(result.stdout.rstrip(";\n"), read="bigquery")  # parses back
    bad = CliRunner().invoke(app, ["sql", policy, "--dialect", "bigquery", "--preset", "eks"])
    assert bad.exit_code == 2 and "--preset" in bad.output


@pytest.mark.parametrize("dialect", ["bigquery", "trino", "spark", "clickhouse", "duckdb"])
def test_every_dialect_parses_the_preset_back(tmp_path, dialect):
    import sqlglot

    verdict = lint_read(policy_file(tmp_path, POLICIES["groups"]), (1, 36)).verdicts[0]
    for summary in (False, True):
        text = render(verdict.policy, QueryOptions(dialect=dialect, preset="gke", summary=summary))
        assert sqlglot.parse_one(text, read=dialect) is not None
