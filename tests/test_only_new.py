"""Only new findings: the accepted-findings file and --diff-base against a real git repository."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


from kube_audit_lint.lint.only_new import changed_lines

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps"]
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["serviceaccounts/token"]
  - level: Metadata
"""


def lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kube_audit_lint", "lint", *args], cwd=cwd, capture_output=True, text=True)


def codes(result: subprocess.CompletedProcess) -> list[str]:
    return [f["code"] for f in json.loads(result.stdout)["findings"] if not f["suppressed"]]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_changed_lines_from_a_zero_context_diff():
    diff = "@@ -3,0 +4,2 @@\n+a\n+b\n@@ -10 +12 @@\n-x\n+y\n@@ -20,2 +21,0 @@\n-gone\n-gone\n"
    assert changed_lines(diff) == {4, 5, 12, 21, 22}


def test_accepted_findings_are_recorded_then_only_new_ones_reported(tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    before = lint(tmp_path, "policy.yaml", "--format", "json")
    assert "KAL020" in codes(before)  # serviceaccounts/token at RequestResponse
    written = lint(tmp_path, "policy.yaml", "--write-accepted", "accepted.json")
    assert written.returncode == 0
    accepted = json.loads((tmp_path / "accepted.json").read_text())
    assert accepted["version"] == 1 and len(accepted["findings"]) == len(codes(before))

    # an unrelated edit moves every line: the accepted findings still match by fingerprint
    (tmp_path / "policy.yaml").write_text("# moved down\n\n" + POLICY)
    result = lint(tmp_path, "policy.yaml", "--accepted", "accepted.json", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert codes(result) == []
    suppressed = [f for f in json.loads(result.stdout)["findings"] if f["suppressed"]]
    assert suppressed and all(f["suppression"]["kind"] == "accepted" for f in suppressed)

    # a new problem is reported; a fixed one is noted as no longer occurring
    fixed_and_broken = POLICY.replace('resources: ["serviceaccounts/token"]', 'resources: ["serviceaccounts/token"]\n'
                                      '      - group: "authentication.k8s.io"\n        resources: ["tokenreviews"]')
    fixed_and_broken = fixed_and_broken.replace('"/version"]', '"/version"]\n  - level: RequestResponse\n'
                                                '    resources:\n      - group: ""\n        resources: ["secrets"]')
    (tmp_path / "policy.yaml").write_text(fixed_and_broken)
    result = lint(tmp_path, "policy.yaml", "--accepted", "accepted.json", "--format", "json")
    assert result.returncode == 1
    new = [f for f in json.loads(result.stdout)["findings"] if not f["suppressed"]]
    assert any(f["code"] == "KAL020" and "secrets" in f["message"] for f in new)


def test_accepted_findings_that_no_longer_occur_are_listed(tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    lint(tmp_path, "policy.yaml", "--write-accepted", "accepted.json")
    (tmp_path / "policy.yaml").write_text(POLICY.replace("level: RequestResponse", "level: Metadata"))
    result = lint(tmp_path, "policy.yaml", "--accepted", "accepted.json")
    assert "no longer occur" in result.stderr


def test_bad_accepted_file_is_an_input_error(tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "accepted.json").write_text("{not json")
    result = lint(tmp_path, "policy.yaml", "--accepted", "accepted.json")
    assert result.returncode == 2
    assert "accepted.json:1:2" in result.stderr and "Traceback" not in result.stderr


def test_diff_base_reports_only_what_the_change_touched(tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    everything = codes(lint(tmp_path, "policy.yaml", "--format", "json"))
    assert "KAL020" in everything

    # unchanged file: nothing is new
    assert codes(lint(tmp_path, "policy.yaml", "--diff-base", "HEAD", "--format", "json")) == []

    # the change adds a rule that logs secrets with bodies before the Metadata rule
    changed = POLICY.replace('  - level: Metadata\n    resources:', '  - level: Request\n    verbs: ["create"]\n'
                             '    resources:\n      - group: ""\n        resources: ["secrets"]\n'
                             '  - level: Metadata\n    resources:', 1)
    (tmp_path / "policy.yaml").write_text(changed)
    new = json.loads(lint(tmp_path, "policy.yaml", "--diff-base", "HEAD", "--format", "json").stdout)["findings"]
    assert new and all(f["line"] in range(7, 12) for f in new), new
    assert any(f["code"] == "KAL020" for f in new)


def test_diff_base_that_is_not_a_commit_is_an_input_error(tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    git(tmp_path, "init", "-q")
    result = lint(tmp_path, "policy.yaml", "--diff-base", "no-such-ref")
    assert result.returncode == 2
    assert "no-such-ref" in result.stderr
