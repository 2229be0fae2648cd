"""Hostile YAML and JSON: alias bombs, recursive aliases and deep nesting are one-line input errors
with a position, never a hang, a RecursionError or a crash of the interpreter."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from kube_audit_lint.policy.yamlnodes import MAX_DEPTH, InputError, parse_documents, parse_leading_documents

HEADER = "apiVersion: audit.k8s.io/v1\nkind: Policy\n"
RULES = "rules:\n  - level: Metadata\n"


def laughs(levels: int, fanout: int = 9) -> str:
    """The billion-laughs document: each anchor is a list of ``fanout`` aliases of the one before."""
    lines = ["l0: &l0 [" + ", ".join(['"lol"'] * fanout) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * fanout) + "]")
    return HEADER + "\n".join(lines) + "\n" + RULES


def read_error(text: str, path: str = "p.yaml") -> InputError:
    with pytest.raises(InputError) as caught:
        parse_documents(path, text)
    return caught.value


def test_alias_bomb_is_refused_quickly_as_go_yaml_refuses_it():
    start = time.perf_counter()
    error = read_error(laughs(6))
    assert time.perf_counter() - start < 5
    assert error.message == "cannot read YAML: document contains excessive aliasing"
    assert error.line > 1


def test_a_few_levels_of_aliases_still_read():
    # 10 + 90 + 810 scalars: go-yaml decodes this (the ratio rule starts above 1000 decodes)
    (document,) = parse_documents("p.yaml", laughs(2))
    assert len(document.data["l2"]) == 9 and document.data["l2"][0][0] == ["lol"] * 9


def test_an_anchor_reused_by_hundreds_of_rules_reads():
    rules = "".join("  - level: Metadata\n    omitStages: *stages\n" for _ in range(300))
    text = HEADER + "omitStages: &stages [RequestReceived]\nrules:\n" + rules
    (document,) = parse_documents("p.yaml", text)
    assert len(document.data["rules"]) == 300
    assert document.data["rules"][-1]["omitStages"] == ["RequestReceived"]


def test_merge_bomb_through_sequences_of_aliases_is_refused():
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}"]
    lines += [f"m{i}: &m{i} [" + ", ".join([f"*m{i - 1}"] * 9) + "]" for i in range(1, 10)]
    error = read_error(HEADER + "\n".join(lines) + "\n" + RULES)
    assert "excessive aliasing" in error.message


def test_recursive_alias_points_at_the_anchored_node():
    error = read_error(HEADER + "rules: &r\n  - level: Metadata\n    x: *r\n")
    assert (error.line, error.message) == (3, "cannot read YAML: recursive alias")


def test_merge_of_the_mapping_into_itself_is_a_recursive_alias():
    error = read_error(HEADER + "x: &x\n  a: 1\n  <<: *x\n" + RULES)
    assert (error.line, error.message) == (3, "cannot read YAML: recursive alias")


@pytest.mark.parametrize("text, line", [
    (HEADER + "rules:\n  - level: Metadata\n    x: " + "[" * 3000 + "]" * 3000 + "\n", 5),
    (HEADER + "rules:\n  - level: Metadata\n    x:\n"
     + "".join("  " * (i + 3) + "a:\n" for i in range(500)) + "  " * 503 + "b: 1\n", 6 + MAX_DEPTH - 2),
], ids=["flow", "block"])
def test_deep_nesting_is_refused_with_a_position(text, line):
    error = read_error(text)
    assert error.message == f"cannot read YAML: nested more than {MAX_DEPTH} levels deep"
    assert error.line == line


def test_deep_nesting_through_a_chain_of_aliases_is_refused():
    lines = ["a0: &a0\n  x: 1"] + [f"a{i}: &a{i}\n  y: *a{i - 1}" for i in range(1, 300)]
    error = read_error(HEADER + "\n".join(lines) + "\n" + RULES)
    assert error.message == f"cannot read YAML: nested more than {MAX_DEPTH} levels deep"


@pytest.mark.parametrize("separator", ["---\nx: ", "--- "], ids=["own-line", "same-line"])
def test_a_later_document_nested_too_deep_leaves_the_first_readable(separator):
    # kube-apiserver reads only the first document: one it never reads cannot stop it
    text = HEADER + RULES + separator + "[" * 50_000 + "]" * 50_000 + "\n"
    documents, error = parse_leading_documents("p.yaml", text)
    assert [doc.data["rules"] for doc in documents] == [[{"level": "Metadata"}]]
    assert error.line == 6 if separator.endswith("x: ") else error.line == 5
    assert error.message == f"cannot read YAML: nested more than {MAX_DEPTH} levels deep"


def test_deep_json_is_refused_as_json():
    text = '{"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "Metadata", "x": ' \
           + "[" * 5000 + "]" * 5000 + "}]}"
    error = read_error(text, "p.json")
    assert error.message == f"cannot read JSON: nested more than {MAX_DEPTH} levels deep"


def test_nesting_within_the_limit_reads():
    depth = MAX_DEPTH - 10
    text = HEADER + "rules:\n  - level: Metadata\n    x: " + "[" * depth + "1" + "]" * depth + "\n"
    (document,) = parse_documents("p.yaml", text)
    value = document.data["rules"][0]["x"]
    for _ in range(depth - 1):
        (value,) = value
    assert value == [1]


def test_the_pure_parser_refuses_deep_nesting_without_a_recursion_error(monkeypatch):
    monkeypatch.setenv("KUBE_AUDIT_LINT_PURE_YAML", "1")
    error = read_error(HEADER + "x: " + "[" * 900 + "]" * 900 + "\n" + RULES)
    assert "nested more than" in error.message


@pytest.mark.parametrize("command", [["validate"], ["lint"]])
def test_nesting_deep_enough_to_crash_the_c_composer_exits_2(tmp_path, command):
    # libyaml's composer recursed until the interpreter died (SIGSEGV) some 50,000 levels down
    policy = tmp_path / "deep.yaml"
    policy.write_text(HEADER + "x: " + "[" * 200_000 + "]" * 200_000 + "\n" + RULES)
    result = subprocess.run([sys.executable, "-m", "kube_audit_lint", *command, str(policy)],
                            capture_output=True, text=True, timeout=120)
    expected = f"deep.yaml:3:{4 + MAX_DEPTH}: "
    message = f"cannot read YAML: nested more than {MAX_DEPTH} levels deep"
    if command == ["lint"]:  # a finding of its own file; the run goes on
        assert result.returncode == 1, result.stderr
        assert expected + "KAL001 [error] kube-apiserver cannot read this file: " + message in result.stdout
        return
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert expected + message in result.stderr
