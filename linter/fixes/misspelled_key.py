"""unknown-field (KAL002): a key with one clear meaning renamed to the field meant: ``verb`` ->
``verbs``, ``resource`` -> ``resources``, ``namespace`` -> ``namespaces``, ``userGroup`` ->
``userGroups``, ``omitStage`` -> ``omitStages`` (another case, or a missing or extra plural ``s``).

A guess from a merely similar spelling is no clear meaning: those get no fix. Only the requests
of the rule (or resources entry) holding the key may change; a key at the policy level may only
change stages."""

from __future__ import annotations

from dataclasses import replace

from kube_audit_lint.checks.kal002_unknown_field import fields_at, parent_mapping
from kube_audit_lint.engine.space import Selector
from kube_audit_lint.fixes.model import Proposal
from kube_audit_lint.fixes.text import lines_of, replace_token, scalar_like, token


def clear_meaning(key: str, known: tuple[str, ...]) -> str | None:
    """The one known field ``key`` is a spelling of: same letters in another case, or with a plural
    ``s`` added or removed."""
    lowered = {name.lower(): name for name in known}
    meant = {lowered[c] for c in (key.lower(), key.lower() + "s", key.lower().removesuffix("s")) if c in lowered}
    meant.discard(key)
    return meant.pop() if len(meant) == 1 else None


def propose(finding, policy, text: str) -> Proposal | None:
    issue = next((i for i in policy.unknown_fields
                  if (i.span.line, i.span.column) == (finding.location.line, finding.location.column)), None)
    if issue is None or not isinstance(issue.path[-1], str) or issue.path[0] == "metadata":
        return None
    key = issue.path[-1]
    known, _ = fields_at(issue.path)
    meant = clear_meaning(key, known)
    if meant is None or meant in parent_mapping(policy.document.data, issue.path):
        return None
    written = token(lines_of(text), issue.span)
    if not written:
        return None
    edit = replace_token(issue.span, scalar_like(written, meant))
    description = f'rename "{key}" to "{meant}"'
    if len(issue.path) == 1:
        if meant not in ("omitStages",):
            return None
        return Proposal(description, (edit,), intended=(Selector(),), expects=same_level,
                        expected="only the stages omitted change")
    rule = policy.rules[issue.path[1]]
    selector = Selector.from_rule(rule)
    if len(issue.path) == 5:
        selector = replace(selector, resources=(rule.resources[issue.path[3]],))
    return Proposal(description, (edit,), intended=(selector,))


def same_level(old, new) -> bool:
    return old.level == new.level
