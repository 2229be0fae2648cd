"""no-catch-all (KAL023): append ``- level: Metadata``.

Only requests that no rule matched may change, and only to being logged at Metadata."""

from __future__ import annotations

from kube_audit_lint.engine.space import Selector
from kube_audit_lint.fixes.model import Proposal
from kube_audit_lint.fixes.text import append_rule, stage_lines
from kube_audit_lint.policy.model import Level


def propose(finding, policy, text: str) -> Proposal | None:
    edit = append_rule(policy, text, ["level: Metadata", *stage_lines(policy)])
    if edit is None:
        return None
    return Proposal("end the policy with the catch-all rule `- level: Metadata`", (edit,), intended=(Selector(),),
                    expects=newly_logged, expected="requests no rule matched are logged at Metadata")


def newly_logged(old, new) -> bool:
    return not old.logged and new.level is Level.METADATA
