"""The audit log file is written in the legacy text format instead of JSON.

## What it does
Reports a kube-apiserver (from `--apiserver-manifest`) that writes its audit log file with
`--audit-log-format=legacy`.

## Why is this bad?
The legacy format is one line of text per event: it drops the structure (user groups, object
reference, annotations) that log pipelines, SIEM rules (Falco k8saudit, Elastic, the CloudWatch
queries of the EKS guide) and `kube-audit-lint replay` read. kube-apiserver's default is `json`
(`k8s.io/apiserver/pkg/server/options/audit.go`).

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
        - --audit-log-path=/var/log/kubernetes/audit.log
        - --audit-log-format=legacy
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
        - --audit-log-format=json
```

## Fix
Remove `--audit-log-format=legacy` (the default is `json`) or set it to `json`.

## References
- https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#log-backend
"""

CODE = "KAL065"
NAME = "audit-log-format-not-json"
SEVERITY = "warning"
CATEGORY = "correctness"
PRECISION = "very-high"
SCOPE = "manifest"  # about the kube-apiserver manifest: runs once per run, not once per policy
EXAMPLE_INPUT = "apiserver-manifest"


def check(ctx):
    config = ctx.apiserver
    flag = config.get("audit-log-format") if config is not None else None
    if flag is None or flag.value == "json" or config.value("audit-log-path") in (None, ""):
        return
    yield ctx.finding_in_file(
        config.path, flag.span,
        f"--audit-log-format={flag.value}: the audit log is written as text lines, not the JSON events "
        "log pipelines and detections read",
        fix="set --audit-log-format=json (the default)",
        subject="audit log format not json",
    )
