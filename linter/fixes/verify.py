"""Is a proposed fix safe? The request-level difference it makes must be the one it intends."""

from __future__ import annotations

from dataclasses import dataclass

from kube_audit_lint.checks._policy_changes import intended_changes
from kube_audit_lint.findings import Fix
from kube_audit_lint.fixes.model import Proposal
from kube_audit_lint.fixes.text import apply_edits
from kube_audit_lint.policy.model import Policy
from kube_audit_lint.policy.validate import apiserver_verdict
from kube_audit_lint.policy.yamlnodes import InputError, parse_leading_documents


@dataclass(frozen=True)
class Check:
    """The verdict on a proposal: the fixed policy (None when it cannot be read) and the Fix."""

    policy: Policy | None
    fix: Fix | None
    problem: str = ""  # why there is no fix


def fixed_policy(policy: Policy, text: str, proposal: Proposal, kube_version):
    """(the verdict on the document after the edits, the new text), or (None, why)."""
    new_text = apply_edits(text, proposal.edits)
    try:
        documents, _ = parse_leading_documents(policy.document.path, new_text)
    except InputError as exc:
        return None, f"the fixed file is not YAML: {exc.message}"
    if len(documents) <= policy.document.index:
        return None, "the fixed file lost the policy document"
    return apiserver_verdict(documents[policy.document.index], kube_version), new_text


def judge(proposal: Proposal, policy: Policy, old_verdict, text: str, kube_version) -> Check:
    """The Fix of ``proposal``: safe when the request-space difference is the intended one."""
    verdict, new_text = fixed_policy(policy, text, proposal, kube_version)
    if verdict is None:
        return Check(None, None, new_text)
    if len(verdict.errors) > len(old_verdict.errors) or (old_verdict.accepted and not verdict.accepted):
        return Check(verdict.policy, None, f"kube-apiserver would refuse the fixed policy: {verdict.errors[0].render()}")
    inside, outside = intended_changes(policy, verdict.policy, proposal.intended, kube_version)
    reason = proposal.unsafe_reason
    if not reason and outside:
        change = outside[0]
        reason = (f"it also changes requests it does not mean to: {change.witness.describe()} goes from "
                  f"{change.old.describe()} to {change.new.describe()}")
    if not reason and proposal.expects is not None:
        wrong = [c for c in inside if not proposal.expects(c.old, c.new)]
        if wrong:
            change = wrong[0]
            reason = (f"{change.witness.describe()} goes from {change.old.describe()} to {change.new.describe()}, "
                      f"not as intended ({proposal.expected})")
    fix = Fix(proposal.description, not reason, tuple(proposal.edits), reason)
    return Check(verdict.policy, fix)
