"""The --audit-policy-file is not mounted into the kube-apiserver pod, or is not this policy.

## What it does
For a static pod manifest or kubeadm configuration given with `--apiserver-manifest`: reports
when the file named by `--audit-policy-file` is not inside any volume mounted into the
kube-apiserver container, and notes when its file name differs from the policy being linted.

## Why is this bad?
A policy file missing from the pod stops kube-apiserver at startup ("failed to read file path";
the Kubernetes documentation asks for a `hostPath` mount). A flag pointing at another file means
the policy under review is not the one in force.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
    - name: kube-apiserver
      command:
        - kube-apiserver
        - --audit-policy-file=/etc/kubernetes/audit/audit-policy.yaml
        - --audit-log-path=/var/log/kubernetes/audit.log
      volumeMounts:
        - {name: k8s-certs, mountPath: /etc/kubernetes/pki, readOnly: true}
```

## Use instead
```yaml
apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
    - name: kube-apiserver
      command:
        - kube-apiserver
        - --audit-policy-file=/etc/kubernetes/audit/audit-policy.yaml
        - --audit-log-path=/var/log/kubernetes/audit.log
      volumeMounts:
        - {name: k8s-certs, mountPath: /etc/kubernetes/pki, readOnly: true}
        - {name: audit-policy, mountPath: /etc/kubernetes/audit, readOnly: true}
```

## Fix
Mount the policy's directory (or the file) with a `hostPath` volume, and point the flag at the
policy you ship.

## References
- https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#log-backend (hostPath mounts)
"""

import os

from kube_audit_lint.findings import Severity

CODE = "KAL063"
NAME = "audit-policy-not-mounted"
SEVERITY = "warning"
CATEGORY = "security"
SCOPE = "manifest"  # about the kube-apiserver manifest: runs once per run, not once per policy
EXAMPLE_INPUT = "apiserver-manifest"


def check(ctx):
    config = ctx.apiserver
    flag = config.get("audit-policy-file") if config is not None else None
    if flag is None:
        return
    if config.mounts_known and not config.mounted(flag.value):
        yield ctx.finding_in_file(
            config.path, flag.span,
            f"--audit-policy-file={flag.value} is not inside any volume mounted into kube-apiserver: "
            "the apiserver will fail to start",
            fix=f"mount {os.path.dirname(flag.value) or flag.value} into the kube-apiserver container",
            subject="policy file not mounted",
        )
    policy_name = os.path.basename(ctx.policy.path)
    if policy_name not in ("-", "<policy>") and os.path.basename(flag.value) != policy_name:
        yield ctx.finding_in_file(
            config.path, flag.span,
            f"--audit-policy-file names {os.path.basename(flag.value)}, not the linted policy {policy_name}",
            severity=Severity.NOTE,
            subject="policy file name differs",
        )
