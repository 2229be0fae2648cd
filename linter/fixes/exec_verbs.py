"""exec-verbs-incomplete (KAL013): add the session verb missing (``get``, or ``create``) to a rule
on pods/exec, pods/attach or pods/portforward.

Only the rule's requests with that verb may change. On a ``level: None`` rule the fix stops
logging those requests, so it is unsafe there."""

from __future__ import annotations

from dataclasses import replace

from kube_audit_lint.checks.kal013_exec_verbs_incomplete import SESSION_VERBS
from kube_audit_lint.engine.space import Selector
from kube_audit_lint.fixes.model import Proposal
from kube_audit_lint.fixes.text import add_to_list
from kube_audit_lint.policy.model import Level


def propose(finding, policy, text: str) -> Proposal | None:
    if finding.rule_index is None:
        return None
    rule = policy.rules[finding.rule_index]
    present = [verb for verb in SESSION_VERBS if verb in rule.verbs]
    if len(present) != 1 or "*" in rule.verbs:
        return None
    missing = "get" if present[0] == "create" else "create"
    edit = add_to_list(policy, text, ("rules", rule.index, "verbs"), missing)
    if edit is None:
        return None
    unsafe = ""
    if rule.level_value is Level.NONE:
        unsafe = f'rule {rule.index} logs nothing: adding "{missing}" stops logging those sessions'
    return Proposal(f'add "{missing}" to the verbs of rule {rule.index}', (edit,),
                    intended=(replace(Selector.from_rule(rule), verbs=(missing,)),), unsafe_reason=unsafe)
