"""`kube-audit-lint diff`: exact request-level differences between two policies.

Equivalence: every corpus policy, rewritten in ways that decide every request the same (JSON
instead of YAML, lists reordered, duplicates, rules split by verb/resource/URL/user, merged back,
redundant rule-level omitStages), has no difference. Exactness: one-rule changes give exactly the
expected classes and outcomes; and on real and generated requests, every request two policies
decide differently lies in a class the diff reports with that very change (completeness), while
every reported witness is decided as reported (soundness, checked inside the analysis too).
"""

from __future__ import annotations

import copy
import json
import random
import subprocess
import textwrap
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from kube_audit_lint.engine.evaluate import evaluate
from kube_audit_lint.engine.request import Request
from kube_audit_lint.engine.space import RequestSpace
from kube_audit_lint.kube.api import ANONYMOUS_USER, AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP, request_problem
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.model import Level
from kube_audit_lint.review.diff_render import render
from kube_audit_lint.checks._policy_changes import effect_of
from kube_audit_lint.review.semdiff import OTHER_ID, diff_policies, named_classes, sensitive_class_ids
from kube_audit_lint.review.sources import SourceError, read_policy
from kube_audit_lint.commands.diff import DiffOptions, run_diff

HEAD = "apiVersion: audit.k8s.io/v1\nkind: Policy\n"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def policy_file(tmp_path: Path, name: str, body: str) -> str:
    return write(tmp_path, name, HEAD + textwrap.dedent(body))


def load(path: str):
    return read_policy(path, versions.DEFAULT)


def loadable_corpus(corpus_policies: Path) -> list[Path]:
    paths = []
    for path in sorted(corpus_policies.glob("*.yaml")):
        try:
            load(str(path))
        except SourceError:
            continue
        paths.append(path)
    return paths


CORPUS = sorted((Path(__file__).resolve().parents[2] / "shared" / "corpus" / "policies").glob("*.yaml"))


def corpus_params():
    if not CORPUS:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared/corpus/policies not present"))]
    return [pytest.param(p, id=p.stem) for p in CORPUS]


# --------------------------------------------------------------------------------------------
# Rewritings that keep every decision


def data_of(path: Path) -> dict:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def reorder(data: dict) -> dict:
    """Every list inside a rule reversed (the order within a field never matters)."""
    data = copy.deepcopy(data)
    for rule in data.get("rules") or []:
        for key in ("verbs", "users", "userGroups", "namespaces", "nonResourceURLs", "omitStages"):
            if isinstance(rule.get(key), list):
                rule[key] = list(reversed(rule[key]))
        for entry in rule.get("resources") or []:
            for key in ("resources", "resourceNames"):
                if isinstance(entry.get(key), list):
                    entry[key] = list(reversed(entry[key]))
        if isinstance(rule.get("resources"), list):
            rule["resources"] = list(reversed(rule["resources"]))
    if isinstance(data.get("omitStages"), list):
        data["omitStages"] = list(reversed(data["omitStages"]))
    return data


def duplicate(data: dict) -> dict:
    """Every list item doubled and every rule repeated right after itself."""
    data = copy.deepcopy(data)
    rules = []
    for rule in data.get("rules") or []:
        for key in ("verbs", "users", "userGroups", "namespaces", "nonResourceURLs"):
            if rule.get(key):
                rule[key] = rule[key] + rule[key][:1]
        rules += [rule, copy.deepcopy(rule)]
    data["rules"] = rules
    return data


SPLITTABLE = ("verbs", "users", "userGroups", "nonResourceURLs", "resources", "namespaces")


def split(data: dict) -> dict:
    """Each rule with several values in a field becomes consecutive rules, one value each: a
    request matches one of them exactly when it matches the rule."""
    data = copy.deepcopy(data)
    rules = []
    for rule in data.get("rules") or []:
        key = next((k for k in SPLITTABLE if isinstance(rule.get(k), list) and len(rule[k]) > 1), None)
        if key is None:
            rules.append(rule)
            continue
        for value in rule[key]:
            part = copy.deepcopy(rule)
            part[key] = [value]
            rules.append(part)
    data["rules"] = rules
    return data


def redundant_stages(data: dict) -> dict:
    """Each rule repeats the policy-level omitStages; a None rule omits every stage."""
    data = copy.deepcopy(data)
    policy_stages = data.get("omitStages") or []
    for rule in data.get("rules") or []:
        if rule.get("level") == "None":
            rule["omitStages"] = ["RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"]
        elif policy_stages:
            rule["omitStages"] = list(dict.fromkeys(list(rule.get("omitStages") or []) + policy_stages))
    return data


REWRITES = {"reordered": reorder, "duplicated": duplicate, "split": split, "redundant-stages": redundant_stages,
            "all": lambda d: redundant_stages(split(duplicate(reorder(d))))}


@pytest.mark.parametrize("path", corpus_params())
def test_rewritten_corpus_policies_decide_every_request_the_same(path, tmp_path):
    try:
        original = load(str(path))
    except SourceError:
        pytest.skip(f"{path.name}: kube-apiserver would refuse it; nothing to compare")
    data = data_of(path)
    as_json = write(tmp_path, "policy.json", json.dumps(data))
    assert not diff_policies(original, load(as_json)).changed
    for name, rewrite in REWRITES.items():
        rewritten = load(write(tmp_path, f"{name}.json", json.dumps(rewrite(data))))
        assert len(rewritten.rules) >= len(original.rules)
        there = diff_policies(original, rewritten)
        back = diff_policies(rewritten, original)  # the split policy merged back into the original
        assert not there.changed, (name, render(there, "text"))
        assert not back.changed, (name, render(back, "text"))


def test_cli_says_no_request_changes_outcome_for_a_rewritten_policy(tmp_path, capsys):
    old = policy_file(tmp_path, "old.yaml", """\
        omitStages: [RequestReceived]
        rules:
          - level: None
            nonResourceURLs: ["/healthz*", "/version"]
          - level: Metadata
            resources: [{group: "", resources: [secrets, configmaps]}]
          - level: Request
            verbs: [create, update]
            resources: [{group: apps}]
          - level: Metadata
    """)
    new = write(tmp_path, "new.json", json.dumps({
        "apiVersion": "audit.k8s.io/v1", "kind": "Policy", "omitStages": ["RequestReceived"],
        "rules": [
            {"level": "None", "nonResourceURLs": ["/version"], "omitStages": ["RequestReceived"]},
            {"level": "None", "nonResourceURLs": ["/healthz*", "/healthz*"]},
            {"level": "Metadata", "resources": [{"group": "", "resources": ["configmaps"]}]},
            {"level": "Metadata", "resources": [{"group": "", "resources": ["secrets"]}]},
            {"level": "Request", "verbs": ["update", "create"], "resources": [{"group": "apps"}]},
            {"level": "Metadata", "verbs": ["get"]},
            {"level": "Metadata"},
        ]}))
    for fmt in ("text", "markdown", "json"):
        assert run_diff(DiffOptions(old, new, fmt)) == 0
        out = capsys.readouterr().out
        if fmt == "json":
            doc = json.loads(out)
            assert doc["changed"] is False and doc["classes"] == [] and doc["summary"]["changes"] == 0
        else:
            assert "no request changes outcome" in out


# --------------------------------------------------------------------------------------------
# One-rule changes: exactly the expected classes


def changes_by_class(diff) -> dict[str, set[tuple[str, str]]]:
    return {c.id: {(ch.old.describe(), ch.new.describe()) for ch in c.changes} for c in diff.classes}


def test_secret_writes_raised_to_request_is_exactly_that(tmp_path):
    old = load(policy_file(tmp_path, "old.yaml", """\
        rules:
          - level: Metadata
            resources: [{group: "", resources: [secrets]}]
          - level: Metadata
    """))
    new = load(policy_file(tmp_path, "new.yaml", """\
        rules:
          - level: Request
            verbs: [create, update, patch, delete, deletecollection]
            resources: [{group: "", resources: [secrets]}]
          - level: Metadata
            resources: [{group: "", resources: [secrets]}]
          - level: Metadata
    """))
    diff = diff_policies(old, new)
    by_class = changes_by_class(diff)
    assert by_class["secrets-writes"] == {("Metadata", "Request")}
    assert "secrets-reads" not in by_class
    assert diff.classes[0].id == "secrets-writes" and diff.classes[0].sensitive
    assert not diff.unlogged
    for group in diff.classes:
        for change in group.changes:
            w = change.witness
            assert w.resource == "secrets" and w.api_group == "" and w.verb in ("create", "update", "patch", "delete", "deletecollection")
            assert evaluate(old, w).level is Level.METADATA and evaluate(new, w).level is Level.REQUEST
            assert change.old_rules == (0,) and change.new_rules == (0,)
    # the requests outside any class are reported too: writes to secrets by failed authentication
    assert set(by_class) <= {"secrets-writes", "unauthenticated", "anonymous"}


def test_dropping_a_catch_all_reports_what_becomes_unlogged(tmp_path):
    old = load(policy_file(tmp_path, "old.yaml", """\
        rules:
          - level: None
            users: ["system:kube-proxy"]
          - level: Metadata
    """))
    new = load(policy_file(tmp_path, "new.yaml", """\
        rules:
          - level: None
            users: ["system:kube-proxy"]
          - level: Metadata
            resources: [{group: "", resources: [secrets]}]
    """))
    diff = diff_policies(old, new)
    assert diff.changed
    assert all(ch.new.level is Level.NONE and ch.old.level is Level.METADATA for c in diff.classes for ch in c.changes)
    assert "secrets-reads" not in changes_by_class(diff) and "secrets-writes" not in changes_by_class(diff)
    assert {c.id for c, _ in diff.unlogged} >= {"pods-exec", "rbac-writes", "health-urls", OTHER_ID}
    text = render(diff, "text")
    assert "Becomes unlogged:" in text
    non_resource = [ch.witness for c in diff.classes if c.id == "health-urls" for ch in c.changes]
    assert non_resource and not non_resource[0].resource_request
    doc = json.loads(render(diff, "json"))
    health = next(c for c in doc["classes"] if c["id"] == "health-urls")
    witness = health["changes"][0]["witness"]
    assert set(witness) == {"user", "groups", "verb", "path"}
    assert doc["classes"][0]["sensitive"] is True


def test_stage_and_managed_fields_changes_are_outcomes_and_normalised(tmp_path):
    old = load(policy_file(tmp_path, "old.yaml", """\
        rules:
          - level: None
            resources: [{group: "", resources: [events]}]
            omitStages: [RequestReceived]
          - level: Metadata
            resources: [{group: "", resources: [pods]}]
            omitManagedFields: true
          - level: Request
            resources: [{group: "", resources: [configmaps]}]
    """))
    new = load(policy_file(tmp_path, "new.yaml", """\
        omitManagedFields: true
        rules:
          - level: None
            resources: [{group: "", resources: [events]}]
          - level: Metadata
            resources: [{group: "", resources: [pods]}]
          - level: Request
            resources: [{group: "", resources: [configmaps]}]
            omitStages: [ResponseStarted]
    """))
    diff = diff_policies(old, new)
    by_class = changes_by_class(diff)
    # None ignores stages, Metadata ignores omitManagedFields: events and pods are unchanged
    assert not {"events", "pods-reads", "pods-writes", "pods-deletions"} & set(by_class)
    assert by_class["configmaps-reads"] == {("Request", "Request (omitting ResponseStarted) without managedFields")}


def test_every_stage_omitted_is_unlogged(tmp_path):
    old = load(policy_file(tmp_path, "old.yaml", "rules:\n  - level: Metadata\n"))
    new = load(policy_file(tmp_path, "new.yaml", """\
        rules:
          - level: Metadata
            omitStages: [RequestReceived, ResponseStarted, ResponseComplete]
    """))
    diff = diff_policies(old, new)
    assert diff.changed and len(diff.unlogged) == sum(len(c.changes) for c in diff.classes)


def test_kube_version_decides_the_wildcard_group(tmp_path):
    old = load(policy_file(tmp_path, "old.yaml", """\
        rules:
          - level: Request
            resources: [{group: "*", resources: [secrets]}]
          - level: Metadata
    """))
    new = load(policy_file(tmp_path, "new.yaml", """\
        rules:
          - level: Request
            resources: [{group: "", resources: [secrets]}]
          - level: Request
            resources: [{group: "*", resources: [secrets]}]
          - level: Metadata
    """))
    assert not diff_policies(old, new).changed
    major, minor = versions.WILDCARD_GROUP
    before = (major, minor - 1)
    diff = diff_policies(old, new, before)
    # before group "*" was a wildcard it matched the literal group "*" only: core secrets change
    assert changes_by_class(diff)["secrets-reads"] == {("Metadata", "Request")}


# --------------------------------------------------------------------------------------------
# Completeness and soundness against plain evaluation


def realistic(request: Request) -> Request:
    """A request as kube-apiserver presents it (see checks/_request_space.py)."""
    from dataclasses import replace

    if request.user is None or request.user == "":
        return replace(request, user=None, groups=())
    if request.user == ANONYMOUS_USER:
        return replace(request, groups=(UNAUTHENTICATED_GROUP,))
    groups = tuple(g for g in request.groups if g not in (AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP))
    return replace(request, groups=(AUTHENTICATED_GROUP,) + groups)


def generated_requests(policies, count: int, seed: int) -> list[Request]:
    """Requests built from the values the policies name, and realistic ones."""
    rng = random.Random(seed)
    users, groups, verbs, groups_api, resources, namespaces, names, paths = (
        {"alice", ANONYMOUS_USER, None}, {"system:serviceaccounts", "system:nodes"},
        {"get", "list", "watch", "create", "update", "patch", "delete"}, {"", "apps", "example.com"},
        {"pods", "secrets", "configmaps", "pods/exec", "serviceaccounts/token"}, {"", "default", "kube-system"},
        {"", "example"}, {"/healthz", "/metrics", "/api/v1", "/other"})
    for policy in policies:
        for rule in policy.rules:
            users |= set(rule.users)
            groups |= set(rule.user_groups)
            verbs |= set(rule.verbs)
            namespaces |= set(rule.namespaces)
            paths |= {u.rstrip("*") + ("x" if u.endswith("*") else "") for u in rule.non_resource_urls}
            for entry in rule.resources:
                groups_api.add(entry.group)
                names |= set(entry.resource_names)
                resources |= {r.replace("*", "x") for r in entry.resources}
    pools = [sorted(s, key=str) for s in (users, groups, verbs, groups_api, resources, namespaces, names, paths)]
    users, groups, verbs, groups_api, resources, namespaces, names, paths = pools
    out = []
    for _ in range(count):
        user = rng.choice(users)
        member = tuple(g for g in groups if rng.random() < 0.3)
        if rng.random() < 0.2:
            out.append(realistic(Request(user=user, groups=member, verb=rng.choice(verbs), resource_request=False,
                                         path=rng.choice(paths) or "/")))
            continue
        resource, _, subresource = rng.choice(resources).partition("/")
        out.append(realistic(Request(user=user, groups=member, verb=rng.choice(verbs), api_group=rng.choice(groups_api),
                                     resource=resource or "pods", subresource=subresource,
                                     namespace=rng.choice(namespaces), name=rng.choice(names))))
    return out


def event_requests(shared_dir: Path, limit: int = 400) -> list[Request]:
    from kube_audit_lint.replay.events import event_to_request

    out = []
    for path in sorted((shared_dir / "corpus" / "events").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[:limit]:
            try:
                out.append(realistic(event_to_request(json.loads(line))))
            except (ValueError, TypeError):
                continue
    return out


def assert_complete_and_sound(old, new, requests) -> int:
    diff = diff_policies(old, new)
    classes = {c.id: c for c in named_classes()}
    reported = {c.id: {(ch.old, ch.new) for ch in c.changes} for c in diff.classes}
    differing = 0
    for request in requests:
        if request_problem(request) is not None:
            continue  # no such request reaches kube-apiserver (requestinfo.go): the diff need not report it
        before = effect_of(old, evaluate(old, request).rule)
        after = effect_of(new, evaluate(new, request).rule)
        if before == after:
            continue
        differing += 1
        homes = [cid for cid, c in classes.items() if c.source.contains(request)] or [OTHER_ID]
        assert any((before, after) in reported.get(cid, ()) for cid in homes), (
            f"{request.describe()}: {before.describe()} -> {after.describe()} not reported in {homes}")
    for group in diff.classes:
        for change in group.changes:
            w = change.witness
            assert effect_of(old, evaluate(old, w).rule) == change.old
            assert effect_of(new, evaluate(new, w).rule) == change.new
            if group.id != OTHER_ID:
                assert classes[group.id].source.contains(w), (group.id, w.describe())
            else:
                assert not any(c.source.contains(w) for c in classes.values()), w.describe()
            assert w.user is None or AUTHENTICATED_GROUP in w.groups or w.groups == (UNAUTHENTICATED_GROUP,)
    return differing


def test_corpus_pairs_every_differing_request_is_reported(corpus_policies, shared_dir):
    paths = loadable_corpus(corpus_policies)
    policies = [load(str(p)) for p in paths]
    events = event_requests(shared_dir)
    rng = random.Random(12)
    pairs = [(policies[i], policies[i + 1]) for i in range(0, len(policies) - 1, 2)]
    pairs += [tuple(rng.sample(policies, 2)) for _ in range(4)]
    total = 0
    for seed, (old, new) in enumerate(pairs):
        total += assert_complete_and_sound(old, new, events + generated_requests([old, new], 600, seed))
    assert total > 1000  # the comparison really exercised differences


def test_one_rule_edits_of_corpus_policies_are_complete(corpus_policies):
    """Each rule's level changed in turn: the diff holds every request the edit affects."""
    for path in loadable_corpus(corpus_policies)[:12]:
        data = data_of(path)
        rules = data.get("rules") or []
        old = load(str(path))
        for index in range(0, len(rules), max(1, len(rules) // 3)):
            edited = copy.deepcopy(data)
            edited["rules"][index]["level"] = "None" if rules[index].get("level") != "None" else "RequestResponse"
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                new = load(write(Path(tmp), "edited.json", json.dumps(edited)))
            assert_complete_and_sound(old, new, generated_requests([old, new], 150, index))
            diff = diff_policies(old, new)
            # only the edited rule's requests change, and they change when someone reaches it
            assert all(ch.old_rules == (index,) and ch.new_rules == (index,) for c in diff.classes for ch in c.changes)
            assert diff.changed == (RequestSpace(old).reachable(index) is not None)


# --------------------------------------------------------------------------------------------
# The command: inputs, exit codes, formats, escaping


def test_exit_codes_and_bad_input(tmp_path, capsys):
    same = policy_file(tmp_path, "same.yaml", "rules:\n  - level: Metadata\n")
    other = policy_file(tmp_path, "other.yaml", "rules:\n  - level: Request\n")
    assert run_diff(DiffOptions(same, same)) == 0
    assert run_diff(DiffOptions(same, other)) == 1
    capsys.readouterr()
    broken = write(tmp_path, "broken.yaml", HEAD + "rules:\n  - level: Metadata\n   bad: [\n")
    assert run_diff(DiffOptions(same, broken)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{broken}:" in err and "Traceback" not in err
    refused = policy_file(tmp_path, "refused.yaml", "rules:\n  - level: Loud\n")
    assert run_diff(DiffOptions(refused, same)) == 2
    err = capsys.readouterr().err
    assert "would refuse" in err and f"{refused}:4:12:" in err
    assert run_diff(DiffOptions(str(tmp_path / "missing.yaml"), same)) == 2
    not_policy = write(tmp_path, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\n")
    assert run_diff(DiffOptions(not_policy, same)) == 2
    assert "not an audit policy" in capsys.readouterr().err


@pytest.mark.parametrize("path", corpus_params())
def test_every_corpus_policy_against_itself_is_unchanged_or_refused(path, capsys):
    code = run_diff(DiffOptions(str(path), str(path)))
    captured = capsys.readouterr()
    assert code in (0, 2), captured.err
    if code == 2:
        assert "would refuse" in captured.err and "Traceback" not in captured.err
    else:
        assert "no request changes outcome" in captured.out


def test_git_ref_sources(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)

    def git(*args):
        subprocess.run(["git", *args], check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    (repo / "audit").mkdir()
    (repo / "audit" / "policy.yaml").write_text(HEAD + "rules:\n  - level: Metadata\n")
    git("add", "-A")
    git("commit", "-qm", "one")
    (repo / "audit" / "policy.yaml").write_text(HEAD + "rules:\n  - level: None\n    verbs: [watch]\n  - level: Metadata\n")
    assert run_diff(DiffOptions("git:HEAD:audit/policy.yaml", "audit/policy.yaml", "json")) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["old"] == "git:HEAD:audit/policy.yaml"
    assert all(c["changes"][0]["witness"]["verb"] == "watch" for c in doc["classes"])
    assert run_diff(DiffOptions("git:HEAD:audit/policy.yaml", "git:HEAD:audit/policy.yaml")) == 0
    capsys.readouterr()
    assert run_diff(DiffOptions("git:HEAD:nope.yaml", "audit/policy.yaml")) == 2
    assert "git:HEAD:nope.yaml" in capsys.readouterr().err
    assert run_diff(DiffOptions("git:HEAD", "audit/policy.yaml")) == 2
    assert "expected git:REF:path" in capsys.readouterr().err
    assert run_diff(DiffOptions("git:--output=/tmp/x:p.yaml", "audit/policy.yaml")) == 2


def test_hostile_strings_are_escaped(tmp_path):
    old = load(policy_file(tmp_path, "old.yaml", "rules:\n  - level: Metadata\n"))
    hostile = "[x](https://evil.example)\x1b[31m|<b>@team"
    new = load(write(tmp_path, "new.json", json.dumps({
        "apiVersion": "audit.k8s.io/v1", "kind": "Policy",
        "rules": [{"level": "None", "users": [hostile]}, {"level": "Metadata"}]})))
    diff = diff_policies(old, new)
    assert any(ch.witness.user == hostile for c in diff.classes for ch in c.changes)
    md = render(diff, "markdown")
    text = render(diff, "text")
    assert "\x1b" not in md and "\x1b" not in text and "\\x1b" in text
    assert "](https" not in md and "<b>" not in md and "&lt;b&gt;" in md and "\\@team" in md
    for line in md.splitlines():
        if line.startswith("| ") and "example" in line:
            assert line.count(" | ") == 4  # no cell broken by the |
    assert json.loads(render(diff, "json"))["classes"]


def test_sensitive_class_data_names_known_classes():
    ids = [c.id for c in named_classes()]
    assert set(sensitive_class_ids()) <= set(ids)
    assert ids[: len(sensitive_class_ids())] == list(sensitive_class_ids())
    assert [c.id for c in named_classes() if c.source.exceptions].__len__() <= 1


def test_cli_wrapper(tmp_path):
    from typer.testing import CliRunner

    from kube_audit_lint.cli import app

    a = policy_file(tmp_path, "a.yaml", "rules:\n  - level: Metadata\n")
    b = policy_file(tmp_path, "b.yaml", "rules:\n  - level: RequestResponse\n    resources: [{group: '', resources: [secrets]}]\n  - level: Metadata\n")
    result = CliRunner().invoke(app, ["diff", a, b, "--format", "markdown"])
    assert result.exit_code == 1
    assert result.output.startswith("### Audit policy change:")
    assert "Secret reads" in result.output
    out = tmp_path / "d.json"
    result = CliRunner().invoke(app, ["diff", a, b, "--format", "json", "-o", str(out)])
    assert result.exit_code == 1 and json.loads(out.read_text())["changed"] is True
