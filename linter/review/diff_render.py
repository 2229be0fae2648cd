"""The semantic diff as text (a terminal), Markdown (a pull-request comment or job summary) and JSON.

JSON (version 1; new keys may be added, existing ones keep their meaning)::

    {
      "version": 1,
      "old": "git:main:audit/policy.yaml", "new": "audit/policy.yaml",
      "kubeVersion": "1.33",
      "changed": true,                      # false: no request changes outcome
      "summary": {"classes": 2, "changes": 3, "unlogged": 1},
      "classes": [                          # only classes with changes; sensitive ones first
        {"id": "secrets-writes", "title": "Secret writes", "sensitive": true,
         "changes": [
           {"old": {"level": "Metadata", "omitStages": ["RequestReceived"], "omitManagedFields": null},
            "new": {"level": "Request", "omitStages": ["RequestReceived"], "omitManagedFields": false},
            "direction": "more",            # more | less | changed (same level, stages or managedFields)
            "becomesUnlogged": false,
            "oldRules": [{"rule": 3, "line": 20}],   # rule null: no rule matched
            "newRules": [{"rule": 4, "line": 24}],
            "witness": {"user": "alice", "groups": ["system:authenticated"], "verb": "create",
                        "apiGroup": "", "resource": "secrets", "subresource": "",
                        "namespace": "default", "name": ""}}]}],
      "unlogged": [{"class": "configmaps-reads", "title": "...", "old": {...}, "witness": {...}}]
    }

A level None outcome carries no stages or managedFields (nothing is written); omitManagedFields
is null at Metadata, where no body is written.
"""

from __future__ import annotations

import json

from kube_audit_lint.escape import markdown, one_line
from kube_audit_lint.review.semdiff import Change, PolicyDiff

SCHEMA_VERSION = 1
NO_CHANGE = "no request changes outcome"


def render(diff: PolicyDiff, output_format: str, kube_version: str | None = None) -> str:
    if output_format == "json":
        return json.dumps(document(diff, kube_version), indent=2, ensure_ascii=False) + "\n"
    if output_format == "markdown":
        return render_markdown(diff)
    return render_text(diff)


def _rules(policy, rules) -> list[dict]:
    return [{"rule": rule, "line": None if rule is None else policy.rule_line(rule)} for rule in rules]


def document(diff: PolicyDiff, kube_version: str | None = None) -> dict:
    return {
        "version": SCHEMA_VERSION,
        "old": diff.old.path,
        "new": diff.new.path,
        "kubeVersion": kube_version,
        "changed": diff.changed,
        "summary": {"classes": len(diff.classes), "changes": sum(len(c.changes) for c in diff.classes),
                    "unlogged": len(diff.unlogged)},
        "classes": [
            {"id": c.id, "title": c.title, "sensitive": c.sensitive,
             "changes": [_change_object(diff, change) for change in c.changes]}
            for c in diff.classes
        ],
        "unlogged": [{"class": c.id, "title": c.title, "old": change.old.as_dict(),
                      "witness": change.witness.as_dict()} for c, change in diff.unlogged],
    }


def _change_object(diff: PolicyDiff, change: Change) -> dict:
    return {
        "old": change.old.as_dict(),
        "new": change.new.as_dict(),
        "direction": change.direction,
        "becomesUnlogged": change.becomes_unlogged,
        "oldRules": _rules(diff.old, change.old_rules),
        "newRules": _rules(diff.new, change.new_rules),
        "witness": change.witness.as_dict(),
    }


def rule_refs(policy, rules) -> str:
    return ", ".join("no rule" if rule is None else policy.rule_ref(rule)
                     for rule in rules)


def headline(diff: PolicyDiff) -> str:
    if not diff.changed:
        return NO_CHANGE
    classes = len(diff.classes)
    text = f"{classes} request class{'es' if classes != 1 else ''} change{'s' if classes == 1 else ''} outcome"
    if diff.unlogged:
        text += f"; {len(diff.unlogged)} become{'s' if len(diff.unlogged) == 1 else ''} unlogged"
    return text


def render_text(diff: PolicyDiff) -> str:
    lines = [f"{one_line(diff.old.path)} -> {one_line(diff.new.path)}: {headline(diff)}"]
    for group in diff.classes:
        lines.append("")
        for change in group.changes:
            mark = " [sensitive]" if group.sensitive else ""
            lines.append(f"{group.title}{mark}: {change.old.describe()} -> {change.new.describe()}")
            lines.append(f"    e.g. {one_line(change.witness.describe())}")
            lines.append(f"    old: {rule_refs(diff.old, change.old_rules)}; new: {rule_refs(diff.new, change.new_rules)}")
    if diff.unlogged:
        lines += ["", "Becomes unlogged:"]
        for group, change in diff.unlogged:
            lines.append(f"  {group.title}: was {change.old.describe()}, "
                         f"e.g. {one_line(change.witness.describe())}")
    return "\n".join(lines) + "\n"


def render_markdown(diff: PolicyDiff) -> str:
    old, new = markdown(diff.old.path), markdown(diff.new.path)
    lines = [f"### Audit policy change: {headline(diff)}", "", f"{old} → {new}", ""]
    if not diff.changed:
        return "\n".join(lines)
    if diff.unlogged:
        lines.append("**Becomes unlogged:** " + "; ".join(
            f"{markdown(group.title)} (was {markdown(change.old.describe())})" for group, change in diff.unlogged))
        lines.append("")
    lines += ["| Requests | Old | New | Example request | Rules (old → new) |", "|---|---|---|---|---|"]
    for group in diff.classes:
        title = markdown(group.title) + (" ⚠️" if group.sensitive else "")
        for change in group.changes:
            rules = f"{markdown(rule_refs(diff.old, change.old_rules))} → {markdown(rule_refs(diff.new, change.new_rules))}"
            lines.append(f"| {title} | {markdown(change.old.describe())} | {markdown(change.new.describe())} | "
                         f"{markdown(change.witness.describe())} | {rules} |")
    lines.append("")
    return "\n".join(lines)
