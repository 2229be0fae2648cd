"""``kube-audit-lint report``: the compliance report for auditors, as HTML, PDF, Markdown or JSON.

The report is built once as plain data (``linter.report.model``) and laid out by one module per
format: ``html`` (Jinja2 templates in ``linter/data/templates``; the ``report`` extra), ``pdf`` (that
HTML printed by headless Chromium), ``markdown`` and ``json`` (no extra needed).
"""

from __future__ import annotations

from kube_audit_lint.report.html import render_html
from kube_audit_lint.report.jsonout import render_json
from kube_audit_lint.report.markdown import render_markdown
from kube_audit_lint.report.model import ReportInputError, ReportOptions
from kube_audit_lint.report.pdf import find_chromium, html_to_pdf

FORMATS = ("html", "pdf", "md", "json")
EXIT_INPUT = 2

__all__ = ["FORMATS", "ReportInputError", "ReportOptions", "check_format_available", "render"]


class MissingToolError(ReportInputError):
    """An optional dependency the chosen format needs is not installed (exit code 2)."""


def render(report: dict, fmt: str) -> str | bytes:
    """``report`` (from ``build_report``) in ``fmt``: text, or bytes for PDF."""
    if fmt == "json":
        return render_json(report)
    if fmt == "md":
        return render_markdown(report)

    html = render_html(report)
    if fmt == "html":
        return html

    return html_to_pdf(html)


def check_format_available(fmt: str) -> None:
    """Fail before any work when the format needs something missing."""
    if fmt not in FORMATS:
        raise ReportInputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt in ("html", "pdf"):
        try:
            import jinja2  # noqa: F401
        except ImportError:
            raise MissingToolError(f"--format {fmt} needs Jinja2: pip install 'kube-audit-lint[report]'") from None
    if fmt == "pdf":
        if find_chromium() is None:
            raise MissingToolError("--format pdf needs Chromium (chromium, chromium-browser or google-chrome) "
                                   "on PATH, or its path in KUBE_AUDIT_LINT_CHROMIUM")
