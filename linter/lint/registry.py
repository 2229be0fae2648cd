"""Finding checks, and the context a check runs in.

A check is a module (one per check, under ``checks/`` for the built-in ones) that declares plain
data and one generator::

    \"\"\"<docstring: What it does / Why is this bad? / Example / Use instead / Fix / References>\"\"\"
    CODE = "KAL003"
    NAME = "health-endpoint-logged"
    SEVERITY = "warning"            # error | warning | note
    CATEGORY = "cost"               # security | correctness | cost | style | suppression
    PRECISION = "high"              # optional: very-high | high | medium | low (how rarely it is wrong)
    GROUPED_BY = "deciding-rule"    # optional: shown with the other findings on the rule responsible
    SCOPE = "manifest"              # optional: reads only the apiserver manifest, once per run
    OPTIONS = {"paths": [...]}      # optional: defaults, overridable in configuration
    DOCS_URL = "https://..."        # optional, for plugins: where the check is documented
    def check(ctx: CheckContext) -> Iterator[Finding]: yield ctx.finding(...)

Checks are discovered through the ``kube_audit_lint.checks`` entry-point group, so a third-party
package adds its own checks exactly the way the built-in ones are added (docs/plugins.md). A plugin
that cannot be loaded, or that fails while it runs, is a plugin problem: named with its
distribution and version, reported as an input error (exit 2), never blocking the other checks.
A built-in check that fails is a bug in kube-audit-lint (exit 3).
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Iterable, Protocol

from kube_audit_lint.engine.request import Request
from kube_audit_lint.findings import Finding, Location, Severity
from kube_audit_lint.policy.model import Policy
from kube_audit_lint.policy.validate import Verdict
from kube_audit_lint.policy.yamlnodes import Path, Span

if TYPE_CHECKING:
    from kube_audit_lint.engine.space import RequestSpace
    from kube_audit_lint.kube.flags import ApiserverConfig

ENTRY_POINT_GROUP = "kube_audit_lint.checks"
CODE_PATTERN = re.compile(r"^[A-Z]{2,5}\d{3,4}$")
# what a check is about: only "security" checks are tagged and rated as security in SARIF
CATEGORIES = ("security", "correctness", "cost", "style", "suppression")
# how often a finding is right, in SARIF's words (GitHub sorts and filters alerts by it)
PRECISIONS = ("very-high", "high", "medium", "low")
DEFAULT_PRECISION = "high"
BUILTIN_PREFIX = "kube_audit_lint.checks."


class CheckFunction(Protocol):
    """The one function a check module defines: the findings of one policy."""

    def __call__(self, ctx: CheckContext) -> Iterable[Finding]: ...


@dataclass(frozen=True)
class CheckSpec:
    code: str
    name: str
    severity: Severity
    options: dict[str, Any]
    doc: str
    run: CheckFunction
    module: str
    distribution: str = ""  # "name version" of the package that provides a plugin check
    docs_url: str = ""  # a plugin's own documentation (built-in checks: docs/checks.md)
    grouped_by: str = ""  # "deciding-rule": its findings share a cause with others on the same rule
    scope: str = "policy"  # what it reads: each "policy" document, or the apiserver "manifest" once per run
    category: str = ""  # one of CATEGORIES; "" for a plugin that declares none
    precision: str = DEFAULT_PRECISION  # one of PRECISIONS

    @property
    def security(self) -> bool:
        return self.category == "security"

    @property
    def builtin(self) -> bool:
        return self.module.startswith(BUILTIN_PREFIX)

    @property
    def summary(self) -> str:
        """First line of the docstring."""
        return self.doc.strip().splitlines()[0].strip() if self.doc.strip() else self.name

    def section(self, title: str) -> str:
        """One ``## Title`` (or ``Title:``-style) section of the docstring, '' when absent."""
        return doc_sections(self.doc).get(title.lower(), "")


def doc_sections(doc: str) -> dict[str, str]:
    """Split a check docstring into its ``## Heading`` sections (keys lower-cased)."""
    sections: dict[str, list[str]] = {}
    current = "summary"
    import textwrap

    for line in textwrap.dedent(doc or "").splitlines():
        if line.startswith("## "):
            current = line[3:].strip().lower()
            sections[current] = []
            continue
        sections.setdefault(current, []).append(line)
    return {k: "\n".join(v).strip() for k, v in sections.items()}


def spec_from_module(module: ModuleType, distribution: str = "") -> CheckSpec:
    for attr in ("CODE", "NAME", "SEVERITY", "check"):
        if not hasattr(module, attr):
            raise ValueError(f"check module {module.__name__} has no {attr}")
    if not CODE_PATTERN.match(module.CODE):
        raise ValueError(f"check module {module.__name__}: code {module.CODE!r} is not like KAL001")
    options = getattr(module, "OPTIONS", {}) or {}
    if not isinstance(options, dict):
        raise ValueError(f"check module {module.__name__}: OPTIONS must be a mapping of option names to defaults")
    if not callable(module.check):
        raise ValueError(f"check module {module.__name__}: check is not a function")
    category = str(getattr(module, "CATEGORY", "") or "")
    if category and category not in CATEGORIES:
        raise ValueError(f"check module {module.__name__}: CATEGORY {category!r} is not one of {', '.join(CATEGORIES)}")
    precision = str(getattr(module, "PRECISION", DEFAULT_PRECISION) or DEFAULT_PRECISION)
    if precision not in PRECISIONS:
        raise ValueError(f"check module {module.__name__}: PRECISION {precision!r} is not one of {', '.join(PRECISIONS)}")
    return CheckSpec(
        code=module.CODE,
        name=module.NAME,
        severity=Severity.parse(module.SEVERITY),
        options=dict(options),
        doc=module.__doc__ or "",
        run=module.check,
        module=module.__name__,
        distribution=distribution,
        docs_url=str(getattr(module, "DOCS_URL", "") or ""),
        grouped_by=str(getattr(module, "GROUPED_BY", "") or ""),
        scope=str(getattr(module, "SCOPE", "policy") or "policy"),
        category=category,
        precision=precision,
    )


@dataclass(frozen=True)
class PluginProblem:
    """A plugin check that cannot be used: what it is, who ships it, what went wrong."""

    module: str
    distribution: str
    error: str

    def render(self) -> str:
        source = f" from {self.distribution}" if self.distribution else ""
        return f"plugin check {self.module}{source} cannot be used: {self.error}"


class PluginFailure(Exception):
    """A plugin check raised while it ran on a policy."""

    def __init__(self, problem: PluginProblem):
        super().__init__(problem.render())
        self.problem = problem


def _entry_point_modules() -> dict[str, str]:
    """Module name -> "distribution version" for every registered plugin check (the built-in
    ones are found from the package itself; reading their metadata would cost every run)."""
    from importlib.metadata import entry_points

    modules: dict[str, str] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        module = ep.value.split(":")[0]
        if module.startswith(BUILTIN_PREFIX):
            continue
        dist = getattr(ep, "dist", None)
        modules[module] = f"{dist.name} {dist.version}" if dist is not None else ""
    return modules


def _builtin_modules() -> list[str]:
    import pkgutil

    # found at run time, as plugins are: the checks build on this module, not the other way round
    checks = importlib.import_module(BUILTIN_PREFIX.rstrip("."))
    return [f"{BUILTIN_PREFIX}{m.name}" for m in pkgutil.iter_modules(checks.__path__) if not m.name.startswith("_")]


@functools.lru_cache(maxsize=1)
def _discovered() -> tuple[tuple[CheckSpec, ...], tuple[PluginProblem, ...]]:
    """The built-in checks (always) and the plugins that load; a plugin that does not is a problem."""
    registered = _entry_point_modules()
    specs: list[CheckSpec] = []
    problems: list[PluginProblem] = []
    for name in _builtin_modules():
        specs.append(spec_from_module(importlib.import_module(name)))
    claimed = {key: spec.module for spec in specs for key in (spec.code, spec.name)}
    for name, distribution in registered.items():
        try:
            spec = spec_from_module(importlib.import_module(name), distribution)
        except Exception as exc:  # noqa: BLE001 - whatever a plugin raises, the other checks run
            problems.append(PluginProblem(name, distribution, _describe(exc)))
            continue
        taken = [key for key in (spec.code, spec.name) if key in claimed]
        if taken:
            problems.append(PluginProblem(name, distribution, f"{taken[0]} is already declared by {claimed[taken[0]]}"))
            continue
        claimed.update({spec.code: spec.module, spec.name: spec.module})
        specs.append(spec)
    return tuple(sorted(specs, key=lambda s: s.code)), tuple(problems)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def all_checks() -> tuple[CheckSpec, ...]:
    """Every check that can run: the built-in ones and the plugins that load."""
    return _discovered()[0]


def plugin_problems() -> tuple[PluginProblem, ...]:
    """The plugins that are registered but cannot be loaded."""
    return _discovered()[1]


def run_check(spec: CheckSpec, ctx: CheckContext) -> list[Finding]:
    """The check's findings on one policy. A plugin that raises is a PluginFailure; a built-in
    check that raises is a bug and propagates."""
    if spec.builtin:
        return list(spec.run(ctx))
    try:
        return list(spec.run(ctx))
    except Exception as exc:  # noqa: BLE001 - a plugin's failure is reported, not fatal
        raise PluginFailure(PluginProblem(spec.module, spec.distribution, f"failed on {ctx.policy.path}: {_describe(exc)}")) from exc


def find_check(key: str) -> CheckSpec | None:
    """A check by code (``KAL003``) or by name (``health-endpoint-logged``)."""
    key = key.strip()
    for spec in all_checks():
        if key.upper() == spec.code or key == spec.name:
            return spec
    return None


@dataclass
class CheckContext:
    """What a check sees: one policy, the apiserver's verdict on it, and the request-space analysis."""

    policy: Policy
    verdict: Verdict
    spec: CheckSpec
    kube_version: tuple[int, int]
    options: dict[str, Any] = field(default_factory=dict)
    display_path: str | None = None
    apiserver: ApiserverConfig | None = None  # when --apiserver-manifest is given
    baseline: str | None = None  # the run's baseline (lint --baseline, or the configuration's)

    @functools.cached_property
    def space(self) -> RequestSpace:
        """The request-space analysis of this policy (built on first use, shared by the checks)."""
        return shared_space(self.policy, self.kube_version)

    def option(self, name: str) -> Any:
        return self.options.get(name, self.spec.options.get(name))

    def location(self, path: Path, *, key: bool = False) -> Location:
        span = self.policy.document.key_span(path) if key else self.policy.span(path)
        return Location(self.display_path or self.policy.path, span.line, span.column, span.end_line, span.end_column)

    def finding(
        self,
        path: Path,
        message: str,
        *,
        rule_index: int | None = None,
        witness: Request | None = None,
        fix: str | None = None,
        subject: str = "",
        severity: Severity | None = None,
        key: bool = False,
        related: Iterable[Path] = (),
    ) -> Finding:
        if rule_index is None and len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            rule_index = path[1]
        return Finding(
            code=self.spec.code,
            name=self.spec.name,
            severity=severity or self.spec.severity,
            message=message,
            location=self.location(path, key=key),
            rule_index=rule_index,
            witness=witness.as_dict() if witness is not None else None,
            fix=fix,
            subject=subject or message,
            related=tuple(self.location(p) for p in related),
        )


    def finding_in_file(self, file_path: str, span: Span, message: str, *, fix: str | None = None,
                        subject: str = "", severity: Severity | None = None) -> Finding:
        """A finding in another file than the policy (e.g. the kube-apiserver manifest)."""
        return Finding(
            code=self.spec.code,
            name=self.spec.name,
            severity=severity or self.spec.severity,
            message=message,
            location=Location(file_path, span.line, span.column, span.end_line, span.end_column),
            fix=fix,
            subject=subject or message,
        )


_LAST_SPACE: list = []  # (policy, kube_version, space) of the policy being linted


def shared_space(policy: Policy, kube_version: tuple[int, int]):
    """One request-space analysis per policy, shared by all the checks that run on it (policies
    are linted one after the other, so remembering the last one is enough)."""
    from kube_audit_lint.engine.space import RequestSpace

    if not _LAST_SPACE or _LAST_SPACE[0] is not policy or _LAST_SPACE[1] != kube_version:
        _LAST_SPACE[:] = [policy, kube_version, RequestSpace(policy, kube_version)]
    return _LAST_SPACE[2]
