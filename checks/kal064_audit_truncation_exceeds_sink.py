"""Audit events can be larger than the log sink accepts.

## What it does
Reads the truncation flags of the log and webhook backends (`--audit-log-truncate-enabled`,
`--audit-log-truncate-max-event-size`, and the `--audit-webhook-*` equivalents) and reports
events that may exceed the sink's entry limit (default 256 KiB, CloudWatch Logs' and Falco's
limit; option `sink-limit-bytes`). It also reports a max batch size below the max event size,
which kube-apiserver refuses.

## Why is this bad?
A request body can reach 1.5 MiB; an event above the sink's limit is truncated or dropped by the
sink, silently (the EKS best-practices guide: "Log entries greater than 256KB will either be
truncated or only include the request metadata"). With truncation enabled and a max event size
at or below the limit, kube-apiserver drops the bodies first and keeps the event.

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
        - --audit-webhook-config-file=/etc/kubernetes/audit-webhook.yaml
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
        - --audit-webhook-config-file=/etc/kubernetes/audit-webhook.yaml
        - --audit-webhook-truncate-enabled=true
        - --audit-webhook-truncate-max-event-size=102400
```

## Fix
Enable truncation on the backend that feeds the size-limited sink, with a max event size at or
below the sink's limit.

## References
- k8s.io/apiserver/plugin/pkg/audit/truncate (defaults: 100 KiB events, 10 MiB batches)
- EKS best practices, Auditing and logging (CloudWatch 256 KB entry limit)
"""

from kube_audit_lint.findings import Severity

CODE = "KAL064"
NAME = "audit-truncation-exceeds-sink"
SEVERITY = "warning"
CATEGORY = "security"
SCOPE = "manifest"  # about the kube-apiserver manifest: runs once per run, not once per policy
EXAMPLE_INPUT = "apiserver-manifest"
OPTIONS = {"sink-limit-bytes": 262144}
DEFAULT_MAX_EVENT = 102400
DEFAULT_MAX_BATCH = 10485760


def _int(text, default):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def check(ctx):
    config = ctx.apiserver
    if config is None:
        return
    limit = int(ctx.option("sink-limit-bytes"))
    for backend, active in (("log", config.value("audit-log-path") not in (None, "", "-")),
                            ("webhook", bool(config.value("audit-webhook-config-file")))):
        if not active:
            continue
        enabled_flag = config.get(f"audit-{backend}-truncate-enabled")
        enabled = enabled_flag is not None and enabled_flag.value.lower() in ("true", "1")
        event_flag = config.get(f"audit-{backend}-truncate-max-event-size")
        batch_flag = config.get(f"audit-{backend}-truncate-max-batch-size")
        max_event = _int(event_flag.value if event_flag else None, DEFAULT_MAX_EVENT)
        max_batch = _int(batch_flag.value if batch_flag else None, DEFAULT_MAX_BATCH)
        if enabled and max_batch < max_event:
            yield ctx.finding_in_file(
                config.path, (batch_flag or event_flag or enabled_flag).span,
                f"--audit-{backend}-truncate-max-batch-size ({max_batch}) is below the max event size ({max_event}): "
                "kube-apiserver refuses this configuration",
                severity=Severity.ERROR,
                subject=f"{backend} batch below event size",
            )
        if backend == "log" and not enabled:
            continue  # a local file has no entry limit; the shipper's limit is not known here
        if not enabled:
            where = config.get(f"audit-{backend}-config-file") or config.anchor
            yield ctx.finding_in_file(
                config.path, getattr(where, "span", where),
                f"audit {backend} truncation is off: events with large bodies can exceed the sink's "
                f"{limit // 1024} KiB entry limit and be dropped by it",
                fix=f"add --audit-{backend}-truncate-enabled=true",
                subject=f"{backend} truncation off",
            )
        elif max_event > limit:
            yield ctx.finding_in_file(
                config.path, event_flag.span,
                f"--audit-{backend}-truncate-max-event-size={max_event} is above the sink's {limit} byte entry limit",
                fix=f"set --audit-{backend}-truncate-max-event-size={min(limit, DEFAULT_MAX_EVENT)}",
                subject=f"{backend} max event above sink",
            )
