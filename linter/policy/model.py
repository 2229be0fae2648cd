"""The policy model: what kube-apiserver decodes from a Policy document, plus where it came from.

Building the model mirrors the apiserver's decoding: a value of the wrong type is a decode error
(fatal), an unknown or duplicate key is dropped or overridden with a warning (lenient decoding),
a null list item becomes "" and a null list becomes empty.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from kube_audit_lint.policy.yamlnodes import Document, Path, Span


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

def type_meta_key(data: dict[Any, Any], name: str) -> str:
    """The key kube-apiserver reads ``apiVersion`` or ``kind`` from. The type is found with Go's
    encoding/json, which matches keys without regard to case (``APIVersion:``, ``KIND:``): the exact
    spelling when present, else the last key that matches. ``name`` itself when there is none."""
    if name in data:
        return name
    matches = [key for key in data if isinstance(key, str) and key.lower() == name.lower()]
    return matches[-1] if matches else name


def type_meta(data: Any, name: str) -> Any:
    """The value kube-apiserver takes for ``apiVersion`` or ``kind`` (None when absent)."""
    return data.get(type_meta_key(data, name)) if isinstance(data, dict) else None


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

    def rule_line(self, index: int) -> int:
        """The line rule ``index`` starts on."""
        return self.rule_span(index).line

    def rule_ref(self, index: int) -> str:
        """How messages name a rule: its 0-based index, as in findings and replay, and its line."""
        return f"rule {index} (line {self.rule_line(index)})"

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


_GO_VALUE = {bool: "bool", int: "number", float: "number", str: "string", list: "array", dict: "object"}


def go_value_kind(value: Any) -> str:
    """How encoding/json names a JSON value in "cannot unmarshal <kind> into ..."."""
    return _GO_VALUE.get(type(value), "null")


def go_struct_field(path: Path) -> str:
    """``Struct.field.path`` as encoding/json names the field a value was decoded into: the
    innermost Go struct and the JSON names leading to the field, without list indexes."""
    names = [part for part in path if isinstance(part, str)]
    if names[:1] == ["metadata"] and len(names) > 1:
        struct = "ObjectMeta"
    elif names[:1] == ["rules"] and len(names) > 1:
        struct = "GroupResources" if names[1] == "resources" and len(names) > 2 else "PolicyRule"
    else:
        struct = "Policy"
    return f"{struct}.{'.'.join(names)}"


def go_unmarshal_message(path: Path, value: Any, go_type: str) -> str:
    """encoding/json's UnmarshalTypeError text, which kube-apiserver prints after "failed decoding: "."""
    return f"json: cannot unmarshal {go_value_kind(value)} into Go struct field {go_struct_field(path)} of type {go_type}"


_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def is_rfc3339(text: str) -> bool:
    """What metav1.Time accepts: Go's time.Parse with the RFC 3339 layout (fraction optional)."""
    import datetime

    match = _RFC3339.fullmatch(text)
    if not match:
        return False
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    return True


class _Decoder:
    """Turns plain document data into the model, collecting issues as the apiserver would."""

    def __init__(self, document: Document, *, omit_managed_fields_known: bool = True):
        self.doc = document
        self.issues: list[DecodeIssue] = []
        self.omit_managed_fields_known = omit_managed_fields_known
        api_version = type_meta(document.data, "apiVersion")
        # Go type names carry the package of the version decoded into: v1.Level, v1beta1.Level
        self.package = api_version.rpartition("/")[2] if isinstance(api_version, str) and api_version else "v1"
        for path, span in document.duplicate_keys:
            self.issues.append(DecodeIssue(path, f'duplicate field "{path[-1]}"', span, False, "duplicate-key"))

    def go(self, name: str) -> str:
        """An audit type in the decoded version's package: Level -> v1.Level."""
        return f"{self.package}.{name}"

    def type_error(self, path: Path, value: Any, expected: str) -> None:
        self.issues.append(
            DecodeIssue(path, go_unmarshal_message(path, value, expected), self.doc.span(path), True, "type")
        )

    def known_fields(self, mapping: dict[Any, Any], path: Path, known: tuple[str, ...]) -> None:
        for key in mapping:
            if key not in known or (key == "omitManagedFields" and not self.omit_managed_fields_known):
                self.issues.append(
                    DecodeIssue(path + (key,), f'unknown field "{format_path(path + (key,))}"',
                                self.doc.key_span(path + (key,)), False, "unknown-field")
                )

    def string(self, value: Any, path: Path, go_type: str = "string") -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        self.type_error(path, value, go_type)
        return ""

    def strings(self, value: Any, path: Path, item_type: str = "string") -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.type_error(path, value, f"[]{item_type}")
            return ()
        return tuple(self.string(item, path + (i,), item_type) for i, item in enumerate(value))

    def boolean(self, value: Any, path: Path) -> bool | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        self.type_error(path, value, "bool")
        return None

    def mapping(self, value: Any, path: Path, expected: str) -> dict[Any, Any] | None:
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        self.type_error(path, value, expected)
        return None

    def items(self, value: Any, path: Path, item_type: str) -> list[Any]:
        """A list of structs: the items, or [] after a type error for a non-list."""
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.type_error(path, value, f"[]{item_type}")
        return []

    def group_resources(self, value: Any, path: Path) -> GroupResources:
        data = self.mapping(value, path, self.go("GroupResources")) or {}
        self.known_fields(data, path, GROUP_RESOURCES_FIELDS)
        return GroupResources(
            group=self.string(data.get("group"), path + ("group",)),
            resources=self.strings(data.get("resources"), path + ("resources",)),
            resource_names=self.strings(data.get("resourceNames"), path + ("resourceNames",)),
        )

    def rule(self, value: Any, index: int) -> Rule:
        path: Path = ("rules", index)
        data = self.mapping(value, path, self.go("PolicyRule")) or {}
        self.known_fields(data, path, RULE_FIELDS)
        entries = self.items(data.get("resources"), path + ("resources",), self.go("GroupResources"))
        resources = tuple(self.group_resources(item, path + ("resources", i)) for i, item in enumerate(entries))
        omf = None
        if self.omit_managed_fields_known:
            omf = self.boolean(data.get("omitManagedFields"), path + ("omitManagedFields",))
        return Rule(
            index=index,
            level=self.string(data.get("level"), path + ("level",), self.go("Level")),
            users=self.strings(data.get("users"), path + ("users",)),
            user_groups=self.strings(data.get("userGroups"), path + ("userGroups",)),
            verbs=self.strings(data.get("verbs"), path + ("verbs",)),
            resources=resources,
            namespaces=self.strings(data.get("namespaces"), path + ("namespaces",)),
            non_resource_urls=self.strings(data.get("nonResourceURLs"), path + ("nonResourceURLs",)),
            omit_stages=self.strings(data.get("omitStages"), path + ("omitStages",), self.go("Stage")),
            omit_managed_fields=omf,
        )

    def metadata(self, value: Any) -> None:
        """ObjectMeta is decoded too, so a wrong type in it fails the decoding like anywhere else."""
        path: Path = ("metadata",)
        data = self.mapping(value, path, "v1.ObjectMeta") or {}
        self.known_fields(data, path, OBJECT_META_FIELDS)
        for name, field_value in data.items():
            check = _OBJECT_META_CHECKS.get(name)
            if check is not None:
                check(self, field_value, path + (name,))

    def string_map(self, value: Any, path: Path) -> None:
        for key, item in (self.mapping(value, path, "map[string]string") or {}).items():
            if item is not None and not isinstance(item, str):
                # encoding/json names the map field, not the key, in its message
                self.issues.append(DecodeIssue(path + (key,), go_unmarshal_message(path, item, "string"),
                                               self.doc.span(path + (key,)), True, "type"))

    def struct_list(self, value: Any, path: Path, item_type: str) -> None:
        for i, item in enumerate(self.items(value, path, item_type)):
            self.mapping(item, path + (i,), item_type)

    def int64(self, value: Any, path: Path) -> None:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if value is None or (number and float(value).is_integer() and -(2**63) <= value < 2**63):
            return
        if not number:
            self.type_error(path, value, "int64")
            return
        # for a number that does not fit, encoding/json quotes the literal: "number 1.5"
        self.issues.append(DecodeIssue(
            path, f"json: cannot unmarshal number {value} into Go struct field {go_struct_field(path)} of type int64",
            self.doc.span(path), True, "type"))

    def time(self, value: Any, path: Path) -> None:
        """metav1.Time: null, or a string time.Parse reads with the RFC 3339 layout."""
        if value is None:
            return
        if not isinstance(value, str):
            self.type_error(path, value, "string")
        elif not is_rfc3339(value):
            self.issues.append(DecodeIssue(
                path, f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": not an RFC 3339 time',
                self.doc.span(path), True, "type"))

    def policy(self) -> Policy:
        data = self.doc.data if self.doc.data is not None else {}
        if not isinstance(data, dict):
            return Policy(self.doc, None, None, (), issues=self.issues)
        self.known_fields(data, (), POLICY_FIELDS)
        if "metadata" in data:
            self.metadata(data["metadata"])
        entries = self.items(data.get("rules"), ("rules",), self.go("PolicyRule"))
        rules = tuple(self.rule(item, i) for i, item in enumerate(entries))
        omf = self.boolean(data.get("omitManagedFields"), ("omitManagedFields",)) if self.omit_managed_fields_known else None
        api_version = type_meta(data, "apiVersion")
        kind = type_meta(data, "kind")
        return Policy(
            document=self.doc,
            api_version=api_version if isinstance(api_version, str) else None,
            kind=kind if isinstance(kind, str) else None,
            rules=rules,
            omit_stages=self.strings(data.get("omitStages"), ("omitStages",), self.go("Stage")),
            omit_managed_fields=bool(omf),
            issues=self.issues,
        )


_OBJECT_META_CHECKS: dict[str, Callable[[_Decoder, Any, Path], Any]] = {
    **dict.fromkeys(("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion"), _Decoder.string),
    **dict.fromkeys(("generation", "deletionGracePeriodSeconds"), _Decoder.int64),
    **dict.fromkeys(("creationTimestamp", "deletionTimestamp"), _Decoder.time),
    **dict.fromkeys(("labels", "annotations"), _Decoder.string_map),
    "finalizers": _Decoder.strings,
    "ownerReferences": lambda decoder, value, path: decoder.struct_list(value, path, "v1.OwnerReference"),
    "managedFields": lambda decoder, value, path: decoder.struct_list(value, path, "v1.ManagedFieldsEntry"),
}


def decode_policy(document: Document, *, omit_managed_fields_known: bool = True) -> Policy:
    """The model of one document, as the apiserver's decoder would build it."""
    return _Decoder(document, omit_managed_fields_known=omit_managed_fields_known).policy()
