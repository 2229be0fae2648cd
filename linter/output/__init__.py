"""Formatters: each reads a Report and returns text; one module per format, imported on demand.

text (default, for people), concise (one line per problem), json (for scripts; documented in
``linter/output/json.py``), sarif (code scanning), github (workflow-command annotations), markdown
(job summaries, pull-request comments), junit (JUnit XML test reports), gitlab (GitLab Code
Quality), rdjson (reviewdog).
"""

from __future__ import annotations

import importlib

from kube_audit_lint.findings import Report
from kube_audit_lint.output.text import render_concise

FORMATS = ("text", "concise", "json", "sarif", "github", "markdown", "junit", "gitlab", "rdjson")
# formats whose paths are relative to the repository root (git's top level), not the working directory
REPOSITORY_ROOTED = ("sarif", "gitlab")


def render(report: Report, fmt: str, *, color: bool = False, quiet: bool = False, root: str | None = None,
           sarif_category: str | None = None) -> str:
    """``report`` in format ``fmt``; ``color`` (ANSI) and ``quiet`` (findings only, no closing
    count) apply to the text forms only; ``root`` (the repository root) to sarif and gitlab;
    ``sarif_category`` (``runs[].automationDetails.id``) to sarif."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if fmt == "concise":
        return render_concise(report, color=color, quiet=quiet)
    module = importlib.import_module(f"kube_audit_lint.output.{fmt}")
    if fmt == "text":
        return module.render(report, color=color, quiet=quiet)
    if fmt == "sarif":
        return module.render(report, root=root, category=sarif_category)
    if fmt == "gitlab":
        return module.render(report, root=root)
    return module.render(report)
