"""Nothing read is an error: a log with no audit event names what it looks like, and what is read."""

from __future__ import annotations


class NothingRead(Exception):
    """No line of the input was an audit event: an error, never "0 events replayed"."""


ACCEPTED = ("audit.k8s.io Event JSON lines (the apiserver's --audit-log-format=json), a JSON EventList, "
            "the exports of EKS (CloudWatch Logs), AKS (diagnostic settings), GKE (Cloud Logging) and OpenShift "
            "(ViaQ, OTLP), compressed with gzip, bzip2, xz or zstd, or - for standard input")


def require_events(events: int, logs: list[str]) -> None:
    """Exit 2 (through NothingRead) when the logs held no audit event, naming what they look like."""
    if events:
        return
    seen = "; ".join(f"{name}: {looks_like(name)}" for name in logs if name != "-") or "standard input: no event"
    raise NothingRead(f"no audit event in the input ({seen}); kube-audit-lint reads {ACCEPTED}")


def looks_like(path: str) -> str:
    """What a log that held no event looks like, from its first line: empty, the apiserver's legacy
    text format, CSV, or some other text that is not JSON."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return "unreadable"
    if head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")):
        return "compressed, with no event in it"
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    line = next((candidate for candidate in text.splitlines() if candidate.strip()), "")
    if not line:
        return "empty"
    if " AUDIT: " in line or line.startswith("AUDIT: "):
        return "the apiserver's legacy text format (--audit-log-format=legacy), not JSON"
    if line.lstrip().startswith(("{", "[")):
        return "JSON, but no audit.k8s.io Event in it"
    if line.count(",") >= 2:
        return "CSV or comma-separated text, not JSON"
    return "text that is not JSON"
