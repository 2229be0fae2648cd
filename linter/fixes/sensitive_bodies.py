"""sensitive-body-captured (KAL020): a ``level: Metadata`` rule for the sensitive resources the
rule captures (secrets, configmaps, token reviews, token requests), placed before that rule.

Only requests on those resources may change, and only to Metadata."""

from __future__ import annotations

from kube_audit_lint.engine.space import Selector
from kube_audit_lint.fixes.model import Proposal
from kube_audit_lint.fixes.text import insert_rule_before, stage_lines
from kube_audit_lint.policy.model import GroupResources, Level

SUBJECT_END = " bodies logged by "


def captured(subject: str) -> dict[str, list[str]]:
    """Group -> resources, from the finding's subject (``secrets, tokenreviews.authentication.k8s.io``)."""
    groups: dict[str, list[str]] = {}
    for label in subject.split(SUBJECT_END)[0].split(", "):
        resource, _, group = label.partition(".")
        if resource and resource not in groups.setdefault(group, []):
            groups[group].append(resource)
    return groups


def propose(finding, policy, text: str) -> Proposal | None:
    if finding.rule_index is None or SUBJECT_END not in finding.subject:
        return None
    groups = captured(finding.subject)
    body = ["level: Metadata", *stage_lines(policy), "resources:"]
    for group, resources in groups.items():
        listed = ", ".join(f'"{r}"' for r in resources)
        body += [f'  - group: "{group}"', f"    resources: [{listed}]"]
    edit = insert_rule_before(policy, text, finding.rule_index, body)
    if edit is None:
        return None
    entries = tuple(GroupResources(group, tuple(resources)) for group, resources in groups.items())
    names = ", ".join(r + (f".{g}" if g else "") for g, rs in groups.items() for r in rs)
    return Proposal(f"log {names} at Metadata in a rule before rule {finding.rule_index}", (edit,),
                    intended=(Selector(resources=entries),), expects=at_metadata, expected="logged at Metadata")


def at_metadata(old, new) -> bool:
    return new.level is Level.METADATA
