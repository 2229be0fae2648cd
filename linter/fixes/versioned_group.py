"""versioned-group (KAL003): ``group: apps/v1`` -> ``apps``, ``group: v1`` -> ``""``.

Only the entry's requests may change: those of the rule in the group meant, and those in the group
as written."""

from __future__ import annotations

from dataclasses import replace

from kube_audit_lint.checks.kal003_versioned_group import read_group
from kube_audit_lint.engine.space import Selector
from kube_audit_lint.fixes.model import Proposal
from kube_audit_lint.fixes.text import lines_of, replace_token, scalar_like, token


def propose(finding, policy, text: str) -> Proposal | None:
    if finding.rule_index is None:
        return None
    rule = policy.rules[finding.rule_index]
    for k, entry in enumerate(rule.resources):
        span = policy.document.spans.get(("rules", rule.index, "resources", k, "group"))
        if span is None or (span.line, span.column) != (finding.location.line, finding.location.column):
            continue
        reading = read_group(entry.group)
        written = token(lines_of(text), span)
        if reading is None or reading[0] is None or not written:
            return None
        intended = reading[0]
        selector = Selector.from_rule(rule)
        # the requests the entry selects now (in a group named "v1": none the apiserver serves, but
        # the rule matches them) and those it selects once fixed
        written_entry = replace(selector, resources=(entry,))
        meant = replace(selector, resources=(replace(entry, group=intended),))
        return Proposal(f'write group "{intended}" instead of "{entry.group}"',
                        (replace_token(span, scalar_like(written, intended)),), intended=(meant, written_entry))
    return None
