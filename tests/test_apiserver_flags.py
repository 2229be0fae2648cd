"""kube-apiserver audit flags: the three places they are read from, and the checks on them in lint."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kube_audit_lint.kube.flags import apiserver_config_from_text, read_apiserver_config
from kube_audit_lint.lint.pipeline import lint_text

POLICY = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n"

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
    - name: kube-apiserver
      image: registry.k8s.io/kube-apiserver:v1.30.0
      command:
        - kube-apiserver
        - --audit-policy-file=/etc/kubernetes/audit/audit-policy.yaml
        - --audit-log-path=/var/log/kubernetes/audit.log
        - --audit-log-maxage
        - "7"
        - --audit-log-format=legacy
      volumeMounts:
        - {name: audit, mountPath: /etc/kubernetes/audit, readOnly: true}
"""

KUBEADM_V1BETA4 = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
apiServer:
  extraArgs:
    - name: audit-policy-file
      value: /etc/kubernetes/policies/audit-policy.yaml
    - name: audit-log-path
      value: /var/log/kubernetes/audit.log
  extraVolumes:
    - name: policies
      hostPath: /etc/kubernetes/policies
      mountPath: /etc/kubernetes/policies
"""

KUBEADM_V1BETA3 = """\
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
apiServer:
  extraArgs:
    audit-policy-file: /etc/kubernetes/policies/audit-policy.yaml
"""

FLAGS = """\
# kube-apiserver flags
--audit-policy-file=/etc/kubernetes/audit-policy.yaml \\
  --audit-log-path=/var/log/audit.log --audit-log-maxage=30
--audit-log-maxbackup=10 --audit-log-maxsize=100
"""


def test_static_pod_flags_with_positions_and_mounts():
    config = apiserver_config_from_text("pod.yaml", POD)
    assert config.kind == "pod"
    assert config.value("audit-log-maxage") == "7"  # `--flag value` as two items
    assert config.get("audit-log-format").span.line == 14
    assert config.get("audit-policy-file").span.line == 10
    assert config.mounted("/etc/kubernetes/audit/audit-policy.yaml")
    assert not config.mounted("/etc/kubernetes/other/audit-policy.yaml")


@pytest.mark.parametrize("text", [KUBEADM_V1BETA4, KUBEADM_V1BETA3])
def test_kubeadm_cluster_configuration(text):
    config = apiserver_config_from_text("kubeadm.yaml", text)
    assert config.kind == "kubeadm"
    assert config.value("audit-policy-file") == "/etc/kubernetes/policies/audit-policy.yaml"
    assert config.get("audit-policy-file").span.line == 5


def test_flags_file_with_continuations_and_comments():
    config = apiserver_config_from_text("flags", FLAGS)
    assert config.kind == "flags"
    assert config.value("audit-log-maxage") == "30"
    assert config.get("audit-log-maxbackup").span.line == 4
    assert config.get("audit-log-path").span.column == 3


def codes(manifest: str, kube_version=(1, 36)) -> list[str]:
    return sorted(f.code for f in lint_text(POLICY, "audit-policy.yaml", kube_version=kube_version,
                                            apiserver_manifest_text=manifest)
                  if f.code.startswith("KAL06"))


def test_checks_on_a_static_pod():
    # maxage 7 (CIS 1.2.17), legacy format; maxbackup/maxsize unset take the 1.36 defaults (100, 100)
    assert codes(POD) == ["KAL062", "KAL065"]


def test_retention_defaults_follow_the_kube_version():
    manifest = POD.replace('        - --audit-log-maxage\n        - "7"\n', "").replace("        - --audit-log-format=legacy\n", "")
    assert codes(manifest, (1, 36)) == []
    # before 1.36 unset retention flags are 0: three findings, one per flag
    assert codes(manifest, (1, 35)) == ["KAL062", "KAL062", "KAL062"]


def test_no_policy_file_and_no_backend():
    manifest = "--audit-log-maxage=30\n"
    assert codes(manifest) == ["KAL060", "KAL061"]


def test_lint_with_a_manifest_points_into_the_manifest(tmp_path):
    (tmp_path / "audit-policy.yaml").write_text(POLICY)
    (tmp_path / "kube-apiserver.yaml").write_text(POD)
    result = subprocess.run([sys.executable, "-m", "kube_audit_lint", "lint", "audit-policy.yaml",
                             "--apiserver-manifest", "kube-apiserver.yaml", "--select", "KAL062,KAL065"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert "kube-apiserver.yaml:12:11: KAL062 [warning] --audit-log-maxage=7" in result.stdout
    assert "kube-apiserver.yaml:14:11: KAL065 [warning] --audit-log-format=legacy" in result.stdout


def test_a_file_that_is_no_manifest_is_an_input_error(tmp_path):
    (tmp_path / "x.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\n")
    from kube_audit_lint.policy.yamlnodes import InputError

    with pytest.raises(InputError):
        read_apiserver_config(str(tmp_path / "x.yaml"))
