"""The API for checks, built-in and plugin alike: what a check module imports.

A check module declares ``CODE``, ``NAME``, ``SEVERITY``, ``CATEGORY`` (security, correctness,
cost, style or suppression: only security checks are tagged as such in SARIF), optionally
``PRECISION`` (very-high, high, medium or low; default high), ``OPTIONS`` (option names to
defaults, overridable in configuration), ``DOCS_URL`` (plugins) and ``SCOPE`` (``policy``, the
default; ``manifest``; or ``findings``: see linter.lint.registry), and one function
``check(ctx: CheckContext) -> Iterator[Finding]`` (see ``CheckFunction``; a check of the findings
scope receives a ``FindingsContext``, see ``FindingsCheckFunction``). docs/plugins.md walks through a
complete plugin. Names here stay stable across releases; anything else may move.
"""

from __future__ import annotations

from kube_audit_lint.engine.request import Request
from kube_audit_lint.findings import Finding, Location, Severity
from kube_audit_lint.lint.registry import CheckContext, CheckFunction, CheckSpec, FindingsCheckFunction, FindingsContext
from kube_audit_lint.policy.model import Level, Policy, Rule

__all__ = [
    "CheckContext", "CheckFunction", "CheckSpec", "Finding", "FindingsCheckFunction", "FindingsContext", "Level",
    "Location", "Policy", "Request", "Rule", "Severity",
]
