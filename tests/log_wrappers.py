"""The same audit events as each managed platform exports them (for the replay and filter tests).

Each function takes Event dicts and returns the bytes of one log file in that platform's shape
(see linter/replay/formats.py and ../shared/corpus/managed-logs for real samples).
"""

from __future__ import annotations

import base64
import gzip
import json


def _j(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def raw(events) -> bytes:
    return "".join(_j(e) + "\n" for e in events).encode()


def eventlist(events) -> bytes:
    return json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": events}, indent=2).encode()


def cloudwatch(events) -> bytes:  # aws logs filter-log-events
    return json.dumps({"events": [
        {"logStreamName": "kube-apiserver-audit-0", "timestamp": 1700000000000 + i, "message": _j(e),
         "ingestionTime": 1700000000100 + i, "eventId": str(i)} for i, e in enumerate(events)],
        "searchedLogStreams": []}, indent=2).encode()


def _subscription(events) -> dict:
    return {"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/eks/c/cluster",
            "logStream": "kube-apiserver-audit-0", "subscriptionFilters": ["f"],
            "logEvents": [{"id": str(i), "timestamp": 1700000000000 + i, "message": _j(e)} for i, e in enumerate(events)]}


def subscription(events) -> bytes:
    return (_j(_subscription(events)) + "\n").encode()


def awslogs(events) -> bytes:  # the Lambda event
    data = base64.b64encode(gzip.compress(_j(_subscription(events)).encode())).decode()
    return (_j({"awslogs": {"data": data}}) + "\n").encode()


def firehose(events, newlines: bool) -> bytes:  # Firehose to S3: payloads one after another
    payloads = [_j(_subscription(events[i:i + 2])) for i in range(0, len(events), 2)]
    payloads.insert(1, _j({"messageType": "CONTROL_MESSAGE", "logEvents": [{"id": "c", "message": "CWL CONTROL MESSAGE"}]}))
    return ("\n".join(payloads) + "\n" if newlines else "".join(payloads)).encode()


def insights(events) -> bytes:
    return json.dumps([{"@timestamp": "2026-12-03 10:00:00.000", "@message": _j(e)} for e in events],
                      indent=2).encode()


def _aks_record(event) -> dict:
    return {"operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
            "category": "kube-audit", "time": "2026-12-03T10:00:00Z",
            "resourceId": "/SUBSCRIPTIONS/X/RESOURCEGROUPS/Y/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/Z",
            "properties": {"log": _j(event) + "\n", "stream": "stdout", "pod": "kube-apiserver-0"}}


def aks_event_hubs(events) -> bytes:
    return json.dumps({"records": [_aks_record(e) for e in events]}, indent=2).encode()


def aks_storage(events) -> bytes:  # PT1H.json: one record per line
    return "".join(_j(_aks_record(e)) + "\n" for e in events).encode()


def otlp(events) -> bytes:
    return (_j({"resourceLogs": [{"resource": {"attributes": [{"key": "openshift.log.source", "value": {"stringValue": "kubeAPI"}}]},
                                  "scopeLogs": [{"scope": {}, "logRecords": [{"timeUnixNano": "1", "body": {"stringValue": _j(e)}}
                                                                              for e in events]}]}]}) + "\n").encode()


def viaq(events) -> bytes:
    out = []
    for e in events:
        record = dict(e, level="default", k8s_audit_level=e.get("level"), log_type="audit",
                      log_source="kubeAPI", hostname="master-0", openshift={"cluster_id": "c"})
        out.append(_j(record))
    return ("\n".join(out) + "\n").encode()


WRAPPERS = {
    "raw": raw,
    "eventlist": eventlist,
    "cloudwatch": cloudwatch,
    "cloudwatch-subscription": subscription,
    "awslogs": awslogs,
    "firehose-newlines": lambda events: firehose(events, True),
    "firehose-concatenated": lambda events: firehose(events, False),
    "cloudwatch-insights": insights,
    "aks-event-hubs": aks_event_hubs,
    "aks-storage": aks_storage,
    "otlp": otlp,
    "viaq": viaq,
}

FORMAT_OF = {"awslogs": "cloudwatch-subscription", "firehose-newlines": "cloudwatch-subscription",
             "firehose-concatenated": "cloudwatch-subscription", "aks-event-hubs": "aks", "aks-storage": "aks"}
