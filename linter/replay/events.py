"""Audit events as the policy checker sees them.

An event in kube-apiserver's log (audit.k8s.io/v1 ``Event``, also the older v1beta1 shape, which
has the same request fields) becomes the request attributes the audit filter evaluated the policy
on:

- user: ``user.username`` and ``user.groups``, the *authenticated* identity (the audit filter runs
  before impersonation, so ``impersonatedUser`` plays no part); ``user: {}`` (a failed
  authentication) or no ``user`` at all is a user named "" with no groups;
- verb: ``verb``;
- with ``objectRef`` (even an empty ``objectRef: {}``) a resource request on ``objectRef.apiGroup``
  ("" when absent), ``resource``, ``subresource``, ``namespace`` and ``name``;
- without it a non-resource request on ``requestURI`` minus its query string.

Only these fields are decoded (msgspec structs skip everything else, request and response bodies
included), which is what makes replay fast and keeps bodies out of reach of every output.
"""

from __future__ import annotations

from typing import Literal, Optional

import msgspec

from kube_audit_lint.engine.request import Request
from kube_audit_lint.policy.yamlnodes import InputError


class User(msgspec.Struct, frozen=True, gc=False):
    username: str = ""
    groups: tuple[str, ...] = ()


class ObjectRef(msgspec.Struct, frozen=True, gc=False):
    resource: str = ""
    namespace: str = ""
    name: str = ""
    apiGroup: str = ""
    subresource: str = ""
    apiVersion: str = ""


class Event(msgspec.Struct, gc=False):
    """The fields of an audit event that replay reads; every other field is skipped unread."""

    kind: Optional[Literal["Event"]] = None
    auditID: Optional[str] = None
    stage: Optional[str] = None
    verb: str = ""
    requestURI: str = ""
    user: Optional[User] = None
    objectRef: Optional[ObjectRef] = None

    def looks_like_event(self) -> bool:
        """An object without ``kind`` passes for an event only if it has request fields."""
        return self.kind is not None or bool(self.verb or self.requestURI) or self.objectRef is not None


class SizedEvent(Event, gc=False):
    """An event with the extent of its bodies, for estimating log volume (never their content)."""

    requestObject: msgspec.Raw = msgspec.Raw(b"")
    responseObject: msgspec.Raw = msgspec.Raw(b"")


class EventList(msgspec.Struct, gc=False):
    kind: Literal["EventList"]
    items: list[msgspec.Raw] = []


def request_of(event: Event) -> Request:
    """The request attributes the audit filter evaluated for ``event``."""
    user = event.user
    username, groups = (user.username, user.groups) if user is not None else ("", ())
    ref = event.objectRef
    if ref is None:
        return Request(user=username, groups=groups, verb=event.verb, resource_request=False,
                       path=event.requestURI.partition("?")[0])
    return Request(
        user=username, groups=groups, verb=event.verb, resource_request=True, api_group=ref.apiGroup,
        resource=ref.resource, subresource=ref.subresource, namespace=ref.namespace, name=ref.name,
        api_version=ref.apiVersion,
    )


def event_from_object(data: object) -> Event:
    """Validate plain decoded JSON as an event; ValueError with the reason when it is not one."""
    try:
        event = msgspec.convert(data, Event)
    except msgspec.ValidationError as exc:
        raise ValueError(f"not an audit event: {exc}") from None
    if not event.looks_like_event():
        raise ValueError("not an audit event: no kind, verb, requestURI or objectRef")
    return event


def event_to_request(event: dict) -> Request:
    """The request attributes of one event given as plain JSON data (``explain --event``)."""
    return request_of(event_from_object(event))


def read_event_at(path: str, line: int) -> dict:
    """The event on ``line`` (1-based) of a JSON-lines audit log (plain or gzip).

    Raises InputError with a one-line reason when the file cannot be read, has fewer lines, or the
    line is not an audit event.
    """
    from kube_audit_lint.replay.reading import LogError, describe_error, open_input

    if line < 1:
        raise InputError(path, line, 1, "line numbers start at 1")
    number = 0
    try:
        with open_input(path) as source:
            for number, text in enumerate(source.stream, start=1):
                if number == line:
                    return _event_object(path, line, text)
    except LogError as exc:
        raise InputError(path, line, 1, str(exc).removeprefix(f"{path}: ")) from None
    except (OSError, EOFError) as exc:
        raise InputError(path, line, 1, f"cannot read: {describe_error(exc)}") from None
    raise InputError(path, line, 1, f"the file has only {number} line(s)")


def _event_object(path: str, line: int, text: bytes) -> dict:
    if not text.strip():
        raise InputError(path, line, 1, "empty line, not an audit event")
    try:
        data = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise InputError(path, line, 1, f"not JSON: {exc}") from None
    except RecursionError:
        raise InputError(path, line, 1, "not an audit event: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise InputError(path, line, 1, "not an audit event: expected a JSON object")
    try:
        event_from_object(data)
    except ValueError as exc:
        raise InputError(path, line, 1, str(exc)) from None
    return data
