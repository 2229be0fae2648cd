"""Readable renderings of a replay summary and of a comparison: plain text and Markdown.

They only read the summary objects, which hold request attributes, stages and counts; nothing from
an event's bodies or annotations can reach them.
"""

from __future__ import annotations

from kube_audit_lint.engine.request import Request
from kube_audit_lint.escape import markdown, markdown_code, one_line, terminal
from kube_audit_lint.policy.model import LEVEL_NAMES, Rule
from kube_audit_lint.replay.compare import ChangeGroup, Comparison, RuleChange
from kube_audit_lint.replay.rules import describe_rule
from kube_audit_lint.replay.summary import ReplaySummary

LIST_LIMIT = 20  # rows of long lists in text and Markdown (the JSON has them all)


def number(n: int) -> str:
    return f"{n:,}"


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def signed(n: int) -> str:
    return f"{n:+,}"


def size(n: int) -> str:
    sign = "-" if n < 0 else ""
    value = float(abs(n))
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{sign}{value:.0f} {unit}" if unit == "B" else f"{sign}{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def describe_request(request: dict) -> str:
    return Request(
        user=request.get("user"), groups=tuple(request.get("groups", ())), verb=request.get("verb", ""),
        resource_request="path" not in request, api_group=request.get("apiGroup", ""),
        resource=request.get("resource", ""), subresource=request.get("subresource", ""),
        namespace=request.get("namespace", ""), name=request.get("name", ""), path=request.get("path", ""),
    ).describe()


# --- the replay summary ---------------------------------------------------------------------------

def _partial(interrupted: str | None) -> list[str]:
    return [f"PARTIAL: {interrupted}; the figures below cover the events read until then", ""] if interrupted else []


def summary_text(summary: ReplaySummary, policy_rules: tuple[Rule, ...]) -> str:
    lines = _partial(summary.interrupted) + [f"Replayed {number(summary.events)} events from {len(summary.files)} log(s) against "
             f"{summary.policy} (kube-apiserver {summary.kube_version})",
             f"Logged: {number(summary.logged)} events ({share(summary.logged, summary.events)})", ""]
    lines += reading_text(summary.files, summary.formats, summary.undecidable)
    lines.append("Rules (first match):")
    lines.append(f"  {'rule':>4}  {'line':>5}  {'level':<15}  {'events':>12}  {'share':>6}  {'logged':>12}")
    for use in summary.rules:
        lines.append(f"  {use.index:>4}  {use.line or '':>5}  {use.level:<15}  {number(use.events):>12}  "
                     f"{share(use.events, summary.events):>6}  {number(use.logged):>12}")
    lines.append(f"  {'none':>4}  {'':>5}  {'None':<15}  {number(summary.unmatched):>12}  "
                 f"{share(summary.unmatched, summary.events):>6}  {0:>12}  (no rule matched)")
    unused = summary.unused_rules
    lines.append("")
    lines.append(f"Rules no event reached: {len(unused) or 'none'}")
    for index in unused[:LIST_LIMIT]:
        lines.append(f"  {index:>4}  line {summary.rules[index].line or '?'}: {describe_rule(policy_rules[index])}")
    if len(unused) > LIST_LIMIT:
        lines.append(f"  ... and {len(unused) - LIST_LIMIT} more")
    lines.append("")
    lines.append("Events by resulting level:")
    for level in LEVEL_NAMES:
        n = summary.by_level.get(level, 0)
        lines.append(f"  {level:<15}  {number(n):>12}  {share(n, summary.events):>6}")
    dropped = sum(summary.dropped_by_stage.values())
    detail = ", ".join(f"{stage or '(no stage)'} {number(n)}" for stage, n in sorted(summary.dropped_by_stage.items()))
    lines.append(f"Dropped by omitted stages: {number(dropped)}" + (f" ({detail})" if detail else ""))
    lines.append("")
    lines += _unlogged_text(summary)
    if summary.cost is not None:
        lines += [""] + cost_text(summary.cost)
    lines += _bad_lines_text(summary.bad_lines, summary.bad_line_count)
    return terminal("\n".join(lines)) + "\n"


def reading_text(files: list[dict], formats: dict[str, dict], undecidable: int) -> list[str]:
    """What was read, by format (events, records skipped and why, events the sink had cut), which
    inputs ended inside an event, and the events no decision could be made for."""
    lines = ["Read by format:"]
    for fmt, entry in formats.items():
        detail = [f"{number(entry['events'])} events"]
        if entry["truncated"]:
            detail.append(f"{number(entry['truncated'])} cut by the sink and decided from what survived")
        detail += [f"{number(n)} skipped: {reason}" for reason, n in entry["skipped"].items()]
        lines.append(f"  {fmt}: {'; '.join(detail)}")
    if not formats:
        lines.append("  nothing")
    for file in files:
        if file.get("truncatedAfter") is not None:
            lines.append(f"  {one_line(file['path'])}: truncated after {number(file['truncatedAfter'])} events "
                         "(the input ends inside an event)")
    if undecidable:
        lines.append(f"Undecidable without groups: {number(undecidable)} events (the records carry no user "
                     "groups and the policy's decision depends on them; counted, never guessed)")
    return lines + [""]


def _per_day(value) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _money(value) -> str:
    return "" if value is None else f"{value:,.4f}"


def cost_text(cost: dict) -> list[str]:
    span = cost["span"]
    priced = cost["pricePerGB"] is not None
    when = (f"over {span['days']:.2f} days ({span['first']} to {span['last']})" if span["days"]
            else "no time span in the sample (its events carry no stageTimestamp, or all the same second)")
    lines = [f"Cost, {when}:", f"  {'':<44}  {'events/day':>12}  {'bytes/day':>16}  {'share':>6}"
             + (f"  {'money/day':>10}" if priced else "")]

    def row(label: str, f: dict) -> str:
        out = f"  {label:<44}  {_per_day(f['eventsPerDay']):>12}  {_per_day(f['bytesPerDay']):>16}  {f['share']:>6.1%}"
        return out + (f"  {_money(f['moneyPerDay']):>10}" if priced else "")

    lines.append(row("total", cost["total"]))
    for r in cost["rules"][:LIST_LIMIT]:
        lines.append(row(f"rule {r['rule']} (line {r['line']}, {r['level']})" if r["rule"] is not None
                         else "no rule (None)", r))
    lines.append("  by request class:")
    for c in cost["requestClasses"][:LIST_LIMIT]:
        lines.append(row(one_line(f"  {c['userClass']} {c['verb']} {c['resource']}")[:44], c))
    for sink in cost["overSinkLimit"]:
        if sink["events"]:
            lines.append(f"  over the {sink['sink']} limit of {number(sink['limitBytes'])} bytes: "
                         f"{number(sink['events'])} events")
    return lines + [""]


def _unlogged_text(summary: ReplaySummary) -> list[str]:
    total = summary.unlogged_sensitive_events
    if not total:
        return ["Sensitive events not logged: none"]
    lines = [f"Sensitive events not logged: {number(total)}"]
    for entry in summary.unlogged_sensitive[:LIST_LIMIT]:
        stages = ", ".join(f"{s or '(no stage)'} {number(n)}" for s, n in sorted(entry.stages.items()))
        lines.append(f"  [{entry.category}] {entry.request.describe()}: {number(entry.events)} event(s) "
                     f"({stages}); {entry.reason}")
    more = len(summary.unlogged_sensitive) - LIST_LIMIT
    if more > 0:
        lines.append(f"  ... and {number(more)} more request(s) (see --format json)")
    if summary.unlisted_sensitive_events:
        lines.append(f"  ... and {number(summary.unlisted_sensitive_events)} event(s) of requests not listed")
    return lines


def _bad_lines_text(bad_lines, count: int) -> list[str]:
    if not count:
        return []
    lines = ["", f"Lines that are not audit events: {number(count)}"]
    lines += [f"  {bad.render()}" for bad in bad_lines[:LIST_LIMIT]]
    if count > LIST_LIMIT:
        lines.append(f"  ... and {number(count - LIST_LIMIT)} more")
    return lines


def summary_markdown(summary: ReplaySummary, policy_rules: tuple[Rule, ...]) -> str:
    lines = [f"> **Partial:** {markdown(summary.interrupted)}.", ""] if summary.interrupted else []
    lines += [f"### Replay of {number(summary.events)} audit events against {markdown_code(summary.policy)}", "",
             f"kube-apiserver {summary.kube_version}; **{number(summary.logged)}** events logged "
             f"({share(summary.logged, summary.events)}).", "",
             *reading_markdown(summary.files, summary.formats, summary.undecidable),
             "| Rule | Line | Level | Events | Logged |", "|---:|---:|---|---:|---:|"]
    for use in summary.rules:
        lines.append(f"| {use.index} | {use.line or ''} | {use.level} | {number(use.events)} | {number(use.logged)} |")
    lines.append(f"| none | | None | {number(summary.unmatched)} | 0 |")
    unused = summary.unused_rules
    lines += ["", f"Rules no event reached: {', '.join(map(str, unused)) if unused else 'none'}.", ""]
    lines += ["| Level | Events |", "|---|---:|"]
    lines += [f"| {level} | {number(summary.by_level.get(level, 0))} |" for level in LEVEL_NAMES]
    dropped = sum(summary.dropped_by_stage.values())
    lines += ["", f"Dropped by omitted stages: {number(dropped)}.", ""]
    total = summary.unlogged_sensitive_events
    lines.append(f"#### Sensitive events not logged: {number(total)}")
    if total:
        lines += ["", "| Category | Request | Events | Why |", "|---|---|---:|---|"]
        for entry in summary.unlogged_sensitive[:LIST_LIMIT]:
            lines.append(f"| {entry.category} | {markdown(entry.request.describe())} | {number(entry.events)} | {entry.reason} |")
    if summary.cost is not None:
        lines += ["", "#### Cost", "", "```text", *(line.replace("`", "'") for line in cost_text(summary.cost)), "```"]
    if summary.bad_line_count:
        lines += ["", f"{number(summary.bad_line_count)} line(s) are not audit events, e.g. {markdown_code(summary.bad_lines[0].render())}."]
    return "\n".join(lines) + "\n"


def reading_markdown(files: list[dict], formats: dict[str, dict], undecidable: int) -> list[str]:
    lines = ["| Format | Events | Cut by the sink, decided | Skipped |", "|---|---:|---:|---|"]
    for fmt, entry in formats.items():
        skipped = "; ".join(f"{number(n)} {reason}" for reason, n in entry["skipped"].items())
        lines.append(f"| {fmt} | {number(entry['events'])} | {number(entry['truncated'])} | {markdown(skipped)} |")
    for file in files:
        if file.get("truncatedAfter") is not None:
            lines += ["", f"{markdown_code(file['path'])}: truncated after {number(file['truncatedAfter'])} events."]
    if undecidable:
        lines += ["", f"Undecidable without groups: {number(undecidable)} events (the records carry no user groups "
                  "and the policy's decision depends on them)."]
    return lines + [""]


# --- the comparison -------------------------------------------------------------------------------

def _transition(group: ChangeGroup) -> str:
    parts = []
    for (old_level, old_logged, new_level, new_logged), n in sorted(group.transitions.items(), key=lambda i: -i[1]):
        parts.append(f"{old_level}{'' if old_logged else ' (not logged)'} -> "
                     f"{new_level}{'' if new_logged else ' (not logged)'}: {number(n)}")
    return "; ".join(parts)


def _rule_side(side: dict | None) -> str:
    if side is None:
        return "not in this policy"
    return f"rule {side['index']} (line {side['line']}), {number(side['events'])} events"


def comparison_text(result: Comparison) -> str:
    lines = _partial(result.interrupted) + [f"Replayed {number(result.events)} events: {result.policy} compared with {result.compared_with} "
             f"(kube-apiserver {result.kube_version})", ""]
    lines += reading_text(result.files, result.formats, result.undecidable)
    lines.append(f"Logged events: {number(result.logged_old)} -> {number(result.logged_new)} "
                 f"({signed(result.logged_new - result.logged_old)})")
    lines.append(f"Estimated log volume: {size(result.bytes_old)} -> {size(result.bytes_new)} "
                 f"({'+' if result.bytes_new >= result.bytes_old else ''}{size(result.bytes_new - result.bytes_old)}); "
                 f"bodies count only where the level keeps them and the log holds them")
    lines += _per_day_text(result.per_day)
    lines.append("")
    lines.append(f"Events whose level or logging changes: {number(result.changed_events)}")
    for group in result.changes[:LIST_LIMIT]:
        tag = f"[{group.sensitive}] " if group.sensitive else ""
        lines.append(f"  {tag}{group.user_class} {one_line(group.verb)} {one_line(group.resource)}: {number(group.events)} event(s), "
                     f"logged {signed(group.logged_change)}")
        lines.append(f"      {_transition(group)}")
        if group.example:
            lines.append(f"      e.g. {describe_request(group.example)} (stage {group.example.get('stage')}, "
                         f"auditID {group.example.get('auditID')})")
    if len(result.changes) > LIST_LIMIT:
        lines.append(f"  ... and {number(len(result.changes) - LIST_LIMIT)} more group(s) (see --format json)")
    lines += [""] + _rule_changes_text("Rules no longer used", result.no_longer_used)
    lines += _rule_changes_text("Rules newly used", result.newly_used)
    lines += _bad_lines_text(result.bad_lines, result.bad_line_count)
    return terminal("\n".join(lines)) + "\n"


def _per_day_text(per_day: dict | None) -> list[str]:
    if not per_day or per_day["days"] is None:
        return []
    line = (f"Per day (over the sample's {per_day['days']:.2f} days): {_per_day(per_day['bytesOld'])} -> "
            f"{_per_day(per_day['bytesNew'])} bytes ({per_day['bytesChange']:+,.0f})")
    if per_day["pricePerGB"] is not None:
        line += f"; money {_money(per_day['moneyOld'])} -> {_money(per_day['moneyNew'])} ({per_day['moneyChange']:+,.4f})"
    return [line]


def _rule_changes_text(title: str, changes: list[RuleChange]) -> list[str]:
    if not changes:
        return [f"{title}: none"]
    lines = [f"{title}:"]
    for change in changes:
        lines.append(f"  {describe_rule(change.rule)}")
        lines.append(f"      old: {_rule_side(change.old)}; new: {_rule_side(change.new)}")
    return lines


def comparison_markdown(result: Comparison) -> str:
    lines = [f"> **Partial:** {markdown(result.interrupted)}.", ""] if result.interrupted else []
    lines += [f"### Audit policy change: impact on {number(result.events)} recorded events", "",
             f"{markdown_code(result.policy)} compared with {markdown_code(result.compared_with)} "
             f"(kube-apiserver {result.kube_version}).", "",
             *reading_markdown(result.files, result.formats, result.undecidable),
             "| | Before | After | Change |", "|---|---:|---:|---:|",
             f"| Logged events | {number(result.logged_old)} | {number(result.logged_new)} | "
             f"{signed(result.logged_new - result.logged_old)} |",
             f"| Estimated log volume | {size(result.bytes_old)} | {size(result.bytes_new)} | "
             f"{size(result.bytes_new - result.bytes_old)} |", *[f"\n{line}" for line in _per_day_text(result.per_day)], ""]
    lines.append(f"#### Events whose level or logging changes: {number(result.changed_events)}")
    if result.changes:
        lines += ["", "| | Who | Verb | Resource | Events | Logged | Change | Example |", "|---|---|---|---|---:|---:|---|---|"]
        for group in result.changes[:LIST_LIMIT]:
            flag = f"**{group.sensitive}**" if group.sensitive else ""
            example = markdown(describe_request(group.example)) if group.example else ""
            lines.append(f"| {flag} | {group.user_class} | {markdown(group.verb)} | {markdown_code(group.resource)} | "
                         f"{number(group.events)} | {signed(group.logged_change)} | {markdown(_transition(group))} | {example} |")
        if len(result.changes) > LIST_LIMIT:
            lines.append(f"\n... and {number(len(result.changes) - LIST_LIMIT)} more group(s).")
    for title, changes in (("Rules no longer used", result.no_longer_used), ("Rules newly used", result.newly_used)):
        lines += ["", f"#### {title}: {len(changes) or 'none'}"]
        for change in changes:
            lines.append(f"- {markdown_code(describe_rule(change.rule))}: old {_rule_side(change.old)}; new {_rule_side(change.new)}")
    if result.bad_line_count:
        lines += ["", f"{number(result.bad_line_count)} line(s) are not audit events."]
    lines.append("")
    lines.append("_Volume: " + "bytes of the recorded events; bodies count only where the new level keeps them "
                 "and the recorded log holds them._")
    return "\n".join(lines) + "\n"
