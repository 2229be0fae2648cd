"""missing-omit-stages (KAL006): ``omitStages: ["RequestReceived"]`` at the policy level.

Every request may change, but only by no longer writing its RequestReceived stage."""

from __future__ import annotations

from kube_audit_lint.engine.space import Selector
from kube_audit_lint.findings import Edit
from kube_audit_lint.fixes.model import Proposal
from kube_audit_lint.fixes.text import above_comments, add_to_list, indentation, lines_of, newline_of

STAGE = "RequestReceived"


def propose(finding, policy, text: str) -> Proposal | None:
    data = policy.document.data
    if not isinstance(data, dict) or "rules" not in data:
        return None
    if "omitStages" in data:
        if not isinstance(data["omitStages"], list):
            return None
        edit = add_to_list(policy, text, ("omitStages",), STAGE)
    else:
        edit = before_rules_key(policy, text)
    if edit is None:
        return None
    return Proposal(f'omit the {STAGE} stage at the policy level', (edit,), intended=(Selector(),),
                    expects=only_request_received_added, expected=f"only {STAGE} is no longer written")


def before_rules_key(policy, text: str) -> Edit | None:
    span = policy.document.key_spans.get(("rules",))
    if span is None:
        return None
    text_lines = lines_of(text)
    key_line = text_lines[span.line - 1]
    if key_line[:span.column - 1].strip():
        return None  # a flow mapping: not ours to reformat
    line = above_comments(text_lines, span.line)
    return Edit(line, 1, line, 1, f'{indentation(key_line)}omitStages: ["{STAGE}"]{newline_of(text)}')


def only_request_received_added(old, new) -> bool:
    return (old.level == new.level and old.omit_managed_fields == new.omit_managed_fields
            and set(new.omit_stages) == set(old.omit_stages) | {STAGE})
