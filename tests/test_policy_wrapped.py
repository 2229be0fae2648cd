"""Policies written inside shell heredocs, Terraform heredocs and Markdown code blocks, linted in
place; and --apiserver-manifest refusing what is not a kube-apiserver manifest."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app
from kube_audit_lint.policy.wrapped import (
    MARKDOWN, SHELL, TERRAFORM, UNQUOTED_HEREDOC, Block, Skip, wrapped_blocks, wrapper_kind,
)

POLICY_LINES = [
    "apiVersion: audit.k8s.io/v1",
    "kind: Policy",
    "omitStages: [RequestReceived]",
    "rules:",
    "  - level: RequestResponse",
    "    resources:",
    '      - group: ""',
    '        resources: ["secrets"]',
    "  - level: Metadata",
]
LEVEL_LINE = 4  # 0-based line of "  - level: RequestResponse" in POLICY_LINES


def policy(prefix: str = "") -> str:
    return "".join(prefix + line + "\n" for line in POLICY_LINES)


def run(*args: str, cwd=None, stdin: str | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    if cwd is not None:
        previous = os.getcwd()
        os.chdir(cwd)
    try:
        result = runner.invoke(app, list(args), input=stdin)
    finally:
        if cwd is not None:
            os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


def secret_findings(path) -> tuple[int, list[tuple[int, int]], dict]:
    code, out, _ = run("lint", str(path), "--select", "KAL020", "--format", "json")
    document = json.loads(out)
    return code, [(f["line"], f["column"]) for f in document["findings"]], document


def points_at_level(text: str, line: int, column: int) -> bool:
    return text.splitlines()[line - 1][column - 1:].startswith("RequestResponse")


SHELL_SCRIPT = ("#!/bin/sh\nset -eu\nmkdir -p /etc/kubernetes\n"
                "cat <<'EOF' > /etc/kubernetes/audit-policy.yaml\n" + policy() + "EOF\n"
                "systemctl restart kubelet\n")


@pytest.mark.parametrize("opening, closing, prefix, column", [
    ("cat <<'EOF' > audit-policy.yaml", "EOF", "", 12),
    ('cat <<"EOF" > audit-policy.yaml', "EOF", "", 12),
    ("cat <<\\EOF > audit-policy.yaml", "EOF", "", 12),
    ("sudo tee /etc/kubernetes/audit-policy.yaml >/dev/null <<'POLICY'", "POLICY", "", 12),
    ("\tcat <<-'EOF' | sudo tee audit-policy.yaml", "\t\tEOF", "\t\t", 14),
], ids=["single-quoted", "double-quoted", "backslash", "tee", "dash-tabs"])
def test_a_quoted_shell_heredoc_is_linted_on_the_scripts_lines(tmp_path, opening, closing, prefix, column):
    text = f"#!/bin/bash\nset -e\nif true; then\n{opening}\n{policy(prefix)}{closing}\nfi\n"
    path = tmp_path / "setup.sh"
    path.write_text(text)
    code, positions, _ = secret_findings(path)
    assert code == 1 and positions == [(5 + LEVEL_LINE, column)]
    assert points_at_level(text, *positions[0])


def test_an_unquoted_heredoc_is_skipped_with_the_reason_shown(tmp_path):
    text = "#!/bin/sh\ncat <<EOF > audit-policy.yaml\n" + policy().replace("Metadata", "$LEVEL") + "EOF\n"
    path = tmp_path / "setup.sh"
    path.write_text(text)
    code, out, err = run("lint", str(path), "--format", "json")
    assert code == 2 and f"{path}:2:5: skipped: {UNQUOTED_HEREDOC}" in err
    assert "no audit policy found in 1 file; 1 skipped: 1 heredoc with an unquoted delimiter" in err
    code, out, err = run("lint", str(path), "--format", "json", "--allow-no-policy")
    document = json.loads(out)
    assert code == 0 and document["skipped"] == [str(path)]
    assert document["skipReasons"] == {str(path): UNQUOTED_HEREDOC}
    assert document["skippedBlocks"] == [{"file": str(path), "line": 2, "column": 5, "reason": UNQUOTED_HEREDOC}]


def test_an_unquoted_heredoc_next_to_a_quoted_one_is_reported_and_the_other_linted(tmp_path):
    text = SHELL_SCRIPT + "cat <<EOF > other.yaml\n" + policy() + "EOF\n"
    path = tmp_path / "setup.sh"
    path.write_text(text)
    code, out, err = run("lint", str(path), "--select", "KAL020", "--format", "json")
    document = json.loads(out)
    assert code == 1 and [(f["line"], f["column"]) for f in document["findings"]] == [(5 + LEVEL_LINE, 12)]
    skipped_at = len(SHELL_SCRIPT.splitlines()) + 1
    assert document["skippedBlocks"] == [{"file": str(path), "line": skipped_at, "column": 5,
                                          "reason": UNQUOTED_HEREDOC}]
    assert f"{path}:{skipped_at}:5: skipped: heredoc with an unquoted delimiter" in err


def test_heredocs_that_are_no_policy_are_passed_over_in_silence(tmp_path):
    path = tmp_path / "setup.sh"
    path.write_text("#!/bin/sh\ncat <<EOF > /etc/motd\nhello $USER\nEOF\ncat <<'EOF' > app.yaml\nkey: value\nEOF\n")
    code, _, err = run("lint", str(path))
    assert code == 2 and "skipped: heredoc" not in err
    assert "1 skipped: 1 no audit.k8s.io Policy document" in err  # as a YAML file with no policy
    assert "invalid YAML" not in err


def test_a_script_named_explicitly_is_no_longer_invalid_yaml(tmp_path):
    path = tmp_path / "install"  # no suffix: known by its shebang
    path.write_text(SHELL_SCRIPT)
    code, out, _ = run("lint", str(path), "--format", "json")
    document = json.loads(out)
    assert code == 1 and all("invalid YAML" not in f["message"] for f in document["findings"])
    assert "KAL020" in [f["code"] for f in document["findings"]]


def test_a_script_piped_in_is_known_by_its_stdin_filename():
    script = SHELL_SCRIPT.replace("#!/bin/sh\n", "")
    code, out, _ = run("lint", "-", "--stdin-filename", "deploy/setup.sh", "--select", "KAL020", "--format", "json",
                       stdin=script)
    [finding] = json.loads(out)["findings"]
    assert code == 1 and (finding["file"], finding["line"], finding["column"]) == ("deploy/setup.sh", 4 + LEVEL_LINE, 12)


def test_broken_yaml_in_a_policy_heredoc_points_into_the_script(tmp_path):
    text = "#!/bin/sh\ncat <<'EOF' > p.yaml\napiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [\nEOF\n"
    path = tmp_path / "setup.sh"
    path.write_text(text)
    code, out, _ = run("lint", str(path), "--format", "json")
    [finding] = json.loads(out)["findings"]
    assert code == 1 and finding["code"] == "KAL001" and "invalid YAML" in finding["message"]
    assert (finding["line"], finding["column"]) == (6, 1)  # the end of the heredoc, where YAML ran out
    assert "cannot read this policy (shell block)" in finding["message"]


TERRAFORM_FILE = '''resource "kubernetes_config_map" "audit" {
  metadata {
    name = "audit-policy"
  }
  data = {
    "policy.yaml" = <<-EOT
''' + policy("      ") + '''    EOT
  }
}
'''


def test_a_terraform_heredoc_is_linted_on_the_files_lines(tmp_path):
    path = tmp_path / "main.tf"
    path.write_text(TERRAFORM_FILE)
    code, positions, _ = secret_findings(path)
    assert code == 1 and positions == [(7 + LEVEL_LINE, 18)]
    assert points_at_level(TERRAFORM_FILE, *positions[0])


def test_a_plain_terraform_heredoc_keeps_its_columns(tmp_path):
    text = 'locals {\n  policy = <<EOT\n' + policy() + 'EOT\n}\n'
    path = tmp_path / "main.tf"
    path.write_text(text)
    code, positions, _ = secret_findings(path)
    assert code == 1 and positions == [(3 + LEVEL_LINE, 12)]


@pytest.mark.parametrize("sequence", ["${var.level}", "%{ if var.debug }RequestResponse%{ endif }"])
def test_a_terraform_heredoc_with_interpolation_is_skipped_with_a_reason(tmp_path, sequence):
    text = TERRAFORM_FILE.replace("level: Metadata", f"level: {sequence}")
    path = tmp_path / "main.tf"
    path.write_text(text)
    code, out, err = run("lint", str(path), "--format", "json", "--allow-no-policy")
    document = json.loads(out)
    assert code == 0 and document["files"] == [] and document["skipped"] == [str(path)]
    [block] = document["skippedBlocks"]
    assert (block["line"], block["column"]) == (6, 21) and "Terraform heredoc with ${...} or %{...}" in block["reason"]
    assert f"{path}:6:21: skipped: Terraform heredoc" in err


MARKDOWN_DOC = """# Auditing

A Deployment, for comparison:

```yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
```

Values for the chart:

```yml
replicas: 3
```

Not even YAML, though marked so:

```yaml
this: is: not: yaml
```

The policy:

```yaml
""" + policy() + """```

1. In a list, indented:

   ```yaml
""" + policy("   ") + """   ```
"""


def test_only_the_policy_blocks_of_a_markdown_document_are_linted(tmp_path):
    path = tmp_path / "audit.md"
    path.write_text(MARKDOWN_DOC)
    code, positions, document = secret_findings(path)
    first = MARKDOWN_DOC.splitlines().index("The policy:") + 4
    second = MARKDOWN_DOC.splitlines().index("   ```yaml") + 2
    assert code == 1 and positions == [(first + LEVEL_LINE, 12), (second + LEVEL_LINE, 15)]
    assert all(points_at_level(MARKDOWN_DOC, *p) for p in positions)
    assert document["files"] == [str(path)] and document["skippedBlocks"] == []


def test_a_markdown_document_without_a_policy_is_a_file_with_no_policy(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("# Hello\n\n```yaml\nkind: Deployment\n```\n")
    code, _, err = run("lint", str(path))
    assert code == 2 and "1 skipped: 1 no audit.k8s.io Policy document" in err


def test_a_directory_run_reads_scripts_terraform_and_markdown_only_when_included(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "setup.sh").write_text(SHELL_SCRIPT)
    (tmp_path / "main.tf").write_text(TERRAFORM_FILE)
    (tmp_path / "docs" / "audit.md").write_text(MARKDOWN_DOC)
    (tmp_path / "notes.md").write_text(MARKDOWN_DOC)
    (tmp_path / "policy.yaml").write_text(policy())
    code, out, _ = run("lint", ".", "--select", "KAL020", "--format", "json", cwd=tmp_path)
    assert code == 1 and [os.path.normpath(f) for f in json.loads(out)["files"]] == ["policy.yaml"]
    (tmp_path / ".kube-audit-lint.yaml").write_text('include: ["*.sh", "*.tf", "docs/**/*.md"]\n')
    code, out, _ = run("lint", ".", "--select", "KAL020", "--format", "json", cwd=tmp_path)
    files = [os.path.normpath(f) for f in json.loads(out)["files"]]
    assert code == 1 and sorted(files) == ["docs/audit.md", "main.tf", "policy.yaml", "setup.sh"]
    code, out, _ = run("lint", ".", "--show-config", cwd=tmp_path)
    assert 'include = ["*.sh", "*.tf", "docs/**/*.md"]' in out
    (tmp_path / ".kube-audit-lint.yaml").write_text('include: ["*.sh", "**/*.md"]\nexclude: ["docs"]\n')
    code, out, _ = run("lint", ".", "--select", "KAL020", "--format", "json", cwd=tmp_path)
    files = [os.path.normpath(f) for f in json.loads(out)["files"]]
    assert sorted(files) == ["notes.md", "policy.yaml", "setup.sh"]  # exclude wins over include


def test_a_bad_include_setting_points_at_its_line(tmp_path):
    (tmp_path / ".kube-audit-lint.yaml").write_text('fail-on: error\ninclude: "*.sh"\n')
    code, _, err = run("lint", ".", cwd=tmp_path)
    assert code == 2 and ".kube-audit-lint.yaml:2:10: include: expected a list" in err


def test_wrapped_blocks_are_pure_functions_of_the_text():
    assert wrapper_kind("a.sh", "") == SHELL and wrapper_kind("x.tf", "") == TERRAFORM
    assert wrapper_kind("README.md", "") == MARKDOWN and wrapper_kind("p.yaml", "#!/bin/sh\n") is None
    assert wrapper_kind("run", "#!/usr/bin/env bash\n") == SHELL
    blocks = list(wrapped_blocks(SHELL, "x=$((1 << 2))\ncat <<<'here'\ncat <<-'EOF'\n\t\tkind: Policy\n\tEOF\n"))
    assert blocks == [Block(4, (2,), "kind: Policy\n", "heredoc 'EOF'")]
    [skip] = wrapped_blocks(SHELL, "cat <<END\na: $b\nEND\n")
    assert isinstance(skip, Skip) and (skip.line, skip.column) == (1, 5)


# --apiserver-manifest accepts kube-apiserver's static Pod, kubeadm's configuration or a flags file

POD_WITHOUT_APISERVER = """apiVersion: v1
kind: Pod
metadata: {name: etcd}
spec:
  containers:
    - name: etcd
      command: [etcd, --data-dir=/var/lib/etcd]
"""
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: web
          args: ["--port=8080"]
"""


@pytest.mark.parametrize("name, content, position, what", [
    ("setup.sh", SHELL_SCRIPT, "2:1", "'set' is not a kube-apiserver flag"),
    ("install.sh", "kubeadm init --config kubeadm.yaml\n", "1:1", "'kubeadm' is not a kube-apiserver flag"),
    ("deploy.yaml", DEPLOYMENT, "2:1", "kind Deployment"),
    ("etcd.yaml", POD_WITHOUT_APISERVER, "1:1", "a Pod with no container that runs kube-apiserver"),
], ids=["shell-script", "other-command", "deployment", "pod-without-apiserver"])
def test_an_apiserver_manifest_that_is_none_exits_2_with_its_position(tmp_path, name, content, position, what):
    (tmp_path / "policy.yaml").write_text(policy())
    manifest = tmp_path / name
    manifest.write_text(content)
    code, out, err = run("lint", str(tmp_path / "policy.yaml"), "--apiserver-manifest", str(manifest))
    assert code == 2 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith(f"kube-audit-lint: error: {manifest}:{position}: not a kube-apiserver manifest: {what}")
    assert "audit-policy-file" not in err


@pytest.mark.parametrize("content", [
    "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  extraArgs:\n"
    "    - name: audit-policy-file\n      value: /etc/kubernetes/policy.yaml\n",
    "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\napiServer:\n  extraArgs:\n"
    "    audit-policy-file: /etc/kubernetes/policy.yaml\n",
    "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: apiserver\n      command: [kube-apiserver]\n"
    "      args: [--audit-policy-file=/etc/kubernetes/policy.yaml]\n",
    "/usr/local/bin/kube-apiserver \\\n  --audit-policy-file /etc/kubernetes/policy.yaml  # the policy\n",
], ids=["kubeadm-v1beta4", "kubeadm-v1beta3", "pod", "flags"])
def test_kube_apiserver_manifests_are_still_read(tmp_path, content):
    (tmp_path / "policy.yaml").write_text(policy())
    manifest = tmp_path / "manifest"
    manifest.write_text(content)
    code, out, err = run("lint", str(tmp_path / "policy.yaml"), "--apiserver-manifest", str(manifest),
                         "--format", "json")
    assert code == 1 and "not a kube-apiserver manifest" not in err
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert "KAL060" not in codes  # audit-policy-file-not-set: the flag was read
