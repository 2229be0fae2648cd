"""SARIF 2.1.0 output, built with sarif-om, for GitHub code scanning and other SARIF consumers.

One run. ``tool.driver`` lists every check that ran as a rule: id = code, name = check name,
``shortDescription`` (the docstring's first line), ``fullDescription`` (its "What it does", at most
1,024 characters, GitHub's limit: cut on a word with an ellipsis), ``help`` (the whole docstring),
``helpUri`` (the documentation of the running version, or a plugin's ``DOCS_URL``) and properties:
``precision`` on every rule, ``tags`` (kubernetes, audit-policy, the check's category), and only on
checks whose ``CATEGORY`` is security the ``security`` tag and ``security-severity``.

Each finding is a result with its rule id and index, an explicit level, a location relative to
``%SRCROOT%`` (the repository root given in ``originalUriBaseIds``; the caller passes git's top
level, see ``kube_audit_lint.lint.reporoot``), ``partialFingerprints`` that do not depend on line
numbers, related locations, and the example request and fix hint in its properties.

This is the file for upload. Code scanning ignores a result's ``suppressions`` and would show a
suppressed finding as an open alert, so suppressed findings (comments in the policy) and accepted
findings (``--accepted``) are left out of the results (``include_suppressed=True`` keeps them, marked
with ``suppressions``; JSON output always keeps them). With ``--diff-base`` the log still holds the
full analysis (``Report.full_analysis``): code scanning compares whole analyses, and would take a
finding left out of a pull request's upload for a fixed one.

A check may set ``SECURITY_SEVERITY`` (a number from 0.0 to 10.0, shown by GitHub as
Critical/High/Medium/Low) and ``TAGS`` (extra tags, e.g. ``("cis-3.2.2",)``) in its module.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kube_audit_lint import INFORMATION_URI, __version__
from kube_audit_lint.findings import Finding, Location, Report, Severity
from kube_audit_lint.lint.checkdocs import check_help_markdown, check_help_text, docs_url
from kube_audit_lint.lint.fingerprint import FINGERPRINT_KEY, report_fingerprints
from kube_audit_lint.lint.registry import CheckSpec
from kube_audit_lint.output.common import detailed_message, order_key, relative_path

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
TOOL_NAME = "kube-audit-lint"
BASE_TAGS = ("kubernetes", "audit-policy")
SECURITY_TAG = "security"
DESCRIPTION_LIMIT = 1024  # characters of a rule's fullDescription that GitHub accepts
ELLIPSIS = "\u2026"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
# GitHub: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low
SECURITY_SEVERITIES = {Severity.ERROR: 8.0, Severity.WARNING: 5.0, Severity.NOTE: 2.0}
SUPPRESSION_KINDS = {"inline": "inSource", "file": "inSource", "accepted": "external"}
# sarif-om omits a property equal to its default; a result's level must always be explicit,
# since a consumer would otherwise take the rule's default level instead of the finding's own.
_ALWAYS_WRITTEN = frozenset({"level"})


def render(report: Report, *, root: str | None = None, category: str | None = None,
           include_suppressed: bool = False) -> str:
    """The SARIF log of ``report`` (its full analysis when only-new narrowed it): paths relative to
    ``root`` (default: the report's root), ``automationDetails.id`` ``"<category>/"`` when a
    category is given, suppressed and accepted findings left out unless ``include_suppressed``."""
    log = to_json(sarif_log(report, root=root, category=category, include_suppressed=include_suppressed))
    # the conventional order, so that a reader sees the schema and version first
    ordered = {key: log.pop(key) for key in ("$schema", "version") if key in log}
    ordered.update(log)
    return json.dumps(ordered, indent=2, ensure_ascii=False) + "\n"


def sarif_log(report: Report, *, root: str | None = None, category: str | None = None,
              include_suppressed: bool = False):
    """The whole log as sarif-om objects."""
    from dataclasses import replace

    import sarif_om as om

    report = report.full_analysis or report
    if root is not None:
        report = replace(report, root=root)
    specs = rule_specs(report)
    rule_index = {spec.code: index for index, spec in enumerate(specs)}
    key = order_key(report)
    pairs = sorted(zip(report.findings, report_fingerprints(report)), key=lambda pair: key(pair[0]))
    grouping = report.grouping()
    results = [  # one result per problem: findings of the same root cause are named in its message
        result(finding, rule_index[finding.code], {FINGERPRINT_KEY: fingerprint}, report.root,
               grouping.members(finding))
        for finding, fingerprint in pairs
        if grouping.shown(finding) and (include_suppressed or not finding.suppressed)
    ]
    driver = om.ToolComponent(
        name=TOOL_NAME,
        version=__version__,
        semantic_version=__version__,
        information_uri=INFORMATION_URI,
        rules=[rule(spec) for spec in specs],
    )
    run = om.Run(
        tool=om.Tool(driver=driver),
        results=results,
        invocations=[om.Invocation(execution_successful=True)],
        original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=root_uri(report.root))},
        column_kind="unicodeCodePoints",
        automation_details=om.RunAutomationDetails(id=automation_id(category)) if category else None,
    )
    return om.SarifLog(version=SARIF_VERSION, schema_uri=SARIF_SCHEMA_URI, runs=[run])


def rule_specs(report: Report) -> list:
    """The checks that ran, plus a stand-in for any code a finding carries that no check declared."""
    specs = list(dict((spec.code, spec) for spec in report.checks).values())
    known = {spec.code for spec in specs}
    for finding in report.findings:
        if finding.code not in known:
            known.add(finding.code)
            specs.append(
                CheckSpec(
                    code=finding.code, name=finding.name, severity=finding.severity, options={},
                    doc="", run=lambda ctx: (), module="",
                )
            )
    return specs


def rule(spec):
    import sarif_om as om

    properties: dict[str, Any] = {"precision": getattr(spec, "precision", "") or "high", "tags": rule_tags(spec)}
    if is_security(spec):
        properties["security-severity"] = f"{security_severity(spec):.1f}"
    return om.ReportingDescriptor(
        id=spec.code,
        name=spec.name,
        short_description=om.MultiformatMessageString(text=clip(spec.summary)),
        full_description=om.MultiformatMessageString(text=clip(spec.section("What it does") or spec.summary)),
        help=om.MultiformatMessageString(text=check_help_text(spec), markdown=check_help_markdown(spec)),
        help_uri=docs_url(spec),
        default_configuration=om.ReportingConfiguration(level=LEVELS[spec.severity]),
        properties=properties,
    )


def is_security(spec) -> bool:
    """A check about security (``CATEGORY = "security"``): only these are security alerts."""
    return getattr(spec, "category", "") == "security"


def rule_tags(spec) -> list[str]:
    """``security`` first for a security check, then kubernetes, audit-policy, the category and
    the check's own ``TAGS``."""
    category = getattr(spec, "category", "")
    tags = ((SECURITY_TAG,) if is_security(spec) else ()) + BASE_TAGS + ((category,) if category else ())
    extra = tuple(str(tag) for tag in (_module_attribute(spec, "TAGS") or ()))
    if not is_security(spec):  # a tag cannot make a check a security one: its category does
        extra = tuple(tag for tag in extra if tag != SECURITY_TAG)
    return list(dict.fromkeys(tags + extra))


def clip(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """``text`` in at most ``limit`` characters: cut at the last blank that fits, ending in an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS) + 1]
    cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    head = head[:cut] if cut > limit // 2 else head[: limit - len(ELLIPSIS)]
    return head.rstrip(" \t\n,;:.") + ELLIPSIS


def automation_id(category: str) -> str:
    """``runs[].automationDetails.id``: the category as a path prefix, ending in ``/``."""
    category = category.strip()
    return category if category.endswith("/") else category + "/"


def result(finding: Finding, rule_index: int, fingerprints: dict[str, str], root: str,
           grouped: list[Finding] = ()):
    import sarif_om as om

    properties: dict[str, Any] = {}
    if grouped:
        properties["alsoCauses"] = [{"code": f.code, "name": f.name, "message": f.message} for f in grouped]
    if finding.witness is not None:
        properties["witness"] = finding.witness
    if finding.fix:
        properties["fix"] = finding.fix
    if finding.rule_index is not None:
        properties["policyRule"] = finding.rule_index
    return om.Result(
        rule_id=finding.code,
        rule_index=rule_index,
        level=LEVELS[finding.severity],
        message=om.Message(text=detailed_message(finding, grouped)),  # GitHub shows only this inline
        locations=[om.Location(physical_location=physical_location(finding.location, root))],
        related_locations=[
            om.Location(id=index, physical_location=physical_location(related, root))
            for index, related in enumerate(finding.related)
        ] or None,
        partial_fingerprints=fingerprints,
        suppressions=[suppression(finding, root)] if finding.suppressed else None,
        properties=properties or None,
        fixes=[fix(finding, root)] if finding.autofix else None,
    )


def fix(finding: Finding, root: str):
    """The finding's automatic fix as a SARIF fix: its edits as replacements in the policy file."""
    import sarif_om as om

    given = finding.autofix
    return om.Fix(
        description=om.Message(text=given.description + ("" if given.safe else f" (unsafe: {given.reason})")),
        artifact_changes=[om.ArtifactChange(
            artifact_location=artifact_location(finding.location.path, root),
            replacements=[om.Replacement(
                deleted_region=om.Region(start_line=edit.line, start_column=edit.column, end_line=edit.end_line,
                                         end_column=edit.end_column),
                inserted_content=om.ArtifactContent(text=edit.text),
            ) for edit in given.edits],
        )],
        properties={"safe": given.safe},
    )


def suppression(finding: Finding, root: str):
    import sarif_om as om

    given = finding.suppression
    return om.Suppression(
        kind=SUPPRESSION_KINDS.get(given.kind, "external"),
        justification=given.justification or None,
        location=om.Location(physical_location=physical_location(given.location, root)) if given.location else None,
    )


def physical_location(location: Location, root: str):
    import sarif_om as om

    region = om.Region(start_line=max(location.line, 1), start_column=max(location.column, 1))
    if location.end_line is not None and location.end_column is not None:
        region.end_line = max(location.end_line, region.start_line)
        region.end_column = max(location.end_column, 1)
    return om.PhysicalLocation(artifact_location=artifact_location(location.path, root), region=region)


def artifact_location(path: str, root: str):
    """A URI relative to %SRCROOT% when the file is under the root, else an absolute file URI."""
    import sarif_om as om

    relative = relative_path(path, root)
    if relative is not None:
        return om.ArtifactLocation(uri=quote(relative, safe="/"), uri_base_id=SRCROOT)
    if path in ("-", "<stdin>"):
        return om.ArtifactLocation(uri="stdin")
    return om.ArtifactLocation(uri=Path(os.path.abspath(path)).as_uri())


def root_uri(root: str) -> str:
    """The report root as an absolute ``file:`` URI ending in ``/`` (SARIF requires the slash)."""
    uri = Path(os.path.abspath(root or ".")).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def security_severity(spec) -> float:
    """The check's own ``SECURITY_SEVERITY`` when it sets one in range, else by its severity."""
    override = _module_attribute(spec, "SECURITY_SEVERITY")
    try:
        value = float(override)
    except (TypeError, ValueError):
        return SECURITY_SEVERITIES[spec.severity]
    return value if 0.0 <= value <= 10.0 else SECURITY_SEVERITIES[spec.severity]


def _module_attribute(spec, name: str):
    """An optional attribute of the check's module (already imported: the check ran)."""
    module = sys.modules.get(spec.module) if spec.module else None
    return getattr(module, name, None)


def to_json(value: Any) -> Any:
    """sarif-om objects to plain JSON data under SARIF's property names (camelCase, ``$schema``).

    A property left at its sarif-om default (None, -1, ...) is omitted, as SARIF consumers assume
    the default when a property is absent.
    """
    import attr

    if attr.has(type(value)):
        out = {}
        for field in attr.fields(type(value)):
            item = getattr(value, field.name)
            if item is None:
                continue
            default = field.default.factory() if isinstance(field.default, attr.Factory) else field.default
            if item == default and field.name not in _ALWAYS_WRITTEN:
                continue
            out[field.metadata["schema_property_name"]] = to_json(item)
        return out
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value
