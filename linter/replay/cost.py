"""What a policy's log costs, from a sample: bytes and events per day, per rule and per request
class, with money at a price per GB; events over the size limits of the sinks they go to.

The day rate is the sample's own: its events per second of the span between its earliest and
latest event times (``stageTimestamp``), never an assumed span. A sample without times, or all at
one second, has no rate: the totals are given and ``perDay`` figures are null. Bytes are those the
policy would write: each recorded event's size, less the request body below Request and the
response body below RequestResponse, plus its newline; bodies the recorded log does not hold are
not counted (see written_bytes). A GB is 10^9 bytes, as cloud log pricing counts.
"""

from __future__ import annotations

from datetime import datetime, timezone

from kube_audit_lint.engine.evaluate import Decision
from kube_audit_lint.policy.model import Level, Policy
from kube_audit_lint.replay.tally import UNDECIDABLE

GB = 10**9
CLASSES_LISTED = 50
# the sinks of managed clusters and the largest event each takes (bytes)
SINKS = (("CloudWatch Logs (EKS)", 256 * 1024), ("AKS diagnostic settings", 16 * 1024))
MANIFEST_SINK = "--audit-log-truncate-max-event-size"


def span_days(span: tuple[str, str] | None) -> float | None:
    """Days between the earliest and latest event times, or None without a positive span."""
    if span is None:
        return None
    try:
        first, last = (datetime.fromisoformat(t).replace(tzinfo=timezone.utc) for t in span)
    except ValueError:
        return None
    seconds = (last - first).total_seconds()
    return seconds / 86400 if seconds > 0 else None


def _rate(value: int, days: float | None) -> float | None:
    return round(value / days, 1) if days else None


def _money(bytes_per_day: float | None, price: float | None) -> float | None:
    return round(bytes_per_day / GB * price, 4) if bytes_per_day is not None and price is not None else None


def written_bytes(decision: Decision, stage: str | None, numbers: list[int]) -> int:
    """Bytes ``decision`` would write for events of one cell: (events, bytes, request body bytes,
    response body bytes). Each event also ends with a newline."""
    events, size, request_body, response_body = numbers[:4]
    if not decision.logs(stage):
        return 0
    if decision.level < Level.REQUEST:
        size -= request_body
    if decision.level < Level.REQUEST_RESPONSE:
        size -= response_body
    return size + events


def cost(policy: Policy, counts: dict[tuple, list], span: tuple[str, str] | None, price_per_gb: float | None,
         sinks: tuple[tuple[str, int], ...]) -> dict:
    """The ``cost`` section of the replay summary from a COST-mode run's counts (cell keys
    (Decision, stage, listed, request class), cells as Tally.count_sized with ``sinks``' limits)."""
    days = span_days(span)
    rules: dict[int | None, list[int]] = {}
    classes: dict[tuple, list[int]] = {}
    over = [0] * len(sinks)
    total_events = total_bytes = 0
    for key, numbers in counts.items():
        decision, stage, klass = key[0], key[1], key[3]
        if decision is UNDECIDABLE or not decision.logs(stage):
            continue
        written = written_bytes(decision, stage, numbers)
        events = numbers[0]
        total_events += events
        total_bytes += written
        for entry in (rules.setdefault(decision.rule, [0, 0]), classes.setdefault(klass, [0, 0])):
            entry[0] += events
            entry[1] += written
        at = 4 + (0 if decision.level < Level.REQUEST else 1 if decision.level < Level.REQUEST_RESPONSE else 2)
        for i in range(len(sinks)):
            over[i] += numbers[at + 3 * i]

    def figures(events: int, written: int) -> dict:
        per_day = _rate(written, days)
        return {"events": events, "bytes": written, "eventsPerDay": _rate(events, days), "bytesPerDay": per_day,
                "share": round(written / total_bytes, 4) if total_bytes else 0.0,
                "moneyPerDay": _money(per_day, price_per_gb)}

    rule_rows = [{"rule": index, "line": policy.rule_line(index) if index is not None else None,
                  "level": policy.rules[index].level if index is not None else "None", **figures(*numbers)}
                 for index, numbers in sorted(rules.items(), key=lambda item: -item[1][1])]
    class_rows = [{"userClass": k[0], "verb": k[1], "resource": k[2], **figures(*numbers)}
                  for k, numbers in sorted(classes.items(), key=lambda item: (-item[1][1], item[0]))]
    return {
        "span": {"first": span[0] + "Z" if span else None, "last": span[1] + "Z" if span else None,
                 "days": round(days, 6) if days else None},
        "pricePerGB": price_per_gb,
        "total": figures(total_events, total_bytes),
        "rules": rule_rows,
        "requestClasses": class_rows[:CLASSES_LISTED],
        "requestClassesNotListed": max(0, len(class_rows) - CLASSES_LISTED),
        "overSinkLimit": [{"sink": name, "limitBytes": limit, "events": n} for (name, limit), n in zip(sinks, over)],
        "note": "bytes the policy would write, from the recorded events' sizes; per day over the sample's own span",
    }


def per_day_change(old_bytes: int, new_bytes: int, span: tuple[str, str] | None, price_per_gb: float | None) -> dict:
    """The comparison's bytes (and money) per day before and after, over the sample's span."""
    days = span_days(span)
    old, new = _rate(old_bytes, days), _rate(new_bytes, days)
    change = round(new - old, 1) if old is not None and new is not None else None
    return {"days": round(days, 6) if days else None, "bytesOld": old, "bytesNew": new, "bytesChange": change,
            "pricePerGB": price_per_gb, "moneyOld": _money(old, price_per_gb), "moneyNew": _money(new, price_per_gb),
            "moneyChange": _money(change, price_per_gb)}
