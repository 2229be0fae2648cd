"""The policy model: what kube-apiserver decodes from a Policy document, plus where it came from.

Building the model mirrors the apiserver's decoding: a value of the wrong type is a decode error
(fatal), an unknown or duplicate key is dropped or overridden with a warning (lenient decoding),
a null list item becomes "" and a null list becomes empty.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from linter.policy.yamlnodes import Document, Path, Span


class Level(enum.IntEnum):
    """Audit levels, ordered by how much they record."""

    NONE = 0
    METADATA = 1
    REQUEST = 2
    REQUEST_RESPONSE = 3

    @property
    def wire(self) -> str:
        return _LEVEL_WIRE[self]

    @classmethod
    def from_wire(cls, text: str) -> "Level":
        try:
            return _WIRE_LEVEL[text]
        except KeyError:
            raise ValueError(f"unknown level {text!r}") from None

    def __str__(self) -> str:
        return self.wire


_LEVEL_WIRE = {
    Level.NONE: "None",
    Level.METADATA: "Metadata",
    Level.REQUEST: "Request",
    Level.REQUEST_RESPONSE: "RequestResponse",
}
_WIRE_LEVEL = {v: k for k, v in _LEVEL_WIRE.items()}
LEVEL_NAMES = tuple(_LEVEL_WIRE.values())


class Stage(str, enum.Enum):
    REQUEST_RECEIVED = "RequestReceived"
    RESPONSE_STARTED = "ResponseStarted"
    RESPONSE_COMPLETE = "ResponseComplete"
    PANIC = "Panic"

    def __str__(self) -> str:
        return self.value


STAGE_NAMES = tuple(s.value for s in Stage)

POLICY_FIELDS = ("apiVersion", "kind", "metadata", "rules", "omitStages", "omitManagedFields")
RULE_FIELDS = (
    "level", "users", "userGroups", "verbs", "resources", "namespaces",
    "nonResourceURLs", "omitStages", "omitManagedFields",
)
GROUP_RESOURCES_FIELDS = ("group", "resources", "resourceNames")
OBJECT_META_FIELDS = (
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
    "annotations", "ownerReferences", "finalizers", "managedFields",
)


@dataclass(frozen=True)
class GroupResources:
    group: str = ""
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    index: int
    level: str
    users: tuple[str, ...] = ()
    user_groups: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    resources: tuple[GroupResources, ...] = ()
    namespaces: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()
    omit_stages: tuple[str, ...] = ()
    omit_managed_fields: bool | None = None

    @property
    def level_value(self) -> Level | None:
        return _WIRE_LEVEL.get(self.level)

    @property
    def is_resource_only(self) -> bool:
        return bool(self.namespaces or self.resources)

    @property
    def is_non_resource_only(self) -> bool:
        return bool(self.non_resource_urls) and not self.is_resource_only


@dataclass(frozen=True)
class DecodeIssue:
    """Something the decoder said about a document. ``fatal`` issues make the apiserver refuse it."""

    path: Path
    message: str
    span: Span
    fatal: bool
    kind: str  # "type", "unknown-field", "duplicate-key"


@dataclass
class Policy:
    document: Document
    api_version: str | None
    kind: str | None
    rules: tuple[Rule, ...]
    omit_stages: tuple[str, ...] = ()
    omit_managed_fields: bool = False
    issues: list[DecodeIssue] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.document.path

    def span(self, path: Path) -> Span:
        return self.document.span(path)

    def rule_span(self, index: int) -> Span:
        return self.document.span(("rules", index))

    @property
    def decode_errors(self) -> list[DecodeIssue]:
        return [i for i in self.issues if i.fatal]

    @property
    def unknown_fields(self) -> list[DecodeIssue]:
        return [i for i in self.issues if i.kind == "unknown-field"]


def format_path(path: Path) -> str:
    """("rules", 3, "resources", 0, "group") -> rules[3].resources[0].group"""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_GO_TYPE = {bool: "bool", int: "number", float: "number", str: "string", list: "array", dict: "object"}


def _go_type(value: Any) -> str:
    return _GO_TYPE.get(type(value), "null")


class _Decoder:
    """Turns plain document data into the model, collecting issues as the apiserver would."""

    def __init__(self, document: Document, *, omit_managed_fields_known: bool = True):
        self.doc = document
        self.issues: list[DecodeIssue] = []
        self.omit_managed_fields_known = omit_managed_fields_known
        for path, span in document.duplicate_keys:
            self.issues.append(DecodeIssue(path, f'duplicate field "{path[-1]}"', span, False, "duplicate-key"))

    def type_error(self, path: Path, value: Any, expected: str) -> None:
        self.issues.append(
            DecodeIssue(
                path,
                f"cannot unmarshal {_go_type(value)} into Go struct field {format_path(path) or 'Policy'} "
                f"of type {expected}",
                self.doc.span(path),
                True,
                "type",
            )
        )

    def known_fields(self, mapping: dict, path: Path, known: tuple[str, ...]) -> None:
        for key in mapping:
            if key not in known or (key == "omitManagedFields" and not self.omit_managed_fields_known):
                self.issues.append(
                    DecodeIssue(path + (key,), f'unknown field "{format_path(path + (key,))}"',
                                self.doc.key_span(path + (key,)), False, "unknown-field")
                )

    def string(self, value: Any, path: Path) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        self.type_error(path, value, "string")
        return ""

    def strings(self, value: Any, path: Path) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.type_error(path, value, "[]string")
            return ()
        return tuple(self.string(item, path + (i,)) for i, item in enumerate(value))

    def boolean(self, value: Any, path: Path) -> bool | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        self.type_error(path, value, "bool")
        return None

    def mapping(self, value: Any, path: Path, expected: str) -> dict | None:
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        self.type_error(path, value, expected)
        return None

    def group_resources(self, value: Any, path: Path) -> GroupResources:
        data = self.mapping(value, path, "audit.GroupResources") or {}
        self.known_fields(data, path, GROUP_RESOURCES_FIELDS)
        return GroupResources(
            group=self.string(data.get("group"), path + ("group",)),
            resources=self.strings(data.get("resources"), path + ("resources",)),
            resource_names=self.strings(data.get("resourceNames"), path + ("resourceNames",)),
        )

    def rule(self, value: Any, index: int) -> Rule:
        path: Path = ("rules", index)
        data = self.mapping(value, path, "audit.PolicyRule") or {}
        self.known_fields(data, path, RULE_FIELDS)
        resources_value = data.get("resources")
        resources: tuple[GroupResources, ...] = ()
        if isinstance(resources_value, list):
            resources = tuple(
                self.group_resources(item, path + ("resources", i)) for i, item in enumerate(resources_value)
            )
        elif resources_value is not None:
            self.type_error(path + ("resources",), resources_value, "[]audit.GroupResources")
        omf = None
        if self.omit_managed_fields_known:
            omf = self.boolean(data.get("omitManagedFields"), path + ("omitManagedFields",))
        return Rule(
            index=index,
            level=self.string(data.get("level"), path + ("level",)),
            users=self.strings(data.get("users"), path + ("users",)),
            user_groups=self.strings(data.get("userGroups"), path + ("userGroups",)),
            verbs=self.strings(data.get("verbs"), path + ("verbs",)),
            resources=resources,
            namespaces=self.strings(data.get("namespaces"), path + ("namespaces",)),
            non_resource_urls=self.strings(data.get("nonResourceURLs"), path + ("nonResourceURLs",)),
            omit_stages=self.strings(data.get("omitStages"), path + ("omitStages",)),
            omit_managed_fields=omf,
        )

    def policy(self) -> Policy:
        data = self.mapping(self.doc.data, (), "audit.Policy")
        if data is None:
            return Policy(self.doc, None, None, (), issues=self.issues)
        self.known_fields(data, (), POLICY_FIELDS)
        metadata = data.get("metadata")
        if isinstance(metadata, dict):
            self.known_fields(metadata, ("metadata",), OBJECT_META_FIELDS)
        elif metadata is not None:
            self.type_error(("metadata",), metadata, "v1.ObjectMeta")
        rules_value = data.get("rules")
        rules: tuple[Rule, ...] = ()
        if isinstance(rules_value, list):
            rules = tuple(self.rule(item, i) for i, item in enumerate(rules_value))
        elif rules_value is not None:
            self.type_error(("rules",), rules_value, "[]audit.PolicyRule")
        omf = self.boolean(data.get("omitManagedFields"), ("omitManagedFields",)) if self.omit_managed_fields_known else None
        api_version = data.get("apiVersion")
        kind = data.get("kind")
        for name, value in (("apiVersion", api_version), ("kind", kind)):
            if value is not None and not isinstance(value, str):
                self.type_error((name,), value, "string")
        return Policy(
            document=self.doc,
            api_version=api_version if isinstance(api_version, str) else None,
            kind=kind if isinstance(kind, str) else None,
            rules=rules,
            omit_stages=self.strings(data.get("omitStages"), ("omitStages",)),
            omit_managed_fields=bool(omf),
            issues=self.issues,
        )


def decode_policy(document: Document, *, omit_managed_fields_known: bool = True) -> Policy:
    """The model of one document, as the apiserver's decoder would build it."""
    return _Decoder(document, omit_managed_fields_known=omit_managed_fields_known).policy()
