"""The first hour: mistakes caught with a hint, and the conventions users of ruff or Checkov reach for."""

from __future__ import annotations

import sys

import pytest

from kube_audit_lint.commands.lint import use_color



@pytest.fixture
def insecure(repo_root):
    return str(repo_root / "examples" / "insecure-policy.yaml")


@pytest.fixture
def good(repo_root):
    return str(repo_root / "examples" / "audit-policy.yaml")


def test_an_unknown_baseline_is_caught_whatever_the_policy(cli, insecure):
    code, out, err = cli("lint", insecure, "--baseline", "gek")
    assert code == 2 and out == ""
    assert err.strip().endswith("not a built-in baseline (cis, eks, gke, recommended); did you mean 'gke'?")


def test_an_unknown_check_gets_a_did_you_mean(cli, insecure):
    code, _, err = cli("lint", insecure, "--select", "sensitive-body-capture")
    assert code == 2 and "unknown check 'sensitive-body-capture'; did you mean 'sensitive-body-captured'?" in err


@pytest.mark.parametrize("args, message", [
    (["--resource", "secret"], "unknown resource 'secret' in API group \"\"; did you mean 'secrets'?"),
    (["--resource", "pods", "--verb", "frobnicate"], "unknown verb 'frobnicate'"),
    (["--path", "/healthz", "--verb", "lsit"], "unknown verb 'lsit'"),
])
def test_explain_refuses_a_request_kube_apiserver_cannot_receive(cli, good, args, message):
    code, _, err = cli("explain", good, "--user", "alice", *args)
    assert code == 2 and message in err


def test_explain_resolves_a_unique_group_and_adds_the_authenticated_group(cli, good):
    code, out, err = cli("explain", good, "--user", "alice", "--resource", "deployments",
                         "--verb", "create", "-n", "default")
    assert code == 0
    assert "explaining with --api-group apps (the only group serving deployments)" in err
    assert "explaining with group system:authenticated" in err
    assert out.splitlines()[0] == "request: create deployments.apps -n default by alice (groups system:authenticated)"


def test_explain_of_the_anonymous_user_adds_the_unauthenticated_group(cli, good):
    code, out, _ = cli("explain", good, "--user", "system:anonymous", "--path", "/version")
    assert code == 0 and "(groups system:unauthenticated)" in out.splitlines()[0]


def test_statistics_count_findings_per_check(cli, insecure):
    code, out, _ = cli("lint", insecure, "--statistics")
    assert code == 1
    rows = [line.split() for line in out.splitlines()]
    assert all(len(row) == 3 and row[0].isdigit() and row[1].startswith("KAL") for row in rows)
    assert ["1", "KAL020", "sensitive-body-captured"] in rows


def test_quiet_prints_findings_only(cli, insecure, good):
    code, out, _ = cli("lint", insecure, "--quiet", "--format", "concise")
    assert code == 1 and "Found" not in out and out.count("\n") >= 5
    code, out, _ = cli("lint", good, "-q")
    assert (code, out) == (0, "")


def test_concise_is_one_line_per_problem(cli, insecure):
    code, out, _ = cli("lint", insecure, "--output-format", "concise")
    lines = out.splitlines()
    assert code == 1 and lines[-1].startswith("Found ")
    assert all(line.startswith(insecure) for line in lines[:-1]) and not any(" | " in line for line in lines)


def test_extend_select_adds_to_the_selection(cli, insecure):
    code, out, _ = cli("lint", insecure, "--select", "KAL006", "--extend-select", "KAL020",
                       "--format", "concise", "-q")
    assert sorted(line.split()[1] for line in out.splitlines()) == ["KAL006", "KAL020"]


@pytest.mark.parametrize("choice, terminal, environ, expected", [
    ("always", False, {}, True), ("never", True, {"FORCE_COLOR": "1"}, False),
    ("auto", True, {}, True), ("auto", False, {}, False), ("auto", True, {"NO_COLOR": ""}, False),
    ("auto", False, {"FORCE_COLOR": "1"}, True),
])
def test_color_follows_the_flag_then_force_color_then_no_color(choice, terminal, environ, expected):
    assert use_color(choice, terminal, environ) is expected


def test_color_always_paints_the_text(cli, insecure):
    _, out, _ = cli("lint", insecure, "--color", "always", "--select", "KAL006")
    assert "\x1b[1;33m[warning]" in out


def test_output_creates_missing_folders(cli, insecure, tmp_path):
    target = tmp_path / "reports" / "lint" / "out.json"
    code, _, _ = cli("lint", insecure, "--format", "json", "--output", str(target))
    assert code == 1 and target.read_text().startswith("{")


@pytest.mark.parametrize("content, seen", [
    ("", "empty"),
    ("meeting notes\n", "text that is not JSON"),
    ('2017-03-21T03:57:09.106841886-04:00 AUDIT: id="c939" ip="127.0.0.1" method="GET" user="admin"\n',
     "the apiserver's legacy text format (--audit-log-format=legacy), not JSON"),
    ("time,user,verb\n1,alice,get\n", "CSV or comma-separated text, not JSON"),
    ('{"kind": "Pod"}\n', "JSON, but no audit.k8s.io Event in it"),
])
@pytest.mark.parametrize("fmt", ["summary", "jsonl"])
def test_replay_of_nothing_is_an_error_naming_what_it_saw(cli, good, tmp_path, content, seen, fmt):
    log = tmp_path / "audit.log"
    log.write_text(content)
    code, out, err = cli("replay", good, str(log), "--format", fmt)
    assert code == 2 and out == ""
    assert f"no audit event in the input ({log}: {seen}); kube-audit-lint reads audit.k8s.io Event JSON lines" in err


def test_stdin_filename_names_the_piped_policy_and_its_per_file_settings_apply(cli, monkeypatch, insecure, tmp_path):
    import io

    (tmp_path / ".kube-audit-lint.yaml").write_text('per-file-ignores:\n  "policies/*.yaml": [KAL006]\n')
    monkeypatch.chdir(tmp_path)
    text = open(insecure).read()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code, out, _ = cli("lint", "-", "--stdin-filename", "policies/audit.yaml",
                       "--format", "concise", "-q")
    lines = out.splitlines()
    assert code == 1 and lines and all(line.startswith("policies/audit.yaml:") for line in lines)
    assert not any(" KAL006 " in line for line in lines)


def test_report_refuses_an_unknown_framework_and_a_log_without_events(cli, good, tmp_path):
    code, _, err = cli("report", good, "--framework", "pcii", "--output", "-")
    assert code == 2 and "unknown framework 'pcii'" in err and "did you mean 'pci'?" in err
    notes = tmp_path / "notes.log"
    notes.write_text("meeting notes\n")
    code, out, err = cli("report", good, "--events", str(notes), "--output", "-",
                         "--format", "json")
    assert code == 2 and out == "" and f"no audit event in the input ({notes}: text that is not JSON)" in err
