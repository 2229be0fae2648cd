"""kube-apiserver is started without --audit-policy-file, so no audit event is recorded.

## What it does
Reads the kube-apiserver flags (from `--apiserver-manifest`: a static pod manifest, a kubeadm
ClusterConfiguration or a flags file) and reports when `--audit-policy-file` is not set.

## Why is this bad?
Without a policy file kube-apiserver records nothing, even with `--audit-log-path` or a webhook
configured (`k8s.io/apiserver/pkg/server/options/audit.go`: "No audit policy file provided, no
events will be recorded"). CIS Kubernetes Benchmark 3.2.1 ("Ensure that a minimal audit policy is
created") and DISA STIG V-242401 require it.

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
        - --audit-log-path=/var/log/kubernetes/audit.log
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
        - --audit-policy-file=/etc/kubernetes/audit-policy.yaml
        - --audit-log-path=/var/log/kubernetes/audit.log
```

## Fix
Add `--audit-policy-file=<path of this policy on the control-plane host>` and mount the file into
the kube-apiserver pod.

## References
- CIS Kubernetes Benchmark 3.2.1; DISA Kubernetes STIG V-242401 (CNTR-K8-000600)
- https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/
"""

CODE = "KAL060"
NAME = "audit-policy-file-not-set"
SEVERITY = "error"
CATEGORY = "security"
PRECISION = "very-high"
SCOPE = "manifest"  # about the kube-apiserver manifest: runs once per run, not once per policy
EXAMPLE_INPUT = "apiserver-manifest"


def check(ctx):
    config = ctx.apiserver
    if config is None or config.get("audit-policy-file") is not None:
        return
    yield ctx.finding_in_file(
        config.path, config.anchor,
        "kube-apiserver has no --audit-policy-file: no audit event is recorded, whatever the policy says",
        fix="add --audit-policy-file=<path of this policy> and mount the file",
        subject="audit-policy-file unset",
    )
