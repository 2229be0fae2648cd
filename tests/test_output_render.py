from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kube_audit_lint.findings import Report
from kube_audit_lint.output import FORMATS, render
from test_output_support import sample_report

REPO = Path(__file__).resolve().parents[1]


def test_formats():
    assert FORMATS == ("text", "concise", "json", "sarif", "github", "markdown", "junit", "gitlab", "rdjson")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_the_sample(fmt, tmp_path):
    output = render(sample_report(tmp_path), fmt)
    assert "KAL001" in output and output.endswith("\n")
    if fmt in ("json", "sarif", "gitlab", "rdjson"):
        json.loads(output)


def test_colour_only_reaches_text(tmp_path):
    report = sample_report(tmp_path)
    assert "\x1b[" in render(report, "text", color=True)
    assert "\x1b[" in render(report, "concise", color=True)
    for fmt in FORMATS[2:]:
        assert "\x1b[" not in render(report, fmt, color=True)


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render(Report(findings=[]), "xml")


def test_sarif_om_imported_only_for_sarif():
    code = (
        "import sys\n"
        "from kube_audit_lint.findings import Report\n"
        "from kube_audit_lint.output import render\n"
        "for fmt in ('text', 'json', 'github', 'markdown'): render(Report(findings=[]), fmt)\n"
        "before = 'sarif_om' in sys.modules\n"
        "render(Report(findings=[]), 'sarif')\n"
        "print(before, 'sarif_om' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]
