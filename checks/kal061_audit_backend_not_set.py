"""Neither --audit-log-path nor --audit-webhook-config-file is set, so events go nowhere.

## What it does
Reports a kube-apiserver configuration (from `--apiserver-manifest`) that has an audit policy but
no backend: no `--audit-log-path` and no `--audit-webhook-config-file`.

## Why is this bad?
The policy decides what is recorded; a backend writes it. With no log path and no webhook,
kube-apiserver evaluates the policy and writes nothing (`options/audit.go` `ApplyTo` builds no
backend). CIS Kubernetes Benchmark 1.2.16 ("Ensure that the --audit-log-path argument is set") and
DISA STIG V-242402 / V-242465 require a log path.

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
        - --audit-policy-file=/etc/kubernetes/audit-policy.yaml
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
Set `--audit-log-path` (and mount its directory), or `--audit-webhook-config-file` to ship events
off the cluster.

## References
- CIS Kubernetes Benchmark 1.2.16; DISA Kubernetes STIG V-242402, V-242465
"""

CODE = "KAL061"
NAME = "audit-backend-not-set"
SEVERITY = "error"
CATEGORY = "security"
PRECISION = "very-high"
SCOPE = "manifest"  # about the kube-apiserver manifest: runs once per run, not once per policy
EXAMPLE_INPUT = "apiserver-manifest"


def check(ctx):
    config = ctx.apiserver
    if config is None:
        return
    if config.value("audit-log-path") or config.value("audit-webhook-config-file"):
        return
    yield ctx.finding_in_file(
        config.path, config.anchor,
        "kube-apiserver has neither --audit-log-path nor --audit-webhook-config-file: audit events are written nowhere",
        fix="add --audit-log-path=/var/log/kubernetes/audit/audit.log (and mount the directory)",
        subject="audit backend unset",
    )
