"""``lint --fix``, ``--diff`` and ``--unsafe-fixes``: each fix on small policies (exact text before
and after) and on the real corpus policies where its problem occurs.

Every fix is checked the same ways: the text outside the edit (comments, quoting, order) is kept;
a second run changes nothing; the request-level difference (``_policy_changes.intended_changes`` over
``PolicyPair``) lies inside the fix's intended change; the result still loads in the apiserver
validation; re-linting finds nothing new. Files are written only under tmp_path."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kube_audit_lint.checks._policy_changes import PolicyComparison, intended_changes
from kube_audit_lint.cli import app
from kube_audit_lint.engine.space import PolicyPair
from kube_audit_lint.fixes import FIXERS
from kube_audit_lint.fixes.apply import fix_file, lint_text
from kube_audit_lint.fixes.model import Proposal
from kube_audit_lint.fixes.verify import judge
from kube_audit_lint.lint.config import Settings
from kube_audit_lint.policy.validate import apiserver_verdict
from kube_audit_lint.policy.yamlnodes import parse_documents

KUBE = (1, 30)

# (id, check code, before, after, safe)
CASES = [
    ("versioned-group-apps", "KAL003", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
omitManagedFields: true
rules:
  # workload changes, with their bodies
  - level: Request
    verbs: ["create", "update", "patch"]
    resources:
      - group: "apps/v1"  # the group of deployments
        resources: ["deployments"]
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
omitManagedFields: true
rules:
  # workload changes, with their bodies
  - level: Request
    verbs: ["create", "update", "patch"]
    resources:
      - group: "apps"  # the group of deployments
        resources: ["deployments"]
  - level: Metadata
''', True),
    ("versioned-group-core", "KAL003", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    verbs: [get, list, watch]
    resources:
      - group: v1
        resources: [events]  # noisy
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    verbs: [get, list, watch]
    resources:
      - group: ""
        resources: [events]  # noisy
  - level: Metadata
''', True),
    ("verb", "KAL002", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  # watches are noisy
  - level: None
    verb: ["watch"]
    resources:
      - group: ""
        resources: ["pods"]
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  # watches are noisy
  - level: None
    verbs: ["watch"]
    resources:
      - group: ""
        resources: ["pods"]
  - level: Metadata
''', True),
    ("resource", "KAL002", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    resources:
      - group: "machineconfiguration.openshift.io"
        resource: ["machineconfigs"]
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    resources:
      - group: "machineconfiguration.openshift.io"
        resources: ["machineconfigs"]
  - level: Metadata
''', True),
    ("userGroup", "KAL002", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    userGroup: ["system:nodes"]
    verbs: ["get"]
    resources:
      - group: ""
        resources: ["nodes", "nodes/status"]
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    userGroups: ["system:nodes"]
    verbs: ["get"]
    resources:
      - group: ""
        resources: ["nodes", "nodes/status"]
  - level: Metadata
''', True),
    ("namespace", "KAL002", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    namespace: ["kube-system"]
    verbs: ["list"]
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    namespaces: ["kube-system"]
    verbs: ["list"]
  - level: Metadata
''', True),
    ("omitStage", "KAL002", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStage:
  - RequestReceived
rules:
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
  - RequestReceived
rules:
  - level: Metadata
''', True),
    ("omit-stages", "KAL006", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
# one rule for everything
rules:
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
# one rule for everything
rules:
  - level: Metadata
''', True),
    ("omit-stages-list", "KAL006", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ['Panic']
rules:
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ['Panic', 'RequestReceived']
rules:
  - level: Metadata
''', True),
    ("exec-get", "KAL013", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: Request
    verbs: ["create"]  # sessions
    resources:
      - group: ""
        resources: ["pods/exec", "pods/attach"]
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: Request
    verbs: ["create", "get"]  # sessions
    resources:
      - group: ""
        resources: ["pods/exec", "pods/attach"]
  - level: Metadata
''', True),
    ("exec-get-block", "KAL013", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: Request
    verbs:
      - create
    resources:
      - group: ""
        resources: ["pods/portforward"]
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: Request
    verbs:
      - create
      - get
    resources:
      - group: ""
        resources: ["pods/portforward"]
  - level: Metadata
''', True),
    ("exec-get-on-a-none-rule", "KAL013", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    users: ["system:serviceaccount:ci:runner"]
    verbs: ["create"]
    resources:
      - group: ""
        resources: ["pods/exec"]
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    users: ["system:serviceaccount:ci:runner"]
    verbs: ["create", "get"]
    resources:
      - group: ""
        resources: ["pods/exec"]
  - level: Metadata
''', False),
    ("sensitive-bodies", "KAL020", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
  # everything else, with bodies
  - level: RequestResponse
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps", "serviceaccounts/token"]
      - group: "authentication.k8s.io"
        resources: ["tokenreviews"]
  # everything else, with bodies
  - level: RequestResponse
''', True),
    ("health-probes", "KAL021", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  # keep requests bodies of pods
  - level: Request
    resources:
      - group: ""
        resources: ["pods"]
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
  # keep requests bodies of pods
  - level: Request
    resources:
      - group: ""
        resources: ["pods"]
  - level: Metadata
''', True),
    ("catch-all", "KAL023", '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
  - level: RequestResponse
    resources:
      - group: "rbac.authorization.k8s.io"
  - level: Metadata
    userGroups: ["system:authenticated"]
# end of the policy
''', '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
  - level: RequestResponse
    resources:
      - group: "rbac.authorization.k8s.io"
  - level: Metadata
    userGroups: ["system:authenticated"]
  - level: Metadata
# end of the policy
''', True),
    ("api-version", "KAL001", '''\
apiVersion: audit.k8s.io/v1beta1 # old
kind: Policy
rules:
  - level: Metadata
''', '''\
apiVersion: audit.k8s.io/v1 # old
kind: Policy
rules:
  - level: Metadata
''', True),
]
IDS = [case[0] for case in CASES]


def only(code: str) -> Settings:
    return Settings(select=[code])


def comments(text: str) -> Counter:
    return Counter(line[line.index("#"):] for line in text.splitlines() if "#" in line)


def policy_of(path: str, text: str):
    return apiserver_verdict(parse_documents(path, text)[0], KUBE)


def proposal_for(path: str, text: str, code: str) -> tuple[object, Proposal]:
    verdicts, findings = lint_text(path, text, only(code), KUBE)
    finding = next(f for f in findings if f.code == code and f.autofix)
    proposal = FIXERS[code](finding, verdicts[0].policy, text)
    assert proposal.edits == finding.autofix.edits
    return verdicts[0], proposal


def assert_intended_change(path: str, before: str, after: str, code: str) -> None:
    """The request-level difference of before and after is inside the intended change, as intended."""
    old, proposal = proposal_for(path, before, code)
    new = policy_of(path, after)
    inside, outside = intended_changes(old.policy, new.policy, proposal.intended, KUBE)
    assert outside == (), [(c.witness.describe(), c.old.describe(), c.new.describe()) for c in outside]
    if not proposal.intended:
        assert inside == ()
        comparison = PolicyComparison(old.policy, new.policy, KUBE)
        assert PolicyPair(old.policy, new.policy, KUBE).divergences(comparison.differs) == []
        return
    assert inside, "the fix changes none of the requests it means to"
    for change in inside:
        assert any(selector.contains(change.witness) for selector in proposal.intended) or change.witness.user is None
        if proposal.expects is not None:
            assert proposal.expects(change.old, change.new), (change.old, change.new)


# --------------------------------------------------------------------------------------------
# Small policies


@pytest.mark.parametrize("name, code, before, after, safe", CASES, ids=IDS)
def test_fix_makes_exactly_this_text(tmp_path, name, code, before, after, safe):
    path = str(tmp_path / "policy.yaml")
    result = fix_file(path, before, only(code), KUBE, unsafe=True)
    assert result.text == after
    assert [f.code for f in result.applied] == [code]
    assert [f.autofix.safe for f in result.applied] == [safe]
    assert comments(after) == comments(before)


@pytest.mark.parametrize("name, code, before, after, safe", CASES, ids=IDS)
def test_fix_is_idempotent(tmp_path, name, code, before, after, safe):
    path = str(tmp_path / "policy.yaml")
    again = fix_file(path, after, only(code), KUBE, unsafe=True)
    assert again.text == after and again.applied == []
    _, findings = lint_text(path, after, only(code), KUBE)
    assert not [f for f in findings if f.autofix]


@pytest.mark.parametrize("name, code, before, after, safe", CASES, ids=IDS)
def test_fix_changes_only_the_requests_it_means_to(tmp_path, name, code, before, after, safe):
    assert_intended_change(str(tmp_path / "policy.yaml"), before, after, code)


@pytest.mark.parametrize("name, code, before, after, safe", CASES, ids=IDS)
def test_fixed_policy_loads_and_relints_with_nothing_new(tmp_path, name, code, before, after, safe):
    path = str(tmp_path / "policy.yaml")
    assert policy_of(path, after).accepted
    _, old_findings = lint_text(path, before, Settings(), KUBE)
    _, new_findings = lint_text(path, after, Settings(), KUBE)
    before_codes = Counter(f.code for f in old_findings if not f.suppressed)
    after_codes = Counter(f.code for f in new_findings if not f.suppressed)
    if not policy_of(path, before).accepted:  # baseline expectations are judged on loadable policies only
        after_codes.pop("KAL050", None)
    if code != "KAL001":  # fixing the apiVersion lets the checks judge a policy the apiserver refused
        assert not after_codes - before_codes
    assert after_codes[code] < before_codes[code]


def test_unsafe_fix_needs_unsafe_fixes(tmp_path):
    name, code, before, after, _ = CASES[IDS.index("exec-get-on-a-none-rule")]
    path = str(tmp_path / "policy.yaml")
    _, findings = lint_text(path, before, only(code), KUBE)
    (finding,) = [f for f in findings if f.autofix]
    assert not finding.autofix.safe and "logs nothing" in finding.autofix.reason
    assert fix_file(path, before, only(code), KUBE).text == before
    assert fix_file(path, before, only(code), KUBE, unsafe=True).text == after


def test_a_fix_that_changes_more_than_it_declares_is_demoted(tmp_path):
    """The versioned-group fix with only the group meant as its intended change: requests in a
    group named "v1" (which the entry matched as written) change too, so it is unsafe, and says so."""
    name, code, before, after, _ = CASES[IDS.index("versioned-group-core")]
    verdict, proposal = proposal_for(str(tmp_path / "policy.yaml"), before, code)
    narrow = Proposal(proposal.description, proposal.edits, intended=proposal.intended[:1])
    fix = judge(narrow, verdict.policy, verdict, before, KUBE).fix
    assert fix is not None and not fix.safe
    assert "it also changes requests it does not mean to" in fix.reason and "events.v1" in fix.reason
    assert judge(proposal, verdict.policy, verdict, before, KUBE).fix.safe


def test_no_fix_for_a_guess():
    """A key only similar to a field (no case or plural difference) has no clear meaning: no fix."""
    text = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n    verbz: [get]\n  - level: Metadata\n"
    _, findings = lint_text("p.yaml", text, only("KAL002"), KUBE)
    assert findings and not any(f.autofix for f in findings)


def test_a_fix_that_adds_a_finding_is_not_applied(tmp_path):
    """A Metadata rule for secrets before a rule that only selects secrets leaves that rule unused."""
    before = ('apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: ["RequestReceived"]\nrules:\n'
              '  - level: RequestResponse\n    resources:\n      - group: ""\n        resources: ["secrets"]\n'
              '  - level: Metadata\n')
    result = fix_file(str(tmp_path / "policy.yaml"), before, Settings(), KUBE)
    assert "KAL020" not in [f.code for f in result.applied]
    reasons = [why for f, why in result.not_applied if f.code == "KAL020"]
    assert reasons and "KAL022" in reasons[0]


def test_json_policies_get_no_fix():
    text = '{"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "Metadata"}]}'
    _, findings = lint_text("p.json", text, only("KAL006"), KUBE)
    assert findings and not any(f.autofix for f in findings)


def test_crlf_line_endings_are_kept(tmp_path):
    name, code, before, after, _ = CASES[IDS.index("health-probes")]
    result = fix_file(str(tmp_path / "p.yaml"), before.replace("\n", "\r\n"), only(code), KUBE)
    assert result.text == after.replace("\n", "\r\n")


# --------------------------------------------------------------------------------------------
# The command


def invoke(*args):
    return CliRunner().invoke(app, ["lint", *args])


def test_diff_prints_the_patch_and_writes_nothing(tmp_path):
    name, code, before, after, _ = CASES[IDS.index("omit-stages")]
    path = tmp_path / "policy.yaml"
    path.write_text(before)
    result = invoke(str(path), "--diff", "--select", code)
    assert path.read_text() == before
    assert result.exit_code == 1
    assert f"--- {path}" in result.stdout and '+omitStages: ["RequestReceived"]' in result.stdout
    assert "Would fix 1 problem in 1 file" in result.stderr


def test_fix_writes_the_file_and_exits_as_lint(tmp_path):
    name, code, before, after, _ = CASES[IDS.index("omit-stages")]
    path = tmp_path / "policy.yaml"
    path.write_text(before)
    assert invoke(str(path), "--select", code).exit_code == 1
    result = invoke(str(path), "--fix", "--select", code)
    assert result.exit_code == 0, result.output
    assert path.read_text() == after
    assert "Fixed 1 problem in 1 file; 0 remain." in result.stderr
    again = invoke(str(path), "--fix", "--select", code)
    assert again.exit_code == 0 and path.read_text() == after
    assert "Fixed 0 problems in 0 files" in again.stderr
    assert not [p.name for p in tmp_path.iterdir() if p.name != "policy.yaml"]  # no temporary file left


def test_fix_tells_about_hidden_unsafe_fixes(tmp_path):
    name, code, before, after, _ = CASES[IDS.index("exec-get-on-a-none-rule")]
    path = tmp_path / "policy.yaml"
    path.write_text(before)
    result = invoke(str(path), "--fix", "--select", code, "--fail-on", "note")
    assert path.read_text() == before and result.exit_code == 1
    assert "1 with an unsafe fix, hidden: --unsafe-fixes applies it" in result.stderr
    result = invoke(str(path), "--fix", "--unsafe-fixes", "--select", code, "--fail-on", "note")
    assert path.read_text() == after and result.exit_code == 0, result.output


def test_fix_exits_as_lint_on_input_errors(tmp_path):
    """A missing file is an invalid-policy finding for lint (exit 1), an unknown check a usage error (2)."""
    assert invoke(str(tmp_path / "absent.yaml"), "--fix").exit_code == 1
    assert not (tmp_path / "absent.yaml").exists()
    (tmp_path / "policy.yaml").write_text(CASES[0][2])
    assert invoke(str(tmp_path / "policy.yaml"), "--fix", "--select", "KAL999").exit_code == 2
    assert (tmp_path / "policy.yaml").read_text() == CASES[0][2]


def test_text_marks_fixable_findings(tmp_path):
    name, code, before, after, _ = CASES[IDS.index("omit-stages")]
    path = tmp_path / "policy.yaml"
    path.write_text(before)
    assert f"{code} [*] [warning]" in invoke(str(path), "--select", code, "--format", "concise").stdout


def test_json_and_sarif_carry_the_fix(tmp_path, monkeypatch):
    from test_output_support import validate_sarif

    monkeypatch.chdir(tmp_path)
    name, code, before, after, _ = CASES[IDS.index("health-probes")]
    Path("policy.yaml").write_text(before)
    document = json.loads(invoke("policy.yaml", "--select", code, "--format", "json").stdout)
    fixes = [f["autofix"] for f in document["findings"] if f["autofix"]]
    assert fixes and fixes[0]["safe"] is True
    assert fixes[0]["edits"] == [{"line": 5, "column": 1, "endLine": 5, "endColumn": 1, "text": (
        '  - level: None\n    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]\n')}]
    sarif = json.loads(invoke("policy.yaml", "--select", code, "--format", "sarif").stdout)
    validate_sarif(sarif)
    (fix,) = sarif["runs"][0]["results"][0]["fixes"]
    change = fix["artifactChanges"][0]
    assert change["artifactLocation"]["uri"] == "policy.yaml"
    assert change["replacements"][0]["deletedRegion"] == {"startLine": 5, "startColumn": 1, "endLine": 5,
                                                          "endColumn": 1}
    assert change["replacements"][0]["insertedContent"]["text"].startswith("  - level: None")


# --------------------------------------------------------------------------------------------
# The corpus of real policies


@lru_cache(maxsize=1)
def corpus_fixes(directory: str) -> dict[str, list[str]]:
    """Check code -> the corpus files with a finding of it that has a fix."""
    found: dict[str, list[str]] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        try:
            _, findings = lint_text(str(path), text, Settings(), KUBE)
        except Exception:  # noqa: BLE001 - a file the lint reads otherwise (not a policy)
            continue
        for code in sorted({f.code for f in findings if f.autofix}):
            found.setdefault(code, []).append(path.name)
    return found


@pytest.mark.parametrize("code", sorted(FIXERS))
def test_fix_on_corpus_policies(corpus_policies, tmp_path, code):
    files = corpus_fixes(str(corpus_policies)).get(code, [])
    if not files:
        pytest.skip(f"no policy of the corpus has a fixable {code} finding")
    for name in files[:3]:
        path = tmp_path / name
        shutil.copy(corpus_policies / name, path)
        before = path.read_text(encoding="utf-8")
        result = fix_file(str(path), before, only(code), KUBE)
        assert result.applied or result.not_applied, name
        if not result.applied:
            continue
        after = result.text
        assert comments(after) == comments(before), name
        assert fix_file(str(path), after, only(code), KUBE).text == after, name  # idempotent
        old, new = policy_of(str(path), before), policy_of(str(path), after)
        assert len(new.errors) <= len(old.errors), name
        if old.accepted or code == "KAL001":
            assert new.accepted or [p for p in new.errors if p.kind != "version"], name
        if old.accepted:
            assert new.accepted, name
        # one fix alone: its request-level difference is its intended change
        _, proposal = proposal_for(str(path), before, code)
        from kube_audit_lint.fixes.text import apply_edits

        single = apply_edits(before, proposal.edits)
        assert_intended_change(str(path), before, single, code)
        _, findings = lint_text(str(path), after, only(code), KUBE)
        assert len([f for f in findings if f.code == code]) < len(
            [f for f in lint_text(str(path), before, only(code), KUBE)[1] if f.code == code]), name
    assert path.parent == tmp_path


def test_fix_on_the_whole_corpus_from_the_command(corpus_policies, tmp_path):
    """Every corpus policy, every fix, through the command; then nothing more to fix."""
    directory = tmp_path / "policies"
    shutil.copytree(corpus_policies, directory)
    result = invoke(str(directory), "--fix", "-q")
    assert result.exit_code == 1
    assert "Fixed " in result.stderr
    again = invoke(str(directory), "--diff")
    assert again.stdout == ""
    assert "Would fix 0 problems in 0 files" in again.stderr
    for path in sorted(directory.glob("*.yaml")):
        original = (corpus_policies / path.name).read_text(encoding="utf-8")
        assert comments(path.read_text(encoding="utf-8")) == comments(original), path.name


def test_a_fix_is_kept_with_the_fix_of_the_finding_it_brings(tmp_path):
    """The catch-all rule makes the health probes logged; the health probe fix drops them again,
    and the two together leave nothing new (among the checks run)."""
    before = '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: RequestResponse
    resources:
      - group: "rbac.authorization.k8s.io"
  - level: Metadata
    userGroups: ["system:authenticated"]
    resources:
      - group: "*"
'''
    after = '''\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
  - level: RequestResponse
    resources:
      - group: "rbac.authorization.k8s.io"
  - level: Metadata
    userGroups: ["system:authenticated"]
    resources:
      - group: "*"
  - level: Metadata
'''
    settings = Settings(select=["KAL021", "KAL023"])
    result = fix_file(str(tmp_path / "policy.yaml"), before, settings, KUBE)
    assert result.text == after
    assert sorted(f.code for f in result.applied) == ["KAL021", "KAL023"]
    _, findings = lint_text(str(tmp_path / "policy.yaml"), after, settings, KUBE)
    assert findings == []


def test_a_policy_inside_a_configmap_is_not_edited(tmp_path):
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: audit\ndata:\n  policy.yaml: |\n"
            "    apiVersion: audit.k8s.io/v1\n    kind: Policy\n    rules:\n      - level: Metadata\n")
    path = tmp_path / "configmap.yaml"
    path.write_text(text)
    result = invoke(str(path), "--fix", "--format", "concise")
    assert path.read_text() == text and "[*]" not in result.stdout
    assert "Fixed 0 problems in 0 files" in result.stderr


def test_a_broken_document_after_the_policy_does_not_stop_the_fix(tmp_path):
    """kube-apiserver reads the first document only: the policy before a broken one is fixed."""
    name, code, before, after, _ = CASES[IDS.index("omit-stages")]
    path = tmp_path / "policy.yaml"
    path.write_text(before + "---\nkey: [unclosed\n")
    result = invoke(str(path), "--fix", "--select", code)
    assert path.read_text() == after + "---\nkey: [unclosed\n"
    assert "Fixed 1 problem in 1 file" in result.stderr


def test_large_policies_get_their_fixes_worked_out_only_when_asked(tmp_path):
    """Proving a fix safe is a request-level diff of the whole policy: a plain lint of a policy above
    MARKED_RULES rules leaves it to --fix and --diff, which always work it out."""
    import json

    from typer.testing import CliRunner

    from kube_audit_lint.cli import app
    from kube_audit_lint.fixes.apply import MARKED_RULES

    rules = "".join(f"  - level: Metadata\n    users: [user-{i}]\n" for i in range(MARKED_RULES))
    path = tmp_path / "big.yaml"
    path.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n"
                    "  - level: None\n    resources:\n      - group: apps/v1\n        resources: [deployments]\n" + rules)
    plain = json.loads(CliRunner().invoke(app, ["lint", str(path), "--format", "json"]).stdout)
    fixable = [f for f in plain["findings"] if f["code"] in ("KAL003", "KAL021")]
    assert fixable and all(f["autofix"] is None for f in plain["findings"])
    diff = CliRunner().invoke(app, ["lint", str(path), "--diff"])
    assert diff.stdout.startswith("--- ") and "+  - level: None" in diff.stdout  # the health URLs' rule


OTHER_DOCUMENT = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  owner: platform\n"


@pytest.mark.parametrize("name, code, before, after, safe", CASES, ids=IDS)
def test_a_policy_after_other_documents_is_fixed_as_it_is_alone(tmp_path, name, code, before, after, safe):
    """A fix is judged on its own document (read on its own lines): the verdict is the one the
    whole file gives, wherever in the file the policy is."""
    path = str(tmp_path / "policies.yaml")
    text = OTHER_DOCUMENT + "---\n" + OTHER_DOCUMENT + "---\n" + before
    result = fix_file(path, text, only(code), KUBE, unsafe=True)
    assert result.text == OTHER_DOCUMENT + "---\n" + OTHER_DOCUMENT + "---\n" + after
    assert [f.autofix.safe for f in result.applied] == [safe]
