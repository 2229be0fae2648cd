"""Framework profiles: compliance frameworks and detections as controls, kept as data.

A profile (``baselines/frameworks/NAME.yaml``; shape in ``baselines/frameworks/schema/
framework.schema.json``) lists controls. Each control has the framework's id and title, what the
framework asks in our words, a remediation, and tests:

- an expectation, written as in a baseline (``selector`` with ``bound`` atLeast/atMost/exactly
  and/or ``stagesKept``): evaluated over every request of the selector with the request-space
  analysis, so it holds for all of them or comes with the rule and a witness request that break it;
- ``flag``: one kube-apiserver flag (``set``, ``atLeast``, ``equals``, ``oneOf``, ``notIn``), read
  from ``--apiserver-manifest``;
- ``anyFlag``: one of several flags is set;
- ``policyFile: is-this-policy``: ``--audit-policy-file`` names the policy reported on;
- ``policy``: ``loads`` (kube-apiserver accepts it), ``logs-something``, ``catch-all`` (every
  request matches a rule);
- ``manual``: what a person must verify.

A control may carry ``appliesWhen`` (a flag test): when it does not hold, the control is not
applicable. ``kind: detection`` profiles (Falco, Elastic, the EKS guide's queries) describe what a
detection reads (``reads``); their controls are "met" or "not met".

``conflicts.yaml`` (shape in ``schema/conflicts.schema.json``) lists where two profiles ask
opposite things of the same requests.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass

from kube_audit_lint.lint.baseline import Bound, RequestSelector
from kube_audit_lint.policy.model import Level, format_path
from kube_audit_lint.policy.yamlnodes import Document, InputError, Span, parse_documents

FRAMEWORKS_DIR = "frameworks"
SCHEMA_DIR = "schema"
FRAMEWORK_SCHEMA = "framework.schema.json"
CONFLICTS_SCHEMA = "conflicts.schema.json"
CONFLICTS_FILE = "conflicts.yaml"
DEFAULT_FRAMEWORKS = ("cis", "nsa", "stig", "pci")


class FrameworkError(ValueError):
    """A profile we cannot use, or an unknown framework name; ``str()`` is one line."""


# --------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class ExpectTest:
    title: str
    selector: RequestSelector
    bound: Bound | None
    stages_kept: tuple[str, ...]

    def describe(self) -> str:
        parts = [str(self.bound)] if self.bound else []
        parts += [f"{stage} kept" for stage in self.stages_kept]
        return ", with ".join(parts)


@dataclass(frozen=True)
class FlagTest:
    flag: str
    relation: str  # set | atLeast | equals | oneOf | notIn
    value: object = None

    def describe(self) -> str:
        name = f"--{self.flag}"
        if self.relation == "set":
            return f"{name} is set"
        if self.relation == "atLeast":
            return f"{name} is at least {self.value}"
        if self.relation == "equals":
            return f"{name}={self.value}"
        if self.relation == "oneOf":
            return f"{name} is one of {', '.join(map(str, self.value))}"
        shown = ", ".join(repr(v) if v in ("", "-") else v for v in self.value)
        return f"{name} is set and not {shown}"


@dataclass(frozen=True)
class AnyFlagTest:
    flags: tuple[str, ...]

    def describe(self) -> str:
        return " or ".join(f"--{flag}" for flag in self.flags) + " is set"


@dataclass(frozen=True)
class PolicyFileTest:
    def describe(self) -> str:
        return "--audit-policy-file names this policy"


POLICY_TESTS = {
    "loads": "kube-apiserver accepts the policy",
    "logs-something": "the policy logs some requests",
    "catch-all": "every request matches a rule",
}


@dataclass(frozen=True)
class PolicyTest:
    what: str  # a key of POLICY_TESTS

    def describe(self) -> str:
        return POLICY_TESTS[self.what]


@dataclass(frozen=True)
class ManualTest:
    text: str

    def describe(self) -> str:
        return self.text


Test = ExpectTest | FlagTest | AnyFlagTest | PolicyFileTest | PolicyTest | ManualTest


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    asks: str
    remediation: str
    tests: tuple[Test, ...]
    reads: str = ""
    references: tuple[str, ...] = ()
    applies_when: FlagTest | None = None
    line: int = 0


@dataclass(frozen=True)
class Framework:
    name: str
    title: str
    kind: str  # compliance | detection
    description: str
    source: dict
    controls: tuple[Control, ...]
    version: str = ""
    aliases: tuple[str, ...] = ()
    path: str = ""
    short_title: str = ""

    def label(self, control_id: str) -> str:
        """How a control is named in running text: "CIS 3.2.2"."""
        return f"{self.short_title or self.name} {control_id}"

    def control(self, control_id: str) -> Control | None:
        return next((c for c in self.controls if c.id == control_id), None)


@dataclass(frozen=True)
class ConflictSide:
    framework: str
    control: str
    asks: str
    bound: Bound


@dataclass(frozen=True)
class Conflict:
    id: str
    title: str
    selector: RequestSelector
    sides: tuple[ConflictSide, ...]
    trade_off: str

    def involves(self, framework: str) -> bool:
        return any(side.framework == framework for side in self.sides)


# --------------------------------------------------------------------------------------------
# Finding and reading profiles


def _folder():
    from importlib import resources

    return resources.files("kube_audit_lint.baselines").joinpath(FRAMEWORKS_DIR)


def builtin_names() -> tuple[str, ...]:
    names = [entry.name[: -len(".yaml")] for entry in _folder().iterdir()
             if entry.name.endswith(".yaml") and entry.name != CONFLICTS_FILE]
    return tuple(sorted(names))


def _alias_table() -> dict[str, str]:
    table = {}
    for name in builtin_names():
        for alias in load_builtin(name).aliases:
            table[alias] = name
    return table


def parse_framework_list(text: str | None) -> list[str]:
    """``cis,nsa`` -> ["cis", "nsa"]; the defaults when nothing is given."""
    if not text:
        return list(DEFAULT_FRAMEWORKS)
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise FrameworkError("--framework: no framework named")
    return list(dict.fromkeys(names))


def load_frameworks(names: list[str]) -> list[Framework]:
    """Built-in profiles by name (or alias), or profile files by path."""
    frameworks = []
    for name in names:
        frameworks.append(load_framework(name))
    seen: dict[str, str] = {}
    for framework in frameworks:
        if framework.name in seen:
            raise FrameworkError(f"--framework: {framework.name} is named twice")
        seen[framework.name] = framework.path
    return frameworks


def load_framework(name_or_path: str) -> Framework:
    if name_or_path in builtin_names():
        return load_builtin(name_or_path)
    aliases = _alias_table()
    if name_or_path in aliases:
        return load_builtin(aliases[name_or_path])
    if os.path.isfile(name_or_path):
        return _load_file(os.path.abspath(name_or_path))
    import difflib

    close = difflib.get_close_matches(name_or_path, [*builtin_names(), *aliases], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise FrameworkError(f"unknown framework {name_or_path!r}: not a file, and not one of "
                         f"{', '.join(builtin_names())}{hint}")


@functools.lru_cache(maxsize=None)
def load_builtin(name: str) -> Framework:
    path = f"baselines/frameworks/{name}.yaml"
    text = _folder().joinpath(f"{name}.yaml").read_text("utf-8")
    return _framework(_document(path, text))


@functools.lru_cache(maxsize=16)
def _load_file(path: str) -> Framework:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise FrameworkError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return _framework(_document(path, text))


@functools.lru_cache(maxsize=1)
def load_conflicts() -> tuple[Conflict, ...]:
    path = f"baselines/frameworks/{CONFLICTS_FILE}"
    document = _document(path, _folder().joinpath(CONFLICTS_FILE).read_text("utf-8"))
    _validate(document, CONFLICTS_SCHEMA)
    conflicts = []
    for i, item in enumerate(document.data["conflicts"]):
        conflicts.append(Conflict(
            id=item["id"],
            title=item["title"],
            selector=_selector(document, ("conflicts", i, "selector")),
            sides=tuple(ConflictSide(side["framework"], str(side["control"]), _words(side["asks"]), _bound(side["bound"]))
                        for side in item["sides"]),
            trade_off=_words(item["tradeOff"]),
        ))
    return tuple(conflicts)


def relevant_conflicts(conflicts, frameworks: list[Framework]) -> list[Conflict]:
    """The conflicts that involve at least one of ``frameworks``."""
    names = {framework.name for framework in frameworks}
    return [conflict for conflict in conflicts if any(conflict.involves(name) for name in names)]


def _document(path: str, text: str) -> Document:
    try:
        documents = parse_documents(path, text)
    except InputError as exc:
        raise FrameworkError(str(exc)) from None
    if len(documents) != 1:
        raise FrameworkError(f"{path}:1:1: expected one YAML document, found {len(documents)}")
    return documents[0]


@functools.lru_cache(maxsize=None)
def _validator(schema_name: str):
    """A validator for one of our schemas, which refer to the baseline schema's selector."""
    from importlib import resources

    import jsonschema
    from referencing import Registry, Resource

    def read(folder, name):
        return json.loads(folder.joinpath(name).read_text("utf-8"))

    ours = {name: read(_folder().joinpath(SCHEMA_DIR), name) for name in (FRAMEWORK_SCHEMA, CONFLICTS_SCHEMA)}
    baseline_schema = read(resources.files("kube_audit_lint.baselines").joinpath("schema"), "baseline.schema.json")
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in [baseline_schema, *ours.values()])
    return jsonschema.Draft202012Validator(ours[schema_name], registry=registry)


def _validate(document: Document, schema_name: str) -> None:
    from jsonschema.exceptions import best_match

    error = best_match(_validator(schema_name).iter_errors(document.data))
    if error is None:
        return
    path = tuple(error.absolute_path)
    span = document.span(path)
    message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    raise FrameworkError(f"{document.path}:{span.line}:{span.column}: {format_path(path) or 'profile'}: {message}")


def _framework(document: Document) -> Framework:
    _validate(document, FRAMEWORK_SCHEMA)
    data = document.data
    controls = []
    seen: set[str] = set()
    for i, item in enumerate(data["controls"]):
        control_id = str(item["id"])
        if control_id in seen:
            span = document.span(("controls", i, "id"))
            raise FrameworkError(f"{document.path}:{span.line}:{span.column}: duplicate control id {control_id!r}")
        seen.add(control_id)
        controls.append(Control(
            id=control_id,
            title=_words(item["title"]),
            asks=_words(item["asks"]),
            remediation=_words(item["remediation"]),
            tests=tuple(_test(document, ("controls", i, "tests", j), test) for j, test in enumerate(item["tests"])),
            reads=_words(item.get("reads", "")),
            references=tuple(item.get("references") or ()),
            applies_when=_flag_test(item["appliesWhen"]) if "appliesWhen" in item else None,
            line=document.span(("controls", i)).line,
        ))
    return Framework(
        name=data["name"],
        title=data["title"],
        kind=data["kind"],
        description=_words(data["description"]),
        source=dict(data["source"]),
        controls=tuple(controls),
        version=str(data.get("version", "")),
        aliases=tuple(data.get("aliases") or ()),
        path=document.path,
        short_title=data.get("shortTitle", ""),
    )


def _test(document: Document, path: tuple, data: dict) -> Test:
    if "selector" in data:
        return ExpectTest(
            title=_words(data["title"]),
            selector=_selector(document, path + ("selector",)),
            bound=_bound(data["bound"]) if "bound" in data else None,
            stages_kept=tuple(data.get("stagesKept") or ()),
        )
    if "flag" in data:
        return _flag_test(data)
    if "anyFlag" in data:
        return AnyFlagTest(tuple(data["anyFlag"]))
    if "policyFile" in data:
        return PolicyFileTest()
    if "policy" in data:
        return PolicyTest(data["policy"])
    return ManualTest(_words(data["manual"]))


def _flag_test(data: dict) -> FlagTest:
    (relation, value), = ((k, v) for k, v in data.items() if k != "flag")
    if isinstance(value, list):
        value = tuple(str(v) for v in value)
    return FlagTest(data["flag"], relation, value)


def _selector(document: Document, path: tuple) -> RequestSelector:
    data = document.data
    for part in path:
        data = data[part]
    try:
        return RequestSelector.from_mapping(data)
    except ValueError as exc:
        span: Span = document.span(path)
        raise FrameworkError(f"{document.path}:{span.line}:{span.column}: {format_path(path)}: {exc}") from None


def _bound(data: dict) -> Bound:
    (relation, level), = data.items()
    return Bound(relation, Level.from_wire(level))


def _words(text: str) -> str:
    """YAML text (folded or not) as one line."""
    return " ".join(str(text).split())
