"""The report as one self-contained HTML file (inline CSS and SVG; no script, font or request).

Layout lives in the Jinja2 templates of ``linter/data/templates``; this module prepares what the
templates cannot reasonably compute: links from evidence to the appendix, and chart geometry.
"""

from __future__ import annotations

import functools
from typing import Any

from kube_audit_lint.datafiles import data_path
from kube_audit_lint.report.controls import FAIL, MANUAL, NOT_APPLICABLE, PASS

LEVELS = ("None", "Metadata", "Request", "RequestResponse")
STATUS_WORDS = {
    "compliance": {PASS: "Pass", FAIL: "Fail", MANUAL: "Manual", NOT_APPLICABLE: "Not applicable"},
    "detection": {PASS: "Met", FAIL: "Not met", MANUAL: "Manual", NOT_APPLICABLE: "Not applicable"},
}
TEST_WORDS = {PASS: "holds", FAIL: "fails", MANUAL: "by hand", "unknown": "not checked"}
SECTIONS = (
    ("identification", "Identification"),
    ("summary", "Summary"),
    ("controls", "Controls"),
    ("matrix", "Effective levels"),
    ("replay", "Replay evidence"),
    ("exceptions", "Accepted exceptions"),
    ("appendix", "Appendix: sources"),
)
CHART_WIDTH = 640
BAR_HEIGHT = 16
BAR_GAP = 6
LABEL_WIDTH = 220
LEVEL_LABEL_X = 124


@functools.lru_cache(maxsize=1)
def environment():
    import jinja2

    folder = data_path("templates")
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: folder.joinpath(name).read_text("utf-8")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["level_class"] = level_class
    env.filters["thousands"] = lambda n: f"{n:,}"
    env.filters["percent"] = percent
    env.filters["plural"] = lambda n, noun: f"{n} {noun}" if n == 1 else f"{n} {noun}s"
    env.globals.update(STATUS_WORDS=STATUS_WORDS, TEST_WORDS=TEST_WORDS, SECTIONS=SECTIONS, LEVELS=LEVELS)
    return env


def render_html(report: dict[str, Any]) -> str:
    links = SourceLinks(report)
    links.collect(report)
    view = {
        "report": report,
        "link": links.href,
        "referenced": links.referenced,
        "charts_data": replay_charts(report["replay"]) if report["replay"] else None,
        "conflict_titles": {c["id"]: c["title"] for c in report["conflicts"]},
        "overall": overall(report),
    }
    return environment().get_template("report.html.j2").render(**view)


def level_class(level: str | None) -> str:
    return f"lvl-{(level or 'none').lower()}"


def percent(part: int, whole: int) -> str:
    if not whole:
        return "0%"
    share = 100 * part / whole
    return f"{share:.0f}%" if share >= 1 or share == 0 else "<1%"


def overall(report: dict) -> dict[str, int]:
    totals = {PASS: 0, FAIL: 0, MANUAL: 0, NOT_APPLICABLE: 0}
    for framework in report["frameworks"]:
        for status, count in framework["counts"].items():
            totals[status] += count
    return totals


class SourceLinks:
    """Anchors of the appendix: evidence in the policy or the manifest links to its line."""

    def __init__(self, report: dict):
        sources = report["sources"]
        self.prefixes = {sources["policy"]["path"]: "policy"}
        if "apiserverManifest" in sources:
            self.prefixes[sources["apiserverManifest"]["path"]] = "manifest"
        self.referenced: dict[str, set[int]] = {"policy": set(), "manifest": set()}

    def href(self, file: str | None, line: int | None) -> str | None:
        prefix = self.prefixes.get(file or "")
        if prefix is None or not line:
            return None
        return f"#{prefix}-L{line}"

    def collect(self, report: dict) -> None:
        """Every line some evidence points at, highlighted in the appendix."""
        for item in _evidence_items(report):
            prefix = self.prefixes.get(item.get("file") or "")
            if prefix and item.get("line"):
                self.referenced[prefix].add(item["line"])


def _evidence_items(report: dict):
    for framework in report["frameworks"]:
        for control in framework["controls"]:
            for test in control["tests"]:
                yield from test["evidence"]
    for conflict in report["conflicts"]:
        yield from conflict["evidence"]
    for row in report["matrix"]["rows"]:
        for cell in row["cells"]:
            yield from cell["outcomes"]
    yield from report["matrix"]["exceptions"]
    yield from report["findings"]


# --------------------------------------------------------------------------------------------
# Charts (inline SVG): geometry here, drawing in templates/charts.html.j2


def replay_charts(replay: dict) -> dict:
    return {
        "levels": level_share(replay),
        "rules": rule_hits(replay),
        "sensitive": sensitive_by_category(replay),
    }


def level_share(replay: dict) -> dict:
    """One stacked bar: the events by the level the policy gives them, and its legend."""
    total = replay["events"] or 0
    segments, x, legend_x = [], 0.0, 0
    for level in LEVELS:
        count = replay["eventsByLevel"].get(level, 0)
        width = CHART_WIDTH * count / total if total else 0
        share = percent(count, total)
        label = f"{level}: {count:,} ({share})"
        segments.append({"level": level, "count": count, "x": round(x, 2), "width": round(width, 2),
                         "share": share, "label": label, "legend_x": legend_x})
        x += width
        legend_x += 24 + 7 * len(label)  # about 7 px a character at 11 px
    return {"width": max(CHART_WIDTH, legend_x), "bar_width": CHART_WIDTH, "height": 28,
            "segments": segments, "total": total}


def rule_hits(replay: dict) -> dict:
    """One bar per rule: the events it decided (first match), the logged part darker."""
    rules = replay["rules"] + ([{"index": None, "line": None, "level": "None", "events": replay["unmatched"],
                                 "logged": 0}] if replay["unmatched"] else [])
    most = max((r["events"] for r in rules), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 60
    bars = []
    for i, rule in enumerate(rules):
        label = f"rule {rule['index']} (line {rule['line']})" if rule["index"] is not None else "no rule"
        bars.append({
            "label": label, "index": rule["index"], "line": rule["line"], "level": rule["level"],
            "events": rule["events"], "logged": rule["logged"],
            "y": i * (BAR_HEIGHT + BAR_GAP),
            "width": round(span * rule["events"] / most, 2),
            "logged_width": round(span * rule["logged"] / most, 2),
        })
    return {"width": CHART_WIDTH, "label_width": LABEL_WIDTH, "level_x": LEVEL_LABEL_X, "bar_height": BAR_HEIGHT,
            "height": max(len(bars) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT), "bars": bars}


def sensitive_by_category(replay: dict) -> dict:
    counts: dict[str, int] = {}
    for entry in replay["sensitiveNotLogged"]["requests"]:
        counts[entry["category"]] = counts.get(entry["category"], 0) + entry["events"]
    if replay["sensitiveNotLogged"]["unlistedEvents"]:
        counts["other (not listed)"] = replay["sensitiveNotLogged"]["unlistedEvents"]
    most = max(counts.values(), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 60
    bars = [{"label": category, "events": n, "y": i * (BAR_HEIGHT + BAR_GAP),
             "width": round(span * n / most, 2)}
            for i, (category, n) in enumerate(sorted(counts.items(), key=lambda kv: -kv[1]))]
    return {"width": CHART_WIDTH, "label_width": LABEL_WIDTH, "bar_height": BAR_HEIGHT,
            "height": max(len(bars) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT), "bars": bars}
