"""Bad input on the command line: one line on stderr and exit code 2, never an internal error (3),
a silent pass, or findings counted twice."""

from __future__ import annotations

import json

import pytest


GOOD = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n"
DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
HELM_POLICY_TEMPLATE = """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
{{- range .Values.audit.rules }}
  - level: {{ .level }}
{{- end }}
"""
HELM_CONFIGMAP_TEMPLATE = """\
{{- if .Values.audit.enabled }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "chart.fullname" . }}-audit
data:
  policy.yaml: |
    apiVersion: audit.k8s.io/v1
    kind: Policy
    rules:
{{ toYaml .Values.audit.rules | indent 6 }}
{{- end }}
"""



def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("kube-audit-lint: error: "), err
    return lines[0]


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD)
    return str(path)


@pytest.mark.parametrize("flag", ["--output", "--write-accepted"])
@pytest.mark.parametrize("where", ["directory", "under-a-file"])
def test_an_output_file_that_cannot_be_written_exits_2(cli, tmp_path, policy, flag, where):
    (tmp_path / "a-file").write_text("")
    target = str(tmp_path) if where == "directory" else str(tmp_path / "a-file" / "out.txt")
    code, _, err = cli("lint", policy, flag, target)
    assert code == 2
    assert one_line_error(err).startswith(f"kube-audit-lint: error: {target}: cannot write: ")


def test_a_binary_accepted_findings_file_exits_2_with_its_position(cli, tmp_path, policy):
    accepted = tmp_path / "accepted.json"
    accepted.write_bytes(b"\xba\xff\x00\x01")
    code, _, err = cli("lint", policy, "--accepted", str(accepted))
    assert code == 2
    assert one_line_error(err).startswith(f"kube-audit-lint: error: {accepted}:1:1: ")


@pytest.mark.parametrize("content, message", [
    (b"\xba\xff\x00\x01binary", "1:1: binary file"),
    (b"spec:\n  containers:\n  - command: [kube-apiserver, --audit-log-path=/var/log/caf\xe9]\n", "3:60: not UTF-8 text"),
], ids=["binary", "latin-1"])
def test_an_unreadable_apiserver_manifest_exits_2_with_its_position(cli, tmp_path, policy, content, message):
    manifest = tmp_path / "kube-apiserver.yaml"
    manifest.write_bytes(content)
    code, _, err = cli("lint", policy, "--apiserver-manifest", str(manifest))
    assert code == 2
    assert one_line_error(err).startswith(f"kube-audit-lint: error: {manifest}:{message}")


def test_an_empty_apiserver_manifest_is_not_a_manifest(cli, tmp_path, policy):
    manifest = tmp_path / "kube-apiserver.yaml"
    manifest.write_text("\n")
    code, _, err = cli("lint", policy, "--apiserver-manifest", str(manifest))
    assert code == 2
    assert "not a kube-apiserver manifest" in one_line_error(err)


def finding_count(cli, *paths: str) -> int:
    code, out, _ = cli("lint", "--format", "json", "--exit-zero", *paths)
    assert code == 0
    return len(json.loads(out)["findings"])


def test_a_file_named_twice_is_linted_once(cli, monkeypatch, tmp_path, policy):
    once = finding_count(cli, policy)
    assert once > 0
    monkeypatch.chdir(tmp_path)
    assert finding_count(cli, policy, policy) == once
    assert finding_count(cli, "policy.yaml", "./policy.yaml", policy) == once
    assert finding_count(cli, str(tmp_path), policy) == once


@pytest.mark.parametrize("template", [HELM_POLICY_TEMPLATE, HELM_CONFIGMAP_TEMPLATE], ids=["policy", "configmap"])
@pytest.mark.parametrize("command", [["lint", "--allow-no-policy"], ["validate", "--skip-non-policies"]])
def test_a_helm_template_of_an_audit_policy_is_skipped(cli, tmp_path, template, command):
    # pre-commit hands over a chart's templates; they are no policy until rendered
    path = tmp_path / "audit-policy.yaml"
    path.write_text(template)
    code, _, err = cli(*command, str(path))
    assert (code, err) == (0, "")


def test_no_policy_in_the_input_is_an_error_that_says_why(cli, tmp_path):
    (tmp_path / "audit-policy.yaml").write_text(HELM_POLICY_TEMPLATE)
    (tmp_path / "deployment.yaml").write_text(DEPLOYMENT)
    code, _, err = cli("lint", str(tmp_path))
    assert code == 2
    assert one_line_error(err) == (
        "kube-audit-lint: error: no audit policy found in 2 files; 2 skipped: 1 an unrendered template: render it "
        "first (helm template, kustomize build) and lint the output, 1 no audit.k8s.io Policy document (--verbose "
        "names them; --allow-no-policy makes this exit 0)")
    code, _, err = cli("lint", str(tmp_path), "--verbose")
    assert code == 2 and "deployment.yaml: skipped: no audit.k8s.io Policy document" in err
    assert "(skipped: an unrendered template: render it first" in err


def test_a_broken_policy_that_is_no_template_is_still_an_error(cli, tmp_path):
    path = tmp_path / "audit-policy.yaml"
    path.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: [Metadata\n")
    code, _, err = cli("validate", "--skip-non-policies", str(path))
    assert code == 2
    assert f"{path}:5:1: invalid YAML" in err
    code, out, err = cli("lint", str(path))
    assert (code, err) == (1, "")  # lint: a finding at its position, like any other problem
    assert f"{path}:5:1: KAL001 [error] kube-apiserver cannot read this file: invalid YAML" in out


def test_one_bad_file_never_stops_a_run_and_every_output_is_written(cli, tmp_path, repo_root):
    (tmp_path / "a-broken.yaml").write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [\n")
    (tmp_path / "b-binary.yaml").write_bytes(b"apiVersion: audit.k8s.io/v1\x00\xff\xfe kind: Policy")
    (tmp_path / "c-insecure.yaml").write_text((repo_root / "examples" / "insecure-policy.yaml").read_text())
    for fmt in ("json", "sarif"):
        out = tmp_path / f"out.{fmt}"
        code, _, err = cli("lint", str(tmp_path), "--format", fmt, "--output", str(out))
        assert (code, err) == (1, ""), fmt
        document = json.loads(out.read_text())
        if fmt == "json":
            by_file = {}
            for finding in document["findings"]:
                by_file.setdefault(finding["file"].rsplit("/", 1)[-1], set()).add(finding["code"])
            assert by_file["a-broken.yaml"] == {"KAL001"} and by_file["b-binary.yaml"] == {"KAL001"}
            assert "KAL020" in by_file["c-insecure.yaml"]
        else:
            uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].rsplit("/", 1)[-1]
                    for r in document["runs"][0]["results"]}
            assert {"a-broken.yaml", "b-binary.yaml", "c-insecure.yaml"} <= uris


@pytest.mark.parametrize("command", [
    ["explain", "{path}", "--resource", "pods"],
    ["baseline", "diff", "{path}"],
])
def test_explain_and_baseline_diff_refuse_a_file_that_is_no_policy(cli, tmp_path, command):
    path = tmp_path / "deployment.yaml"
    path.write_text(DEPLOYMENT)
    code, out, err = cli(*[arg.format(path=path) for arg in command])
    assert (code, out) == (2, "")
    assert one_line_error(err) == (f"kube-audit-lint: error: {path}:1:1: not an audit policy (kind Deployment, "
                                   "apiVersion apps/v1; expected kind Policy, apiVersion audit.k8s.io/v1)")


def test_explain_says_when_the_policy_is_not_the_first_document(cli, tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(DEPLOYMENT + "---\n" + GOOD)
    code, _, err = cli("explain", str(path), "--resource", "pods")
    assert code == 2
    assert one_line_error(err).endswith("document 2 (line 6) is one, but kube-apiserver reads only the first "
                                        "document of a policy file")


def test_explain_still_explains_a_policy_the_apiserver_would_refuse(cli, tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: metadata\n")
    code, out, err = cli("explain", str(path), "--resource", "pods")
    assert code == 0
    assert "would refuse this policy" in err and "decided by rule 0" in out


@pytest.mark.parametrize("command", [
    ["lint", "{path}"], ["validate", "{path}"], ["explain", "{path}", "--resource", "pods"],
    ["baseline", "diff", "{path}"],
])
def test_an_alias_bomb_is_an_input_error_for_every_command(cli, tmp_path, command):
    lines = ["l0: &l0 [" + ", ".join(['"lol"'] * 9) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\n" + "\n".join(lines) + "\nrules:\n  - level: None\n")
    code, out, err = cli(*[arg.format(path=path) for arg in command])
    assert code == (1 if command[0] == "lint" else 2)  # lint: a finding of its own file, the run goes on
    assert "document contains excessive aliasing" in (out if command[0] == "lint" else err)
    assert "internal error" not in err


def test_the_readme_example_finding_is_what_lint_prints(cli, monkeypatch, repo_root):
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    example = next(line for line in readme.splitlines() if line.startswith("examples/insecure-policy.yaml:"))
    monkeypatch.chdir(repo_root)
    code, out, _ = cli("lint", "examples/insecure-policy.yaml")
    assert code == 1
    assert example in out.splitlines()


@pytest.mark.parametrize("name, text", [
    ("deep.toml", "[tool.kube-audit-lint]\nselect = " + "[" * 5000 + "]" * 5000 + "\n"),
    ("deep.yaml", "select: " + "[" * 5000 + "]" * 5000 + "\n"),
], ids=["toml", "yaml"])
def test_a_configuration_nested_absurdly_deep_is_a_configuration_error(cli, tmp_path, policy, name, text):
    config = tmp_path / name
    config.write_text(text)
    code, _, err = cli("lint", "--config", str(config), policy)
    assert code == 2
    assert one_line_error(err).startswith(f"kube-audit-lint: error: {config}:1:")


def test_replay_reads_standard_input_once(cli, tmp_path):
    code, _, err = cli("replay", "-", "-")
    assert code == 2 and "standard input (-) can be read once" in err


def test_an_event_nested_too_deeply_is_decided_from_its_request_attributes(cli, tmp_path):
    import json as _json

    event = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "a", "stage": "ResponseComplete",
             "verb": "get", "requestURI": "/api/v1/pods", "user": {"username": "u"},
             "objectRef": {"resource": "pods", "apiVersion": "v1"}}
    deep = _json.dumps(event)[:-1] + ', "deep": ' + "[" * 100000 + "]" * 100000 + "}"
    # nested too deeply where the request attributes are: no event to decide
    deep_user = _json.dumps(dict(event, user=None))[:-1].replace('"user": null', '"user": ' + "[" * 100000 + "]" * 100000)
    log = tmp_path / "deep.jsonl"
    log.write_text(deep + "\n" + _json.dumps(event) + "\n" + deep_user + "}\n")
    policy = tmp_path / "p.yaml"
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n")
    code, out, _ = cli("replay", str(policy), str(log), "--format", "json")
    assert code == 0
    summary = _json.loads(out)
    assert summary["events"] == 2 and summary["files"][0]["badLines"] == 1
    assert summary["badLines"][0]["line"] == 3 and "nested too deeply" in summary["badLines"][0]["message"]
    code, out, _ = cli("explain", str(policy), "--event", f"{log}:1")
    assert code == 0 and "decided by rule 0" in out
    code, _, err = cli("explain", str(policy), "--event", f"{log}:3")
    assert code == 2 and "nested too deeply" in err
