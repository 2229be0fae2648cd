"""The report as Markdown, for a wiki page or a pull-request comment (GitHub-flavoured tables).

The same sections as the HTML report; charts become text bars, and evidence lines link to the
policy source at the end.
"""

from __future__ import annotations

import re

from kube_audit_lint.escape import markdown_code, terminal
from kube_audit_lint.output.markdown import cell
from kube_audit_lint.report.controls import FAIL, MANUAL, NOT_APPLICABLE, PASS

STATUS_WORDS = {
    "compliance": {PASS: "✅ pass", FAIL: "❌ fail", MANUAL: "✋ manual", NOT_APPLICABLE: "➖ not applicable"},
    "detection": {PASS: "✅ met", FAIL: "❌ not met", MANUAL: "✋ manual", NOT_APPLICABLE: "➖ not applicable"},
}
TEST_WORDS = {PASS: "✓", FAIL: "✗", MANUAL: "✋", "unknown": "?"}
BAR_WIDTH = 30
POLICY_ANCHOR = "policy-source"
MANIFEST_ANCHOR = "manifest-source"


def render_markdown(report: dict) -> str:
    parts = [
        _title(report),
        _identification(report),
        _summary(report),
        _controls(report),
        _matrix(report),
        _replay(report),
        _exceptions(report),
        _lint_findings(report),
        _appendix(report),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


class _Links:
    def __init__(self, report: dict):
        sources = report["sources"]
        self.anchors = {sources["policy"]["path"]: POLICY_ANCHOR}
        if "apiserverManifest" in sources:
            self.anchors[sources["apiserverManifest"]["path"]] = MANIFEST_ANCHOR

    def at(self, file: str | None, line: int | None, label: str | None = None) -> str:
        shown = label or (f"{file}:{line}" if line else (file or ""))
        anchor = self.anchors.get(file or "")
        if anchor and line:
            return f"[{cell(shown)}](#{anchor})"
        return cell(shown) if label else markdown_code(shown)


def _title(report: dict) -> str:
    ident = report["identification"]
    title = (f"# Kubernetes audit policy compliance report\n\n"
             f"{markdown_code(ident['policy']['path'])} · generated {ident['generatedAt']} · Kubernetes {ident['kubeVersion']}")
    if not ident["policy"]["accepted"]:
        first = ident["policy"]["refusedBecause"][0]
        title += (f"\n\n> **kube-apiserver {ident['kubeVersion']} would refuse this policy and not start**: "
                  f"line {first['line']}: {cell(first['message'])}")
    return title


def _identification(report: dict) -> str:
    ident = report["identification"]
    git = ident["git"]
    if git:
        state = "; the file differs from this commit" if git["dirty"] else ("" if git["tracked"] else "; not committed")
        git_text = f"`{git['commit']}` ({cell(git['path'])}{state})"
    else:
        git_text = "not in a git repository"
    rows = [
        ("Policy", f"{markdown_code(ident['policy']['path'])} ({ident['policy']['lines']} lines)"),
        ("SHA-256", f"`{ident['policy']['sha256']}`"),
        ("Loads in kube-apiserver", "yes" if ident["policy"]["accepted"] else "**no**: " + "<br>".join(
            f"line {r['line']}: {cell(r['message'])}" for r in ident["policy"]["refusedBecause"])),
        ("Git commit", git_text),
        ("Generated at", ident["generatedAt"]),
        ("Tool", f"{ident['tool']['name']} {ident['tool']['version']}"),
        ("Kubernetes version assumed", ident["kubeVersion"]),
        ("Frameworks evaluated", "<br>".join(cell(f"{f['title']} · {f['version']}" if f["version"] else f["title"])
                                             for f in ident["frameworks"])),
        ("Baseline (for findings)", cell(ident["baseline"]["title"]) if ident["baseline"] else "none"),
        ("kube-apiserver flags from", f"{markdown_code(ident['apiserverManifest']['path'])} (SHA-256 `{ident['apiserverManifest']['sha256']}`)"
         if ident["apiserverManifest"] else "not given (--apiserver-manifest): controls on the flags are left to a person"),
        ("Audit logs replayed", "<br>".join(f"{markdown_code(e['path'])} (SHA-256 `{e['sha256']}`)" for e in ident["events"]) or "none"),
    ]
    if ident["acceptedFindings"]:
        accepted = ident["acceptedFindings"]
        rows.append(("Accepted-findings file", f"{markdown_code(accepted['path'])} (SHA-256 `{accepted['sha256']}`)"))
    return "## 1. Identification\n\n" + _table(("", ""), rows)


def _summary(report: dict) -> str:
    summary = report["summary"]
    rows = []
    for framework in summary["frameworks"]:
        counts = framework["counts"]
        rows.append((cell(framework["title"]),) + tuple(str(counts[s]) for s in (PASS, FAIL, MANUAL, NOT_APPLICABLE)))
    header = ("Framework", "Pass / met", "Fail / not met", "Manual", "Not applicable")
    tally = summary["findings"]
    lines = ["## 2. Summary", _table(header, rows),
             f"Findings of the lint run: **{tally['error']} errors, {tally['warning']} warnings, {tally['note']} notes**"
             + (f"; {tally['suppressed']} suppressed (section 6)" if tally["suppressed"] else "")
             + " (listed in section 7, after the controls and their evidence)."]
    if report["conflicts"]:
        lines.append(f"{len(report['conflicts'])} place(s) where the frameworks evaluated ask opposite things: "
                     "see *Where frameworks disagree* in section 3.")
    return "\n\n".join(lines)


def _lint_findings(report: dict) -> str:
    """The lint run's findings: an appendix, after the controls an auditor reads first."""
    links = _Links(report)
    active = [f for f in report["findings"] if not f["suppressed"]]
    if not active:
        return "## 7. Appendix: lint findings\n\nNo finding."
    return "## 7. Appendix: lint findings\n\n" + _table(("Severity", "Check", "Location", "Finding"), [
        (f["severity"], f"{f['code']} {cell(f['name'])}", links.at(f["file"], f["line"]), _finding_text(f))
        for f in active])


def _finding_text(finding: dict) -> str:
    text = cell(finding["message"])
    if finding["requestText"]:
        text += f"<br>e.g. {markdown_code(finding['requestText'])}"
    if finding["fix"]:
        text += f"<br>Fix: {cell(finding['fix'])}"
    return text


def _controls(report: dict) -> str:
    links = _Links(report)
    lines = ["## 3. Controls",
             "Each control with what the framework asks, its status, the evidence (the rules that decide the "
             "requests concerned, with an example request; the kube-apiserver flags) and the remediation. "
             "Rule numbers count from 0."]
    flags = report["apiserverFlags"]
    if flags:
        lines.append("### kube-apiserver audit flags")
        lines.append(_table(("Flag", "Value", "Where", "What it decides", "Findings"), [
            (f"`--{f['flag']}`", "not set" if f["origin"] == "unset" else f"{markdown_code(f['value'])}",
             links.at(f["file"], f["line"]) if f["origin"] == "set" else f["origin"].replace("unset", ""),
             cell(f["means"]),
             "<br>".join(([cell(f["note"])] if f["note"] else []) + [f"{x['code']} {cell(x['message'])}" for x in f["findings"]]))
            for f in flags["flags"]]))
        lines += [f"{x['code']} {cell(x['message'])}" for x in flags["findings"]]
    else:
        lines.append("No kube-apiserver manifest was given (--apiserver-manifest): controls that depend on its "
                     "audit flags are marked manual.")
    for framework in report["frameworks"]:
        words = STATUS_WORDS[framework["kind"]]
        lines.append(f"### {framework['title']}" + (f" · {framework['version']}" if framework["version"] else ""))
        lines.append(cell(framework["description"]) + f"<br>Source: {cell(framework['source']['title'])}")
        rows = []
        for control in framework["controls"]:
            what = f"**{cell(control['id'])}** {cell(control['title'])}<br>*Asks:* {cell(control['asks'])}"
            if control["reads"]:
                what += f"<br>*Reads:* {cell(control['reads'])}"
            if control["conflicts"]:
                what += "<br>⚠ conflicts with another framework"
            status = words[control["status"]] + (f"<br>{cell(control['reason'])}" if control["reason"] else "")
            rows.append((what, status, _tests(control["tests"], links), cell(control["remediation"])))
        lines.append(_table(("Control", "Status", "Evidence", "Remediation"), rows))
    if report["conflicts"]:
        lines.append("### Where frameworks disagree")
        lines.append("These frameworks ask opposite things of the same requests. The report does not choose: it shows "
                     "what each side asks, which side the policy satisfies, and the rules that decide.")
        for conflict in report["conflicts"]:
            lines.append(_conflict(conflict, links))
    return "\n\n".join(lines)


def _tests(tests: list[dict], links: _Links) -> str:
    out = []
    for test in tests:
        head = f"{TEST_WORDS[test['status']]} **{cell(test['title'])}**"
        if test["selector"]:
            head += f" ({cell(test['selector'])}: {cell(test['expected'])})"
        out.append(head)
        out += [f"&nbsp;&nbsp;{_evidence(item, links)}" for item in test["evidence"]]
    return "<br>".join(out)


def _evidence(item: dict, links: _Links) -> str:
    mark = "" if item.get("ok", True) else "✗ "
    if item["kind"] == "rule":
        where = "no rule matches" if item["rule"] is None else links.at(
            item["file"], item["line"], f"rule {item['rule']} (line {item['line']})")
        stage = f" without its {item['omittedStage']} event" if item.get("omittedStage") else ""
        return f"{mark}{where} → {item['level']}{stage}, e.g. {markdown_code(item['requestText'])}"
    if item["kind"] == "flag":
        if item["origin"] == "set":
            return f"{mark}{markdown_code('--' + item['flag'] + '=' + item['value'])} at {links.at(item['file'], item['line'])}"
        if item["origin"] == "default":
            return f"{mark}`--{item['flag']}` unset: the default {markdown_code(item['value'])} applies"
        return f"{mark}`--{item['flag']}` is not set"
    if item["kind"] == "problem":
        return f"{mark}{links.at(item['file'], item['line'])}: {cell(item['message'])}"
    return cell(item["text"])


def _conflict(conflict: dict, links: _Links) -> str:
    rows = [(cell(side["framework"]), cell(side["control"]) + ("" if side["evaluated"] else " (not evaluated here)"),
             f"{cell(side['asks'])} ({side['expected']})", "satisfied" if side["satisfied"] else "not satisfied")
            for side in conflict["sides"]]
    evidence = []
    for item in conflict["evidence"]:
        text = _evidence(dict(item, ok=True), links)
        if item["breaks"]:
            text += f" (not what {' or '.join(item['breaksLabels'])} asks)"
        evidence.append(f"- {text}")
    return "\n\n".join([
        f"#### {conflict['title']}",
        f"Requests: {cell(conflict['selector'])}",
        _table(("Framework", "Control", "Asks", "This policy"), rows),
        f"**{cell(conflict['verdict'])}**",
        cell(conflict["tradeOff"]),
        "\n".join(evidence),
    ])


def _matrix(report: dict) -> str:
    matrix = report["matrix"]
    links = _Links(report)
    rows = []
    for row in matrix["rows"]:
        cells = []
        for c in row["cells"]:
            if not c["applies"]:
                cells.append("–")
                continue
            shown = []
            for outcome in c["outcomes"]:
                rule = "no rule" if outcome["rule"] is None else links.at(
                    outcome["file"], outcome["line"], f"rule {outcome['rule']}")
                shown.append(f"{outcome['level']} ({rule})")
            if c.get("httpVerb") and c["httpVerb"] != c["verb"]:
                shown.insert(0, f"HTTP {c['httpVerb']}:")
            cells.append("<br>".join(shown))
        rows.append((f"**{cell(row['title'])}**<br>{cell(row['detail'])}",) + tuple(cells))
    user = matrix["ordinaryUser"]["user"]
    parts = ["## 4. Effective levels",
             "The level an ordinary user's request gets, by resource class and verb, and the rule that decides it. "
             "An ordinary user is an authenticated user the policy does not name, in no group but "
             f"`system:authenticated` (shown as `{user}`).",
             _table(("Resources",) + tuple(matrix["verbs"]), rows),
             "### Exceptions for system identities"]
    if matrix["exceptions"]:
        parts.append(_table(("Rule", "Level", "Who", "Cells of the matrix", "Example request"), [
            ("no rule" if e["rule"] is None else links.at(e["file"], e["line"], f"rule {e['rule']} (line {e['line']})"),
             e["level"], cell(e["who"]), cell(", ".join(e["cells"])), f"{markdown_code(e['requestText'])}")
            for e in matrix["exceptions"]]))
    else:
        parts.append("No identity named by the policy is treated differently in these resource classes.")
    return "\n\n".join(parts)


def _bar(part: int, whole: int) -> str:
    filled = round(BAR_WIDTH * part / whole) if whole else 0
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def _replay(report: dict) -> str:
    replay = report["replay"]
    if not replay:
        return ("## 5. Replay evidence\n\nNo audit log was given (--events LOG), so this report shows what the "
                "policy would do, not what it did to recorded traffic.")
    total = replay["events"]
    links = _Links(report)
    parts = ["## 5. Replay evidence",
             f"**{total:,} events** read, **{replay['logged']:,}** would be written ({_share(replay['logged'], total)}); "
             f"{replay['unmatched']:,} match no rule; {replay['droppedByOmittedStages']:,} dropped by an omitted stage; "
             f"**{replay['sensitiveNotLogged']['events']:,} sensitive events not written**. Only the request "
             "attributes of the events are read.",
             _table(("Log", "Events", "Lines that are not events", "Cut short"),
                    [(f"{markdown_code(f['path'])}", f"{f['events']:,}", f"{f['badLines']:,}",
                      f"truncated after {f['truncatedAfter']:,} events" if f.get("truncatedAfter") is not None else "")
                     for f in replay["files"]]),
             "### Events by level",
             _table(("Level", "Events", "Share", ""),
                    [(level, f"{n:,}", _share(n, total), f"`{_bar(n, total)}`")
                     for level, n in replay["eventsByLevel"].items()]),
             "### Events by rule (first match)"]
    most = max((r["events"] for r in replay["rules"]), default=0)
    parts.append(_table(("Rule", "Level", "Events", "Logged", ""), [
        (links.at(report["sources"]["policy"]["path"], r["line"], f"rule {r['index']} (line {r['line']})"),
         r["level"], f"{r['events']:,}" if r["events"] else "never used", f"{r['logged']:,}", f"`{_bar(r['events'], most)}`")
        for r in replay["rules"]]))
    sensitive = replay["sensitiveNotLogged"]
    parts.append("### Sensitive events that would not be written")
    if sensitive["events"]:
        parts.append(_table(("Category", "Request", "Events", "Why not written"), [
            (cell(u["category"]), f"{markdown_code(_request_text(u['request']))}", f"{u['events']:,}", cell(u["reason"]))
            for u in sensitive["requests"]]))
        if sensitive["unlistedEvents"]:
            parts.append(f"{sensitive['unlistedEvents']:,} more events not listed.")
    else:
        parts.append("Every sensitive event in these logs would be written.")
    return "\n\n".join(parts)


def _request_text(request: dict) -> str:
    target = request.get("resource", "")
    if request.get("subresource"):
        target += "/" + request["subresource"]
    if request.get("apiGroup"):
        target += "." + request["apiGroup"]
    if request.get("name"):
        target += " " + request["name"]
    where = f" -n {request['namespace']}" if request.get("namespace") else ""
    who = request.get("user") or "an unauthenticated client"
    return f"{request.get('verb', '')} {target}{where} by {who}"


def _exceptions(report: dict) -> str:
    links = _Links(report)
    parts = ["## 6. Accepted exceptions",
             "Findings the policy's owners accepted, with the reason they gave: inline suppression comments and "
             "the accepted-findings file."]
    if not report["exceptions"]:
        parts.append("No finding is suppressed or accepted.")
        return "\n\n".join(parts)
    kinds = {"accepted": "accepted-findings file", "file": "file-wide comment", "inline": "inline comment"}
    rows = []
    for finding in report["exceptions"]:
        suppression = finding["suppression"]
        by = kinds.get(suppression["kind"], suppression["kind"])
        if suppression["line"]:
            by += f"<br>{links.at(suppression['file'], suppression['line'])}"
        rows.append((f"{finding['code']} {cell(finding['name'])}", cell(finding["message"]),
                     links.at(finding["file"], finding["line"]), by,
                     cell(suppression["justification"]) or "*no reason given*"))
    parts.append(_table(("Check", "Finding", "Location", "Accepted by", "Reason given"), rows))
    return "\n\n".join(parts)


def _appendix(report: dict) -> str:
    parts = ["## 8. Appendix: sources"]
    for key, anchor, title in (("policy", POLICY_ANCHOR, "Policy"), ("apiserverManifest", MANIFEST_ANCHOR, "kube-apiserver flags")):
        source = report["sources"].get(key)
        if source is None:
            continue
        width = len(str(len(source["lines"])))
        numbered = "\n".join(f"{n:>{width}}  {terminal(text)}" for n, text in enumerate(source["lines"], start=1))
        longest = max((len(run) for run in re.findall(r"`{3,}", numbered)), default=2)
        fence = "`" * (longest + 1)
        parts.append(f'<a name="{anchor}"></a>\n\n### {title}: {markdown_code(source["path"])}\n\n{fence}\n{numbered}\n{fence}')
    return "\n\n".join(parts)


def _table(header: tuple, rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
