"""Baselines as data: loading and validation, expectations evaluated exactly, and KAL050."""

from __future__ import annotations

import textwrap

import pytest

from kube_audit_lint.lint.baseline import (
    BaselineError,
    PolicySpace,
    RequestSelector,
    builtin_names,
    load_baseline,
    unmet_expectations,
    violation_fix,
    violation_message,
)
from kube_audit_lint.engine.evaluate import evaluate
from kube_audit_lint.lint.pipeline import lint_text
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.load import lint_read
from kube_audit_lint.policy.model import Level, decode_policy
from kube_audit_lint.policy.yamlnodes import parse_documents

BUILTIN = ("cis", "eks", "gke", "recommended")
KUBE = versions.DEFAULT


def policy_of(text: str, path: str = "policy.yaml"):
    return decode_policy(parse_documents(path, textwrap.dedent(text))[0])


def violations(text: str, baseline: str):
    policy = policy_of(text)
    return policy, unmet_expectations(policy, load_baseline(baseline), KUBE)


def by_id(found, expectation_id):
    return [v for v in found if v.expectation.id == expectation_id]


def assert_witnesses_hold(policy, found):
    """Every witness is decided by the rule the violation names and lies in the selector."""
    for violation in found:
        decision = evaluate(policy, violation.witness, KUBE)
        assert decision.rule == violation.rule, violation_message(violation, "x", policy)
        assert decision.level == violation.level
        assert violation.expectation.selector.contains(violation.witness)


CATCH_ALL_REQUEST_RESPONSE = """\
    apiVersion: audit.k8s.io/v1
    kind: Policy
    rules:
      - level: RequestResponse
"""


# ---- loading


def test_builtin_baselines_are_listed():
    assert set(BUILTIN) <= set(builtin_names())
    assert "request-classes" not in builtin_names()


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_baseline_loads_and_documents_itself(name, repo_root):
    baseline = load_baseline(name)
    assert baseline.name == name
    assert baseline.builtin and baseline.display_path == f"baselines/{name}.yaml"
    assert baseline.policy is not None and baseline.policy.rules
    ids = [e.id for e in baseline.expectations]
    assert ids and len(ids) == len(set(ids))
    for expectation in baseline.expectations:
        assert expectation.bound is not None or expectation.stages_kept
        assert expectation.reference and expectation.rationale and expectation.title
    header = (repo_root / "baselines" / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# Baseline:")


def test_baselines_package_init_stays_empty(repo_root):
    assert (repo_root / "baselines" / "__init__.py").read_text() == ""


def test_reference_policy_keeps_positions_in_the_baseline_file(repo_root):
    baseline = load_baseline("gke")
    lines = (repo_root / "baselines" / "gke.yaml").read_text(encoding="utf-8").splitlines()
    line = baseline.policy.span(("rules", 13)).line
    assert "level: Metadata" in lines[line - 1]
    assert "secrets" in lines[line + 2]


def test_eks_extends_gke_and_replaces_by_id():
    gke, eks = load_baseline("gke"), load_baseline("eks")
    assert eks.extends == ("gke",)
    gke_ids = [e.id for e in gke.expectations]
    assert [e.id for e in eks.expectations][: len(gke_ids)] == gke_ids
    assert eks.expectation("aws-auth-changes-full-body").origin == "eks"
    assert eks.expectation("secrets-access-logged").origin == "gke"
    assert str(eks.expectation("serviceaccount-token-not-captured").bound) == "at most Request"
    assert str(gke.expectation("serviceaccount-token-not-captured").bound) == "at most Metadata"


def test_baseline_file_extending_a_builtin(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(textwrap.dedent("""\
        name: mine
        title: Mine
        description: CIS, with secrets allowed at Request.
        source: {title: ours}
        extends: [cis]
        expectations:
          - id: secrets-metadata-only
            title: Secrets without responses
            selector: {resources: [{group: "", resources: [secrets]}]}
            bound: {atMost: Request}
            severity: warning
            reference: ours
            rationale: Reads at Request carry no body.
    """), encoding="utf-8")
    baseline = load_baseline(str(path))
    assert baseline.policy is None and not baseline.builtin
    first = baseline.expectations[0]
    assert (first.id, str(first.bound), first.origin, first.line) == ("secrets-metadata-only", "at most Request", "mine", 7)
    assert len(baseline.expectations) == len(load_baseline("cis").expectations)


BAD_BASELINES = {
    "unknown selector key": ("""\
        name: bad
        title: Bad
        description: d
        source: {title: t}
        expectations:
          - id: a
            title: t
            selector: {resources: [{group: "", resources: [secrets]}], verb: [get]}
            bound: {atMost: Metadata}
            severity: error
            reference: r
            rationale: r
    """, "bad.yaml:8:64: expectations[0].selector: unknown key 'verb'"),
    "misspelt level": ("""\
        name: bad
        title: Bad
        description: d
        source: {title: t}
        expectations:
          - id: a
            title: t
            selector: {}
            bound: {atMost: Metadta}
            severity: error
            reference: r
            rationale: r
    """, "bad.yaml:9:21: expectations[0].bound.atMost: 'Metadta' is not one of"),
    "no bound nor stage": ("""\
        name: bad
        title: Bad
        description: d
        source: {title: t}
        expectations:
          - id: a
            title: t
            selector: {}
            severity: error
            reference: r
            rationale: r
    """, "bad.yaml:6:5: expectations[0]: needs bound or stagesKept"),
    "duplicate id": ("""\
        name: bad
        title: Bad
        description: d
        source: {title: t}
        expectations:
          - {id: a, title: t, selector: {}, bound: {atLeast: None}, severity: note, reference: r, rationale: r}
          - {id: a, title: t, selector: {}, bound: {atLeast: None}, severity: note, reference: r, rationale: r}
    """, "bad.yaml:7:10: expectations[1].id: duplicate id 'a'"),
    "refused reference policy": ("""\
        name: bad
        title: Bad
        description: d
        source: {title: t}
        policy:
          apiVersion: audit.k8s.io/v1
          kind: Policy
          rules:
            - level: Metadata
              resources: [{group: apps/v1}]
        expectations: []
    """, "bad.yaml:10:27: reference policy: rules[0].resources.group: Invalid value: \"apps/v1\""),
    "extends itself": ("""\
        name: bad
        title: Bad
        description: d
        source: {title: t}
        extends: bad.yaml
        expectations: []
    """, "bad.yaml:5:10: extends 'bad.yaml': a baseline cannot extend itself"),
    "unknown parent": ("""\
        name: bad
        title: Bad
        description: d
        source: {title: t}
        extends: nist
        expectations: []
    """, "bad.yaml:5:10: unknown baseline 'nist'"),
    "invalid YAML": ("name: bad\ntitle: [Bad\n", "bad.yaml:3:1: invalid YAML"),
}


@pytest.mark.parametrize("case", sorted(BAD_BASELINES))
def test_bad_baseline_is_one_line_error_with_position(case, tmp_path):
    text, expected = BAD_BASELINES[case]
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(BaselineError) as caught:
        load_baseline(str(path))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(tmp_path) + "/")
    assert expected in message


def test_unknown_baseline_name():
    with pytest.raises(BaselineError, match=r"unknown baseline 'nope'.*\(cis, eks, gke, recommended"):
        load_baseline("nope")
    assert issubclass(BaselineError, ValueError)


# ---- evaluation


@pytest.mark.parametrize("name", BUILTIN)
def test_reference_policy_meets_its_own_baseline(name):
    baseline = load_baseline(name)
    assert unmet_expectations(baseline.policy, baseline, KUBE) == []


def test_catch_all_request_response_violates_cis_secrets():
    policy, found = violations(CATCH_ALL_REQUEST_RESPONSE, "cis")
    [secrets] = by_id(found, "secrets-metadata-only")
    assert secrets.rule == 0 and secrets.level is Level.REQUEST_RESPONSE
    assert secrets.witness.resource == "secrets" and secrets.witness.api_group == ""
    assert secrets.expectation.severity.label == "error"
    message = violation_message(secrets, "cis", policy)
    assert message.startswith(secrets.witness.describe() + " is logged at RequestResponse by rule 0 (line 4)")
    assert message.endswith("but baseline cis expects at most Metadata (CIS 3.2.2: Secrets are logged at Metadata at most)")
    assert {v.expectation.id for v in found} == {"secrets-metadata-only", "configmaps-metadata-only", "tokenreviews-metadata-only"}
    assert_witnesses_hold(policy, found)


def test_the_rule_responsible_is_the_shadowing_one():
    policy, found = violations("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: RequestResponse
            verbs: ["get"]
            resources: [{group: ""}]
          - level: Metadata
            resources: [{group: "", resources: ["secrets", "configmaps"]}, {group: authentication.k8s.io, resources: [tokenreviews]}]
          - level: Metadata
    """, "cis")
    secrets = by_id(found, "secrets-metadata-only")
    assert [(v.rule, v.witness.verb) for v in secrets] == [(0, "get")]
    assert_witnesses_hold(policy, found)


def test_requests_matching_no_rule():
    policy, found = violations("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: Metadata
            resources: [{group: "", resources: ["secrets"]}]
    """, "cis")
    [pods] = by_id(found, "pod-changes-logged")
    assert pods.rule is None and pods.level is Level.NONE
    assert "matches no rule, so it is not logged" in violation_message(pods, "cis", policy)
    assert_witnesses_hold(policy, found)


def test_every_user_counts_for_at_least_expectations():
    policy, found = violations("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: None
            users: ["ci-bot"]
            resources: [{group: "", resources: ["pods/exec"]}]
          - level: Metadata
    """, "cis")
    [exec_] = by_id(found, "exec-portforward-logged")
    assert (exec_.rule, exec_.witness.user, exec_.witness.subresource) == (0, "ci-bot", "exec")
    assert "is not logged (level None) by rule 0" in violation_message(exec_, "cis", policy)


@pytest.mark.parametrize("where", ["policy", "rule"])
def test_stage_omitted_for_exec(where):
    omit = 'omitStages: ["RequestReceived", "ResponseStarted"]'
    policy, found = violations(f"""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        {omit if where == "policy" else ""}
        rules:
          - level: Request
            verbs: ["get", "list", "watch"]
            {omit if where == "rule" else ""}
          - level: RequestResponse
    """, "gke")
    stages = by_id(found, "exec-attach-portforward-logged")
    # policy-wide, both rules lose the stage (get by rule 0, create by rule 1); per rule, only rule 0
    assert [(v.rule, v.witness.verb) for v in stages] == ([(0, "get"), (1, "create")] if where == "policy" else [(0, "get")])
    stage = stages[0]
    assert stage.omitted_stage == "ResponseStarted" and stage.witness.subresource in ("exec", "attach", "portforward")
    assert "without its ResponseStarted event, but baseline gke expects ResponseStarted kept" in \
        violation_message(stage, "gke", policy)
    assert violation_fix(stage, policy).startswith(
        "remove ResponseStarted from " + ("the policy's omitStages" if where == "policy" else "omitStages of rule 0"))


def test_except_takes_requests_out_exactly():
    aws_auth_only = """\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: RequestResponse
            namespaces: ["kube-system"]
            verbs: ["update", "patch", "delete"]
            resources: [{group: "", resources: ["configmaps"], resourceNames: ["aws-auth"]}]
          - level: Metadata
    """
    _, found = violations(aws_auth_only, "eks")
    assert by_id(found, "configmaps-metadata-only") == []
    assert by_id(found, "aws-auth-changes-full-body") == []
    policy, found = violations(aws_auth_only.replace(', resourceNames: ["aws-auth"]', ""), "eks")
    [configmaps] = by_id(found, "configmaps-metadata-only")
    assert configmaps.rule == 0 and configmaps.witness.name != "aws-auth"
    assert configmaps.witness.namespace == "kube-system"
    assert_witnesses_hold(policy, found)


def test_failed_authentication_and_anonymous_requests():
    dropped_for_everyone = """\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: ["RequestReceived"]
        rules:
          - level: None
            userGroups: ["system:nodes"]
            verbs: ["get"]
            resources: [{group: "", resources: ["nodes"]}]
          - level: None
            resources: [{group: "", resources: ["endpoints"]}]
          - level: RequestResponse
    """
    policy, found = violations(dropped_for_everyone, "recommended")
    [unauthenticated] = by_id(found, "unauthenticated-requests-logged")
    assert unauthenticated.rule == 1 and unauthenticated.witness.user is None
    assert unauthenticated.witness.resource == "endpoints"
    assert violation_fix(unauthenticated, policy).startswith('scope rule 1 to userGroups ["system:authenticated", "system:unauthenticated"]')
    [anonymous] = by_id(found, "anonymous-requests-logged")
    # the system:nodes rule is no concern: the anonymous user carries system:unauthenticated only
    assert anonymous.rule == 1
    assert (anonymous.witness.user, anonymous.witness.groups) == ("system:anonymous", ("system:unauthenticated",))
    assert_witnesses_hold(policy, found)
    scoped = dropped_for_everyone.replace(
        '- level: None\n            resources: [{group: "", resources: ["endpoints"]}]',
        '- level: None\n            userGroups: ["system:authenticated"]\n            resources: [{group: "", resources: ["endpoints"]}]')
    assert scoped != dropped_for_everyone
    _, found = violations(scoped, "recommended")
    assert by_id(found, "unauthenticated-requests-logged") == by_id(found, "anonymous-requests-logged") == []


def test_selector_populations_are_requests_the_apiserver_can_present():
    everyone = RequestSelector.from_mapping({"resources": [{"group": "", "resources": ["pods"]}]})
    assert [(p.users, p.user_groups, p.authenticated) for p in everyone.populations()] == [
        ((), ("system:authenticated",), None),
        (("system:anonymous",), ("system:unauthenticated",), None),
        ((), (), False),
    ]
    named = RequestSelector.from_mapping({"users": ["alice"]})
    assert [(p.users, p.user_groups) for p in named.populations()] == [(("alice",), ("system:authenticated",))]
    with pytest.raises(ValueError):
        RequestSelector.from_mapping({"except": [{"authenticated": False}]})


def test_exceptions_do_not_change_the_rule_numbers():
    policy = policy_of("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: None
            users: ["system:kube-proxy"]
          - level: Request
            namespaces: ["kube-system"]
          - level: Metadata
    """)
    selector = RequestSelector.from_mapping({"resources": [{"group": ""}], "except": [{"namespaces": ["kube-system"]}]})
    outcomes = PolicySpace(policy, KUBE).outcomes(selector)
    assert [(o.rule, o.level) for o in outcomes] == [(0, Level.NONE), (2, Level.METADATA)]
    for outcome in outcomes:
        assert evaluate(policy, outcome.witness, KUBE).rule == outcome.rule
        assert outcome.witness.namespace != "kube-system"


# ---- the check


def test_kal050_reports_on_the_rule_responsible_with_its_own_severity():
    text = textwrap.dedent(CATCH_ALL_REQUEST_RESPONSE)
    findings = lint_text(text, path="p.yaml", select=["KAL050"], options={"KAL050": {"baseline": "cis"}})
    [finding] = findings  # one finding for the one responsible rule, listing every unmet expectation
    ids = finding.subject.split(":", 1)[1].split(",")
    assert finding.subject.startswith("cis:") and "secrets-metadata-only" in ids and ids == sorted(ids)
    assert (finding.code, finding.name, finding.severity.label) == ("KAL050", "baseline-expectation-unmet", "error")
    assert (finding.location.line, finding.location.column, finding.rule_index) == (4, 5, 0)
    headline, *details = finding.message.split("\n")
    assert headline.startswith(f"rule 0 (line 4) leaves {len(ids)} expectations of baseline cis unmet: ")
    assert len(details) == len(ids)
    assert any("baseline cis expects at most Metadata" in line and "secrets" in line for line in details)


def test_kal050_reports_unmatched_requests_on_the_rules_key():
    text = textwrap.dedent("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: Metadata
            resources: [{group: "", resources: ["secrets", "configmaps"]}]
    """)
    findings = lint_text(text, path="p.yaml", select=["baseline-expectation-unmet"], options={"KAL050": {"baseline": "cis"}})
    [pods] = [f for f in findings if "pod-changes-logged" in f.subject]
    assert (pods.location.line, pods.location.column, pods.rule_index) == (3, 1, None)
    assert pods.severity.label == "warning"
    assert len({f.rule_index for f in findings}) == len(findings)  # one finding per responsible rule


def test_kal050_uses_recommended_by_default_and_skips_refused_policies():
    findings = lint_text(textwrap.dedent("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: ["RequestReceived"]
        rules:
          - level: Metadata
    """), select=["KAL050"])
    assert findings and all(f.subject.startswith("recommended:") for f in findings)
    refused = lint_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Everything\n", select=["KAL050"])
    assert refused == []


# ---- real policies


def test_published_policies_meet_their_baselines(corpus_policies):
    for filename, name in (("gce-configure-helper.yaml", "gke"), ("eks-best-practices-as-v1.yaml", "eks")):
        [verdict] = lint_read(str(corpus_policies / filename), KUBE).verdicts
        assert unmet_expectations(verdict.policy, load_baseline(name), KUBE) == [], filename


def test_corpus_policies_evaluate_with_witnesses_that_hold(corpus_policies):
    baselines = [load_baseline(name) for name in BUILTIN]
    checked = 0
    for path in sorted(corpus_policies.glob("*.yaml")):
        for verdict in lint_read(str(path), KUBE).verdicts:
            for baseline in baselines:
                found = unmet_expectations(verdict.policy, baseline, KUBE)
                assert_witnesses_hold(verdict.policy, found)
                checked += 1
    assert checked >= 4 * 30


@pytest.mark.parametrize("name", ["gke", "eks"])
def test_published_reference_policies_meet_recommended(name):
    # their drop of core events for everyone is the other checks' concern (event deletions), and
    # recommended leaves events out of its 401 and anonymous expectations
    assert unmet_expectations(load_baseline(name).policy, load_baseline("recommended"), KUBE) == []


def test_metadata_only_policy_under_recommended():
    policy, found = violations("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: ["RequestReceived"]
        rules:
          - level: Metadata
    """, "recommended")
    assert {v.expectation.id: v.expectation.severity.label for v in found} == {
        "pod-changes-with-request-body": "warning",
        "workload-changes-with-request-body": "note",
        "ephemeral-containers-with-request-body": "note",
        "service-changes-with-request-body": "note",
        "ingress-changes-with-request-body": "note",
        "rbac-changes-with-response-body": "note",
    }
    assert all(v.rule == 0 for v in found)
