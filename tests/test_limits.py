"""The documented input limits (policy/limits.py): beyond them a file is refused with one line,
``FILE:LINE:COL: ...``, exit status 2, and a lint run goes on with its other files."""

from __future__ import annotations

import time

import pytest

from kube_audit_lint.policy import limits

GOOD = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n"



def policy_with_rules(count: int) -> str:
    return "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n" + "".join(
        f"  - level: Metadata\n    users: [user-{n}]\n" for n in range(count))


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    return str(path)


def test_a_huge_one_line_policy_is_refused_by_size_before_it_is_read(cli, tmp_path, good):
    path = tmp_path / "huge.yaml"
    line = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [" + "{level: Metadata}, " * 3_000_000 + "]\n"
    path.write_text(line)  # about 57 MB
    start = time.perf_counter()
    code, out, err = cli("lint", str(path), good, "--format", "concise")
    assert time.perf_counter() - start < 20  # seconds, not minutes: the text is never parsed
    assert code == 2
    assert err.strip().splitlines() == [
        f"{path}:1:1: the file has {path.stat().st_size:,} bytes; kube-audit-lint reads at most 5 MiB of policy text"]
    assert good in out  # the other file was linted


def test_too_many_rules(cli, tmp_path, monkeypatch, good):
    monkeypatch.setattr(limits, "MAX_RULES", 3)
    path = tmp_path / "rules.yaml"
    path.write_text(policy_with_rules(5))
    code, out, err = cli("lint", str(path), good)
    assert code == 2
    assert err.strip().splitlines() == [f"{path}:10:5: the policy has 5 rules; kube-audit-lint reads at most 3 rules per policy"]
    assert good in out  # the other file was linted
    path.write_text(policy_with_rules(3))
    assert cli("lint", str(path), "--exit-zero")[0] == 0


def test_too_many_documents(cli, tmp_path, monkeypatch, good):
    monkeypatch.setattr(limits, "MAX_DOCUMENTS", 4)
    path = tmp_path / "documents.yaml"
    path.write_text("---\n".join([GOOD] * 5))
    code, out, err = cli("lint", str(path), good)
    assert code == 2
    assert err.strip().splitlines() == [
        f"{path}:25:1: more than 4 YAML documents in the file; kube-audit-lint reads at most 4"]
    assert good in out
    path.write_text("---\n".join([GOOD] * 4))
    assert cli("lint", str(path), "--exit-zero")[0] == 0


def test_validate_refuses_as_well(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_RULES", 2)
    path = tmp_path / "rules.yaml"
    path.write_text(policy_with_rules(3))
    code, _, err = cli("validate", str(path))
    assert code == 2 and err.strip() == f"{path}:8:5: the policy has 3 rules; kube-audit-lint reads at most 2 rules per policy"


def test_only_refused_files(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_POLICY_BYTES", 10)
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD)
    code, out, err = cli("lint", str(path))
    assert code == 2 and out == ""
    assert err.strip() == f"{path}:1:1: the file has {len(GOOD)} bytes; kube-audit-lint reads at most 10 bytes of policy text"
