"""Audit events as the policy checker sees them.

An event in kube-apiserver's log (audit.k8s.io/v1 ``Event``, also the older v1beta1 shape, which
has the same request fields) becomes the request attributes the audit filter evaluated the policy
on:

- user: ``user.username`` and ``user.groups``, the *authenticated* identity (the audit filter runs
  before impersonation, so ``impersonatedUser`` plays no part); ``user: {}`` (what the apiserver
  writes for a failed authentication, whose request has no user) or no ``user`` at all is no user:
  rules with ``users`` or ``userGroups`` never match it, as in the apiserver's checker;
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


class User(msgspec.Struct, frozen=True, gc=False):
    username: str = ""
    groups: tuple[str, ...] = ()


class UnknownGroupsUser(User, frozen=True, gc=False):
    """A user whose groups the record does not say (GKE): ``groups`` is empty, but not known to be."""


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
    """An event with the extent of its bodies, for estimating log volume (never their content),
    and its time, for the time span of a sample."""

    requestObject: msgspec.Raw = msgspec.Raw(b"")
    responseObject: msgspec.Raw = msgspec.Raw(b"")
    stageTimestamp: Optional[str] = None


class EventList(msgspec.Struct, gc=False):
    kind: Literal["EventList"]
    items: list[msgspec.Raw] = []


def request_of(event: Event) -> Request:
    """The request attributes the audit filter evaluated for ``event``."""
    user = event.user
    known = user is not None and (user.username or user.groups or type(user) is UnknownGroupsUser)
    username, groups = (user.username, user.groups) if known else (None, ())
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
