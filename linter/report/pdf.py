"""The report as PDF: the HTML report printed by headless Chromium (its print stylesheet applies).

Chromium is found on PATH (chromium, chromium-browser, google-chrome, google-chrome-stable) or
named by ``KUBE_AUDIT_LINT_CHROMIUM``. It runs without network access to anything: the HTML is a
local file with no external reference, and background networking is switched off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from kube_audit_lint.report.model import ReportInputError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ENV_VAR = "KUBE_AUDIT_LINT_CHROMIUM"
TIMEOUT_SECONDS = 120


def find_chromium() -> str | None:
    named = os.environ.get(ENV_VAR)
    if named:
        return shutil.which(named) or (named if os.path.isfile(named) else None)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_command(binary: str, profile_dir: str) -> list[str]:
    """Flags for a quiet, offline, one-shot headless run."""
    return [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--no-first-run", "--no-default-browser-check", "--mute-audio",
        f"--user-data-dir={profile_dir}",
    ]


def html_to_pdf(html: str) -> bytes:
    binary = find_chromium()
    if binary is None:
        raise ReportInputError(f"--format pdf needs Chromium on PATH (or its path in {ENV_VAR})")
    with tempfile.TemporaryDirectory(prefix="kube-audit-lint-pdf-") as work:
        page = os.path.join(work, "report.html")
        target = os.path.join(work, "report.pdf")
        with open(page, "w", encoding="utf-8") as handle:
            handle.write(html)
        command = chromium_command(binary, os.path.join(work, "profile")) + [
            "--no-pdf-header-footer", f"--print-to-pdf={target}", "file://" + page,
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportInputError(f"Chromium could not print the report: {exc}") from None
        if not os.path.exists(target):
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise ReportInputError(f"Chromium could not print the report (exit {done.returncode}): {last}")
        with open(target, "rb") as handle:
            return handle.read()
