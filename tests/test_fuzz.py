"""Generated input for every command: never a traceback, never a hang, always a documented exit code.

Policies (valid and broken YAML and JSON, wrong types, deep nesting, aliases, odd Unicode) go through
lint, validate and explain; events (missing fields, wrong types, huge values, NaN, non-audit JSON)
through replay. Seeded and bounded for CI; a longer campaign:

    KUBE_AUDIT_LINT_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kube_audit_lint.cli import main

EXAMPLES = int(os.environ.get("KUBE_AUDIT_LINT_FUZZ_EXAMPLES", "40"))
SECONDS_PER_INPUT = 30  # far above any real input: a run that takes this long is a hang
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

LEVELS = ["None", "Metadata", "Request", "RequestResponse", "metadata", "", "Everything"]
STAGES = ["RequestReceived", "ResponseStarted", "ResponseComplete", "Panic", "Nope"]
RULE_KEYS = ["level", "users", "userGroups", "verbs", "resources", "namespaces", "nonResourceURLs",
             "omitStages", "omitManagedFields", "resource", "verb"]
GOOD_POLICY = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n"

scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True)
           | st.text(max_size=30) | st.sampled_from(LEVELS + STAGES + ["*", "pods/*", "/healthz*", "v1", "apps/v1"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                      max_leaves=20)
rules = st.dictionaries(st.sampled_from(RULE_KEYS), values | st.lists(st.sampled_from(["get", "pods", "*", "kube-system"]), max_size=3),
                        max_size=5)
policies = st.fixed_dictionaries(
    {"apiVersion": st.sampled_from(["audit.k8s.io/v1", "audit.k8s.io/v1beta1", "v1", ""]) | values,
     "kind": st.sampled_from(["Policy", "policy", "ConfigMap"]) | values},
    optional={"rules": st.lists(rules, max_size=6) | values, "omitStages": st.lists(st.sampled_from(STAGES), max_size=3) | values,
              "omitManagedFields": values, "spec": values})


def render(document, how: str) -> str:
    if how == "json":
        return json.dumps(document, allow_nan=True)
    from io import StringIO

    from ruamel.yaml import YAML

    out = StringIO()
    YAML(typ="safe", pure=True).dump(document, out)
    return out.getvalue()


@st.composite
def policy_texts(draw) -> str:
    """A policy document as YAML or JSON, sometimes damaged, nested, aliased or not text at all."""
    kind = draw(st.sampled_from(["yaml", "json", "cut", "spliced", "nested", "aliases", "unicode"]))
    document = draw(policies)
    try:
        text = render(document, "json" if kind == "json" else "yaml")
    except Exception:  # noqa: BLE001 - a value the serialiser refuses: use its JSON form
        text = json.dumps(document, allow_nan=True, default=str)
    if kind == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif kind == "spliced":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["\t", ": :", "- [", "{", "&a ", "*a", "!!binary x", "\x00", "---\n", "%YAML 1.1\n"])) + text[at:]
    elif kind == "nested":
        depth = draw(st.integers(1, 3000))
        text = GOOD_POLICY + "    users: " + "[" * depth + "]" * draw(st.integers(0, depth)) + "\n"
    elif kind == "aliases":
        width = draw(st.integers(1, 12))
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, width)]
        text = "\n".join(lines) + "\n" + GOOD_POLICY
    elif kind == "unicode":
        text = GOOD_POLICY.replace("Metadata", draw(st.text(min_size=1, max_size=20)))
    return text


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: int):
    def alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(*args: str) -> tuple[int, str]:
    """The console entry point in this process, with its own stdout and stderr: (exit code, stderr)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    saved = sys.argv, sys.stdout, sys.stderr
    sys.argv, sys.stdout, sys.stderr = ["kube-audit-lint", *args], out, err
    try:
        with time_limit(SECONDS_PER_INPUT):
            try:
                main()
                code = 0
            except SystemExit as exited:
                code = exited.code if isinstance(exited.code, int) else 0
    finally:
        sys.argv, sys.stdout, sys.stderr = saved
    err.flush()
    return code, err.buffer.getvalue().decode("utf-8", "replace")


def assert_handled(code: int, err: str, allowed=(0, 1, 2)) -> None:
    assert code in allowed, err
    assert "Traceback" not in err and "internal error" not in err, err


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="kube-audit-lint-fuzz-") as folder:
        yield Path(folder)


@FUZZ
@given(text=policy_texts(), as_bytes=st.booleans())
def test_lint_validate_and_explain_handle_any_policy(workdir, text, as_bytes):
    path = workdir / "policy.yaml"
    path.write_bytes(text.encode("utf-16") if as_bytes else text.encode("utf-8", "surrogatepass"))
    for command in (["lint", str(path), "--format", "json"], ["validate", str(path)],
                    ["explain", str(path), "--verb", "get", "--resource", "pods", "--namespace", "default",
                     "--user", "alice", "--group", "system:authenticated"]):
        code, err = run_cli(*command)
        assert_handled(code, err)


event_fields = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(["Event", "EventList", "Pod"]) | values,
        "apiVersion": st.sampled_from(["audit.k8s.io/v1", "audit.k8s.io/v1beta1"]) | values,
        "level": st.sampled_from(LEVELS) | values,
        "auditID": st.uuids().map(str) | values,
        "stage": st.sampled_from(STAGES) | values,
        "verb": st.sampled_from(["get", "list", "create", "watch", "frobnicate"]) | values,
        "requestURI": st.sampled_from(["/healthz", "/api/v1/namespaces/default/pods", "/api", ""]) | values,
        "user": st.fixed_dictionaries({}, optional={"username": st.text(max_size=20) | values,
                                                    "groups": st.lists(st.text(max_size=20), max_size=3) | values}) | values,
        "objectRef": st.fixed_dictionaries({}, optional={"resource": st.sampled_from(["pods", "secrets", ""]) | values,
                                                         "namespace": st.text(max_size=10) | values,
                                                         "subresource": st.sampled_from(["exec", "status"]) | values,
                                                         "apiGroup": st.sampled_from(["", "apps"]) | values}) | values,
        "requestObject": values,
    })
event_lines = st.one_of(
    event_fields.map(lambda event: json.dumps(event, allow_nan=True)),
    values.map(lambda value: json.dumps(value, allow_nan=True)),
    st.text(max_size=200).map(lambda text: text.replace("\n", " ")),
    st.integers(1, 5000).map(lambda digits: '{"kind": "Event", "auditID": ' + "9" * digits + "}"),
    # what the bounded-input work is about: nesting beyond the parser, lone surrogates, a byte-order
    # mark, huge numbers where the request attributes are, wrappers of the managed platforms
    st.integers(900, 20_000).map(lambda depth: '{"kind": "Event", "verb": "get", "requestURI": "/x", "requestObject": '
                                 + "[" * depth + "]" * depth + "}"),
    st.integers(900, 5_000).map(lambda depth: '{"kind": "Event", "user": ' + "{\"a\": " * depth + "1" + "}" * depth + "}"),
    st.sampled_from(['{"kind": "Event", "verb": "get\\ud800", "requestURI": "/x"}', "\ufeff" + '{"kind": "Event"}',
                     '{"kind": "Event", "verb": 1' + "0" * 5000 + "}",
                     '{"events": [{"message": "{\\"kind\\": \\"Event\\", \\"verb\\": \\"get\\"}"}]}',
                     '{"records": [{"category": "kube-audit", "properties": {"log": "{\\"kind\\": \\"Ev"}}]}',
                     '{"protoPayload": {"serviceName": "k8s.io", "methodName": "io.k8s.core.v1.pods.get", '
                     '"resourceName": "core/v1/namespaces/a/pods/b"}}', '{"awslogs": {"data": "%%%"}}']),
)


@FUZZ
@given(lines=st.lists(event_lines, max_size=30))
def test_replay_handles_any_log(workdir, lines):
    policy = workdir / "replay-policy.yaml"
    policy.write_text(GOOD_POLICY.replace("  - level: Metadata\n", "  - level: None\n    users: [alice]\n  - level: Request\n"))
    log = workdir / "audit.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    for args in (["--format", "jsonl"], ["--format", "json"], ["--strict"]):
        code, err = run_cli("replay", str(policy), str(log), "--jobs", "1", *args)
        assert_handled(code, err, allowed=(0, 2))


@settings(max_examples=max(5, EXAMPLES // 8), deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1))
def test_replay_with_two_workers_writes_what_one_writes(workdir, seed):
    """A generated log long enough to be cut into several tasks, decided the same either way."""
    import random

    rng = random.Random(seed)
    policy = workdir / "jobs-policy.yaml"
    policy.write_text(GOOD_POLICY.replace("  - level: Metadata\n", "  - level: None\n    verbs: [watch]\n  - level: Request\n    resources: [{group: '', resources: [secrets]}]\n  - level: Metadata\n"))
    log = workdir / "jobs.log"
    with log.open("w") as handle:
        for i in range(rng.randrange(20000, 60000)):
            verb = rng.choice(["get", "list", "watch", "create"])
            resource = rng.choice(["pods", "secrets", "configmaps"])
            event = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": f"id-{i}",
                     "stage": "ResponseComplete", "verb": verb, "requestURI": f"/api/v1/namespaces/ns{i % 7}/{resource}",
                     "user": {"username": rng.choice(["alice", "system:kube-proxy"]), "groups": ["system:authenticated"]},
                     "objectRef": {"resource": resource, "namespace": f"ns{i % 7}", "apiVersion": "v1"},
                     "requestObject": {"padding": "x" * rng.randrange(0, 400)}}
            handle.write(json.dumps(event) + "\n")
    outputs = []
    for jobs in ("1", "2"):
        out = workdir / f"out-{jobs}.jsonl"
        code, err = run_cli("replay", str(policy), str(log), "--jobs", jobs, "--force-jobs", "--format", "jsonl", "--output", str(out))
        assert_handled(code, err, allowed=(0,))
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
