"""Is a proposed fix safe? The request-level difference it makes must be the one it intends."""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass

from kube_audit_lint.checks._policy_changes import intended_changes
from kube_audit_lint.findings import Fix
from kube_audit_lint.fixes.model import Proposal
from kube_audit_lint.fixes.text import apply_edits, lines_of
from kube_audit_lint.policy.model import Policy
from kube_audit_lint.policy.validate import apiserver_verdict
from kube_audit_lint.policy.yamlnodes import Document, InputError, parse_leading_documents

_DIRECTIVE = re.compile(r"^%", re.MULTILINE)  # %YAML and %TAG apply to the document after them


@dataclass(frozen=True)
class Check:
    """The verdict on a proposal: the fixed policy (None when it cannot be read) and the Fix."""

    policy: Policy | None
    fix: Fix | None
    problem: str = ""  # why there is no fix


def fixed_policy(policy: Policy, text: str, proposal: Proposal, kube_version):
    """(the verdict on the document after the edits, the new text), or (None, why)."""
    new_text = apply_edits(text, proposal.edits)
    own = _own_lines(policy.document, text, new_text, proposal.edits)
    try:
        if own is not None:  # the edited document alone, on its own lines
            documents, _ = parse_leading_documents(policy.document.path, own)
            documents = [dataclasses.replace(documents[0], index=policy.document.index)] if documents else []
        else:
            documents, _ = parse_leading_documents(policy.document.path, new_text)
            documents = documents[policy.document.index:policy.document.index + 1]
    except InputError as exc:
        return None, f"the fixed file is not YAML: {exc.message}"
    if not documents:
        return None, "the fixed file lost the policy document"
    return apiserver_verdict(documents[0], kube_version), new_text


def _own_lines(document: Document, text: str, new_text: str, edits) -> str | None:
    """``new_text`` with every line outside the edited document blanked (so positions stay those
    of the file), when the edits lie inside its lines; None when they do not (or a directive could
    change how it reads): then the whole file is read. Reading one document keeps judging the fixes
    of a file of many documents linear in its size."""
    if _DIRECTIVE.search(text):
        return None
    first = document.start.line
    last = max((span.end_line for span in itertools.chain(document.spans.values(), document.key_spans.values())),
               default=first)
    if any(edit.line < first or edit.end_line > last for edit in edits):
        return None
    old_lines, new_lines = lines_of(text), lines_of(new_text)
    grown = len(new_lines) - len(old_lines)
    return "\n" * (first - 1) + "".join(new_lines[first - 1:last + grown])


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
