"""The request-space analysis's faster algorithms give exactly the answers of the plain ones.

The plain algorithms are kept here, as they were before the indexes: every earlier rule's cubes
tested against each target, every rule compiled in every selector's universe, every field tried
when cubes are merged, every earlier rule tried when a witness is confirmed. Linting with them
patched in must give the same findings (codes, positions, messages, witness requests, fixes) as
the code itself, on every corpus policy and on generated policies (benchmarks/bench_policy_size.py).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from kube_audit_lint.engine import space
from kube_audit_lint.engine.evaluate import decide, evaluate, first_match
from kube_audit_lint.engine.request import Request
from kube_audit_lint.engine.ruleindex import RuleIndex
from kube_audit_lint.lint.config import Settings
from kube_audit_lint.lint.pipeline import lint_paths
from kube_audit_lint.policy.model import GroupResources, Policy, Rule

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "policies"
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_policy_size  # noqa: E402


def plain_merge(cubes, layout):
    cubes = list(dict.fromkeys(cubes))
    joined = True
    while joined:
        joined = False
        for mask in layout.masks:
            buckets = {}
            for cube in cubes:
                rest = cube & ~mask
                buckets[rest] = buckets.get(rest, 0) | cube
            if len(buckets) < len(cubes):
                cubes, joined = list(buckets.values()), True
    if len(cubes) > space._CONTAINMENT_LIMIT:
        return cubes
    return [a for i, a in enumerate(cubes)
            if not any(j != i and not a & ~b and (a != b or j < i) for j, b in enumerate(cubes))]


def plain_blockers(self, rules, region=None):
    return [space._Blocker(cube, j) for j in rules for cube in self.cubes(j)
            if region is None or any(self.layout.nonempty(cube & r) for r in region)]


def plain_outcomes(self, selector):
    fields = space._RuleFields.of_selector(selector)
    compiled = self._compiled_for(fields)
    universe, layout = compiled.universe, compiled.layout
    region = universe.compile(fields)
    results, blockers = [], []
    everything = [universe.full]
    rule_cubes_list = [compiled.cubes(j) for j in range(len(compiled.rules))]
    for index, rule_cubes in enumerate(rule_cubes_list + [everything]):
        rule = None if rule_cubes is everything else index
        targets = [a & b for a in region for b in rule_cubes if layout.nonempty(a & b)]
        found = compiled.example(targets, blockers)  # realistic requests first, as the fast search
        if found is not None:
            witness = self._checked(universe.witness(found), rule, selector)
            decision = decide(self.policy, rule)
            results.append(space.Outcome(rule, decision.effective_level, decision, witness))
        blockers += [space._Blocker(c, index) for c in targets]
    return results


def plain_evaluate(self, request):
    return evaluate(self.policy, request, self.kube_version)


def findings(paths, kube_version):
    out = []
    for path in paths:
        report = lint_paths([str(path)], Settings(), kube_version)
        out.append([(f.code, f.location.line, f.location.column, f.message, f.witness, f.rule_index, f.fix)
                    for f in report.findings])
    return out


def plain_findings(monkeypatch, paths, kube_version):
    with monkeypatch.context() as patched:
        patched.setattr(space, "_merge", plain_merge)
        patched.setattr(space._Compiled, "blockers", plain_blockers)
        patched.setattr(space.RequestSpace, "_compute_outcomes", plain_outcomes)
        patched.setattr(space.RequestSpace, "evaluate", plain_evaluate)
        return findings(paths, kube_version)


CORPUS_FILES = sorted(CORPUS.glob("*.y*ml")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_FILES, reason=f"../shared not present: {CORPUS}")
@pytest.mark.parametrize("kube_version", [(1, 36), (1, 22)])
def test_corpus_findings_are_those_of_the_plain_algorithms(monkeypatch, kube_version):
    paths = CORPUS_FILES + sorted((ROOT / "examples").glob("*.yaml"))
    assert findings(paths, kube_version) == plain_findings(monkeypatch, paths, kube_version)


@pytest.mark.parametrize("rules, seed", [(40, 1), (60, 2), (120, 3)])
def test_generated_policy_findings_are_those_of_the_plain_algorithms(monkeypatch, tmp_path, rules, seed):
    path = tmp_path / "policy.yaml"
    path.write_text(bench_policy_size.generate_policy(rules, seed=seed))
    expected = plain_findings(monkeypatch, [path], (1, 36))
    assert expected[0]  # the generated policies have findings with witnesses to compare
    assert findings([path], (1, 36)) == expected


def test_generated_documents_findings_are_those_of_the_plain_algorithms(monkeypatch, tmp_path):
    path = tmp_path / "documents.yaml"
    path.write_text(bench_policy_size.generate_documents(25, seed=4))
    assert findings([path], (1, 36)) == plain_findings(monkeypatch, [path], (1, 36))


# ---- the rule index against first_match, request by request

USERS = ("alice", "bob", "system:kube-proxy", "")
GROUPS = ("system:nodes", "devs", "system:authenticated")
VERBS = ("get", "list", "create", "*")
API_GROUPS = ("", "apps", "*", "rbac.authorization.k8s.io")
PATTERNS = ("pods", "pods/exec", "pods/*", "*/status", "*", "*/*", "secrets", "deployments", "")
NAMESPACES = ("", "prod", "kube-system")
PATHS = ("/healthz*", "/version", "*", "/api*")


def random_rule(rng: random.Random, index: int) -> Rule:
    def some(values, most=2):
        return tuple(rng.sample(values, rng.randint(0, most)))

    resources = tuple(GroupResources(rng.choice(API_GROUPS), some(PATTERNS, 3),
                                     rng.choice(((), ("example",)))) for _ in range(rng.randint(0, 2)))
    kind = rng.random()
    return Rule(index, "Metadata", some(USERS), some(GROUPS), some(VERBS),
                resources if kind < 0.6 else (), some(NAMESPACES) if kind < 0.6 else (),
                some(PATHS) if kind >= 0.8 else ())


def random_request(rng: random.Random) -> Request:
    user = rng.choice(USERS + (None, "carol"))
    groups = () if user is None else tuple(rng.sample(GROUPS + ("others",), rng.randint(0, 2)))
    verb = rng.choice(VERBS + ("watch",))
    if rng.random() < 0.2:
        return Request(user=user, groups=groups, verb=verb, resource_request=False,
                       path=rng.choice(("/healthz", "/healthz/etcd", "/version", "/api", "/metrics")))
    resource, _, subresource = rng.choice(("pods", "pods/exec", "pods/status", "secrets", "deployments",
                                           "*", "*/*", "nodes/status")).partition("/")
    return Request(user=user, groups=groups, verb=verb, api_group=rng.choice(API_GROUPS + ("batch",)),
                   resource=resource, subresource=subresource, namespace=rng.choice(NAMESPACES + ("dev",)),
                   name=rng.choice(("", "example", "other")))


@pytest.mark.parametrize("seed", range(20))
def test_rule_index_finds_the_first_matching_rule(seed):
    rng = random.Random(seed)
    rules = tuple(random_rule(rng, i) for i in range(rng.randint(1, 60)))
    policy = Policy(document=None, api_version="audit.k8s.io/v1", kind="Policy", rules=rules)  # type: ignore[arg-type]
    for wildcard_group in (True, False):
        index = RuleIndex(rules, wildcard_group)
        for _ in range(300):
            request = random_request(rng)
            assert index.first_match(request) == first_match(policy, request, wildcard_group), request
