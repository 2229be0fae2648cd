"""The HTML report of a real-world policy and real events, opened in headless Chromium: no console
error, no request leaves the page, the sections are in the rendered DOM, a screenshot is kept, and
the PDF printed from it holds the controls table.

Chromium and pdftotext are needed (Debian: chromium, poppler-utils; .ci/run installs them); the
tests skip with the reason when they are missing. The screenshot and the PDF are written to
$KUBE_AUDIT_LINT_ARTIFACTS when set, else to pytest's temporary directory; the path is printed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("jinja2", reason="the report extra (Jinja2) is not installed")

from kube_audit_lint.report import render  # noqa: E402
from kube_audit_lint.report.model import ReportOptions, build_report  # noqa: E402
from kube_audit_lint.report.pdf import chromium_command, find_chromium  # noqa: E402

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
POLICY = "gce-configure-helper.yaml"
EVENTS = ("panther-analysis-tests.jsonl", "falco-trace-files.jsonl")
SECTION_IDS = ("identification", "summary", "controls", "matrix", "replay", "exceptions", "lint-findings", "appendix")


def browse(page: Path, work: Path, screenshot: Path | None = None) -> dict:
    """Open ``page`` once: its DOM, what the console said, and the URLs the page itself requested."""
    net_log = work / f"{page.stem}.netlog.json"
    command = chromium_command(CHROMIUM, str(work / f"{page.stem}-profile")) + [
        "--enable-logging=stderr", "--v=0", f"--log-net-log={net_log}", "--hide-scrollbars",
        "--window-size=1280,4000", "--dump-dom",
    ]
    if screenshot is not None:
        command.append(f"--screenshot={screenshot}")
    done = subprocess.run(command + [page.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    return {"dom": done.stdout, "console": console, "requests": page_requests(net_log)}


def page_requests(net_log: Path) -> list[str]:
    """URLs requested on behalf of a page (the browser's own update and sync pings have no origin)."""
    data = json.loads(net_log.read_text(encoding="utf-8"))
    start = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in data["events"]:
        params = event.get("params") or {}
        if event["type"] == start and "url" in params and params.get("initiator") != "not an origin":
            urls.append(params["url"])
    return [url for url in urls if not url.startswith(("file:", "data:"))]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory, request) -> Path:
    folder = os.environ.get("KUBE_AUDIT_LINT_ARTIFACTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("report-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nreport screenshot and PDF in {path}")
    return path


@pytest.fixture(scope="module")
def report(corpus_policies) -> dict:
    events = [corpus_policies.parent / "events" / name for name in EVENTS]
    missing = [str(e) for e in events if not e.is_file()]
    if missing:
        pytest.skip(f"../shared not present: {missing[0]}")
    return build_report(ReportOptions(policy=str(corpus_policies / POLICY), events=[str(e) for e in events],
                                      frameworks="cis,nsa,stig,pci,falco,elastic,eks"))


@pytest.fixture(scope="module")
def opened(report, artifacts, tmp_path_factory) -> dict:
    page = artifacts / "report.html"
    page.write_text(render(report, "html"), encoding="utf-8")
    result = browse(page, tmp_path_factory.mktemp("chromium"), screenshot=artifacts / "report.png")
    result["screenshot"] = artifacts / "report.png"
    return result


@pytest.fixture(scope="module")
def pdf_text(report, artifacts) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (Debian: apt-get install poppler-utils)")
    pdf = artifacts / "report.pdf"
    pdf.write_bytes(render(report, "pdf"))
    assert pdf.read_bytes().startswith(b"%PDF-")
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_no_console_errors(opened):
    assert opened["console"] == []


def test_no_request_leaves_the_page(opened):
    assert opened["requests"] == []


def test_the_detectors_work_on_a_page_that_misbehaves(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="https://example.invalid/x.png">'
                    '<script>console.error("boom")</script></body></html>', encoding="utf-8")
    result = browse(page, tmp_path)
    assert any("boom" in line for line in result["console"])
    assert result["requests"] == ["https://example.invalid/x.png"]


def test_sections_are_in_the_rendered_dom(opened, report):
    dom = opened["dom"]
    for section in SECTION_IDS:
        assert re.search(rf'<section id="{section}"', dom), section
    controls = sum(len(f["controls"]) for f in report["frameworks"])
    assert len(re.findall(r'<tr id="ctl-', dom)) == controls
    assert dom.count('<svg class="chart"') == 2  # events by level, events by rule (nothing sensitive dropped)
    assert 'id="conflict-sensitive-bodies"' in dom and 'id="conflict-configmap-bodies"' in dom
    assert "Exceptions for system identities" in dom


def test_a_screenshot_is_kept(opened):
    shot = opened["screenshot"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000


def test_the_pdf_holds_the_controls_table(pdf_text, report):
    text = pdf_text
    assert "3. Controls" in text
    assert re.search(r"Control\s+Status\s+Evidence\s+Remediation", text)
    for control_id in ("1.2.16", "3.2.2", "V-242403", "10.2.1.4", "nsa-anonymous-recorded", "attach-exec-pod"):
        assert control_id in text, control_id
    for word in ("Fail", "Manual", "Pass", "Met", "Not met"):
        assert word in text
    assert "8. Appendix: sources" in text


def test_the_first_page_shows_the_controls_verdicts_before_any_lint_finding(pdf_text, report):
    """An auditor's first screen: the frameworks' verdicts; the lint findings are an appendix."""
    first_page = pdf_text.split("\f")[0]
    assert "2. Summary" in first_page
    for framework in report["frameworks"]:
        assert framework["title"][:20] in first_page, framework["title"]
    assert re.search(r"\d+ (fail|not met)", first_page, re.I)
    assert pdf_text.index("3. Controls") < pdf_text.index("7. Appendix: lint findings")
