"""Baselines: a reference audit policy and the expectations a policy is held to, kept as data.

A baseline file (the built-in ones are the ``baselines`` package: gke, eks, cis, recommended;
format in ``baselines/schema/baseline.schema.json``) holds a reference policy and expectations.
An expectation selects requests the way a policy rule does and bounds the level the policy may
give them (at least, at most, exactly), or asks that a stage is kept. It is evaluated with the
request-space analysis, so it either holds for every request it selects or yields violations:
the rule responsible and a witness request the plain evaluator confirms.

Selectors describe the requests kube-apiserver can present: every authenticated user carries
``system:authenticated``, the anonymous user carries ``system:unauthenticated``, and a request
whose authentication failed has no user at all. A selector that names no users or groups covers
the three.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator

from kube_audit_lint.engine.evaluate import decide
from kube_audit_lint.engine.request import Request
from kube_audit_lint.engine.space import Outcome, RequestSpace, Selector
from kube_audit_lint.findings import Severity
from kube_audit_lint.kube.api import ANONYMOUS_USER, AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.model import Level, Policy, Rule, format_path
from kube_audit_lint.policy.validate import apiserver_verdict
from kube_audit_lint.policy.yamlnodes import Document, InputError, Path, Span, parse_documents, read_file

BUILTIN_PACKAGE = "kube_audit_lint.baselines"
BUILTIN_FOLDER = "baselines"  # where the built-in baselines stand in the repository
DEFAULT_BASELINE = "recommended"
BASELINE_SCHEMA = "baseline.schema.json"
REQUEST_CLASSES = "request-classes.yaml"
REQUEST_CLASSES_SCHEMA = "request-classes.schema.json"


BOUND_WORDS = {"atLeast": "at least", "atMost": "at most", "exactly": "exactly"}


class BaselineError(ValueError):
    """A baseline (or request-class) file we cannot use; ``str()`` is a one-line message."""

    def __init__(self, message: str, path: str | None = None, span: Span | None = None):
        where = f"{path}:{span.line}:{span.column}: " if path and span else (f"{path}: " if path else "")
        super().__init__(where + message)


# --------------------------------------------------------------------------------------------
# Request selectors as written in baseline files


@dataclass(frozen=True)
class RequestSelector:
    """A selector of a baseline file: the request-space Selector, narrowed by ``onlyGroups`` and
    with the requests of its ``except`` entries taken out."""

    core: Selector
    exceptions: tuple[Selector, ...] = ()
    only_groups: tuple[str, ...] | None = None
    source: dict = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_mapping(cls, data: dict) -> "RequestSelector":
        """Raises ValueError on anything the space's Selector would not take."""
        if not isinstance(data, dict):
            raise ValueError(f"request selector: expected a mapping, got {data!r}")
        core = {k: v for k, v in data.items() if k not in ("except", "onlyGroups")}
        exceptions = data.get("except") or []
        if not isinstance(exceptions, list):
            raise ValueError("except: expected a list of request selectors")
        for i, entry in enumerate(exceptions):
            if isinstance(entry, dict) and ("authenticated" in entry or "except" in entry or "onlyGroups" in entry):
                raise ValueError(f"except[{i}]: takes the fields of a policy rule only")
        only_groups = data.get("onlyGroups")
        if only_groups is not None and not (isinstance(only_groups, list) and all(isinstance(g, str) for g in only_groups)):
            raise ValueError("onlyGroups: expected a list of strings")
        return cls(
            core=Selector.from_mapping(core),
            exceptions=tuple(Selector.from_mapping(entry) for entry in exceptions),
            only_groups=tuple(only_groups) if only_groups is not None else None,
            source=dict(data),
        )

    def populations(self) -> tuple[Selector, ...]:
        """The core selector as requests kube-apiserver can present (see the module docstring)."""
        core = self.core
        if core.authenticated is False or core.user_groups:
            return (core,)
        if core.users:
            users = tuple(u for u in core.users if u != ANONYMOUS_USER)
            named = (replace(core, users=users, user_groups=(AUTHENTICATED_GROUP,), authenticated=None),) if users else ()
            if ANONYMOUS_USER in core.users:
                named += (replace(core, users=(ANONYMOUS_USER,), user_groups=(UNAUTHENTICATED_GROUP,), authenticated=None),)
            return named
        people = (replace(core, user_groups=(AUTHENTICATED_GROUP,), authenticated=None),
                  replace(core, users=(ANONYMOUS_USER,), user_groups=(UNAUTHENTICATED_GROUP,), authenticated=None))
        if core.authenticated is True:
            return people
        return people + (replace(core, authenticated=False),)

    def exclusion_rules(self, policy: Policy, population: Selector) -> tuple[Rule, ...]:
        """Rules that match exactly the requests taken out: the ``except`` entries and, for
        ``onlyGroups``, every other group the policy or the selector names (a group nobody names
        cannot change a decision)."""
        taken_out = list(self.exceptions)
        if authenticated_only(population):
            # the group adder leaves the user named system:anonymous out of system:authenticated
            taken_out.append(Selector(users=(ANONYMOUS_USER,)))
        if self.only_groups is not None:
            named = {g for rule in policy.rules for g in rule.user_groups}
            named |= set(population.user_groups) | {g for entry in self.exceptions for g in entry.user_groups}
            taken_out += [Selector(user_groups=(group,)) for group in sorted(named - set(self.only_groups))]
        return tuple(_dropping_rule(entry, i) for i, entry in enumerate(taken_out))

    def contains(self, request: Request) -> bool:
        if not any(admits(population, request) for population in self.populations()):
            return False
        if self.only_groups is not None and not set(request.groups) <= set(self.only_groups):
            return False
        return not any(entry.contains(request) for entry in self.exceptions)

    def describe(self) -> str:
        text = describe_selector(self.core)
        if self.only_groups is not None:
            text += f"; only groups {', '.join(self.only_groups) or '(none)'}"
        if self.exceptions:
            text += "; except " + " | ".join(describe_selector(entry) for entry in self.exceptions)
        return text


def authenticated_only(population: Selector) -> bool:
    """The population holds authenticated users only (none of them can be system:anonymous)."""
    return (AUTHENTICATED_GROUP in population.user_groups and UNAUTHENTICATED_GROUP not in population.user_groups
            and ANONYMOUS_USER not in population.users)


def admits(population: Selector, request: Request) -> bool:
    return population.contains(request) and not (authenticated_only(population) and request.user == ANONYMOUS_USER)


def _dropping_rule(selector: Selector, index: int) -> Rule:
    """A policy rule (level None) that matches what ``selector`` selects, authentication aside."""
    return Rule(index, "None", selector.users, selector.user_groups, selector.verbs, selector.resources,
                selector.namespaces, selector.non_resource_urls)


class PolicySpace:
    """A policy's outcomes for baseline selectors.

    The ``except`` entries of a selector become rules of their own, put in front of the policy's
    rules: a request they match never reaches the policy's rules, and every other request is
    decided exactly as the policy decides it, so the outcomes past them are the policy's own.
    """

    def __init__(self, policy: Policy, kube_version: tuple[int, int] | None, space: RequestSpace | None = None):
        self.policy = policy
        self.kube_version = kube_version
        self._spaces: dict[tuple[Rule, ...], RequestSpace] = {}
        if space is not None:
            self._spaces[()] = space

    def outcomes(self, selector: RequestSelector) -> list[Outcome]:
        """One outcome per rule (None last) that some request of the selector reaches."""
        seen: dict[int | None, Outcome] = {}
        for population in selector.populations():
            for outcome in self._population_outcomes(selector, population):
                seen.setdefault(outcome.rule, outcome)
        return sorted(seen.values(), key=lambda o: (o.rule is None, o.rule or 0))

    def _population_outcomes(self, selector: RequestSelector, population: Selector) -> list[Outcome]:
        exclusions = selector.exclusion_rules(self.policy, population)
        outcomes = self._space(exclusions).outcomes(population)
        if not exclusions:
            return outcomes
        skip = len(exclusions)
        return [self._shifted(o, skip) for o in outcomes if o.rule is None or o.rule >= skip]

    def _space(self, exclusions: tuple[Rule, ...]) -> RequestSpace:
        if exclusions not in self._spaces:
            shifted = tuple(replace(rule, index=rule.index + len(exclusions)) for rule in self.policy.rules)
            derived = replace(self.policy, rules=exclusions + shifted)
            self._spaces[exclusions] = RequestSpace(derived, self.kube_version)
        return self._spaces[exclusions]

    def _shifted(self, outcome: Outcome, skip: int) -> Outcome:
        rule = None if outcome.rule is None else outcome.rule - skip
        decision = decide(self.policy, rule)
        return Outcome(rule, decision.level, decision, outcome.witness)


# --------------------------------------------------------------------------------------------
# The model of a baseline


@dataclass(frozen=True)
class Bound:
    relation: str  # atLeast | atMost | exactly
    level: Level

    def admits(self, level: Level) -> bool:
        if self.relation == "atLeast":
            return level >= self.level
        if self.relation == "atMost":
            return level <= self.level
        return level == self.level

    def __str__(self) -> str:
        return f"{BOUND_WORDS[self.relation]} {self.level.wire}"


@dataclass(frozen=True)
class Expectation:
    id: str
    title: str
    selector: RequestSelector
    bound: Bound | None
    stages_kept: tuple[str, ...]
    severity: Severity
    reference: str
    rationale: str
    origin: str  # name of the baseline that defines it
    path: str = ""
    line: int = 0


@dataclass(frozen=True)
class Baseline:
    name: str
    title: str
    description: str
    source: dict
    path: str
    policy: Policy | None
    expectations: tuple[Expectation, ...]
    extends: tuple[str, ...] = ()
    builtin: bool = False

    @property
    def display_path(self) -> str:
        return f"{BUILTIN_FOLDER}/{os.path.basename(self.path)}" if self.builtin else self.path

    def expectation(self, expectation_id: str) -> Expectation | None:
        return next((e for e in self.expectations if e.id == expectation_id), None)


# --------------------------------------------------------------------------------------------
# Loading


def _builtin_files():
    from importlib import resources

    return resources.files(BUILTIN_PACKAGE)


def builtin_names() -> tuple[str, ...]:
    """Names of the built-in baselines (every ``*.yaml`` of the package but the request classes)."""
    names = [entry.name[: -len(".yaml")] for entry in _builtin_files().iterdir()
             if entry.name.endswith(".yaml") and entry.name != REQUEST_CLASSES]
    return tuple(sorted(names))


def load_baseline(name_or_path: str) -> Baseline:
    """A built-in baseline by name, or a baseline file; BaselineError when unusable."""
    return _load_cached(_resolve(name_or_path, None))


def _resolve(name_or_path: str, relative_to: str | None) -> tuple[str, bool]:
    """(path, built-in?) for a name or a path (relative to the extending file, when there is one)."""
    if name_or_path in builtin_names():
        return str(_builtin_files().joinpath(f"{name_or_path}.yaml")), True
    path = name_or_path
    if relative_to is not None and not os.path.isabs(path):
        path = os.path.join(os.path.dirname(relative_to), path)
    if os.path.exists(path):
        return os.path.abspath(path), False
    raise BaselineError(f"unknown baseline {name_or_path!r}: not a file, and not a built-in baseline "
                        f"({', '.join(builtin_names())})")


@functools.lru_cache(maxsize=32)
def _load_cached(resolved: tuple[str, bool]) -> Baseline:
    return _load(resolved, ())


def _load(resolved: tuple[str, bool], chain: tuple[str, ...]) -> Baseline:
    path, builtin = resolved
    document = _read_document(path, builtin)
    if not builtin:  # the built-in ones are validated by the test suite; skipping keeps startup light
        _validate(document, BASELINE_SCHEMA)
    data = document.data
    extends = data.get("extends") or ()
    extends = (extends,) if isinstance(extends, str) else tuple(extends)
    inherited: list[Expectation] = []
    for i, parent in enumerate(extends):
        where = ("extends",) if isinstance(data["extends"], str) else ("extends", i)
        try:
            parent_resolved = _resolve(parent, path)
        except BaselineError as exc:
            raise BaselineError(str(exc), path, document.span(where)) from None
        if parent_resolved[0] in chain + (path,):
            raise BaselineError(f"extends {parent!r}: a baseline cannot extend itself (a cycle)", path, document.span(where))
        inherited = _merged(inherited, _load(parent_resolved, chain + (path,)).expectations)
    own = _expectations(document, data["name"])
    return Baseline(
        name=data["name"],
        title=data["title"],
        description=data["description"],
        source=dict(data["source"]),
        path=path,
        policy=_reference_policy(document) if "policy" in data else None,
        expectations=tuple(_merged(inherited, own)),
        extends=extends,
        builtin=builtin,
    )


def _read_document(path: str, builtin: bool) -> Document:
    try:
        if builtin:
            text = _builtin_files().joinpath(os.path.basename(path)).read_text("utf-8")
            documents = parse_documents(path, text)
        else:
            _, documents = read_file(path)
    except InputError as exc:
        raise BaselineError(str(exc)) from None
    if len(documents) != 1:
        raise BaselineError(f"expected one YAML document, found {len(documents)}", path, Span(1, 1, 1, 1))
    return documents[0]


@functools.lru_cache(maxsize=None)
def _validator(schema_name: str):
    import jsonschema
    from referencing import Registry, Resource

    folder = _builtin_files().joinpath("schema")
    schemas = {name: json.loads(folder.joinpath(name).read_text("utf-8"))
               for name in (BASELINE_SCHEMA, REQUEST_CLASSES_SCHEMA)}
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas.values())
    return jsonschema.Draft202012Validator(schemas[schema_name], registry=registry)


_UNEXPECTED = re.compile(r"\('([^']+)'(?:, '[^']+')* (?:was|were) unexpected\)")


def _validate(document: Document, schema_name: str) -> None:
    """The first schema error, at its position: the key for an unexpected key, else the value."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator(schema_name).iter_errors(document.data))
    if error is None:
        return
    path = tuple(error.absolute_path)
    span = document.span(path)
    message = error.message
    unexpected = _UNEXPECTED.search(message) if error.validator in ("additionalProperties", "unevaluatedProperties") else None
    alternatives = _required_alternatives(error)
    if unexpected:
        key = unexpected.group(1)
        span = document.key_span(path + (key,))
        message = f"unknown key {key!r}"
    elif alternatives:
        message = f"needs {' or '.join(alternatives)}"
    elif len(message) > 160:
        message = message[:157] + "..."
    where = format_path(path) or "baseline"
    raise BaselineError(f"{where}: {message}", document.path, span)


def _required_alternatives(error) -> list[str]:
    """For an anyOf/oneOf of ``required`` lists (bound or stagesKept), the keys it asks for."""
    if error.validator not in ("anyOf", "oneOf"):
        return []
    branches = error.validator_value
    if not all(set(branch) == {"required"} for branch in branches):
        return []
    return [", ".join(branch["required"]) for branch in branches]


def _expectations(document: Document, baseline_name: str) -> list[Expectation]:
    expectations: list[Expectation] = []
    seen: set[str] = set()
    for i, item in enumerate(document.data["expectations"]):
        if item["id"] in seen:
            raise BaselineError(f"expectations[{i}].id: duplicate id {item['id']!r}", document.path,
                                document.span(("expectations", i, "id")))
        seen.add(item["id"])
        try:
            selector = RequestSelector.from_mapping(item["selector"])
        except ValueError as exc:
            raise BaselineError(f"expectations[{i}].selector: {exc}", document.path,
                                document.span(("expectations", i, "selector"))) from None
        bound = None
        if item.get("bound"):
            (relation, level), = item["bound"].items()
            bound = Bound(relation, Level.from_wire(level))
        expectations.append(Expectation(
            id=item["id"],
            title=item["title"],
            selector=selector,
            bound=bound,
            stages_kept=tuple(item.get("stagesKept") or ()),
            severity=Severity.parse(item["severity"]),
            reference=item["reference"],
            rationale=" ".join(item["rationale"].split()),
            origin=baseline_name,
            path=document.path,
            line=document.span(("expectations", i)).line,
        ))
    return expectations


def _merged(inherited: Iterable[Expectation], own: Iterable[Expectation]) -> list[Expectation]:
    """Inherited expectations first; one with the same id as an inherited one replaces it in place."""
    merged = {e.id: e for e in inherited}
    for expectation in own:
        merged[expectation.id] = expectation
    return list(merged.values())


def _sub_document(document: Document, key: str) -> Document:
    """The value at ``key`` as a document of its own, keeping its positions in the file."""
    n = 1

    def inside(path: Path) -> bool:
        return len(path) > n and path[0] == key

    return Document(
        path=document.path,
        index=document.index,
        data=document.data[key],
        spans={p[n:]: s for p, s in document.spans.items() if p[:n] == (key,)},
        key_spans={p[n:]: s for p, s in document.key_spans.items() if inside(p)},
        duplicate_keys=[(p[n:], s) for p, s in document.duplicate_keys if inside(p)],
        start=document.span((key,)),
        is_json=document.is_json,
    )


def _reference_policy(document: Document) -> Policy:
    """The embedded policy, which must load in kube-apiserver without a single complaint."""
    verdict = apiserver_verdict(_sub_document(document, "policy"), versions.DEFAULT)
    if verdict.problems:
        problem = verdict.problems[0]
        raise BaselineError(f"reference policy: {problem.render()}", document.path, problem.span)
    return verdict.policy


# --------------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class Violation:
    """An expectation a policy does not meet, for the requests one rule (or no rule) decides."""

    expectation: Expectation
    rule: int | None  # the policy's rule responsible; None when the requests match no rule
    level: Level
    witness: Request
    omitted_stage: str | None = None  # set when the level is fine but this stage is omitted


def unmet_expectations(policy: Policy, baseline: Baseline, kube_version: tuple[int, int] | None,
                       space: RequestSpace | None = None) -> list[Violation]:
    """Every (expectation, rule) where the policy falls outside what the baseline expects."""
    spaces = PolicySpace(policy, kube_version, space)
    violations: list[Violation] = []
    for expectation in baseline.expectations:
        for outcome in spaces.outcomes(expectation.selector):
            violations += _violations(expectation, outcome)
    return violations


def _violations(expectation: Expectation, outcome: Outcome) -> Iterator[Violation]:
    if expectation.bound is not None and not expectation.bound.admits(outcome.level):
        yield Violation(expectation, outcome.rule, outcome.level, outcome.witness)
        return
    if outcome.level is Level.NONE:
        return
    for stage in expectation.stages_kept:
        if stage in outcome.decision.omit_stages:
            yield Violation(expectation, outcome.rule, outcome.level, outcome.witness, omitted_stage=stage)


def violation_message(violation: Violation, baseline_name: str, policy: Policy) -> str:
    """``get secrets/x -n prod by alice is logged at RequestResponse by rule 7 (line 42), but
    baseline cis expects at most Metadata (CIS 3.2.2: Secrets are logged at Metadata at most)``"""
    expectation = violation.expectation
    request = violation.witness.describe()
    by = f"by {policy.rule_ref(violation.rule)}" if violation.rule is not None else ""
    if violation.omitted_stage:
        what = f"{request} is logged {by} without its {violation.omitted_stage} event"
    elif violation.rule is None:
        what = f"{request} matches no rule, so it is not logged"
    elif violation.level is Level.NONE:
        what = f"{request} is not logged (level None) {by}"
    else:
        what = f"{request} is logged at {violation.level.wire} {by}"
    expected = f"{violation.omitted_stage} kept" if violation.omitted_stage else str(expectation.bound)
    return f"{what}, but baseline {baseline_name} expects {expected} ({expectation.reference}: {expectation.title})"


def violation_fix(violation: Violation, policy: Policy) -> str:
    if violation.omitted_stage:
        where = ("the policy's omitStages" if violation.omitted_stage in policy.omit_stages
                 else f"omitStages of rule {violation.rule}")
        return f"remove {violation.omitted_stage} from {where}, or log these requests by an earlier rule that keeps it"
    bound = violation.expectation.bound
    requests = describe_selector(violation.expectation.selector.core)
    if violation.rule is None:
        return f"add a rule at {bound.level.wire} for {requests} (or a catch-all rule)"
    rule = policy.rules[violation.rule]
    if violation.witness.user is None and violation.level is Level.NONE and not (rule.users or rule.user_groups):
        return (f'scope rule {violation.rule} to userGroups ["{AUTHENTICATED_GROUP}", "{UNAUTHENTICATED_GROUP}"]: '
                "a rule without users or userGroups also drops requests that failed authentication")
    change = {"atLeast": "raise", "atMost": "lower"}.get(bound.relation, "change")
    return f"add a rule at {bound.level.wire} for {requests} before rule {violation.rule}, or {change} its level"


def describe_selector(selector: Selector) -> str:
    """Requests in words: ``create/update/patch pods, deployments.apps in kube-system by alice``."""
    parts = ["/".join(selector.verbs)] if selector.verbs else []
    resources = [_describe_entry(entry) for entry in selector.resources]
    if resources:
        parts.append(", ".join(resources))
    elif selector.non_resource_urls:
        parts.append(", ".join(selector.non_resource_urls))
    else:
        parts.append("any request")
    if selector.namespaces:
        parts.append("in " + ", ".join(n or '""' for n in selector.namespaces))
    if selector.authenticated is False:
        parts.append("that failed authentication")
    elif selector.users:
        parts.append("by " + ", ".join(selector.users))
    elif selector.user_groups:
        parts.append("by members of " + ", ".join(selector.user_groups))
    return " ".join(parts)


def _describe_entry(entry) -> str:
    if not entry.resources:
        return "any resource" if entry.group == "*" else f"any resource of {entry.group or 'the core group'}"
    suffix = f".{entry.group}" if entry.group else ""
    names = f"/{','.join(entry.resource_names)}" if entry.resource_names else ""
    return ", ".join(f"{resource}{suffix}{names}" for resource in entry.resources)


# --------------------------------------------------------------------------------------------
# baseline diff: request class by request class


@dataclass(frozen=True)
class RequestClass:
    id: str
    title: str
    selector: RequestSelector


@functools.lru_cache(maxsize=1)
def request_classes() -> tuple[RequestClass, ...]:
    """The request classes of ``baselines/request-classes.yaml``."""
    path = str(_builtin_files().joinpath(REQUEST_CLASSES))
    document = _read_document(path, True)  # validated by the test suite, like the built-in baselines
    classes = []
    for i, item in enumerate(document.data["classes"]):
        try:
            selector = RequestSelector.from_mapping(item["selector"])
        except ValueError as exc:
            raise BaselineError(f"classes[{i}].selector: {exc}", path, document.span(("classes", i, "selector"))) from None
        classes.append(RequestClass(item["id"], item["title"], selector))
    return tuple(classes)


@dataclass(frozen=True)
class ClassDiff:
    request_class: RequestClass
    baseline: tuple[Outcome, ...]  # the baseline's reference policy's outcomes, by rule
    policy: tuple[Outcome, ...]  # the policy's outcomes, by rule

    @property
    def comparison(self) -> str:
        return compare_levels({o.level for o in self.baseline}, {o.level for o in self.policy})


def compare_levels(baseline: set[Level], policy: set[Level]) -> str:
    """same, less (the policy logs less somewhere and more nowhere), more, or mixed."""
    if baseline == policy:
        return "same"
    if not baseline or not policy:
        return "mixed"
    lower = min(policy) < min(baseline) or max(policy) < max(baseline)
    higher = min(policy) > min(baseline) or max(policy) > max(baseline)
    if lower and not higher:
        return "less"
    if higher and not lower:
        return "more"
    return "mixed"


def diff_classes(policy: Policy, baseline: Baseline, kube_version: tuple[int, int] | None,
                 classes: Iterable[RequestClass] | None = None) -> list[ClassDiff]:
    if baseline.policy is None:
        raise BaselineError(f"baseline {baseline.name} has no reference policy to compare with", baseline.path)
    ours = PolicySpace(policy, kube_version)
    theirs = PolicySpace(baseline.policy, kube_version)
    return [ClassDiff(request_class, tuple(theirs.outcomes(request_class.selector)),
                      tuple(ours.outcomes(request_class.selector)))
            for request_class in (request_classes() if classes is None else classes)]


def _levels(outcomes: Iterable[Outcome]) -> list[Level]:
    return sorted({o.level for o in outcomes})


def _outcome_json(outcome: Outcome, policy: Policy) -> dict[str, Any]:
    line = policy.span(("rules", outcome.rule)).line if outcome.rule is not None else None
    return {"level": outcome.level.wire, "rule": outcome.rule, "line": line, "witness": outcome.witness.as_dict()}


def diff_json(diffs: list[ClassDiff], policy: Policy, baseline: Baseline, kube_version) -> dict[str, Any]:
    summary = {mark: 0 for mark in ("same", "less", "more", "mixed")}
    for diff in diffs:
        summary[diff.comparison] += 1
    return {
        "policy": policy.path,
        "baseline": {"name": baseline.name, "title": baseline.title, "path": baseline.display_path},
        "kubeVersion": versions.format(kube_version) if kube_version else None,
        "summary": summary,
        "classes": [
            {
                "id": diff.request_class.id,
                "title": diff.request_class.title,
                "selector": diff.request_class.selector.source,
                "comparison": diff.comparison,
                "baselineLevels": [level.wire for level in _levels(diff.baseline)],
                "policyLevels": [level.wire for level in _levels(diff.policy)],
                "baseline": [_outcome_json(o, baseline.policy) for o in diff.baseline],
                "policy": [_outcome_json(o, policy) for o in diff.policy],
            }
            for diff in diffs
        ],
    }


def _level_list(outcomes: Iterable[Outcome]) -> str:
    return ", ".join(level.wire for level in _levels(outcomes))


def _rules_at(outcomes: Iterable[Outcome], level: Level, policy: Policy, path: str) -> str:
    refs = [f"{path}:{policy.span(('rules', o.rule)).line} (rule {o.rule})" if o.rule is not None else "no rule"
            for o in outcomes if o.level == level]
    return ", ".join(refs)


def diff_text(diffs: list[ClassDiff], policy: Policy, baseline: Baseline) -> str:
    lines = [f"{policy.path} against baseline {baseline.name} ({baseline.title}; {baseline.display_path})", ""]
    width = max(len(diff.request_class.title) for diff in diffs) if diffs else 0
    width = min(width, 60)
    for diff in diffs:
        mark = diff.comparison
        title = diff.request_class.title
        if mark == "same":
            lines.append(f"  same   {title:<{width}}  {_level_list(diff.policy)}")
            continue
        lines.append(f"  {mark:<6} {title:<{width}}  baseline {_level_list(diff.baseline)}; policy {_level_list(diff.policy)}")
        baseline_levels = set(_levels(diff.baseline))
        for level in _levels(diff.policy):
            if level in baseline_levels:
                continue
            outcome = next(o for o in diff.policy if o.level == level)
            lines.append(f"           policy {level.wire} by {_rules_at(diff.policy, level, policy, policy.path)}")
            lines.append(f"             e.g. {outcome.witness.describe()}")
        policy_levels = set(_levels(diff.policy))
        for level in _levels(diff.baseline):
            if level in policy_levels:
                continue
            lines.append(f"           baseline {level.wire} by "
                         f"{_rules_at(diff.baseline, level, baseline.policy, baseline.display_path)}")
    summary = {mark: sum(1 for d in diffs if d.comparison == mark) for mark in ("same", "less", "more", "mixed")}
    lines += ["", f"{len(diffs)} request classes: " + ", ".join(f"{n} {mark}" for mark, n in summary.items())]
    return "\n".join(lines)
