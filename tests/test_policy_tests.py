"""``kube-audit-lint test``: policy unit tests in ``*.audit-test.yaml`` files (review/policytests.py)."""

from __future__ import annotations

import json
import shutil
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kube_audit_lint.cli import app
from kube_audit_lint.engine.evaluate import evaluate
from kube_audit_lint.engine.request import Request
from kube_audit_lint.engine.space import Selector, rule_witnesses
from kube_audit_lint.policy.load import apiserver_read
from kube_audit_lint.policy.model import Level
from kube_audit_lint.review import policytests

REPO = Path(__file__).resolve().parents[1]

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    nonResourceURLs: ["/healthz*"]
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets"]
  - level: Request
    verbs: ["get", "list", "watch"]
    omitManagedFields: true
  - level: RequestResponse
    omitStages: [ResponseStarted]
"""
# the rules start at lines 5, 7, 11 and 14


def run(*args: str):
    return CliRunner().invoke(app, ["test", *args])


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def policy_dir(tmp_path) -> Path:
    (tmp_path / "audit-policy.yaml").write_text(POLICY, encoding="utf-8")
    return tmp_path


def make_test_file(policy_dir: Path, body: str, name: str = "p.audit-test.yaml") -> Path:
    return write(policy_dir, name, "policy: audit-policy.yaml\n" + textwrap.dedent(body))



def results(path: Path) -> list[policytests.Result]:
    report = policytests.run_file(str(path), (1, 36))
    assert report.error is None, report.error
    return report.results


# --------------------------------------------------------------------------------------------
# cases


def test_passing_cases_by_level_rule_index_line_stages_and_managed_fields(policy_dir):
    path = make_test_file(policy_dir, """\
        cases:
          - name: secret reads are metadata
            request: {verb: get, resource: secrets, namespace: prod, name: db, user: alice, groups: [system:authenticated]}
            expect: {level: Metadata, rule: 1, omitStages: [RequestReceived], omitManagedFields: false}
          - name: pod reads log the request
            request: {verb: list, resource: pods, namespace: prod, user: alice}
            expect: {level: Request, rule: {line: 11}, omitManagedFields: true}
          - name: writes log bodies
            request: {verb: create, resource: pods/exec, namespace: prod, name: web, user: alice}
            expect: {level: RequestResponse, rule: 3, omitStages: [ResponseStarted, RequestReceived]}
          - name: health checks are not logged
            request: {verb: get, path: /healthz/etcd, user: kubelet}
            expect: {level: None, rule: {line: 5}}
          - name: an unauthenticated request to an unknown URL
            request: {verb: post, path: /other, unauthenticated: true}
            expect: {level: RequestResponse}
        """)
    found = results(path)
    assert [r.passed for r in found] == [True] * 5
    assert found[2].request.subresource == "exec" and found[4].request.user is None
    assert run(str(path)).exit_code == 0


def test_failing_case_names_the_deciding_rule_and_why_the_expected_one_did_not_match(policy_dir):
    path = make_test_file(policy_dir, """\
        cases:
          - name: create secret
            request: {verb: create, resource: secrets, namespace: prod, user: alice}
            expect: {rule: 2, level: Request}
        """)
    [result] = results(path)
    assert not result.passed
    assert result.rule == 1 and result.rule_line == 7
    assert "rule: expected rule 2 (line 11), got rule 1 (line 7)" in result.failures
    assert "level: expected Request, got Metadata" in result.failures
    assert "decided by rule 1 (line 7): level Metadata" in result.details
    assert 'rule 2 (line 11) does not match: verbs [get list watch] does not contain "create"' in result.details
    out = run(str(path))
    assert out.exit_code == 1
    assert "FAIL" in out.stdout and 'does not contain "create"' in out.stdout


def test_expected_rule_after_the_deciding_one_says_which_rule_comes_first(policy_dir):
    path = make_test_file(policy_dir, """\
        cases:
          - name: get secret
            request: {verb: get, resource: secrets, subresource: "", namespace: prod, user: alice}
            expect: {rule: {line: 14}}
        """)
    [result] = results(path)
    assert result.details[-1] == "rule 3 (line 14) matches, but rule 1 (line 7) comes first"


def test_failing_stages_and_managed_fields(policy_dir):
    path = make_test_file(policy_dir, """\
        cases:
          - name: writes
            request: {verb: update, resource: deployments, apiGroup: apps, namespace: prod, user: alice}
            expect: {omitStages: [RequestReceived], omitManagedFields: true}
        """)
    [result] = results(path)
    assert result.failures == (
        "omitStages: expected [RequestReceived], got [RequestReceived, ResponseStarted]",
        "omitManagedFields: expected true, got false",
    )


# --------------------------------------------------------------------------------------------
# properties


def test_property_proved_and_refuted_with_a_confirmed_counterexample(policy_dir):
    path = make_test_file(policy_dir, """\
        properties:
          - name: no secret body is ever logged
            requests: {resources: [{group: "", resources: [secrets]}]}
            expect: {levelAtMost: Metadata}
          - name: no configmap body is ever logged
            requests: {resources: [{group: "", resources: [configmaps]}]}
            expect: {levelAtMost: Metadata}
          - name: writes to any resource are logged
            requests: {verbs: [create, update], resources: [{group: "*"}]}
            expect: {levelAtLeast: Metadata}
        """)
    proved, refuted, writes = results(path)
    assert proved.passed and writes.passed
    assert not refuted.passed
    assert refuted.failures == ("levelAtMost Metadata: a request is logged at Request",)
    witness = refuted.request
    policy = apiserver_read(str(policy_dir / "audit-policy.yaml")).verdicts[0].policy
    decision = evaluate(policy, witness)
    assert decision.rule == refuted.rule == 2 and decision.level is Level.REQUEST
    assert witness.resource == "configmaps" and witness.api_group == ""
    assert refuted.details[0] == f"counterexample: {witness.describe()}"
    assert "decided by rule 2 (line 11): level Request" in refuted.details[1]


def test_property_level_and_omit_stages(policy_dir):
    path = make_test_file(policy_dir, """\
        properties:
          - name: health probes are never logged
            requests: {nonResourceURLs: ["/healthz*"]}
            expect: {level: None}
          - name: every request omits RequestReceived only
            requests: {}
            expect: {omitStages: [RequestReceived]}
        """)
    probes, stages = results(path)
    assert probes.passed
    assert not stages.passed and stages.rule == 3
    assert "ResponseStarted" in stages.failures[0]


def test_rule_witnesses_cover_every_rule_and_no_rule(policy_dir):
    policy = apiserver_read(str(policy_dir / "audit-policy.yaml")).verdicts[0].policy
    secrets = Selector.from_mapping({"resources": [{"group": "", "resources": ["secrets"]}]})
    found = rule_witnesses(policy, secrets)
    assert set(found) == {0, 1, 2, 3, None}
    assert found[0] is None and found[2] is None and found[3] is None and found[None] is None
    assert evaluate(policy, found[1]).rule == 1 and secrets.contains(found[1])
    everything = rule_witnesses(policy)
    assert everything[None] is None  # the last rule matches everything
    assert all(evaluate(policy, w).rule == rule for rule, w in everything.items() if w is not None)


# --------------------------------------------------------------------------------------------
# real policies


def copy_corpus(corpus_policies: Path, tmp_path: Path, name: str) -> None:
    shutil.copy(corpus_policies / name, tmp_path / name)


def test_real_policy_k8s_website_example(corpus_policies, tmp_path):
    copy_corpus(corpus_policies, tmp_path, "k8s-website-example.yaml")
    path = write(tmp_path, "website.audit-test.yaml", """\
        policy: k8s-website-example.yaml
        cases:
          - name: pod changes are logged with bodies
            request: {verb: create, resource: pods, namespace: prod, user: alice, groups: [system:authenticated]}
            expect: {level: RequestResponse, rule: 0, omitStages: [RequestReceived]}
          - name: the leader-election configmap is not logged
            request: {verb: update, resource: configmaps, namespace: kube-system, name: controller-leader, user: kcm}
            expect: {level: None, rule: {line: 21}}
        properties:
          - name: no secret body is ever logged
            requests: {resources: [{group: "", resources: [secrets]}]}
            expect: {levelAtMost: Metadata}
          - name: no configmap body is ever logged
            requests: {resources: [{group: "", resources: [configmaps]}]}
            expect: {levelAtMost: Metadata}
        """)
    cases_a, cases_b, secrets, configmaps = results(path)
    assert cases_a.passed and cases_b.passed and secrets.passed
    assert not configmaps.passed
    policy = apiserver_read(str(tmp_path / "k8s-website-example.yaml")).verdicts[0].policy
    decision = evaluate(policy, configmaps.request)
    assert decision.level is Level.REQUEST and decision.rule == configmaps.rule
    assert configmaps.request.namespace == "kube-system"


def test_real_policy_gce_refuted_by_the_namespace_controller(corpus_policies, tmp_path):
    copy_corpus(corpus_policies, tmp_path, "gce-configure-helper.yaml")
    path = write(tmp_path, "gce.audit-test.yaml", """\
        policy: gce-configure-helper.yaml
        cases:
          - name: health checks are not logged
            request: {verb: get, path: /healthz, user: kubelet, groups: [system:authenticated]}
            expect: {level: None}
        properties:
          - name: no secret body is ever logged
            requests: {resources: [{group: "", resources: [secrets]}]}
            expect: {levelAtMost: Metadata}
          - name: kube-proxy's watches are never logged
            requests: {users: ["system:kube-proxy"], verbs: [watch], resources: [{group: "", resources: [endpoints]}]}
            expect: {level: None}
        """)
    health, secrets, proxy = results(path)
    assert health.passed and proxy.passed
    assert not secrets.passed
    witness = secrets.request
    policy = apiserver_read(str(tmp_path / "gce-configure-helper.yaml")).verdicts[0].policy
    decision = evaluate(policy, witness)
    assert decision.rule == secrets.rule and decision.level > Level.METADATA
    assert witness.resource == "secrets"
    assert run(str(path)).exit_code == 1


# --------------------------------------------------------------------------------------------
# formats and output


def mixed(policy_dir: Path) -> Path:
    return make_test_file(policy_dir, """\
        cases:
          - name: secret <reads> & "quotes"
            request: {verb: get, resource: secrets, namespace: prod, user: alice}
            expect: {level: Metadata}
          - name: wrong
            request: {verb: get, resource: pods, namespace: prod, user: alice}
            expect: {level: None}
        properties:
          - name: bodies
            requests: {}
            expect: {levelAtMost: Metadata}
        """)


def test_text_format(policy_dir):
    out = run(str(mixed(policy_dir)))
    assert out.exit_code == 1
    lines = out.stdout.splitlines()
    assert lines[0].startswith("PASS ") and lines[0].endswith('case secret <reads> & "quotes"')
    assert any(line.startswith("FAIL ") and line.endswith("case wrong") for line in lines)
    assert any("counterexample: " in line for line in lines)
    assert lines[-1] == "1 passed, 2 failed"


def test_json_format(policy_dir):
    out = run(str(mixed(policy_dir)), "--format", "json")
    assert out.exit_code == 1
    data = json.loads(out.stdout)
    assert (data["passed"], data["failed"], data["errors"], data["kubeVersion"]) == (1, 2, 0, "1.36")
    [entry] = data["files"]
    assert entry["error"] is None and entry["policy"].endswith("audit-policy.yaml")
    kinds = [(r["kind"], r["passed"]) for r in entry["results"]]
    assert kinds == [("case", True), ("case", False), ("property", False)]
    counter = entry["results"][2]
    assert counter["request"]["resource"] and counter["rule"] in (2, 3) and counter["ruleLine"] in (11, 14)


def test_junit_format_is_parsable_and_escaped(policy_dir, tmp_path):
    out = run(str(mixed(policy_dir)), "--format", "junit")
    assert out.exit_code == 1
    root = ET.fromstring(out.stdout)
    assert root.tag == "testsuites" and root.get("failures") == "2"
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 3 and suite.get("tests") == "3" and suite.get("failures") == "2"
    assert cases[0].get("name") == 'case: secret <reads> & "quotes"' and cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == "level: expected None, got Request"
    assert "decided by rule 2 (line 11)" in failure.text


def test_junit_one_testsuite_per_file_and_errors(policy_dir):
    mixed(policy_dir)
    write(policy_dir, "sub/bad.audit-test.yaml", "policy: ../audit-policy.yaml\ncases: 3\n")
    out = run(str(policy_dir), "--format", "junit")
    assert out.exit_code == 2
    root = ET.fromstring(out.stdout)
    suites = root.findall("testsuite")
    assert len(suites) == 2 and root.get("errors") == "1"
    error = suites[1].find("testcase/error")
    assert error is not None and "bad.audit-test.yaml:2:8: cases: expected a list" in error.get("message")


def test_output_file_is_written_and_stdout_stays_empty(policy_dir, tmp_path):
    target = tmp_path / "out" / "report.xml"
    out = run(str(mixed(policy_dir)), "--format", "junit", "--output", str(target))
    assert out.exit_code == 1 and out.stdout == ""
    ET.parse(target)
    assert [p.name for p in target.parent.iterdir()] == ["report.xml"]  # no temporary file left


def test_kube_version_option(policy_dir):
    path = make_test_file(policy_dir, """\
        cases:
          - name: x
            request: {verb: get, resource: secrets, namespace: prod, user: alice}
            expect: {level: Metadata}
        """)
    out = run(str(path), "--kube-version", "1.30", "--format", "json")
    assert out.exit_code == 0 and json.loads(out.stdout)["kubeVersion"] == "1.30"
    assert run(str(path), "--kube-version", "banana").exit_code == 2


# --------------------------------------------------------------------------------------------
# finding files, exit codes, bad files


def test_folder_run_finds_test_files_recursively(policy_dir, monkeypatch):
    make_test_file(policy_dir, """\
        cases:
          - name: a
            request: {verb: get, resource: secrets, namespace: prod, user: alice}
            expect: {level: Metadata}
        """, name="a.audit-test.yaml")
    write(policy_dir, "nested/deeper/b.audit-test.yaml", """\
        policy: ../../audit-policy.yaml
        cases:
          - name: b
            request: {verb: get, path: /healthz, user: kubelet}
            expect: {level: None}
        """)
    write(policy_dir, "nested/not-a-test.yaml", "policy: x\n")
    out = run(str(policy_dir), "--format", "json")
    assert out.exit_code == 0
    files = [Path(f["file"]).name for f in json.loads(out.stdout)["files"]]
    assert files == ["a.audit-test.yaml", "b.audit-test.yaml"]
    monkeypatch.chdir(policy_dir)
    out = run()  # default: the current folder
    assert out.exit_code == 0 and out.stdout.splitlines()[-1] == "2 passed, 0 failed"


@pytest.mark.parametrize("body, position, message", [
    ("cases:\n  - name: x\n    request: {verb: get, resource: secrets, usr: alice}\n    expect: {level: Metadata}\n",
     "4:45", "request: unknown key 'usr'"),
    ("cases:\n  - name: x\n    request: {verb: get, resource: secrets, user: alice}\n    expect: {level: Loud}\n",
     "5:21", "expect.level: expected one of None, Metadata, Request, RequestResponse"),
    ("cases:\n  - name: x\n    request: {verb: get, resource: secrets, user: alice}\n    expect: {rule: 9}\n",
     "5:20", "expect.rule: rule index 9, but the policy has 4 rules"),
    ("cases:\n  - name: x\n    request: {verb: get, resource: secrets, user: alice}\n    expect: {rule: {line: 6}}\n",
     "5:20", "expect.rule: line 6, but no rule of"),
    ("cases:\n  - name: x\n    request: {verb: get, resource: secrets, user: alice}\n    expect: {rule: {line: 9}}\n",
     "5:20", "expect.rule: line 9, but no rule of"),  # the hint: see test_a_line_inside_a_rule_names_it
    ("cases:\n  - name: x\n    request: {verb: get, resource: secrets, path: /x, user: alice}\n    expect: {level: None}\n",
     "4:14", "request: give either resource"),
    ("cases:\n  - name: x\n    request: {resource: secrets}\n    expect: {level: None}\n",
     "4:14", "request: give user"),
    ("cases:\n  - name: x\n    request: {resource: pods, user: a}\n    expect: {omitStages: [Sometimes]}\n",
     "5:27", "expect.omitStages: unknown stage 'Sometimes'"),
    ("properties:\n  - name: x\n    requests: {verbs: get}\n    expect: {levelAtMost: Metadata}\n",
     "4:23", "requests: verbs: expected a list of strings"),
    ("properties:\n  - name: x\n    requests: {colour: blue}\n    expect: {levelAtMost: Metadata}\n",
     "4:16", "requests: request selector: unknown key 'colour'"),
    ("properties:\n  - name: x\n    requests: {}\n    expect: {levelAtMost: Metadata, mostly: true}\n",
     "5:37", "expect: unknown key 'mostly'"),
    ("cases:\n  - request: {resource: pods, user: a}\n    expect: {level: None}\n",
     "3:5", "cases[0]: missing key 'name'"),
    ("surprise: 1\n", "2:1", "test file: unknown key 'surprise'"),
    ("cases:\n  - name: x\n    request: {resource: deployments, user: a}\n    expect: {level: None}\n",
     "4:25", "request.resource: 'deployments' is not served in API group \"\": it is in apps, extensions (add apiGroup: apps)"),
    ("cases:\n  - name: x\n    request: {resource: secret, user: a}\n    expect: {level: None}\n",
     "4:25", "request.resource: unknown resource 'secret' in API group \"\"; did you mean 'secrets'?"),
    ("cases:\n  - name: x\n    request: {verb: lsit, resource: pods, user: a}\n    expect: {level: None}\n",
     "4:21", "request.verb: 'lsit' is not a verb of a resource request; did you mean 'list'?"),
    ("cases:\n  - name: x\n    request: {verb: list, path: /metrics, user: a}\n    expect: {level: None}\n",
     "4:21", "request.verb: 'list' is not a verb of a non-resource request"),
    ("cases: [\n", "3:1", "invalid YAML"),
])
def test_bad_test_file_is_one_line_with_its_position(policy_dir, body, position, message):
    path = write(policy_dir, "bad.audit-test.yaml", "policy: audit-policy.yaml\n" + body)
    out = run(str(path))
    assert out.exit_code == 2
    [line] = out.stderr.splitlines()
    assert line.startswith(f"{path}:{position}: {message}"), line
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("- just\n- a list\n", "test file: expected a mapping, got a list"),
    ("cases: []\n", "missing key 'policy'"),
    ("policy: audit-policy.yaml\n", "no cases and no properties"),
    ("policy: missing.yaml\ncases:\n  - {name: x, request: {resource: pods, user: a}, expect: {level: None}}\n",
     "policy: no such file"),
])
def test_more_bad_files(policy_dir, text, message):
    path = policy_dir / "bad.audit-test.yaml"
    path.write_text(text, encoding="utf-8")
    out = run(str(path))
    assert out.exit_code == 2 and message in out.stderr and "Traceback" not in out.stderr
    assert out.stderr.startswith(f"{path}:")


def test_unloadable_policy_is_reported_at_the_policy(tmp_path):
    (tmp_path / "p.yaml").write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Loud\n")
    path = write(tmp_path, "t.audit-test.yaml", """\
        policy: p.yaml
        cases:
          - {name: x, request: {resource: pods, user: a}, expect: {level: None}}
        """)
    out = run(str(path))
    assert out.exit_code == 2
    assert out.stderr.startswith(f"{tmp_path / 'p.yaml'}:4:12: kube-apiserver 1.36 would refuse this policy")


def test_a_bad_file_does_not_stop_the_others(policy_dir):
    good = make_test_file(policy_dir, """\
        cases:
          - name: fails
            request: {verb: get, resource: pods, namespace: prod, user: alice}
            expect: {level: None}
        """, name="a.audit-test.yaml")
    write(policy_dir, "b.audit-test.yaml", "policy: audit-policy.yaml\ncases: nope\n")
    out = run(str(policy_dir / "b.audit-test.yaml"), str(good), str(policy_dir / "missing.audit-test.yaml"))
    assert out.exit_code == 2
    assert "FAIL" in out.stdout and "1 failed" in out.stdout
    errors = out.stderr.splitlines()
    assert len(errors) == 2 and "b.audit-test.yaml:2:8:" in errors[1] and "missing.audit-test.yaml:1:1:" in errors[0]


def test_exit_codes(policy_dir):
    passing = make_test_file(policy_dir, """\
        cases:
          - {name: x, request: {resource: secrets, user: a}, expect: {level: Metadata}}
        """, name="pass.audit-test.yaml")
    failing = make_test_file(policy_dir, """\
        cases:
          - {name: x, request: {resource: secrets, user: a}, expect: {level: None}}
        """, name="fail.audit-test.yaml")
    assert run(str(passing)).exit_code == 0
    assert run(str(failing)).exit_code == 1
    assert run(str(passing), str(failing)).exit_code == 1
    assert run(str(policy_dir / "nothing-here")).exit_code == 2
    empty = policy_dir / "empty"
    empty.mkdir()
    out = run(str(empty))
    assert out.exit_code == 2 and "no *.audit-test.yaml file" in out.stderr


# --------------------------------------------------------------------------------------------
# the example, the hook


def test_the_example_passes(tmp_path):
    shutil.copytree(REPO / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("plugin"))
    out = run(str(tmp_path / "examples"), "--format", "json")
    assert out.exit_code == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["failed"] == 0 and data["passed"] >= 5


def test_pre_commit_hook_entry():
    from ruamel.yaml import YAML

    hooks = {hook["id"]: hook for hook in YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks["kube-audit-lint-test"]
    assert hook["entry"] == "kube-audit-lint test" and hook["pass_filenames"] is True
    assert hook["files"] == r"\.audit-test\.yaml$"


def test_request_parsing_is_taken_as_written():
    from kube_audit_lint.policy.yamlnodes import parse_documents

    [document] = parse_documents("t.audit-test.yaml", "request: {resource: pods/exec, user: alice, groups: [g]}\n")
    reader = policytests._Reader(document)
    request = policytests.parse_request(reader, document.data["request"], ("request",))
    assert request == Request(user="alice", groups=("g",), verb="get", resource="pods", subresource="exec")


# --------------------------------------------------------------------------------------------
# every real policy: a proved property has no concrete counterexample, a refuted one a confirmed one


def sample_requests(policy, resource: str, count: int = 400) -> list[Request]:
    """Concrete requests on ``resource`` built from the strings the policy names (seeded)."""
    import itertools
    import random

    from kube_audit_lint.kube.api import RESOURCE_VERBS

    users = sorted({u for r in policy.rules for u in r.users} | {"alice"})
    groups = sorted({(g, "system:authenticated") for r in policy.rules for g in r.user_groups}) + [
        ("system:authenticated",)]
    namespaces = sorted({n for r in policy.rules for n in r.namespaces} | {"default", "prod"})
    names = sorted({n for r in policy.rules for e in r.resources for n in e.resource_names} | {"", "db"})
    space = list(itertools.product(users, groups, RESOURCE_VERBS, namespaces, names))
    chosen = random.Random(1).sample(space, min(count, len(space)))
    return [Request(user=u, groups=g, verb=v, resource=resource, namespace=n, name=name)
            for u, g, v, n, name in chosen]


def test_properties_on_every_real_policy_agree_with_concrete_requests(corpus_policies, tmp_path):
    checked = 0
    for source in sorted(corpus_policies.glob("*.yaml")):
        path = write(tmp_path, f"{source.stem}.audit-test.yaml", f"""\
            policy: {source}
            properties:
              - name: no secret body is ever logged
                requests: {{resources: [{{group: "", resources: [secrets]}}]}}
                expect: {{levelAtMost: Metadata}}
              - name: every pod write is logged
                requests: {{verbs: [create, update, patch, delete], resources: [{{group: "", resources: [pods]}}]}}
                expect: {{levelAtLeast: Metadata}}
            """)
        report = policytests.run_file(str(path), (1, 36))
        if report.error is not None:
            assert "would refuse this policy" in report.error or "not an audit policy" in report.error, report.error
            continue
        checked += 1
        policy = apiserver_read(str(source)).verdicts[0].policy
        secrets, pods = report.results
        for result, resource, breaks in ((secrets, "secrets", lambda level: level > Level.METADATA),
                                         (pods, "pods", lambda level: level < Level.METADATA)):
            if result.passed:
                for request in sample_requests(policy, resource):
                    if resource == "pods" and request.verb not in ("create", "update", "patch", "delete"):
                        continue
                    assert not breaks(evaluate(policy, request).level), (source.name, request.describe())
            else:
                decision = evaluate(policy, result.request)
                assert decision.rule == result.rule and breaks(decision.level), (source.name, result)
                assert result.request.resource == resource
    assert checked >= 20


# --------------------------------------------------------------------------------------------
# any test file: a result or a one-line error, never an exception

_scalars = (st.none() | st.booleans() | st.integers(-3, 30) | st.text(max_size=12)
            | st.sampled_from(["None", "Metadata", "RequestResponse", "get", "pods/exec", "/healthz", "secrets",
                               "RequestReceived", "*", "apps", ""]))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=8), inner, max_size=3), max_leaves=10)


def _mapping(keys: tuple[str, ...]):
    return st.dictionaries(st.sampled_from(keys + ("bogus",)), _values, max_size=len(keys)) | _values


_cases = st.lists(st.fixed_dictionaries({}, optional={
    "name": _scalars, "request": _mapping(policytests.REQUEST_KEYS),
    "expect": _mapping(policytests.CASE_EXPECT_KEYS) | st.just({"rule": {"line": 7}})}), max_size=3)
_properties = st.lists(st.fixed_dictionaries({}, optional={
    "name": _scalars, "requests": _mapping(("users", "userGroups", "verbs", "resources", "namespaces",
                                            "nonResourceURLs", "authenticated")),
    "expect": _mapping(policytests.PROPERTY_EXPECT_KEYS)}), max_size=3)
_documents = st.fixed_dictionaries({}, optional={
    "policy": st.just("audit-policy.yaml") | _scalars, "cases": _cases | _values, "properties": _properties | _values})


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=_documents)
def test_any_test_file_gives_results_or_one_error(tmp_path_factory, document):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "audit-policy.yaml").write_text(POLICY, encoding="utf-8")
    path = folder / "f.audit-test.yaml"
    path.write_text(json.dumps(document), encoding="utf-8")
    report = policytests.run_file(str(path), (1, 36))
    if report.error is not None:
        assert "\n" not in report.error and report.error.startswith(f"{path}:")
    out = run(str(path), "--format", "junit")
    assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)
    assert out.exit_code in (0, 1, 2) and "Traceback" not in out.stderr
    ET.fromstring(out.stdout)


def test_a_line_inside_a_rule_names_it(policy_dir):
    path = make_test_file(policy_dir, """\
        cases:
          - {name: x, request: {resource: secrets, user: a}, expect: {rule: {line: 9}}}
        """)
    out = run(str(path))
    assert out.exit_code == 2 and out.stderr.rstrip().endswith("starts at that line (rule 1 (line 7) starts above it)")
