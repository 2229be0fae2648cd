"""GitHub Actions workflow commands: one annotation per finding, shown inline on pull requests.

    ::error file=policies/audit.yaml,line=12,col=5,endLine=12,endColumn=27,title=KAL001::message (sensitive-body-captured)

Errors become ``::error``, warnings ``::warning``, notes ``::notice``. Paths are relative to the
report root (the workspace). Suppressed findings are not annotated. GitHub shows only the first few
annotations of each kind per step: the Markdown summary (``--format markdown``) lists them all.
"""

from __future__ import annotations

from kube_audit_lint.findings import Finding, Report, Severity
from kube_audit_lint.output.common import detailed_message, display_path, ordered

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def render(report: Report) -> str:
    grouping = report.grouping()
    lines = [annotation(finding, report.root, grouping.members(finding))
             for finding in ordered(report) if not finding.suppressed and grouping.shown(finding)]
    return "".join(line + "\n" for line in lines)


def annotation(finding: Finding, root: str, grouped: list[Finding] = ()) -> str:
    location = finding.location
    properties = [("file", display_path(location.path, root)), ("line", location.line)]
    single_line = location.end_line is None or location.end_line == location.line
    # GitHub accepts columns only for an annotation on a single line
    if single_line:
        properties.append(("col", location.column))
    if location.end_line is not None:
        properties.append(("endLine", location.end_line))
    if single_line and location.end_column is not None:
        properties.append(("endColumn", location.end_column))
    properties.append(("title", finding.code))  # the form users' scripts and the docs show
    message = detailed_message(finding, grouped, headline=f"{finding.message} ({finding.name})")
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{COMMANDS[finding.severity]} {rendered}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF percent-encoded (``%`` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as data, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
