"""Audit log rotation keeps fewer days, files or megabytes than CIS and STIG require.

## What it does
Checks `--audit-log-maxage` (days, at least 30), `--audit-log-maxbackup` (files, at least 10) and
`--audit-log-maxsize` (MB, at least 100) of a kube-apiserver that writes an audit log file
(`--audit-log-path` set, other than `-`). An unset flag takes kube-apiserver's default for the
selected `--kube-version`: 0 before 1.36; 366, 100 and 100 from 1.36.

## Why is this bad?
Evidence rotated away before anyone looks is no evidence. CIS Kubernetes Benchmark 1.2.17-1.2.19
and DISA STIG V-242462-V-242464 set these minimums. A value of 0 means "no limit" to
kube-apiserver (`maxage` 0 never removes files by age; `maxsize` 0 disables rotation from 1.36),
which CIS scanners such as kube-bench still fail; the message says so.

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
        - --audit-log-maxage=7
        - --audit-log-maxbackup=10
        - --audit-log-maxsize=100
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
        - --audit-log-maxage=30
        - --audit-log-maxbackup=10
        - --audit-log-maxsize=100
```

## Fix
Raise the flag to the minimum (or more), or ship the log off the cluster and document the
retention there (PCI DSS 10.5.1 asks for 12 months).

## References
- CIS Kubernetes Benchmark 1.2.17, 1.2.18, 1.2.19 (numbering differs between benchmark versions)
- DISA Kubernetes STIG V-242464, V-242463, V-242462
"""

from kube_audit_lint.kube.flags import retention_default

CODE = "KAL062"
NAME = "audit-log-retention-too-short"
SEVERITY = "warning"
CATEGORY = "security"
SCOPE = "manifest"  # about the kube-apiserver manifest: runs once per run, not once per policy
EXAMPLE_INPUT = "apiserver-manifest"
OPTIONS = {"audit-log-maxage": 30, "audit-log-maxbackup": 10, "audit-log-maxsize": 100}
UNITS = {"audit-log-maxage": "days", "audit-log-maxbackup": "files", "audit-log-maxsize": "MB"}
CONTROLS = {"audit-log-maxage": "CIS 1.2.17", "audit-log-maxbackup": "CIS 1.2.18", "audit-log-maxsize": "CIS 1.2.19"}


def check(ctx):
    config = ctx.apiserver
    if config is None or config.value("audit-log-path") in (None, "", "-"):
        return
    for name, unit in UNITS.items():
        minimum = int(ctx.option(name))
        flag = config.get(name)
        raw = flag.value if flag is not None else retention_default(name, ctx.kube_version)
        try:
            value = int(raw)
        except ValueError:
            yield ctx.finding_in_file(config.path, flag.span if flag else config.anchor,
                                      f"--{name}={raw} is not a number", subject=f"{name} invalid")
            continue
        if value >= minimum:
            continue
        where = flag.span if flag is not None else config.anchor
        shown = f"--{name}={value}" if flag is not None else f"--{name} is unset (default {value})"
        meaning = " (0 means no limit to kube-apiserver, but CIS scanners fail it)" if value == 0 else ""
        yield ctx.finding_in_file(
            config.path, where,
            f"{shown}: {CONTROLS[name]} asks for at least {minimum} {unit}{meaning}",
            fix=f"set --{name}={minimum} or more",
            subject=f"{name} below {minimum}",
        )
