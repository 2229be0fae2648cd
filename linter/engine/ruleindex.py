"""The first matching rule of a large policy without trying every earlier rule.

``evaluate.first_match`` tries the rules in order, as kube-apiserver does: fine for one request,
but the request-space analysis confirms a witness for every rule, which makes trying each earlier
rule quadratic in the number of rules. This index keeps, per value of each request field a rule
tests (kind, user, group, verb, namespace, API group, resource), the set of rules that value does
not rule out, as a bitset (bit i: the i-th rule). A request's candidates are the intersection of
those sets: a superset of the rules that match it, tried in order with ``evaluate.rule_matches``
itself, so the answer is always ``first_match``'s.
"""

from __future__ import annotations

from typing import Sequence

from kube_audit_lint.engine.evaluate import rule_matches
from kube_audit_lint.engine.request import Request
from kube_audit_lint.policy.model import Rule

__all__ = ["RuleIndex"]


class _Postings:
    """For one field: the rules that accept any value, and the rules that name each value."""

    def __init__(self) -> None:
        self.any = 0
        self.by_value: dict[str, int] = {}

    def add(self, bit: int, values: Sequence[str]) -> None:
        if not values:
            self.any |= bit
        for value in values:
            self.by_value[value] = self.by_value.get(value, 0) | bit

    def accepting(self, value: str) -> int:
        return self.any | self.by_value.get(value, 0)


class RuleIndex:
    """The rules of a policy, indexed by the request fields they test."""

    def __init__(self, rules: Sequence[Rule], wildcard_group: bool = True):
        self.rules = tuple(rules)
        self.wildcard_group = wildcard_group
        self.resource_kind = self.non_resource_kind = 0
        self.anyone = 0  # rules without users and userGroups: the only ones a request with no user meets
        self.users, self.groups, self.verbs, self.namespaces = _Postings(), _Postings(), _Postings(), _Postings()
        self.api_groups, self.resources = _Postings(), _Postings()
        self.star_groups = 0  # rules with an entry of group "*"
        self.star_resources = 0  # rules with an entry that takes every resource, or a pattern starting with "*"
        for position, rule in enumerate(self.rules):
            bit = 1 << position
            if rule.namespaces or rule.resources or not rule.non_resource_urls:
                self.resource_kind |= bit
            if not (rule.namespaces or rule.resources):
                self.non_resource_kind |= bit
            if not (rule.users or rule.user_groups):
                self.anyone |= bit
            self.users.add(bit, rule.users)
            self.groups.add(bit, rule.user_groups)
            self.verbs.add(bit, rule.verbs)
            self.namespaces.add(bit, rule.namespaces)
            groups: set[str] = set()
            resources: set[str] = set()
            for entry in rule.resources:
                if entry.group == "*":
                    self.star_groups |= bit
                groups.add(entry.group)
                if not entry.resources or any(pattern.startswith("*") for pattern in entry.resources):
                    self.star_resources |= bit
                resources.update(pattern.partition("/")[0] for pattern in entry.resources)
            self.api_groups.add(bit, sorted(groups))
            self.resources.add(bit, sorted(resources))

    def candidates(self, request: Request) -> int:
        """The rules (a bitset) that may match ``request``: every rule that does is among them."""
        bits = self.verbs.accepting(request.verb)
        if request.user is None:
            bits &= self.anyone
        else:
            bits &= self.users.accepting(request.user)
            groups = self.groups.any
            for group in request.groups:
                groups |= self.groups.by_value.get(group, 0)
            bits &= groups
        if not request.resource_request:
            return bits & self.non_resource_kind
        bits &= self.resource_kind & self.namespaces.accepting(request.namespace)
        api_groups = self.api_groups.accepting(request.api_group)
        if self.wildcard_group:
            api_groups |= self.star_groups
        return bits & api_groups & (self.resources.accepting(request.resource) | self.star_resources)

    def first_match(self, request: Request) -> int | None:
        """``evaluate.first_match``: the index of the first rule that matches, None when none does."""
        bits = self.candidates(request)
        while bits:
            low = bits & -bits
            rule = self.rules[low.bit_length() - 1]
            if rule_matches(rule, request, self.wildcard_group):
                return rule.index
            bits ^= low
        return None
