"""JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines, CircleCI).

One ``<testsuite>`` per linted file; in it one ``<testcase>`` per check that ran and file
(``name`` = ``KAL020 sensitive-body-captured``, ``classname`` and ``file`` = the path), with one
``<failure>`` per problem the check found there (``message`` = ``path:line:col: message``,
``type`` = the severity; the element's text adds the example request, the fix and what else the
same cause does). A check that found nothing is a passing test case. Suppressed and accepted
findings are not failures. ``tests`` counts test cases, ``failures`` the test cases with at least
one failure, on each suite and on ``<testsuites>``.

Built with xml.etree, which escapes markup; characters XML 1.0 cannot carry at all (control
characters) are written as ``\\xNN``.
"""

from __future__ import annotations

import re

from kube_audit_lint.findings import Finding, Report
from kube_audit_lint.output.common import detailed_message, display_path, problems

SUITES_NAME = "kube-audit-lint"
# XML 1.0 Char: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(report: Report) -> str:
    import xml.etree.ElementTree as ET

    by_file: dict[str, dict[str, list[tuple[Finding, list[Finding]]]]] = {}
    for finding, grouped in problems(report):
        by_file.setdefault(finding.location.path, {}).setdefault(finding.code, []).append((finding, grouped))
    files = list(dict.fromkeys([*report.files, *by_file]))
    checks = {spec.code: spec.name for spec in report.checks}
    suites = ET.Element("testsuites", name=SUITES_NAME)
    total_tests = total_failures = 0
    for path in files:
        shown = display_path(path, report.root)
        found = by_file.get(path, {})
        codes = list(dict.fromkeys([*checks, *found]))
        suite = ET.SubElement(suites, "testsuite", name=text(shown))
        failed = 0
        for code in codes:
            entries = found.get(code, [])
            name = checks.get(code) or entries[0][0].name
            case = ET.SubElement(suite, "testcase", name=text(f"{code} {name}"), classname=text(shown),
                                 file=text(shown))
            for finding, grouped in entries:
                failure = ET.SubElement(case, "failure", message=text(failure_message(finding, shown)),
                                        type=finding.severity.label)
                failure.text = text(failure_text(finding, shown, grouped))
            failed += bool(entries)
        suite.set("tests", str(len(codes)))
        suite.set("failures", str(failed))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total_tests += len(codes)
        total_failures += failed
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    suites.set("errors", "0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def failure_message(finding: Finding, shown_path: str) -> str:
    location = finding.location
    headline = finding.message.splitlines()[0] if finding.message else ""
    return f"{shown_path}:{location.line}:{location.column}: {headline}"


def failure_text(finding: Finding, shown_path: str, grouped: list[Finding]) -> str:
    location = finding.location
    return (f"{shown_path}:{location.line}:{location.column}: {finding.code} [{finding.severity.label}] "
            f"{detailed_message(finding, grouped)} ({finding.name})")


def text(value: str) -> str:
    """``value`` as XML 1.0 can carry it: characters it forbids written as ``\\xNN``."""
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", value)
