"""Hostile strings from policies, logs and file names, through every command and format: terminals
never get control characters raw, Markdown never gets live HTML, links or broken table rows."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app

HOSTILE = ["\x1b[31mRED\x1b[0m", "bell\x07", "cr\roverwrite", "rlo\u202eevil", "<img src=x onerror=alert(2)>",
           "<script>alert(1)</script>", "](javascript:alert(1))", "a|b\nnew row"]
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def yaml_quoted(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


POLICY = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n" + "".join(
    f"- level: None\n  users: [{yaml_quoted(h)}]\n  {yaml_quoted('verb' + h)}: [get]\n" for h in HOSTILE) + \
    "- level: Metadata\n"


def events() -> str:
    out = []
    for i, h in enumerate(HOSTILE):
        out.append(json.dumps({"kind": "Event", "auditID": f"a{i}{h}", "stage": "ResponseComplete", "verb": "get",
                               "requestURI": f"/api/v1/namespaces/ns/secrets/s{h}",
                               "user": {"username": h, "groups": [h]},
                               "objectRef": {"resource": "secrets", "namespace": f"ns{h}", "name": f"s{h}"}}))
        out.append(json.dumps({"kind": "Event", "verb": f"get{h}", "requestURI": "/x", "user": {"username": h},
                               "stage": "ResponseComplete"}))
    out.append('{"kind": "' + HOSTILE[0] + '", "verb": 1}')
    return "\n".join(out) + "\n"


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    policy = folder / "\x1b[31mpolicy](javascript:alert(1)).yaml"
    policy.write_text(POLICY)
    old = folder / "old.yaml"
    old.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n")
    log = folder / "audit\x07<img>.log"
    log.write_text(events())
    return str(policy), str(old), str(log)


def run(*args):
    result = CliRunner().invoke(app, list(args), env={"NO_COLOR": "1"})
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    return result


def assert_terminal_safe(text: str) -> None:
    assert not CONTROLS.search(text), repr(CONTROLS.search(text).group())


def outside_code(text: str) -> str:
    """The Markdown without its fenced blocks and code spans (where nothing is interpreted)."""
    text = re.sub(r"^(`{3,})[^\n]*\n.*?^\1\s*$", "", text, flags=re.S | re.M)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)


def assert_markdown_safe(text: str) -> None:
    assert_terminal_safe(text)
    text = outside_code(text)
    assert "<script" not in text and "<img" not in text
    assert not re.search(r"(?<!\\)\]\(javascript:", text)
    in_table = False
    for line in text.splitlines():
        if line.startswith("|"):
            in_table = True
        elif in_table and line.strip():
            assert not line.startswith(("new row", "b")), f"a table row was split: {line!r}"
            in_table = False


def test_lint_text_and_concise(files):
    policy, _, _ = files
    for fmt in ("text", "concise"):
        result = run("lint", policy, "--format", fmt)
        assert_terminal_safe(result.stdout + result.stderr)


def test_lint_markdown(files):
    policy, _, _ = files
    assert_markdown_safe(run("lint", policy, "--format", "markdown").stdout)


def test_replay_summary_and_markdown(files):
    policy, old, log = files
    assert_terminal_safe(run("replay", policy, log).output)
    assert_markdown_safe(run("replay", policy, log, "--format", "markdown").stdout)
    assert_terminal_safe(run("replay", policy, log, "--compare", old).output)
    assert_markdown_safe(run("replay", policy, log, "--compare", old, "--format", "markdown").stdout)
    assert_terminal_safe(run("replay", policy, log, "--cost").output)
    jsonl = run("replay", policy, log, "--format", "jsonl")
    assert_terminal_safe(jsonl.stderr)


def test_explain_and_filter(files):
    policy, _, log = files
    assert_terminal_safe(run("explain", policy, "--event", f"{log}:1").output)
    assert_terminal_safe(run("explain", policy, "--user", HOSTILE[0], "--resource", "secrets").output)
    assert_terminal_safe(run("filter", policy, log).stderr)


def test_diff(files):
    policy, old, _ = files
    assert_terminal_safe(run("diff", old, policy).output)
    assert_markdown_safe(run("diff", old, policy, "--format", "markdown").stdout)


def test_report_markdown(files, tmp_path):
    policy, _, log = files
    assert_markdown_safe(run("report", policy, "--events", log, "--format", "md", "-o", "-").stdout)
