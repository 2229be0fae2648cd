"""Policy unit test results as text, JSON or JUnit XML (they read FileReports only).

JSON: ``{"kubeVersion", "passed", "failed", "errors", "files": [{"file", "policy", "error",
"results": [{"kind", "name", "line", "passed", "failures", "details", "request", "rule",
"ruleLine"}]}]}``. JUnit: one ``testsuite`` per test file, one ``testcase`` per case or property
(classname: the test file), a ``failure`` with a one-line message and the details as text; a file
that cannot be run is a testsuite with one ``error``.
"""

from __future__ import annotations

import json

from kube_audit_lint.review.policytests import FileReport, Result


def totals(reports: list[FileReport]) -> tuple[int, int, int]:
    """(passed, failed, errors) over every file."""
    results = [r for report in reports for r in report.results]
    failed = sum(not r.passed for r in results)
    return len(results) - failed, failed, sum(report.error is not None for report in reports)


def render(reports: list[FileReport], output_format: str, kube_version: str) -> str:
    if output_format == "json":
        return render_json(reports, kube_version)
    if output_format == "junit":
        return render_junit(reports)
    return render_text(reports)


def render_text(reports: list[FileReport]) -> str:
    """A line per case and property; a failure's reasons indented under it. Files that could not
    be run are only counted: their errors go to stderr."""
    lines = []
    for report in reports:
        for result in report.results:
            status = "PASS" if result.passed else "FAIL"
            lines.append(f"{status} {report.path}:{result.line}: {result.kind} {result.name}")
            lines += [f"    {text}" for text in (*result.failures, *result.details)]
    passed, failed, errors = totals(reports)
    summary = f"{passed} passed, {failed} failed"
    if errors:
        summary += f", {errors} file{'s' if errors != 1 else ''} not run (errors on stderr)"
    lines.append(summary)
    return "\n".join(lines) + "\n"


def result_json(result: Result) -> dict:
    return {
        "kind": result.kind, "name": result.name, "line": result.line, "passed": result.passed,
        "failures": list(result.failures), "details": list(result.details),
        "request": result.request.as_dict() if result.request is not None else None,
        "rule": result.rule, "ruleLine": result.rule_line,
    }


def render_json(reports: list[FileReport], kube_version: str) -> str:
    passed, failed, errors = totals(reports)
    data = {
        "kubeVersion": kube_version, "passed": passed, "failed": failed, "errors": errors,
        "files": [{"file": report.path, "policy": report.policy, "error": report.error,
                   "results": [result_json(r) for r in report.results]} for report in reports],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _xml_text(text: str) -> str:
    """XML 1.0 cannot carry most control characters even escaped: they are written as \\uXXXX."""
    return "".join(c if c in "\t\n\r" or (" " <= c and c not in "\ufffe\uffff") else f"\\u{ord(c):04x}"
                   for c in text)


def render_junit(reports: list[FileReport]) -> str:
    import xml.etree.ElementTree as ET

    passed, failed, errors = totals(reports)
    root = ET.Element("testsuites", name="kube-audit-lint test", tests=str(passed + failed),
                      failures=str(failed), errors=str(errors))
    for report in reports:
        suite = ET.SubElement(root, "testsuite", name=_xml_text(report.path), tests=str(len(report.results) or 1),
                              failures=str(report.failed), errors=str(int(report.error is not None)), skipped="0")
        if report.error is not None:
            case = ET.SubElement(suite, "testcase", name="load test file", classname=_xml_text(report.path))
            error = ET.SubElement(case, "error", message=_xml_text(report.error), type="InputError")
            error.text = _xml_text(report.error)
            continue
        for result in report.results:
            case = ET.SubElement(suite, "testcase", name=_xml_text(f"{result.kind}: {result.name}"),
                                 classname=_xml_text(report.path), file=_xml_text(report.path),
                                 line=str(result.line))
            if not result.passed:
                failure = ET.SubElement(case, "failure", message=_xml_text("; ".join(result.failures)),
                                        type="PolicyTestFailure")
                failure.text = _xml_text("\n".join((*result.failures, *result.details)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
