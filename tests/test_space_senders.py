"""Who can send a request.

kube-apiserver's group adder never puts the user named system:anonymous in system:authenticated,
so an authenticated user can never meet ``users: [system:anonymous]``.
"""

from kube_audit_lint.lint.pipeline import lint_text

HEAD = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\n"


def codes(findings):
    return sorted(f.code for f in findings if not f.suppressed)


def test_dropping_the_anonymous_user_drops_no_authenticated_users_requests():
    text = HEAD + 'rules:\n  - level: None\n    users: ["system:anonymous"]\n  - level: Metadata\n'
    findings = lint_text(text, select=["security-event-not-logged", "unauthenticated-not-logged"])
    assert codes(findings) == ["KAL029"]
    assert all("system:anonymous (groups system:authenticated)" not in f.message for f in findings)


def test_a_rule_for_system_anonymous_in_system_authenticated_logs_nothing_real():
    text = HEAD + ('rules:\n  - level: Metadata\n    users: ["system:anonymous"]\n'
                   '    userGroups: ["system:authenticated"]\n  - level: None\n')
    findings = lint_text(text, select=["health-endpoint-logged", "rbac-change-without-body"])
    assert codes(findings) == []


def test_a_rule_naming_another_user_with_system_anonymous_still_applies_to_that_user():
    text = HEAD + ('rules:\n  - level: None\n    users: ["system:anonymous", "bob"]\n'
                   '  - level: Metadata\n')
    findings = lint_text(text, select=["security-event-not-logged"])
    assert codes(findings) == ["KAL024"]
    assert " by bob " in findings[0].message


def test_a_rule_for_the_anonymous_user_behind_a_drop_of_unauthenticated_is_unreachable():
    text = HEAD + ('rules:\n  - level: None\n    userGroups: ["system:unauthenticated"]\n'
                   '  - level: Metadata\n    users: ["system:anonymous"]\n  - level: Metadata\n')
    findings = lint_text(text, select=["unreachable-rule"])
    assert codes(findings) == ["KAL022"]
    assert findings[0].rule_index == 1


def test_baseline_examples_never_put_system_anonymous_in_system_authenticated():
    text = HEAD + 'rules:\n  - level: None\n    users: ["system:anonymous"]\n  - level: Metadata\n'
    findings = lint_text(text, select=["baseline-expectation-unmet"])
    assert findings
    impossible = [f for f in findings
                  if f.witness and f.witness.get("user") == "system:anonymous"
                  and "system:authenticated" in f.witness.get("groups", [])]
    assert impossible == []


def test_baseline_diff_examples_never_put_system_anonymous_in_system_authenticated():
    from kube_audit_lint.lint.baseline import PolicySpace, load_baseline
    from kube_audit_lint.policy.validate import apiserver_verdict
    from kube_audit_lint.policy.yamlnodes import parse_documents

    text = HEAD + 'rules:\n  - level: None\n    users: ["system:anonymous"]\n  - level: Metadata\n'
    policy = apiserver_verdict(parse_documents("<p>", text)[0], (1, 36)).policy
    space = PolicySpace(policy, (1, 36))
    for expectation in load_baseline("recommended").expectations:
        for outcome in space.outcomes(expectation.selector):
            witness = outcome.witness
            assert not (witness.user == "system:anonymous" and "system:authenticated" in witness.groups)


def test_a_baseline_selector_of_authenticated_users_does_not_contain_system_anonymous():
    from kube_audit_lint.lint.baseline import RequestSelector
    from kube_audit_lint.engine.request import Request

    selector = RequestSelector.from_mapping({"userGroups": ["system:authenticated"], "verbs": ["get"]})
    assert selector.contains(Request(user="alice", groups=("system:authenticated",), verb="get", resource="pods"))
    assert not selector.contains(Request(user="system:anonymous", groups=("system:authenticated",), verb="get",
                                         resource="pods"))


def test_a_policy_omitting_every_request_stage_logs_nothing():
    """Every request goes through RequestReceived and ResponseComplete (long-running ones also
    ResponseStarted): with all of them omitted nothing is written, whatever the level."""
    from kube_audit_lint.lint.pipeline import lint_text

    text = ("apiVersion: audit.k8s.io/v1\nkind: Policy\n"
            "omitStages: [RequestReceived, ResponseStarted, ResponseComplete]\nrules:\n- level: RequestResponse\n")
    codes = {f.code for f in lint_text(text)}
    assert "KAL030" in codes  # policy-logs-nothing
    assert not codes & {"KAL020", "KAL021", "KAL026", "KAL027", "KAL028"}  # nothing is logged to complain about
    kept = text.replace("ResponseStarted, ", "")
    assert "KAL030" not in {f.code for f in lint_text(kept)}  # watches and exec still log ResponseStarted
