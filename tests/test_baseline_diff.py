"""`kube-audit-lint baseline diff`: request classes compared with a baseline's reference policy."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kube_audit_lint.commands.baseline import run_baseline_diff
from kube_audit_lint.lint.baseline import compare_levels, diff_classes, load_baseline, request_classes
from kube_audit_lint.cli import app
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.model import Level

KUBE = versions.DEFAULT
N, M, R, RR = Level.NONE, Level.METADATA, Level.REQUEST, Level.REQUEST_RESPONSE


@pytest.mark.parametrize("baseline, policy, expected", [
    ({M}, {M}, "same"),
    ({M}, {N, M}, "less"),
    ({M, RR}, {M, R}, "less"),
    ({M}, {R}, "more"),
    ({N, M}, {M}, "more"),
    ({M}, {N, RR}, "mixed"),
    ({N, RR}, {N, M, RR}, "mixed"),
])
def test_compare_levels(baseline, policy, expected):
    assert compare_levels(baseline, policy) == expected


def test_request_classes_are_data_with_unique_ids():
    classes = request_classes()
    ids = [c.id for c in classes]
    assert len(ids) == len(set(ids)) >= 30
    assert {"secrets-reads", "pods-exec", "rbac-writes", "unauthenticated", "health-urls"} <= set(ids)


@pytest.mark.parametrize("name", ["cis", "eks", "gke", "recommended"])
def test_reference_policy_is_the_same_as_its_baseline(name):
    baseline = load_baseline(name)
    diffs = diff_classes(baseline.policy, baseline, KUBE)
    assert {d.comparison for d in diffs} == {"same"}


def test_eks_against_gke_differs_where_the_policies_differ():
    diffs = {d.request_class.id: d for d in diff_classes(load_baseline("eks").policy, load_baseline("gke"), KUBE)}
    tokens = diffs["serviceaccount-tokens"]
    assert tokens.comparison == "more"
    # serviceaccounts/token is only created (a TokenRequest); GKE's read rule matches no such request
    assert {o.level for o in tokens.baseline} == {M} and {o.level for o in tokens.policy} == {R}
    configmap_writes = diffs["configmaps-writes"]
    assert configmap_writes.comparison == "more"
    [aws_auth] = [o for o in configmap_writes.policy if o.level is RR]
    assert aws_auth.rule == 0 and aws_auth.witness.name == "aws-auth"
    assert diffs["secrets-reads"].comparison == "same"


def test_gke_policy_against_gke_is_all_same(corpus_policies, capsys):
    code = run_baseline_diff(str(corpus_policies / "gce-configure-helper.yaml"), "gke", KUBE, "text")
    out = capsys.readouterr().out
    assert code == 0
    assert "against baseline gke" in out
    classes = len(request_classes())
    assert out.rstrip().endswith(f"{classes} request classes: {classes} same, 0 less, 0 more, 0 mixed")


def test_less_is_shown_with_rule_and_witness(write_policy, capsys):
    path = write_policy("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: ["RequestReceived"]
        rules:
          - level: None
            resources: [{group: "", resources: ["pods/exec"]}]
          - level: Metadata
    """)
    assert run_baseline_diff(path, "cis", KUBE, "text") == 0
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "pods/exec" in line and "baseline" in line]
    assert line.split()[0] == "less"
    assert f"policy None by {path}:5 (rule 0)" in out
    assert "e.g. get pods/exec example -n default by alice" in out


def test_json_output(write_policy, capsys):
    path = write_policy("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: RequestResponse
    """)
    assert run_baseline_diff(path, "cis", KUBE, "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["baseline"] == {"name": "cis", "title": load_baseline("cis").title, "path": "baselines/cis.yaml"}
    assert report["kubeVersion"] == versions.format(KUBE)
    assert sum(report["summary"].values()) == len(report["classes"])
    secrets = next(c for c in report["classes"] if c["id"] == "secrets-reads")
    assert secrets["comparison"] == "more"
    assert (secrets["baselineLevels"], secrets["policyLevels"]) == (["Metadata"], ["RequestResponse"])
    assert secrets["policy"] == [{"level": "RequestResponse", "rule": 0, "line": 4, "witness": secrets["policy"][0]["witness"]}]
    assert secrets["policy"][0]["witness"]["resource"] == "secrets"


def test_cli_exit_codes(write_policy, tmp_path):
    runner = CliRunner()
    policy = write_policy("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n")
    assert runner.invoke(app, ["baseline", "diff", policy, "--baseline", "gke"]).exit_code == 0
    assert runner.invoke(app, ["baseline", "diff", policy, "--format", "json"]).exit_code == 0
    assert runner.invoke(app, ["baseline", "diff", policy, "--baseline", "nist"]).exit_code == 2
    assert runner.invoke(app, ["baseline", "diff", str(tmp_path / "missing.yaml")]).exit_code == 2
    not_a_policy = write_policy("apiVersion: v1\nkind: ConfigMap\n", name="cm.yaml")
    assert runner.invoke(app, ["baseline", "diff", not_a_policy]).exit_code == 2
    no_reference = tmp_path / "mine.yaml"
    no_reference.write_text("name: mine\ntitle: t\ndescription: d\nsource: {title: t}\nexpectations: []\n")
    assert runner.invoke(app, ["baseline", "diff", policy, "--baseline", str(no_reference)]).exit_code == 2


def test_input_errors_are_one_line(write_policy, tmp_path, capsys):
    assert run_baseline_diff(str(tmp_path / "missing.yaml"), "gke", KUBE, "text") == 2
    err = capsys.readouterr().err
    assert err == f"kube-audit-lint: error: {tmp_path / 'missing.yaml'}:1:1: no such file\n"
    policy = write_policy("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n")
    assert run_baseline_diff(policy, "nist", KUBE, "text") == 2
    assert capsys.readouterr().err.startswith("kube-audit-lint: error: unknown baseline 'nist'")


def test_a_refused_policy_is_compared_with_a_warning(write_policy, capsys):
    path = write_policy("apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n  - level: Metadata\n")
    assert run_baseline_diff(path, "cis", KUBE, "text") == 0
    captured = capsys.readouterr()
    assert "warning: kube-apiserver would refuse this policy" in captured.err
    assert "request classes:" in captured.out
