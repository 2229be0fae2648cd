"""The report as JSON, for GRC tools: the model itself (shape: linter/report/model.py and
linter/data/report/report.schema.json)."""

from __future__ import annotations

import json


def render_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
