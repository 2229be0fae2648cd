"""Finding checks, and the context a check runs in.

A check is a module (one per check, under ``checks/`` for the built-in ones) that declares plain
data and one generator::

    \"\"\"<docstring: What it does / Why is this bad? / Example / Use instead / Fix / References>\"\"\"
    CODE = "KAL003"
    NAME = "health-endpoint-logged"
    SEVERITY = "warning"            # error | warning | note
    OPTIONS = {"paths": [...]}      # optional: defaults, overridable in configuration
    def check(ctx): yield ctx.finding(...)

Checks are discovered through the ``kube_audit_lint.checks`` entry-point group, so a third-party
package adds its own checks exactly the way the built-in ones are added.
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Iterable

from kube_audit_lint.engine.request import Request
from kube_audit_lint.findings import Finding, Location, Severity
from kube_audit_lint.policy.model import Policy
from kube_audit_lint.policy.validate import Verdict
from kube_audit_lint.policy.yamlnodes import Path

ENTRY_POINT_GROUP = "kube_audit_lint.checks"
CODE_PATTERN = re.compile(r"^[A-Z]{2,5}\d{3,4}$")


@dataclass(frozen=True)
class CheckSpec:
    code: str
    name: str
    severity: Severity
    options: dict
    doc: str
    run: Callable[["CheckContext"], Iterable[Finding]]
    module: str

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


def spec_from_module(module: ModuleType) -> CheckSpec:
    for attr in ("CODE", "NAME", "SEVERITY", "check"):
        if not hasattr(module, attr):
            raise ValueError(f"check module {module.__name__} has no {attr}")
    if not CODE_PATTERN.match(module.CODE):
        raise ValueError(f"check module {module.__name__}: code {module.CODE!r} is not like KAL001")
    return CheckSpec(
        code=module.CODE,
        name=module.NAME,
        severity=Severity.parse(module.SEVERITY),
        options=dict(getattr(module, "OPTIONS", {}) or {}),
        doc=module.__doc__ or "",
        run=module.check,
        module=module.__name__,
    )


def _entry_point_modules() -> list[str]:
    from importlib.metadata import entry_points

    return [ep.value.split(":")[0] for ep in entry_points(group=ENTRY_POINT_GROUP)]


def _builtin_modules() -> list[str]:
    import pkgutil

    import kube_audit_lint.checks as checks

    return [f"kube_audit_lint.checks.{m.name}" for m in pkgutil.iter_modules(checks.__path__) if not m.name.startswith("_")]


@functools.lru_cache(maxsize=1)
def all_checks() -> tuple[CheckSpec, ...]:
    """Every check available: entry points, plus the built-in package when run from a source tree."""
    names = dict.fromkeys(_entry_point_modules() + _builtin_modules())
    specs = [spec_from_module(importlib.import_module(name)) for name in names]
    seen: dict[str, str] = {}
    for spec in specs:
        for key in (spec.code, spec.name):
            if key in seen and seen[key] != spec.module:
                raise ValueError(f"check {key} is declared by both {seen[key]} and {spec.module}")
            seen[key] = spec.module
    return tuple(sorted(specs, key=lambda s: s.code))


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
    apiserver: Any = None  # linter.apiserver_flags.ApiserverConfig when --apiserver-manifest is given

    @functools.cached_property
    def space(self):
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


    def finding_in_file(self, file_path: str, span, message: str, *, fix: str | None = None,
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
