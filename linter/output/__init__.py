"""Formatters: each reads a Report and returns text; one module per format, imported on demand.

text (default, for people), json (for scripts; documented in ``linter/output/json.py``), sarif
(code scanning), github (workflow-command annotations), markdown (job summaries, PR comments).
"""

from __future__ import annotations

import importlib

from kube_audit_lint.findings import Report

FORMATS = ("text", "concise", "json", "sarif", "github", "markdown")


def render(report: Report, fmt: str, *, color: bool = False, quiet: bool = False) -> str:
    """``report`` in format ``fmt``; ``color`` (ANSI) and ``quiet`` (findings only, no closing
    count) apply to the text forms only."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if fmt == "concise":
        from kube_audit_lint.output.text import render_concise

        return render_concise(report, color=color, quiet=quiet)
    module = importlib.import_module(f"kube_audit_lint.output.{fmt}")
    if fmt == "text":
        return module.render(report, color=color, quiet=quiet)
    return module.render(report)
