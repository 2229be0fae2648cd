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
    SCOPE = "policy"                # optional: what it reads (below); "policy" when absent
    OPTIONS = {"paths": [...]}      # optional: defaults, overridable in configuration
    DOCS_URL = "https://..."        # optional, for plugins: where the check is documented
    def check(ctx: CheckContext) -> Iterator[Finding]: yield ctx.finding(...)

``SCOPE`` says what a check consumes, and so when it runs:

- ``"policy"`` (the default): each policy document, once per policy (``CheckContext``);
- ``"manifest"``: the kube-apiserver manifest, once per run, next to the policy it names
  (``CheckContext``, ``ctx.apiserver``);
- ``"findings"``: the findings of the other checks, once per file read, after every ``policy`` and
  ``manifest`` check of the run has run and the suppression comments have been applied
  (``FindingsContext``: the file's findings, its suppression comments marked as used or not, the
  checks that ran on it, today's date). Selecting such a check runs the other checks too, without
  reporting them, since their findings are what it judges; its own findings cannot be suppressed
  by a comment (the configuration can ignore them or change their severity). The checks about
  suppressions (KAL090-KAL094) are checks of this scope.

Checks are discovered through the ``kube_audit_lint.checks`` entry-point group, so a third-party
package adds its own checks exactly the way the built-in ones are added (docs/plugins.md). A plugin
that cannot be loaded, or that fails while it runs, is a plugin problem: named with its
distribution and version, reported as an input error (exit 2), never blocking the other checks.
A built-in check that fails is a bug in kube-audit-lint (exit 3).
"""

from __future__ import annotations

import datetime
import functools
import importlib
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol

from kube_audit_lint.engine.request import Request
from kube_audit_lint.engine.space import RequestSpace
from kube_audit_lint.findings import Finding, Location, Severity
from kube_audit_lint.policy.model import Policy
from kube_audit_lint.policy.validate import Verdict
from kube_audit_lint.policy.yamlnodes import Path, Span

if TYPE_CHECKING:
    from kube_audit_lint.kube.flags import ApiserverConfig
    from kube_audit_lint.lint.suppressions import Directive

ENTRY_POINT_GROUP = "kube_audit_lint.checks"
CODE_PATTERN = re.compile(r"^[A-Z]{2,5}\d{3,4}$")
# what a check is about: only "security" checks are tagged and rated as security in SARIF
CATEGORIES = ("security", "correctness", "cost", "style", "suppression")
# how often a finding is right, in SARIF's words (GitHub sorts and filters alerts by it)
PRECISIONS = ("very-high", "high", "medium", "low")
DEFAULT_PRECISION = "high"
BUILTIN_PREFIX = "kube_audit_lint.checks."
# what a check consumes (its SCOPE): each policy document, the apiserver manifest once per run, or
# the findings of the other checks once per file, after them
POLICY_SCOPE = "policy"
MANIFEST_SCOPE = "manifest"
FINDINGS_SCOPE = "findings"
SCOPES = (POLICY_SCOPE, MANIFEST_SCOPE, FINDINGS_SCOPE)


class CheckFunction(Protocol):
    """The one function a check module defines: the findings of one policy (or, for a check of the
    findings scope, of one file's findings: ``FindingsCheckFunction``)."""

    def __call__(self, ctx: CheckContext) -> Iterable[Finding]: ...


class FindingsCheckFunction(Protocol):
    """The function of a check of the findings scope: its findings about one file's findings."""

    def __call__(self, ctx: FindingsContext) -> Iterable[Finding]: ...


@dataclass(frozen=True)
class CheckSpec:
    code: str
    name: str
    severity: Severity
    options: dict[str, Any]
    doc: str
    run: CheckFunction | FindingsCheckFunction
    module: str
    distribution: str = ""  # "name version" of the package that provides a plugin check
    docs_url: str = ""  # a plugin's own documentation (built-in checks: docs/checks.md)
    grouped_by: str = ""  # "deciding-rule": its findings share a cause with others on the same rule
    scope: str = POLICY_SCOPE  # what it reads: each "policy" document, the apiserver "manifest" once per
    # run, or the "findings" of the other checks once per file (SCOPES)
    category: str = ""  # one of CATEGORIES; "" for a plugin that declares none
    precision: str = DEFAULT_PRECISION  # one of PRECISIONS

    @property
    def security(self) -> bool:
        return self.category == "security"

    @property
    def suppressible_by_comment(self) -> bool:
        """Whether a suppression comment can suppress its findings: not those of a check that judges
        the findings (and so the suppressions) of the others."""
        return self.scope != FINDINGS_SCOPE

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
    scope = str(getattr(module, "SCOPE", POLICY_SCOPE) or POLICY_SCOPE)
    if scope not in SCOPES:
        raise ValueError(f"check module {module.__name__}: SCOPE {scope!r} is not one of {', '.join(SCOPES)}")
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
        scope=scope,
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


def run_check(spec: CheckSpec, ctx: CheckContext | FindingsContext) -> list[Finding]:
    """The check's findings on one policy (or one file's findings). A plugin that raises is a
    PluginFailure; a built-in check that raises is a bug and propagates."""
    run: Callable[[Any], Iterable[Finding]] = spec.run
    if spec.builtin:
        return list(run(ctx))
    try:
        return list(run(ctx))
    except Exception as exc:  # noqa: BLE001 - a plugin's failure is reported, not fatal
        where = ctx.path if isinstance(ctx, FindingsContext) else ctx.policy.path
        raise PluginFailure(PluginProblem(spec.module, spec.distribution, f"failed on {where}: {_describe(exc)}")) from exc


def find_check(key: str) -> CheckSpec | None:
    """A check by code (``KAL003``) or by name (``health-endpoint-logged``)."""
    key = key.strip()
    for spec in all_checks():
        if key.upper() == spec.code or key == spec.name:
            return spec
    return None


class PolicyAnalysis:
    """What is worked out about one policy for one release, once, for every check that runs on it:
    the request-space analysis, and what checks derive from the policy (the analyses of the policy
    as each sender meets it, ...), kept under the key the check asks with. The pipeline makes one
    per policy document and release; it lives as long as that document's checks run."""

    def __init__(self, policy: Policy, kube_version: tuple[int, int]):
        self.policy = policy
        self.kube_version = kube_version
        self._derived: dict[Any, Any] = {}

    @functools.cached_property
    def space(self) -> RequestSpace:
        return RequestSpace(self.policy, self.kube_version)

    def derived(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, worked out on the first call with ``key`` and kept for the later ones."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]


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
    analysis: PolicyAnalysis | None = None  # shared by the checks of this policy (one of its own if None)

    def __post_init__(self) -> None:
        if self.analysis is None:
            self.analysis = PolicyAnalysis(self.policy, self.kube_version)

    @property
    def space(self) -> RequestSpace:
        """The request-space analysis of this policy (built on first use, shared by the checks)."""
        assert self.analysis is not None
        return self.analysis.space

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
        return spec_finding(
            self.spec, self.location(path, key=key), message, rule_index=rule_index,
            witness=witness.as_dict() if witness is not None else None, fix=fix, subject=subject,
            severity=severity, related=tuple(self.location(p) for p in related),
        )

    def finding_in_file(self, file_path: str, span: Span, message: str, *, fix: str | None = None,
                        subject: str = "", severity: Severity | None = None) -> Finding:
        """A finding in another file than the policy (e.g. the kube-apiserver manifest)."""
        location = Location(file_path, span.line, span.column, span.end_line, span.end_column)
        return spec_finding(self.spec, location, message, fix=fix, subject=subject, severity=severity)


@dataclass(frozen=True)
class FindingsContext:
    """What a check of the findings scope sees: one file read by the run, after every policy and
    manifest check of the run has run on it and its suppression comments have been applied."""

    path: str
    spec: CheckSpec
    findings: tuple[Finding, ...]  # the file's findings of the other checks, suppressed ones marked
    directives: tuple[Directive, ...]  # its suppression comments, marked as used (or blocked) by them
    ran: frozenset[str]  # the codes of the checks that ran on the file (select, ignore, per-file ignores)
    today: datetime.date
    require_reasons: bool = False  # the configuration's require-reasons
    non_suppressible: frozenset[str] = frozenset()  # codes the configuration's non-suppressible names
    non_suppressible_origin: str = "the configuration"  # where that setting comes from
    comment_proof: frozenset[str] = frozenset()  # codes of the checks whose findings no comment suppresses
    options: dict[str, Any] = field(default_factory=dict)

    def option(self, name: str) -> Any:
        return self.options.get(name, self.spec.options.get(name))

    def suppressible(self, code: str) -> bool:
        """Whether a comment may suppress the findings of check ``code`` in this run."""
        return code not in self.comment_proof and code not in self.non_suppressible

    def finding(self, location: Location, message: str, *, fix: str | None = None, subject: str = "",
                severity: Severity | None = None) -> Finding:
        """A finding at ``location`` (a suppression comment, or one check named in it)."""
        return spec_finding(self.spec, location, message, fix=fix, subject=subject, severity=severity)


def spec_finding(spec: CheckSpec, location: Location, message: str, *, rule_index: int | None = None,
                 witness: dict[str, Any] | None = None, fix: str | None = None, subject: str = "",
                 severity: Severity | None = None, related: tuple[Location, ...] = ()) -> Finding:
    """A finding of check ``spec``: its code and name, its default severity unless told."""
    return Finding(
        code=spec.code,
        name=spec.name,
        severity=severity or spec.severity,
        message=message,
        location=location,
        rule_index=rule_index,
        witness=witness,
        fix=fix,
        subject=subject or message,
        related=related,
    )


