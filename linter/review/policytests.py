"""Policy unit tests: files named ``*.audit-test.yaml`` kept next to the policy they test.

A test file holds concrete cases (one request, its expected decision) and properties (a claim
over every request of a class, proved or refuted by the request-space analysis)::

    policy: audit-policy.yaml            # relative to this file
    cases:
      - name: secret reads are metadata only
        request: {verb: get, resource: secrets, namespace: prod, name: db, user: alice,
                  groups: [system:authenticated]}
        expect: {level: Metadata}
      - name: health checks are not logged
        request: {verb: get, path: /healthz, user: kubelet, groups: [system:authenticated]}
        expect: {level: None}
    properties:
      - name: no secret body is ever logged
        requests: {resources: [{group: "", resources: [secrets]}]}
        expect: {levelAtMost: Metadata}

``request`` keys: ``verb`` (default ``get``), ``resource`` (``pods`` or ``pods/exec``),
``subresource``, ``apiGroup`` (default ``""``, the core group), ``namespace``, ``name``, ``user``,
``groups`` (taken as written: kube-apiserver adds ``system:authenticated`` to an authenticated
user's groups, so write it when the policy names it), ``path`` (a non-resource request; instead
of ``resource``), and ``unauthenticated: true`` for a request with no user (instead of ``user``).

A case's ``expect`` keys: ``level``; ``omitStages`` (a list compared as a set: the policy's and the
rule's together); ``omitManagedFields``; ``rule``, the deciding rule as a 0-based index or as
``{line: N}``, the rule starting at line N of the policy file.

A property's ``requests`` is a rule-shaped selector (``users``, ``userGroups``, ``verbs``,
``resources``, ``namespaces``, ``nonResourceURLs``, and ``authenticated: true|false``; ``{}``
is every request). Its ``expect`` keys: ``levelAtMost``, ``levelAtLeast``, ``level`` and
``omitStages``. A property holds when every rule some request of the selector reaches (and "no
rule", level None) meets the expectation; when it does not, a concrete request of the selector
that the policy decides otherwise is the counterexample.

Levels are the deciding rule's level as written (None when no rule matches).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from kube_audit_lint.engine.evaluate import WILDCARD_GROUP_SINCE, Decision, evaluate
from kube_audit_lint.engine.explain import explain, first_mismatch
from kube_audit_lint.engine.request import Request, parse_resource
from kube_audit_lint.engine.space import Selector, SpaceError, rule_witnesses
from kube_audit_lint.kube.api import NON_RESOURCE_VERBS, RESOURCE_VERBS, close_match_hint, unknown_resource
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.load import apiserver_read, first_document_not_policy
from kube_audit_lint.policy.model import LEVEL_NAMES, Level, Policy, Stage
from kube_audit_lint.policy.yamlnodes import Document, InputError, Path, read_file

SUFFIX = ".audit-test.yaml"
TOP_KEYS = ("policy", "cases", "properties")
CASE_KEYS = ("name", "request", "expect")
PROPERTY_KEYS = ("name", "requests", "expect")
REQUEST_KEYS = ("verb", "resource", "subresource", "apiGroup", "namespace", "name", "user", "groups", "path",
                "unauthenticated")
CASE_EXPECT_KEYS = ("level", "omitStages", "omitManagedFields", "rule")
PROPERTY_EXPECT_KEYS = ("levelAtMost", "levelAtLeast", "level", "omitStages")
STAGES = tuple(stage.value for stage in Stage)


# --------------------------------------------------------------------------------------------
# The test file


@dataclass(frozen=True)
class RuleRef:
    """An expected deciding rule: by 0-based index, or by the line it starts at."""

    index: int | None = None
    line: int | None = None


@dataclass(frozen=True)
class CaseExpect:
    level: Level | None = None
    omit_stages: frozenset[str] | None = None
    omit_managed_fields: bool | None = None
    rule: RuleRef | None = None
    rule_path: Path = ()  # where ``rule`` is written, to point at it when it names no rule


@dataclass(frozen=True)
class Case:
    name: str
    line: int
    request: Request
    expect: CaseExpect


@dataclass(frozen=True)
class PropertyExpect:
    level_at_most: Level | None = None
    level_at_least: Level | None = None
    level: Level | None = None
    omit_stages: frozenset[str] | None = None


@dataclass(frozen=True)
class Property:
    name: str
    line: int
    selector: Selector
    expect: PropertyExpect


@dataclass
class TestFile:
    path: str
    policy: str  # the policy's path, resolved against the test file's folder
    cases: list[Case] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    document: Document | None = None


class _Reader:
    """Typed access to a test document that fails with the position of the offending value."""

    def __init__(self, document: Document):
        self.document = document

    def fail(self, path: Path, message: str, key: bool = False) -> InputError:
        span = self.document.key_span(path) if key else self.document.span(path)
        return InputError(self.document.path, span.line, span.column, message)

    def mapping(self, value: Any, path: Path, keys: tuple[str, ...], what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"{what}: expected a mapping, got {_kind(value)}")
        for key in value:
            if key not in keys:
                raise self.fail(path + (key,), f"{what}: unknown key {key!r} (expected one of {', '.join(keys)})",
                                key=True)
        return value

    def string(self, value: Any, path: Path, what: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"{what}: expected a string, got {_kind(value)}")
        return value

    def strings(self, value: Any, path: Path, what: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(path, f"{what}: expected a list of strings, got {_kind(value)}")
        return tuple(self.string(item, path + (i,), f"{what}[{i}]") for i, item in enumerate(value))

    def level(self, value: Any, path: Path, what: str) -> Level:
        if not isinstance(value, str) or value not in LEVEL_NAMES:
            raise self.fail(path, f"{what}: expected one of {', '.join(LEVEL_NAMES)}, got {value!r}")
        return Level.from_wire(value)

    def stages(self, value: Any, path: Path, what: str) -> frozenset[str]:
        stages = self.strings(value, path, what)
        for i, stage in enumerate(stages):
            if stage not in STAGES:
                raise self.fail(path + (i,), f"{what}: unknown stage {stage!r} (one of {', '.join(STAGES)})")
        return frozenset(stages)

    def boolean(self, value: Any, path: Path, what: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"{what}: expected true or false, got {value!r}")
        return value

    def items(self, data: dict[str, Any], key: str) -> list[Any]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail((key,), f"{key}: expected a list, got {_kind(value)}")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: f"the string {value!r}", bool: f"{str(value).lower()}"}.get(
        type(value), f"{value!r}")


def find_test_files(paths: list[str]) -> tuple[list[str], list[InputError]]:
    """The test files named, and those under the folders named (recursively, sorted); an error for
    each path that does not exist."""
    found: list[str] = []
    missing: list[InputError] = []
    for path in paths:
        if os.path.isdir(path):
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                found += [os.path.normpath(os.path.join(folder, name)) for name in sorted(files) if name.endswith(SUFFIX)]
        elif os.path.isfile(path):
            found.append(path)
        else:
            missing.append(InputError(path, 1, 1, "no such file or folder"))
    return list(dict.fromkeys(found)), missing


def parse_test_file(document: Document) -> TestFile:
    """The test file in ``document``; InputError at the offending value when it is malformed."""
    reader = _Reader(document)
    data = reader.mapping(document.data, (), TOP_KEYS, "test file")
    if "policy" not in data:
        raise reader.fail((), "test file: missing key 'policy' (the policy file, relative to this file)")
    policy = reader.string(data["policy"], ("policy",), "policy")
    if not policy:
        raise reader.fail(("policy",), "policy: expected a file name, got an empty string")
    folder = os.path.dirname(document.path)
    test = TestFile(document.path, os.path.join(folder, policy), document=document)
    test.cases = [parse_case(reader, item, ("cases", i)) for i, item in enumerate(reader.items(data, "cases"))]
    test.properties = [parse_property(reader, item, ("properties", i))
                       for i, item in enumerate(reader.items(data, "properties"))]
    if not test.cases and not test.properties:
        raise reader.fail((), "test file: no cases and no properties")
    return test


def _named(reader: _Reader, data: Any, path: Path, keys: tuple[str, ...]) -> tuple[dict[str, Any], str]:
    """A case or property: a mapping with every one of ``keys``, and its name."""
    where = f"{path[0]}[{path[1]}]"
    data = reader.mapping(data, path, keys, where)
    for key in keys:
        if key not in data:
            raise reader.fail(path, f"{where}: missing key {key!r}")
    name = reader.string(data["name"], path + ("name",), f"{where}.name")
    return data, name


def parse_case(reader: _Reader, data: Any, path: Path) -> Case:
    data, name = _named(reader, data, path, CASE_KEYS)
    request = parse_request(reader, data["request"], path + ("request",))
    expect = parse_case_expect(reader, data["expect"], path + ("expect",))
    return Case(name, reader.document.span(path).line, request, expect)


def parse_request(reader: _Reader, data: Any, path: Path) -> Request:
    """The Request a case describes, taken as written (no group added, no API group guessed)."""
    data = reader.mapping(data, path, REQUEST_KEYS, "request")
    text = {key: reader.string(data[key], path + (key,), f"request.{key}")
            for key in REQUEST_KEYS if key in data and key not in ("groups", "unauthenticated")}
    groups = reader.strings(data["groups"], path + ("groups",), "request.groups") if "groups" in data else ()
    unauthenticated = (reader.boolean(data["unauthenticated"], path + ("unauthenticated",),
                                      "request.unauthenticated") if "unauthenticated" in data else False)
    if unauthenticated and ("user" in data or groups):
        raise reader.fail(path, "request: unauthenticated means no user at all: drop user and groups")
    if not unauthenticated and not text.get("user"):
        raise reader.fail(path, "request: give user (or unauthenticated: true for a request with no user)")
    if ("path" in text) == ("resource" in text):
        raise reader.fail(path, "request: give either resource (e.g. pods/exec) or path (e.g. /healthz)")
    user = None if unauthenticated else text["user"]
    verb = text.get("verb", "get")
    if "path" in text:
        extra = [key for key in ("subresource", "apiGroup", "namespace", "name") if key in text]
        if extra:
            raise reader.fail(path + (extra[0],), f"request.{extra[0]}: applies to resource requests, not to path")
        if not text["path"].startswith("/"):
            raise reader.fail(path + ("path",), f"request.path: expected a URL path starting with '/', "
                              f"got {text['path']!r}")
        _check_verb(reader, verb, NON_RESOURCE_VERBS, path + ("verb",), "a non-resource request")
        return Request(user=user, groups=groups, verb=verb, resource_request=False, path=text["path"])
    _check_verb(reader, verb, RESOURCE_VERBS, path + ("verb",), "a resource request")
    resource, subresource = parse_resource(text["resource"])
    if "subresource" in text:
        if subresource:
            raise reader.fail(path + ("subresource",), "request.subresource: the resource already names one "
                              f"({text['resource']!r})")
        subresource = text["subresource"]
    if not resource or "/" in subresource or (text["resource"].endswith("/") and not subresource):
        raise reader.fail(path + ("resource",), "request.resource: expected RESOURCE or RESOURCE/SUBRESOURCE "
                          f"(e.g. pods/exec), got {text['resource']!r}")
    problem = unknown_resource(resource, text.get("apiGroup", ""), group_option="apiGroup:")
    if problem:
        raise reader.fail(path + ("resource",), f"request.resource: {problem}")
    return Request(user=user, groups=groups, verb=verb, resource_request=True, api_group=text.get("apiGroup", ""),
                   resource=resource, subresource=subresource, namespace=text.get("namespace", ""),
                   name=text.get("name", ""))


def _check_verb(reader: _Reader, verb: str, verbs: tuple[str, ...], path: Path, kind: str) -> None:
    """kube-apiserver gives a request only these verbs: anything else is a typo, not a request."""
    if verb not in verbs:
        raise reader.fail(path, f"request.verb: {verb!r} is not a verb of {kind}{close_match_hint(verb, verbs)} "
                          f"(one of: {', '.join(verbs)})")


def parse_case_expect(reader: _Reader, data: Any, path: Path) -> CaseExpect:
    data = reader.mapping(data, path, CASE_EXPECT_KEYS, "expect")
    if not data:
        raise reader.fail(path, f"expect: nothing expected (give one of {', '.join(CASE_EXPECT_KEYS)})")
    rule = None
    if "rule" in data:
        rule = parse_rule_ref(reader, data["rule"], path + ("rule",))
    return CaseExpect(
        level=reader.level(data["level"], path + ("level",), "expect.level") if "level" in data else None,
        omit_stages=(reader.stages(data["omitStages"], path + ("omitStages",), "expect.omitStages")
                     if "omitStages" in data else None),
        omit_managed_fields=(reader.boolean(data["omitManagedFields"], path + ("omitManagedFields",),
                                            "expect.omitManagedFields") if "omitManagedFields" in data else None),
        rule=rule, rule_path=path + ("rule",),
    )


def parse_rule_ref(reader: _Reader, value: Any, path: Path) -> RuleRef:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise reader.fail(path, f"expect.rule: a rule index counts from 0, got {value}")
        return RuleRef(index=value)
    if isinstance(value, dict):
        data = reader.mapping(value, path, ("line",), "expect.rule")
        line = data.get("line")
        if isinstance(line, int) and not isinstance(line, bool) and line >= 1:
            return RuleRef(line=line)
        raise reader.fail(path + ("line",), f"expect.rule.line: expected a line number from 1, got {line!r}")
    raise reader.fail(path, f"expect.rule: expected a 0-based rule index or {{line: N}}, got {_kind(value)}")


def parse_property(reader: _Reader, data: Any, path: Path) -> Property:
    data, name = _named(reader, data, path, PROPERTY_KEYS)
    selector_path = path + ("requests",)
    if not isinstance(data["requests"], dict):
        raise reader.fail(selector_path, f"requests: expected a rule-shaped mapping, got {_kind(data['requests'])}")
    try:
        selector = Selector.from_mapping(data["requests"])
    except ValueError as exc:
        raise _selector_error(reader, data["requests"], selector_path, str(exc)) from None
    expect_path = path + ("expect",)
    expect = reader.mapping(data["expect"], expect_path, PROPERTY_EXPECT_KEYS, "expect")
    if not expect:
        raise reader.fail(expect_path, f"expect: nothing expected (give one of {', '.join(PROPERTY_EXPECT_KEYS)})")
    levels = {key: reader.level(expect[key], expect_path + (key,), f"expect.{key}")
              for key in ("levelAtMost", "levelAtLeast", "level") if key in expect}
    stages = (reader.stages(expect["omitStages"], expect_path + ("omitStages",), "expect.omitStages")
              if "omitStages" in expect else None)
    return Property(name, reader.document.span(path).line, selector,
                    PropertyExpect(levels.get("levelAtMost"), levels.get("levelAtLeast"), levels.get("level"), stages))


def _selector_error_path(data: dict[str, Any], path: Path, message: str) -> Path:
    """The key of the selector that ``Selector.from_mapping`` refused with ``message`` (it names
    the key first: ``verbs: expected a list ...``, or ``unknown key 'x'``); the selector when none."""
    for key in data:
        if f"unknown key {key!r}" in message or message.split(":", 1)[0].split("[", 1)[0] == key:
            return path + (key,)
    return path


def _selector_error(reader: _Reader, data: dict[str, Any], path: Path, message: str) -> InputError:
    """The error ``Selector.from_mapping`` raised, at the key it is about (an unknown key itself)."""
    where = _selector_error_path(data, path, message)
    return reader.fail(where, f"requests: {message}", key=where != path and "unknown key" in message)


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Result:
    """One case or property, run."""

    kind: str  # "case" or "property"
    name: str
    line: int  # where it is written in the test file
    failures: tuple[str, ...] = ()  # each expectation that is not met, one line each
    details: tuple[str, ...] = ()  # the decision, and why the expected rule did not match
    request: Request | None = None  # the case's request, or a property's counterexample
    rule: int | None = None  # the rule deciding ``request``
    rule_line: int | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class FileReport:
    """A test file, run: its results, or the one-line error that stopped it."""

    path: str
    policy: str | None = None
    results: list[Result] = field(default_factory=list)
    error: str | None = None  # FILE:LINE:COL: what is wrong

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)


def describe_rule(policy: Policy, index: int | None) -> str:
    if index is None:
        return "no rule"
    return policy.rule_ref(index)


def resolve_rule(policy: Policy, ref: RuleRef) -> int | None:
    """The index of the rule a RuleRef names, or None when the policy has no such rule."""
    if ref.index is not None:
        return ref.index if ref.index < len(policy.rules) else None
    return next((rule.index for rule in policy.rules if policy.rule_line(rule.index) == ref.line), None)


def check_references(test: TestFile, policy: Policy) -> None:
    """InputError at the first ``expect.rule`` that names no rule of the policy."""
    assert test.document is not None
    reader = _Reader(test.document)
    for case in test.cases:
        ref = case.expect.rule
        if ref is not None and resolve_rule(policy, ref) is None:
            what = (f"rule index {ref.index}, but the policy has {len(policy.rules)} rules" if ref.index is not None
                    else f"line {ref.line}, but no rule of {test.policy} starts at that line"
                    + _nearest_rule(policy, ref.line or 0))
            raise reader.fail(case.expect.rule_path, f"expect.rule: {what}")


def _nearest_rule(policy: Policy, line: int) -> str:
    """A hint naming the rule written around ``line``: the last one starting before it."""
    before = [rule.index for rule in policy.rules if policy.rule_line(rule.index) < line]
    return f" ({describe_rule(policy, before[-1])} starts above it)" if before else ""


def _stages(stages: frozenset[str]) -> str:
    return "[" + ", ".join(sorted(stages)) + "]"


def decision_failures(expect: CaseExpect, decision: Decision, policy: Policy) -> list[str]:
    failures = []
    if expect.rule is not None:
        wanted = resolve_rule(policy, expect.rule)
        if wanted != decision.rule:
            failures.append(f"rule: expected {describe_rule(policy, wanted)}, got {describe_rule(policy, decision.rule)}")
    if expect.level is not None and expect.level != decision.level:
        failures.append(f"level: expected {expect.level.wire}, got {decision.level.wire}")
    if expect.omit_stages is not None and expect.omit_stages != decision.omit_stages:
        failures.append(f"omitStages: expected {_stages(expect.omit_stages)}, got {_stages(decision.omit_stages)}")
    if expect.omit_managed_fields is not None and expect.omit_managed_fields != decision.omit_managed_fields:
        failures.append(f"omitManagedFields: expected {str(expect.omit_managed_fields).lower()}, "
                        f"got {str(decision.omit_managed_fields).lower()}")
    return failures


def why_not(policy: Policy, wanted: int, request: Request, decided: int | None,
            kube_version: tuple[int, int] | None) -> str:
    """Why rule ``wanted`` does not decide ``request``: its first mismatch, or the earlier rule
    that decides first."""
    wildcard_group = kube_version is None or kube_version >= WILDCARD_GROUP_SINCE
    mismatch = first_mismatch(policy.rules[wanted], request, wildcard_group)
    if mismatch is not None:
        return f"{describe_rule(policy, wanted)} does not match: {mismatch.reason}"
    return f"{describe_rule(policy, wanted)} matches, but {describe_rule(policy, decided)} comes first"


def run_case(policy: Policy, case: Case, kube_version: tuple[int, int] | None = None) -> Result:
    explanation = explain(policy, case.request, kube_version)
    decision = explanation.decision
    failures = decision_failures(case.expect, decision, policy)
    details: list[str] = []
    if failures:
        details.append(f"decided by {describe_rule(policy, decision.rule)}: level {decision.level.wire}")
        wanted = resolve_rule(policy, case.expect.rule) if case.expect.rule is not None else None
        if wanted is not None and wanted != decision.rule:
            details.append(why_not(policy, wanted, case.request, decision.rule, kube_version))
    line = policy.rule_line(decision.rule) if decision.rule is not None else None
    return Result("case", case.name, case.line, tuple(failures), tuple(details), case.request, decision.rule, line)


def property_failure(expect: PropertyExpect, decision: Decision) -> str | None:
    """The first expectation a decision breaks, or None."""
    level = decision.level
    if expect.level_at_most is not None and level > expect.level_at_most:
        return f"levelAtMost {expect.level_at_most.wire}: a request is logged at {level.wire}"
    if expect.level_at_least is not None and level < expect.level_at_least:
        return f"levelAtLeast {expect.level_at_least.wire}: a request is logged at {level.wire}"
    if expect.level is not None and level != expect.level:
        return f"level {expect.level.wire}: a request is logged at {level.wire}"
    if expect.omit_stages is not None and decision.omit_stages != expect.omit_stages:
        return f"omitStages {_stages(expect.omit_stages)}: a request omits {_stages(decision.omit_stages)}"
    return None


def run_property(policy: Policy, prop: Property, kube_version: tuple[int, int] | None = None) -> Result:
    """Proved when no rule reachable inside the selector breaks the expectation; otherwise the
    first counterexample, confirmed by ``evaluate``."""
    for rule, witness in rule_witnesses(policy, prop.selector, kube_version).items():
        if witness is None:
            continue
        decision = evaluate(policy, witness, kube_version)
        if decision.rule != rule or not prop.selector.contains(witness):
            raise SpaceError(f"counterexample {witness.describe()} is not decided by rule {rule} inside the selector")
        failure = property_failure(prop.expect, decision)
        if failure is not None:
            line = policy.rule_line(rule) if rule is not None else None
            details = (f"counterexample: {witness.describe()}",
                       f"decided by {describe_rule(policy, rule)}: level {decision.level.wire}"
                       + (f", omitStages {_stages(decision.omit_stages)}" if decision.omit_stages else ""))
            return Result("property", prop.name, prop.line, (failure,), details, witness, rule, line)
    return Result("property", prop.name, prop.line)


def run_tests(test: TestFile, policy: Policy, kube_version: tuple[int, int] | None = None) -> list[Result]:
    """Every case, then every property, in the order written."""
    check_references(test, policy)
    return ([run_case(policy, case, kube_version) for case in test.cases]
            + [run_property(policy, prop, kube_version) for prop in test.properties])


def read_test_file(path: str) -> TestFile:
    """The test file at ``path``: InputError when it cannot be read or is malformed."""
    _, documents = read_file(path)
    if not documents:
        raise InputError(path, 1, 1, "test file: empty (expected policy, cases and properties)")
    return parse_test_file(documents[0])


def load_policy(test: TestFile, kube_version: tuple[int, int]) -> Policy:
    """The policy a test file names, read as kube-apiserver reads it: InputError when it is
    missing, unreadable, not a policy, or one kube-apiserver would refuse."""
    if not os.path.isfile(test.policy):
        assert test.document is not None
        raise _Reader(test.document).fail(("policy",), f"policy: no such file: {test.policy}")
    reading = apiserver_read(test.policy, kube_version)
    not_policy = first_document_not_policy(reading)
    if not_policy:
        start = reading.documents[0].start
        raise InputError(test.policy, start.line, start.column, not_policy)
    verdict = reading.verdicts[0]
    if not verdict.accepted:
        first = verdict.errors[0]
        raise InputError(test.policy, first.span.line, first.span.column,
                         f"kube-apiserver {versions.format(kube_version)} would refuse this policy: {first.render()}")
    return verdict.policy


def run_file(path: str, kube_version: tuple[int, int], policies: dict[str, Policy] | None = None) -> FileReport:
    """Read, load and run one test file; a bad file or policy is the report's error, not an exception.
    ``policies`` caches the policies loaded so far, by path."""
    report = FileReport(path)
    try:
        test = read_test_file(path)
        report.policy = test.policy
        key = os.path.abspath(test.policy)
        if policies is None or key not in policies:
            policy = load_policy(test, kube_version)
            if policies is not None:
                policies[key] = policy
        else:
            policy = policies[key]
        report.results = run_tests(test, policy, kube_version)
    except InputError as exc:
        report.error = str(exc)
    return report
