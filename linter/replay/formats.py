"""What the managed platforms wrap audit events in, recognised from content, and taken apart.

Each record of a log is one of (the names are what ``--input-format`` takes and what the counts
are keyed by):

- ``raw``: an ``audit.k8s.io`` Event (kube-apiserver's log backend), one per line;
- ``eventlist``: an ``EventList`` (webhook payloads), ``items`` holding the events;
- ``viaq``: OpenShift log forwarding's ViaQ record, the Event's fields at the top level plus
  ``log_type``, ``k8s_audit_level`` and the like (its ``level`` is overwritten with "default");
- ``otlp``: OpenShift log forwarding's OTLP output, the Event as a JSON string in
  ``resourceLogs[].scopeLogs[].logRecords[].body.stringValue``;
- ``cloudwatch``: ``aws logs filter-log-events`` / ``get-log-events`` output, the Event as a JSON
  string in ``events[].message``;
- ``cloudwatch-subscription``: a CloudWatch Logs subscription-filter payload (``logEvents[]``), also
  as a Lambda event (``awslogs.data``: base64 of its gzip) and as Firehose writes them to S3
  (payloads one after another, with or without newlines);
- ``cloudwatch-insights``: a Logs Insights export row, the Event as a string in ``@message``;
- ``aks``: an AKS diagnostic-settings record (category ``kube-audit`` or ``kube-audit-admin``), the
  Event as a string in ``properties.log``: one per line in a storage account's ``PT1H.json``, or a
  batch in ``records[]`` from Event Hubs. AKS cuts that string at 16 KiB: a cut event whose
  request attributes survive is decided (and counted as truncated), else skipped as truncated;
- ``gke``: a Cloud Logging ``LogEntry`` whose ``protoPayload`` is a ``k8s.io`` audit log: the
  request from ``methodName`` and ``resourceName``, the user from ``principalEmail``. It has no
  user groups, no stage and no level, so its event comes with an ``UnknownGroupsUser``: the
  policy decides it only where the decision does not depend on the groups.

A JSON array of records (a Logs Insights export, ``gcloud logging read --format json``) is read
record by record. Nothing here keeps a body: the records are decoded into the fields replay reads.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Optional

import msgspec

from kube_audit_lint.replay.events import Event, ObjectRef, UnknownGroupsUser

RAW, EVENTLIST, VIAQ, OTLP = "raw", "eventlist", "viaq", "otlp"
CLOUDWATCH, SUBSCRIPTION, INSIGHTS = "cloudwatch", "cloudwatch-subscription", "cloudwatch-insights"
AKS, GKE = "aks", "gke"

FORMATS = {
    RAW: "kube-apiserver Event JSON lines",
    EVENTLIST: "EventList JSON",
    VIAQ: "OpenShift log forwarding, ViaQ records",
    OTLP: "OpenShift log forwarding, OTLP records",
    CLOUDWATCH: "CloudWatch Logs filter-log-events / get-log-events JSON (events[].message)",
    SUBSCRIPTION: "CloudWatch Logs subscription payloads (logEvents[], awslogs.data, Firehose to S3)",
    INSIGHTS: "CloudWatch Logs Insights export (@message)",
    AKS: "AKS diagnostic settings (properties.log; Event Hubs records[], storage PT1H.json)",
    GKE: "GKE Cloud Logging LogEntry (protoPayload k8s.io)",
}

# reasons a record is skipped (the keys of the per-format counts)
NOT_JSON = "not JSON"
NOT_EVENT = "not an audit event"
OVERSIZED = "oversized line"
CUT_LOST = "cut by the sink, request attributes lost"
NOT_K8S = "not a Kubernetes audit record"
CONTROL = "CloudWatch control message"
BAD_PAYLOAD = "awslogs.data not base64 gzip"
OTHER_FORMAT = "not the --input-format"
NESTED = "JSON nested too deeply"
UNDECIDABLE = "undecidable without groups"

AKS_CUT_AT = 16 << 10  # AKS cuts properties.log here
AKS_CATEGORIES = ("kube-audit", "kube-audit-admin")
VIAQ_KEYS = (b'"k8s_audit_level"', b'"log_type"')

_fields = msgspec.json.Decoder(dict[str, msgspec.Raw])
_array = msgspec.json.Decoder(list[msgspec.Raw])
_string = msgspec.json.Decoder(str)
_TRAILING = re.compile(r"trailing characters \(byte (\d+)\)")


class _Message(msgspec.Struct, gc=False):
    message: Optional[str] = None


class _AwsLogs(msgspec.Struct, gc=False):
    data: str = ""


class _AksProperties(msgspec.Struct, gc=False):
    log: Optional[str] = None


class _AksRecord(msgspec.Struct, gc=False):
    category: Optional[str] = None
    properties: Optional[_AksProperties] = None


class _OtlpValue(msgspec.Struct, gc=False):
    stringValue: Optional[str] = None


class _OtlpRecord(msgspec.Struct, gc=False):
    body: Optional[_OtlpValue] = None


class _OtlpScope(msgspec.Struct, gc=False):
    logRecords: list[_OtlpRecord] = []


class _OtlpResource(msgspec.Struct, gc=False):
    scopeLogs: list[_OtlpScope] = []


class _GkeAuthentication(msgspec.Struct, gc=False):
    principalEmail: str = ""


class _GkePayload(msgspec.Struct, gc=False):
    serviceName: str = ""
    methodName: str = ""
    resourceName: str = ""
    authenticationInfo: Optional[_GkeAuthentication] = None


class _GkeOperation(msgspec.Struct, gc=False):
    id: Optional[str] = None


class _GkeEntry(msgspec.Struct, gc=False):
    protoPayload: _GkePayload
    insertId: Optional[str] = None
    operation: Optional[_GkeOperation] = None
    timestamp: Optional[str] = None


_messages = msgspec.json.Decoder(list[_Message])
_aws_logs = msgspec.json.Decoder(_AwsLogs)
_aks_record = msgspec.json.Decoder(_AksRecord)
_otlp = msgspec.json.Decoder(list[_OtlpResource])
_gke_entry = msgspec.json.Decoder(_GkeEntry)


class Sink:
    """Where the records of a log go: what ChunkDecoder gives to take events apart into."""

    def event(self, data: bytes, fmt: str, number: int, where: str) -> None:
        """An Event as JSON bytes (from a wrapper's string)."""
        raise NotImplementedError

    def struct_event(self, event: Event, size: int, fmt: str, number: int, data: bytes | None = None) -> None:
        """An event already decoded (GKE), with the record it came from."""
        raise NotImplementedError

    def raw_item(self, data: bytes, fmt: str, number: int, where: str) -> None:
        """An Event as a JSON object (EventList items, ViaQ records)."""
        raise NotImplementedError

    def skip(self, fmt: str, reason: str, number: int, message: str | None = None) -> None:
        raise NotImplementedError


def is_viaq(line: bytes | memoryview) -> bool:
    data = bytes(line[:65536])
    return all(key in data for key in VIAQ_KEYS)


def record(data: bytes, number: int, sink: Sink, label: str, where: str = "", depth: int = 0) -> None:
    """One JSON value of a log that did not decode as an event: an array of records, an envelope,
    or several payloads one after another (Firehose)."""
    if depth > 3:
        sink.skip(label, NESTED, number, f"{where}{NESTED}")
        return
    head = data.lstrip()[:1]
    try:
        if head == b"[":
            items = _array.decode(data)
        elif head == b"{":
            fields = _fields.decode(data)
        else:
            msgspec.json.decode(data)  # the reason it is not an object
            sink.skip(label, NOT_EVENT, number, f"{where}not an audit event: expected a JSON object")
            return
    except msgspec.DecodeError as exc:
        end = _trailing_at(exc)
        if end:
            _concatenated(data, end, number, sink, label, where, depth)
            return
        sink.skip(label, NOT_JSON, number, f"{where}not JSON: {exc}")
        return
    except RecursionError:
        sink.skip(label, NESTED, number, f"{where}not an audit event: {NESTED}")
        return
    if head == b"[":
        for index, item in enumerate(items):
            record(bytes(item), number, sink, label, f"{where}[{index}]: ", depth + 1)
        return
    envelope(fields, data, number, sink, label, where, depth)


def _trailing_at(exc: msgspec.DecodeError) -> int | None:
    """Where the characters after a complete JSON value begin (msgspec counts bytes from 1)."""
    trailing = _TRAILING.search(str(exc))
    return int(trailing.group(1)) - 1 if trailing and int(trailing.group(1)) > 1 else None


def _concatenated(data: bytes, end: int, number: int, sink: Sink, label: str, where: str, depth: int) -> None:
    """JSON documents one after another on one line, as Firehose writes CloudWatch payloads."""
    index, start = 0, 0
    while True:
        record(data[start:end], number, sink, label, f"{where}document {index + 1}: ", depth + 1)
        index += 1
        start = end
        while start < len(data) and data[start:start + 1].isspace():
            start += 1
        if start >= len(data):
            return
        try:
            _fields.decode(data[start:]) if data[start:start + 1] == b"{" else _array.decode(data[start:])
            end = len(data)
        except msgspec.DecodeError as exc:
            end = start + (_trailing_at(exc) or len(data) - start)
        except RecursionError:
            end = len(data)


def envelope(fields: dict, data: bytes, number: int, sink: Sink, label: str, where: str, depth: int) -> None:
    """A JSON object that is not itself an event: which wrapper it is, and its events."""
    try:
        if "protoPayload" in fields:
            _gke(data, number, sink, where)
        elif "logEvents" in fields:
            if fields.get("messageType") is not None and bytes(fields["messageType"]).strip() == b'"CONTROL_MESSAGE"':
                sink.skip(SUBSCRIPTION, CONTROL, number)
                return
            _messages_of(fields["logEvents"], SUBSCRIPTION, "logEvents", number, sink, where)
        elif "awslogs" in fields:
            _awslogs(fields["awslogs"], number, sink, where, depth)
        elif "events" in fields:
            _messages_of(fields["events"], CLOUDWATCH, "events", number, sink, where)
        elif "@message" in fields:
            _string_event(fields["@message"], INSIGHTS, number, sink, f"{where}@message: ")
        elif "records" in fields:
            for index, item in enumerate(_array.decode(fields["records"])):
                _aks(item, number, sink, f"{where}records[{index}]: ")
        elif "properties" in fields:
            _aks(data, number, sink, where)
        elif "resourceLogs" in fields:
            _otlp_records(fields["resourceLogs"], number, sink, where)
        elif "items" in fields and bytes(fields.get("kind", b"")).strip() == b'"EventList"':
            for index, item in enumerate(_array.decode(fields["items"])):
                sink.raw_item(bytes(item), EVENTLIST, number, f"{where}items[{index}]: ")
        else:
            sink.raw_item(data, label, number, where)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        sink.skip(label, NOT_EVENT, number, f"{where}not an audit event: {exc}")


def _messages_of(raw: msgspec.Raw, fmt: str, key: str, number: int, sink: Sink, where: str) -> None:
    for index, item in enumerate(_messages.decode(raw)):
        if item.message is None:
            sink.skip(fmt, NOT_EVENT, number, f"{where}{key}[{index}]: no message")
            continue
        sink.event(item.message.encode(), fmt, number, f"{where}{key}[{index}]: ")


def _string_event(raw: msgspec.Raw, fmt: str, number: int, sink: Sink, where: str) -> None:
    sink.event(_string.decode(raw).encode(), fmt, number, where)


def _awslogs(raw: msgspec.Raw, number: int, sink: Sink, where: str, depth: int) -> None:
    import gzip
    import zlib

    encoded = _aws_logs.decode(raw).data
    try:
        payload = gzip.decompress(base64.b64decode(encoded, validate=True))
    except (binascii.Error, OSError, EOFError, zlib.error, ValueError) as exc:
        sink.skip(SUBSCRIPTION, BAD_PAYLOAD, number, f"{where}awslogs.data: not base64 of gzip: {exc}")
        return
    record(payload, number, sink, SUBSCRIPTION, f"{where}awslogs.data: ", depth + 1)


def _aks(data: bytes, number: int, sink: Sink, where: str) -> None:
    entry = _aks_record.decode(data)
    if entry.category is not None and entry.category not in AKS_CATEGORIES:
        sink.skip(AKS, NOT_K8S, number, f"{where}AKS category {entry.category!r} is not kube-audit")
        return
    if entry.properties is None or entry.properties.log is None:
        sink.skip(AKS, NOT_EVENT, number, f"{where}AKS record without properties.log")
        return
    sink.event(entry.properties.log.encode(), AKS, number, f"{where}properties.log: ")


def _otlp_records(raw: msgspec.Raw, number: int, sink: Sink, where: str) -> None:
    for r, resource in enumerate(_otlp.decode(raw)):
        for s, scope in enumerate(resource.scopeLogs):
            for i, item in enumerate(scope.logRecords):
                at = f"{where}resourceLogs[{r}].scopeLogs[{s}].logRecords[{i}]: "
                if item.body is None or item.body.stringValue is None:
                    sink.skip(OTLP, NOT_EVENT, number, f"{at}no body.stringValue")
                    continue
                sink.event(item.body.stringValue.encode(), OTLP, number, at)


# --- GKE ------------------------------------------------------------------------------------------

_VERSION = re.compile(r"v\d+((alpha|beta)\d+)?$")
NAMESPACE_SUBRESOURCES = ("status", "finalize")  # the apiserver's namespaceSubresources


def _gke(data: bytes, number: int, sink: Sink, where: str) -> None:
    entry = _gke_entry.decode(data)
    payload = entry.protoPayload
    if payload.serviceName != "k8s.io":
        sink.skip(GKE, NOT_K8S, number, f"{where}GKE entry of service {payload.serviceName!r}, not k8s.io")
        return
    event = gke_event(entry)
    if event is None:
        sink.skip(GKE, NOT_EVENT, number,
                  f"{where}GKE entry whose methodName and resourceName name no Kubernetes request")
        return
    sink.struct_event(event, len(data), GKE, number, data)


def gke_event(entry: _GkeEntry) -> Event | None:
    """The event a GKE LogEntry stands for: verb from ``methodName``; group, resource, subresource,
    namespace and name from ``resourceName`` read as the apiserver reads a URL path; the user from
    ``principalEmail``, its groups unknown. None when the names do not describe a request."""
    payload = entry.protoPayload
    verb = payload.methodName.rpartition(".")[2]
    user = UnknownGroupsUser(username=payload.authenticationInfo.principalEmail if payload.authenticationInfo else "")
    audit_id = entry.operation.id if entry.operation is not None and entry.operation.id else entry.insertId
    name = payload.resourceName
    if not verb or not name:
        return None
    if name.startswith("/"):  # a non-resource URL
        return Event(kind="Event", auditID=audit_id, verb=verb, requestURI=name, user=user)
    ref = object_ref(name)
    if ref is None:
        return None
    return Event(kind="Event", auditID=audit_id, verb=verb, requestURI="", user=user, objectRef=ref)


def object_ref(resource_name: str) -> ObjectRef | None:
    """``core/v1/namespaces/ns/pods/web/status`` -> pods/status web in ns (as the apiserver's
    RequestInfo reads ``/api/v1/namespaces/ns/pods/web/status``)."""
    parts = resource_name.strip("/").split("/")
    if len(parts) < 3 or not _VERSION.match(parts[1]):
        return None
    group = "" if parts[0] == "core" else parts[0]
    rest = parts[2:]
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    return ObjectRef(resource=resource, namespace=namespace, name=name, apiGroup=group, subresource=subresource,
                     apiVersion=parts[1])


# --- events cut by the sink ------------------------------------------------------------------------

# the apiserver writes an Event's fields in this order; once a field after objectRef has begun, the
# request attributes (user, verb, requestURI, objectRef) are all complete
AFTER_REQUEST = (b'"responseStatus"', b'"requestObject"', b'"responseObject"', b'"requestReceivedTimestamp"',
                 b'"stageTimestamp"', b'"annotations"')


def salvage(data: bytes) -> bytes | None:
    """The event in JSON cut short, when its request attributes are all there: the complete
    top-level fields, closed into an object. None when the cut falls before a field that follows
    the request attributes (they may be incomplete)."""
    import json

    text = data.decode("utf-8", "replace")
    decoder = json.JSONDecoder()
    position = text.find("{") + 1
    if position == 0:
        return None
    kept: list[str] = []
    complete_after = False
    started_after = False
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        try:
            key, key_end = decoder.raw_decode(text, position)
            value_start = text.index(":", key_end) + 1
            while value_start < len(text) and text[value_start] in " \t\r\n":
                value_start += 1
            _, value_end = decoder.raw_decode(text, value_start)
        except (ValueError, IndexError):
            if position < len(text):
                started_after = started_after or any(text.startswith(k.decode(), position) for k in AFTER_REQUEST)
            break
        if not isinstance(key, str):
            return None
        kept.append(text[position:value_end])
        if key.encode() in (k.strip(b'"') for k in AFTER_REQUEST):
            complete_after = True
        position = value_end
    if not (complete_after or started_after):
        return None
    return ("{" + ",".join(kept) + "}").encode()


__all__ = ["FORMATS", "record", "envelope", "salvage", "gke_event", "object_ref", "UnknownGroupsUser", "is_viaq"]
