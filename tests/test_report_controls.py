"""Controls are evaluated over every request, with evidence: the deciding rule, its line, a witness
request; flags come from the kube-apiserver manifest; conflicts show the side the policy took."""

from __future__ import annotations

import textwrap

import pytest

from kube_audit_lint.report import controls, frameworks as profiles
from kube_audit_lint.report.matrix import build_matrix
from kube_audit_lint.report.model import read_subject

METADATA_ONLY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: Metadata
"""

SECRETS_DROPPED = """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    resources:
      - group: ""
        resources: ["secrets"]
  - level: Metadata
"""

EVERYTHING_IN_FULL = """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: RequestResponse
"""

MANIFEST = """\
apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
    - name: kube-apiserver
      command:
        - kube-apiserver
        - --audit-policy-file=/etc/kubernetes/audit/policy.yaml
        - --audit-log-path=/var/log/kubernetes/audit.log
        - --audit-log-maxage=7
        - --audit-log-maxbackup=10
"""

WEBHOOK_ONLY = """\
--audit-policy-file=/etc/kubernetes/policy.yaml
--audit-webhook-config-file=/etc/kubernetes/webhook.yaml
"""


@pytest.fixture
def subject(tmp_path):
    def make(policy: str, manifest: str | None = None, kube_version=(1, 36), manifest_name="kube-apiserver.yaml"):
        policy_path = tmp_path / "policy.yaml"
        policy_path.write_text(textwrap.dedent(policy), encoding="utf-8")
        manifest_path = None
        if manifest is not None:
            manifest_path = tmp_path / manifest_name
            manifest_path.write_text(manifest, encoding="utf-8")
        return read_subject(str(policy_path), kube_version, str(manifest_path) if manifest_path else None)

    return make


def control(subject, framework: str, control_id: str) -> dict:
    return controls.evaluate_control(profiles.load_builtin(framework).control(control_id), subject)


def failing(result: dict) -> list[dict]:
    return [e for t in result["tests"] for e in t["evidence"] if e.get("ok") is False]


def test_cis_322_passes_a_metadata_only_policy_with_the_deciding_rule_as_evidence(subject):
    result = control(subject(METADATA_ONLY), "cis", "3.2.2")
    assert result["status"] == "pass"
    secrets = result["tests"][0]
    assert secrets["title"] == "Secrets are logged at Metadata at most"
    (evidence,) = secrets["evidence"]
    assert (evidence["rule"], evidence["line"], evidence["level"], evidence["ok"]) == (0, 4, "Metadata", True)
    assert evidence["request"]["resource"] == "secrets"


def test_cis_322_fails_when_secrets_are_dropped_and_names_the_rule_and_a_request(subject):
    result = control(subject(SECRETS_DROPPED), "cis", "3.2.2")
    assert result["status"] == "fail"
    (bad,) = failing(result)
    assert (bad["rule"], bad["line"], bad["level"]) == (0, 4, "None")
    assert bad["request"]["resource"] == "secrets" and "secrets" in bad["requestText"]


def test_stig_catch_all_fails_below_request_response_and_passes_it(subject):
    assert control(subject(METADATA_ONLY), "stig", "V-242403")["status"] == "fail"
    assert control(subject(EVERYTHING_IN_FULL), "stig", "V-242403")["status"] == "pass"


def test_a_policy_no_request_matches_fails_the_catch_all_with_the_unmatched_request(subject):
    result = control(subject("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: Metadata
            resources: [{group: ""}]
        """), "nsa", "nsa-every-request-decided")
    assert result["status"] == "fail"
    assert all(e["rule"] is None for e in failing(result))


def test_falco_exec_rule_needs_response_started(subject):
    omitted = subject("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: ["RequestReceived", "ResponseStarted"]
        rules:
          - level: Metadata
        """)
    result = control(omitted, "falco", "attach-exec-pod")
    assert result["status"] == "fail"
    assert {e["omittedStage"] for e in failing(result)} == {"ResponseStarted"}
    assert control(subject(METADATA_ONLY), "falco", "attach-exec-pod")["status"] == "pass"


def test_elastic_exec_rule_pins_the_level(subject):
    assert control(subject(METADATA_ONLY), "elastic", "user-exec-into-pod")["status"] == "fail"
    assert control(subject(EVERYTHING_IN_FULL), "elastic", "user-exec-into-pod")["status"] == "fail"
    exactly_request = subject("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: Request
            resources: [{group: "", resources: ["pods/exec"]}]
          - level: Metadata
        """)
    assert control(exactly_request, "elastic", "user-exec-into-pod")["status"] == "pass"


def test_anonymous_requests_are_judged_as_the_anonymous_user_really_is(subject):
    # a None rule for members of system:authenticated does not touch system:anonymous
    scoped = subject("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: None
            userGroups: ["system:authenticated"]
            resources: [{group: "", resources: ["events"]}]
          - level: Metadata
        """)
    assert control(scoped, "nsa", "nsa-anonymous-recorded")["status"] == "pass"
    unscoped = subject("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: None
            resources: [{group: "", resources: ["events"]}]
          - level: Metadata
        """)
    result = control(unscoped, "nsa", "nsa-anonymous-recorded")
    assert result["status"] == "fail"
    assert failing(result)[0]["request"]["user"] == "system:anonymous"
    assert control(unscoped, "pci", "10.2.1.4")["status"] == "fail"


def test_flag_controls_are_manual_without_a_manifest(subject):
    result = control(subject(METADATA_ONLY), "cis", "1.2.16")
    assert result["status"] == "manual" and result["reason"] == "flags not checked"
    assert result["tests"][0]["status"] == "unknown"
    mixed = control(subject(METADATA_ONLY), "cis", "3.2.1")
    assert mixed["status"] == "manual" and "policy passes" in mixed["reason"]


def test_flags_from_a_manifest_with_their_lines(subject):
    s = subject(METADATA_ONLY, MANIFEST)
    assert control(s, "cis", "1.2.16")["status"] == "pass"
    maxage = control(s, "cis", "1.2.17")
    assert maxage["status"] == "fail"
    (flag,) = maxage["tests"][0]["evidence"]
    assert (flag["flag"], flag["value"], flag["origin"], flag["line"], flag["ok"]) == ("audit-log-maxage", "7", "set", 11, False)
    assert flag["file"].endswith("kube-apiserver.yaml")
    assert control(s, "cis", "1.2.18")["status"] == "pass"
    maxsize = control(s, "cis", "1.2.19")
    assert maxsize["status"] == "pass"  # unset: kube-apiserver 1.36 defaults to 100
    assert maxsize["tests"][0]["evidence"][0]["origin"] == "default"
    assert control(s, "stig", "V-242401")["status"] == "pass"  # the flag names policy.yaml


def test_retention_defaults_follow_the_kubernetes_version(subject):
    old = subject(METADATA_ONLY, MANIFEST, kube_version=(1, 35))
    result = control(old, "cis", "1.2.19")
    assert result["status"] == "fail"
    assert result["tests"][0]["evidence"][0]["value"] == "0"


def test_retention_is_not_applicable_without_a_log_file(subject):
    s = subject(METADATA_ONLY, WEBHOOK_ONLY, manifest_name="flags.txt")
    result = control(s, "cis", "1.2.17")
    assert result["status"] == "not-applicable"
    assert "--audit-log-path" in result["reason"]
    assert control(s, "cis", "1.2.16")["status"] == "fail"
    assert control(s, "nsa", "nsa-audit-enabled")["status"] == "pass"  # the webhook is a backend


def test_policy_file_flag_must_name_this_policy(subject):
    s = subject(METADATA_ONLY, MANIFEST.replace("audit/policy.yaml", "audit/other.yaml"))
    result = control(s, "stig", "V-242401")
    assert result["status"] == "fail"
    assert any("other.yaml" in e.get("text", "") for e in result["tests"][1]["evidence"])


def test_manual_controls_stay_manual(subject):
    result = control(subject(EVERYTHING_IN_FULL, MANIFEST), "pci", "10.5.1")
    assert result["status"] == "manual" and result["tests"][0]["kind"] == "manual"


def test_a_policy_kube_apiserver_refuses_fails_the_minimal_policy_control(subject):
    result = control(subject("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: Loud
        """), "cis", "3.2.1")
    assert result["status"] == "fail"
    problem = result["tests"][0]["evidence"][0]
    assert problem["kind"] == "problem" and problem["line"] == 4


def conflict(subject_, conflict_id: str, names=("cis", "stig", "falco")) -> dict:
    chosen = [profiles.load_builtin(n) for n in names]
    (found,) = [c for c in profiles.load_conflicts() if c.id == conflict_id]
    return controls.evaluate_conflict(found, subject_, chosen)


def test_conflict_shows_the_side_a_policy_took(subject):
    metadata = conflict(subject(METADATA_ONLY), "sensitive-bodies")
    assert metadata["took"] == ["cis:3.2.2"]
    assert "sides with CIS 3.2.2" in metadata["verdict"]
    full = conflict(subject(EVERYTHING_IN_FULL), "sensitive-bodies")
    assert full["took"] == ["stig:V-242403"]
    assert all(e["breaks"] == ["cis:3.2.2"] for e in full["evidence"])


def test_conflict_says_when_a_policy_takes_neither_side(subject):
    mixed = conflict(subject("""\
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: Request
            users: ["system:kube-scheduler"]
            resources: [{group: "", resources: ["configmaps"]}]
          - level: None
            users: ["system:kube-proxy"]
          - level: Metadata
        """), "sensitive-bodies")
    assert mixed["took"] == []
    assert mixed["verdict"].startswith("The policy satisfies neither side")
    # what most traffic gets is said, and the rules that decide otherwise are marked
    assert "An ordinary user's requests get Metadata, as CIS 3.2.2 asks" in mixed["verdict"]
    breaks = {e["rule"]: e["breaks"] for e in mixed["evidence"]}
    assert breaks == {0: ["stig:V-242403", "cis:3.2.2"], 1: ["stig:V-242403"], 2: ["stig:V-242403"]}


def test_conflicting_controls_are_marked(subject):
    s = subject(METADATA_ONLY)
    frameworks = [controls.evaluate_framework(profiles.load_builtin(n), s) for n in ("cis", "stig")]
    conflicts = [conflict(s, "sensitive-bodies"), conflict(s, "configmap-bodies")]
    controls.link_conflicts(frameworks, conflicts)
    cis = {c["id"]: c for c in frameworks[0]["controls"]}
    assert cis["3.2.2"]["conflicts"] == ["sensitive-bodies", "configmap-bodies"]
    assert cis["1.2.16"]["conflicts"] == []


def test_matrix_cells_and_system_exceptions_for_a_real_policy(corpus_policies):
    s = read_subject(str(corpus_policies / "gce-configure-helper.yaml"), (1, 36))
    matrix = build_matrix(s)
    rows = {row["id"]: {c["verb"]: c for c in row["cells"]} for row in matrix["rows"]}
    secrets_get = rows["secrets-configmaps"]["get"]
    assert secrets_get["levels"] == ["Metadata"]
    assert {o["rule"] for o in secrets_get["outcomes"]} == {13}
    assert rows["workloads"]["create"]["levels"] == ["RequestResponse"]
    assert rows["events"]["delete"]["levels"] == ["None", "Metadata"]  # core events dropped, events.k8s.io not
    assert rows["exec"]["list"]["applies"] is False
    assert matrix["ordinaryUser"]["user"] not in {u for r in s.policy.rules for u in r.users}
    by_rule = {e["rule"]: e for e in matrix["exceptions"]}
    assert by_rule[3]["who"] == "members of system:nodes" and by_rule[3]["level"] == "None"
    assert "Nodes: get" in by_rule[3]["cells"]
    assert by_rule[1]["who"] == "system:unsecured"
