"""A policy applied to exported events as kube-apiserver would have written them (``filter``).

For every event of the logs (any format ``formats`` reads) the policy decides as the apiserver
does; then, as the apiserver's audit backend would:

- an event at level None, or in a stage the decision omits, is not written;
- ``level`` is set to the decided level (ViaQ records keep their ``level`` and get
  ``k8s_audit_level``, where OpenShift keeps the audit level);
- ``requestObject`` is removed below Request and ``responseObject`` below RequestResponse (in a GKE
  LogEntry, ``protoPayload.request`` and ``protoPayload.response``);
- with omitManagedFields, ``metadata.managedFields`` is removed from the bodies kept (from each
  item of a list), as the apiserver's audit request code removes them.

What is written is the event's own JSON record, one per line: the Event for raw lines, EventList
items and every export that carries the Event as a string (CloudWatch, AKS, OTLP); the ViaQ record;
the GKE LogEntry. Every other field is passed on byte for byte: only the top level (and the
bodies, for omitManagedFields) is taken apart. An event cut by its sink (AKS) is written with the
fields that survived whole. A record whose user's groups are unknown (GKE) and whose decision
depends on them is kept as it is and counted (``drop_undecidable`` drops it instead).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable

import msgspec

from kube_audit_lint.engine.evaluate import Decision
from kube_audit_lint.interrupts import Interrupted, Terminated
from kube_audit_lint.policy.model import Level, Policy
from kube_audit_lint.replay.formats import GKE, VIAQ
from kube_audit_lint.replay.reading import (
    BadLine, ChunkDecoder, Decoded, Oversized, Source, is_whole_document, open_input, split_lines,
)
from kube_audit_lint.replay.runner import FileCount, Reading, StrictError, Totals, line_label, \
    read_document
from kube_audit_lint.replay.shallow import top_level_fields
from kube_audit_lint.replay.tally import UNDECIDABLE, DecisionTally, PolicyView

_fields = msgspec.json.Decoder(dict[str, msgspec.Raw])
_encode = msgspec.json.Encoder().encode
_LEVELS = {level: msgspec.Raw(_encode(level.wire)) for level in Level}


@dataclass
class FilterCounts:
    """What became of the events read (each is counted once)."""

    written: int = 0
    level_none: int = 0  # not written: the level is None
    omitted_stage: int = 0  # not written: the event's stage is omitted
    undecidable_kept: int = 0  # groups unknown and deciding: passed on as they were
    undecidable_dropped: int = 0  # the same, dropped (drop_undecidable)
    totals: Totals = field(default_factory=Totals)

    def to_dict(self) -> dict:
        totals = self.totals
        return {"events": totals.events, "written": self.written, "droppedLevelNone": self.level_none,
                "droppedOmittedStage": self.omitted_stage, "undecidableKept": self.undecidable_kept,
                "undecidableDropped": self.undecidable_dropped,
                "files": [count.to_dict(path) for path, count in totals.files.items()],
                "formats": totals.formats_dict(), "badLineCount": totals.bad_line_count}


def one_line(record: bytes) -> bytes:
    """A record from a pretty-printed document, on one line (JSON lines out)."""
    return msgspec.json.format(record, indent=-1) if b"\n" in record else record


def _top(data: bytes) -> dict:
    try:
        return _fields.decode(data)
    except RecursionError:  # a body nested deeper than the parser goes: split the top level flat
        fields = top_level_fields(data)
        if fields is None:
            raise
        return fields


def written_record(data: bytes, fmt: str, decision: Decision) -> bytes:
    """The record as the apiserver would have written its event under ``decision``."""
    record = _top(data)
    if fmt == GKE:
        payload = record.get("protoPayload")
        if payload is not None:
            record["protoPayload"] = msgspec.Raw(_encode(_bodies(_fields.decode(payload), decision,
                                                                 "request", "response")))
        return _encode(record)
    record["k8s_audit_level" if fmt == VIAQ else "level"] = _LEVELS[decision.level]
    return _encode(_bodies(record, decision, "requestObject", "responseObject"))


def _bodies(record: dict, decision: Decision, request_key: str, response_key: str) -> dict:
    if decision.level < Level.REQUEST:
        record.pop(request_key, None)
    if decision.level < Level.REQUEST_RESPONSE:
        record.pop(response_key, None)
    if decision.omit_managed_fields:
        for key in (request_key, response_key):
            if key in record:
                record[key] = msgspec.Raw(without_managed_fields(bytes(record[key])))
    return record


def without_managed_fields(body: bytes) -> bytes:
    """A body (JSON) without ``metadata.managedFields``, nor in any item of a list."""
    try:
        value = _top(body)
    except (msgspec.ValidationError, RecursionError):  # not an object, or too deep to rewrite
        return body
    changed = _strip_metadata(value)
    items = value.get("items")
    if items is not None:
        try:
            elements = msgspec.json.decode(bytes(items), type=list[msgspec.Raw])
        except msgspec.ValidationError:
            elements = None
        if elements is not None:
            stripped = [without_managed_fields(bytes(e)) for e in elements]
            value["items"] = msgspec.Raw(b"[" + b",".join(stripped) + b"]")
            changed = True
    return _encode(value) if changed else body


def _strip_metadata(value: dict) -> bool:
    metadata = value.get("metadata")
    if metadata is None:
        return False
    try:
        fields = _fields.decode(bytes(metadata))
    except msgspec.ValidationError:
        return False
    if fields.pop("managedFields", None) is None:
        return False
    value["metadata"] = msgspec.Raw(_encode(fields))
    return True


class Filter:
    """Reads logs and writes what the policy keeps of them (``write`` takes bytes)."""

    def __init__(self, policy: Policy, kube_version: tuple[int, int] | None, write: Callable[[bytes], None],
                 reading: Reading | None = None, drop_undecidable: bool = False, strict: bool = False):
        self.tally = DecisionTally(PolicyView(policy, kube_version))
        self.write = write
        self.reading = reading or Reading()
        self.drop_undecidable = drop_undecidable
        self.strict = strict
        self.counts = FilterCounts()
        self.decoder = ChunkDecoder(only=self.reading.only, max_size=self.reading.max_size, keep_records=True)

    def run(self, paths: list[str]) -> FilterCounts:
        current = paths[0] if paths else "its input"
        try:
            for path in paths:
                with open_input(path) as source:
                    current = source.display
                    self._source(source)
        except (KeyboardInterrupt, Terminated) as exc:
            raise Interrupted(exc, f"filter interrupted after {self.counts.totals.events:,} events in {current}",
                              self.counts) from None
        return self.counts

    def _source(self, source: Source) -> None:
        name = source.display
        self.counts.totals.files.setdefault(name, FileCount())
        pieces = split_lines(source.read, max_size=self.reading.max_size)
        first = next(pieces, None)
        if first is None:
            return
        number = 1
        if type(first[0]) is not Oversized and is_whole_document(bytes(first[0])):
            data = read_document(source, first[0], pieces, self.reading.max_size)
            if data is not None:
                self._decoded(self.decoder.decode_document(data, name, line_label(data)), name)
            else:
                self._decoded(self.decoder.oversized(Oversized(len(first[0])), 1, name, "raw"), name)
        else:
            label = line_label(first[0])
            for piece, lines in itertools.chain((first,), pieces):
                self._decoded(self.decoder.decode(piece, number, name, label), name)
                number += lines
        if source.cut:
            self._cut(name, number)

    def _cut(self, name: str, line: int) -> None:
        file = self.counts.totals.files[name]
        file.cut = True
        if self.strict:
            raise StrictError(BadLine(name, line, f"the log ends inside an event: truncated after {file.events:,} events"))

    def _decoded(self, decoded: Decoded, name: str) -> None:
        totals = self.counts.totals
        file = totals.files[name]
        for bad in decoded.bad:
            if self.strict:
                raise StrictError(bad)
            totals.add_bad(bad)
        totals.add_formats(name, decoded)  # a Decoded counts formats as a task's result does
        if decoded.cut:
            self._cut(name, 0)
        totals.events += len(decoded.events)
        file.events += len(decoded.events)
        assert decoded.records is not None
        out = []
        counts = self.counts
        for event, (data, fmt), (_, decision, written) in zip(decoded.events, decoded.records,
                                                               self.tally.cells(decoded.events)):
            if written:
                counts.written += 1
                out.append(one_line(written_record(data, fmt, decision)) + b"\n")
            elif decision is UNDECIDABLE:
                if self.drop_undecidable:
                    counts.undecidable_dropped += 1
                else:
                    counts.undecidable_kept += 1
                    out.append(one_line(bytes(data)) + b"\n")
            elif decision.level is Level.NONE:
                counts.level_none += 1
            else:
                counts.omitted_stage += 1
        if out:
            self.write(b"".join(out))
