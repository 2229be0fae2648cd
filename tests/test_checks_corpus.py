"""Every check on every real-world policy of the corpus (../shared/corpus/policies).

Nothing crashes, on the newest release and on older ones. The policy-model checks (KAL001-KAL019)
find the defects the corpus is known for, and nothing else at warning or error: the table below is
what a review of each of their findings on the corpus kept.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from kube_audit_lint.lint.config import Settings
from kube_audit_lint.findings import Severity
from kube_audit_lint.lint.pipeline import lint_paths

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "policies"
MODEL_CHECKS = {f"KAL{n:03d}" for n in range(1, 20)}

# Warnings and errors of the policy-model checks, per file (files not listed have none).
REVIEWED = {
    "audit-exporter-wzshiming.yaml": {"KAL010"},  # omits ResponseStarted for the whole policy
    "audit2rbac-demo.yaml": {"KAL010"},  # the only rule omits ResponseStarted
    "cage-research.yaml": {"KAL004", "KAL006", "KAL014"},  # verbs: [impersonate]; kube-proxy dropped wholesale
    "cloudnative-pg.yaml": {"KAL006"},
    "eks-anywhere.yaml": {"KAL001", "KAL006"},  # v1beta1; the serviceaccounts/token rule keeps RequestReceived
    "eks-best-practices-as-v1.yaml": {"KAL006"},
    "eks-best-practices-v1beta1.yaml": {"KAL001", "KAL006"},
    "fairwinds-insights.yaml": {"KAL006"},
    "falco-examples-v1beta1.yaml": {"KAL001", "KAL004"},
    "falco-k8saudit-plugin.yaml": {"KAL004"},  # deployments under the core group
    "gce-configure-helper-2017.yaml": {"KAL001", "KAL003", "KAL006"},  # no apiVersion; versioned groups
    "k8s-audit-log-inspector-all.yaml": {"KAL001", "KAL006"},
    "k8s-audit-log-inspector-gke.yaml": {"KAL001", "KAL006"},  # the catch-all keeps RequestReceived
    "minimal-metadata-kops.yaml": {"KAL006"},
    "neon-autoscaling.yaml": {"KAL006"},
    "nunoadrego-pod-security.yaml": {"KAL006"},
    "openshift-allrequestbodies.yaml": {"KAL002", "KAL004"},  # resource: typo; tokenrequests
    "openshift-clf-example.yaml": {"KAL001", "KAL002", "KAL004", "KAL006", "KAL014"},  # a collector's policy
    "openshift-oauth.yaml": {"KAL002", "KAL004"},
    "openshift-writerequestbodies.yaml": {"KAL002", "KAL004"},
}
REFUSED_API_VERSION = {
    "eks-anywhere.yaml": (1, 13),
    "eks-best-practices-v1beta1.yaml": (1, 13),
    "falco-examples-v1beta1.yaml": (1, 13),
    "k8s-audit-log-inspector-all.yaml": (4, 13),
    "k8s-audit-log-inspector-gke.yaml": (6, 13),
}


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"../shared not present: {CORPUS}")
    return sorted(CORPUS.glob("*.yaml"))


@pytest.fixture(scope="module")
def reports():
    return {path.name: lint_paths([str(path)], Settings(), (1, 36)) for path in corpus_files()}


def mine(report, code=None, severity=Severity.NOTE):
    return [f for f in report.findings
            if f.code in MODEL_CHECKS and (code is None or f.code == code) and f.severity >= severity]


def at(finding) -> tuple[int, int]:
    return finding.location.line, finding.location.column


def test_corpus_is_linted_by_every_check(reports):
    assert len(reports) >= 30
    for name, report in reports.items():
        assert report.files, f"{name} was not read as a policy"
        for finding in report.findings:
            assert finding.location.line >= 1 and finding.location.column >= 1, (name, finding)


@pytest.mark.parametrize("kube_version", [(1, 22), (1, 25), (1, 30)])
def test_corpus_on_older_releases(kube_version):
    for path in corpus_files():
        report = lint_paths([str(path)], Settings(), kube_version)
        assert report.files, path.name


def test_warnings_and_errors_are_the_reviewed_ones(reports):
    found = {name: {f.code for f in mine(report, severity=Severity.WARNING)} for name, report in reports.items()}
    assert {name: codes for name, codes in found.items() if codes} == REVIEWED


def test_removed_api_versions_are_refused(reports):
    for name, position in REFUSED_API_VERSION.items():
        found = mine(reports[name], "KAL001")
        assert [(at(f), f.severity) for f in found] == [(position, Severity.ERROR)], name
        assert "audit.k8s.io/v1beta1" in found[0].message
    assert mine(reports["eks-best-practices-as-v1.yaml"], "KAL001") == []


def test_falco_deployments_under_the_core_group(reports):
    for name in ("falco-k8saudit-plugin.yaml", "falco-examples-v1beta1.yaml"):
        found = mine(reports[name], "KAL004")
        assert [at(f) for f in found] == [(13, 27)]
        assert '"deployments"' in found[0].message and 'group "apps"' in found[0].message


@pytest.mark.parametrize("name", ["openshift-writerequestbodies.yaml", "openshift-allrequestbodies.yaml",
                                  "openshift-oauth.yaml"])
def test_openshift_resource_typo_and_tokenrequests(reports, name):
    typo = mine(reports[name], "KAL002")
    assert [(at(f), f.severity) for f in typo] == [((38, 5), Severity.ERROR)]
    assert 'unknown field "resource"' in typo[0].message and 'did you mean "resources"' in typo[0].message
    tokenrequests = mine(reports[name], "KAL004")
    assert [at(f) for f in tokenrequests] == [(34, 33)] and "serviceaccounts/token" in tokenrequests[0].message


def test_gce_2017_versioned_groups(reports):
    report = reports["gce-configure-helper-2017.yaml"]
    found = mine(report, "KAL003")
    groups = [f.message.split('"')[1] for f in found]
    versioned = ["admissionregistration.k8s.io/v1alpha1", "apps/v1beta1", "certificates.k8s.io/v1beta1",
                 "extensions/v1beta1", "networking.k8s.io/v1", "policy/v1beta1", "settings.k8s.io/v1alpha1"]
    assert groups == versioned * 2
    assert {f.rule_index for f in found} == {9, 10} and at(found[0]) == (74, 16)
    assert all("refuses it" in f.message for f in found)
    assert [f.severity for f in mine(report, "KAL001")] == [Severity.ERROR]  # no apiVersion at all


def test_omitted_stages(reports):
    exporter = mine(reports["audit-exporter-wzshiming.yaml"], "KAL010")
    assert [at(f) for f in exporter] == [(6, 3)]
    kops = mine(reports["minimal-metadata-kops.yaml"], "KAL006")
    assert len(kops) == 1 and kops[0].fix == 'add omitStages: ["RequestReceived"] at the policy level'
    eks = mine(reports["eks-best-practices-as-v1.yaml"], "KAL006")
    assert [f.rule_index for f in eks] == [13]  # serviceaccounts/token: the only logging rule without it


def test_impersonate_verb_and_blanket_drop(reports):
    report = reports["cage-research.yaml"]
    assert [f.message.split('"')[1] for f in mine(report, "KAL004")] == ["impersonate"]
    assert [f.rule_index for f in mine(report, "KAL014")] == [0]


def test_collector_policy_wildcards(reports):
    report = reports["openshift-clf-example.yaml"]
    patterns = [f.message.split('"')[1] for f in mine(report, "KAL004")]
    assert {"openshift-kube-*", "system:node:*", "system:serviceaccount:kube-system:*",
            "system:serviceaccount:openshift-console-operator"} <= set(patterns)
    assert [f.message for f in mine(report, "KAL002")] == ['unknown field "redactions" is dropped by kube-apiserver']


def test_reference_policies_raise_no_more_than_notes(reports):
    for name in ("gce-configure-helper.yaml", "kubespray.yaml", "openshift-default.yaml", "k8s-website-example.yaml"):
        counts = collections.Counter(f.severity for f in mine(reports[name]))
        assert counts[Severity.WARNING] == counts[Severity.ERROR] == 0, name
