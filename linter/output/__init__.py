"""Formatters: each reads a Report and returns text; one module per format, imported on demand.

text (default, for people), json (for scripts; documented in ``linter/output/json.py``), sarif
(code scanning), github (workflow-command annotations), markdown (job summaries, PR comments).
"""

from __future__ import annotations

import importlib

from kube_audit_lint.findings import Report

FORMATS = ("text", "json", "sarif", "github", "markdown")


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """``report`` in format ``fmt``; ``color`` (ANSI) applies to text only."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (expected one of {', '.join(FORMATS)})")
    module = importlib.import_module(f"kube_audit_lint.output.{fmt}")
    if fmt == "text":
        return module.render(report, color=color)
    return module.render(report)
