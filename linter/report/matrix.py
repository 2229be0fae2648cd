"""The effective-level matrix: resource classes by verb, the level an ordinary user's request gets.

An "ordinary user" is an authenticated user the policy does not name, in no group but
``system:authenticated``. The request-space analysis splits users only by the names a policy
mentions, so one such user stands exactly for all of them. Each cell lists every way the policy
decides those requests (a level, the rule, an example request); the requests of identities the
policy does name (system users, node and service-account groups) that the policy decides by other
rules are the exceptions listed below the matrix.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from kube_audit_lint.datafiles import read_data
from kube_audit_lint.kube.api import AUTHENTICATED_GROUP
from kube_audit_lint.lint.baseline import RequestSelector
from kube_audit_lint.policy.yamlnodes import parse_documents
from kube_audit_lint.report.controls import Subject, ordinary_user, outcome_evidence

MATRIX_FILE = "matrix.yaml"


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    detail: str
    verbs: tuple[str, ...]
    resources: tuple[dict, ...] = ()
    non_resource_urls: tuple[str, ...] = ()
    verb_map: tuple[tuple[str, str], ...] = ()

    def http_verb(self, verb: str) -> str:
        return dict(self.verb_map).get(verb, verb)

    def selector(self, verb: str, user: str | None) -> RequestSelector:
        data: dict = {"verbs": [self.http_verb(verb)]}
        if self.non_resource_urls:
            data["nonResourceURLs"] = list(self.non_resource_urls)
        else:
            data["resources"] = [dict(entry) for entry in self.resources]
        if user is not None:
            data["users"] = [user]
            data["onlyGroups"] = [AUTHENTICATED_GROUP]
        return RequestSelector.from_mapping(data)


@functools.lru_cache(maxsize=1)
def layout() -> tuple[tuple[str, ...], tuple[Row, ...]]:
    """(columns, rows) from matrix.yaml."""
    text = read_data(f"report/{MATRIX_FILE}")
    data = parse_documents(f"linter/data/report/{MATRIX_FILE}", text)[0].data
    columns = tuple(data["verbs"])
    rows = tuple(
        Row(
            id=item["id"], title=item["title"], detail=item.get("detail", ""),
            verbs=tuple(item.get("verbs") or columns),
            resources=tuple(item.get("resources") or ()),
            non_resource_urls=tuple(item.get("nonResourceURLs") or ()),
            verb_map=tuple((item.get("verbMap") or {}).items()),
        )
        for item in data["rows"]
    )
    return columns, rows


def build_matrix(subject: Subject) -> dict:
    columns, rows = layout()
    user = ordinary_user(subject.policy)
    matrix_rows = []
    exceptions: dict[int | None, dict] = {}
    for row in rows:
        cells = []
        for verb in columns:
            if verb not in row.verbs:
                cells.append({"verb": verb, "applies": False, "levels": [], "outcomes": []})
                continue
            ordinary = subject.spaces.outcomes(row.selector(verb, user))
            cells.append({
                "verb": verb,
                "httpVerb": row.http_verb(verb) if row.non_resource_urls else None,
                "applies": True,
                "levels": _levels(ordinary),
                "outcomes": [outcome_evidence(o, subject) for o in ordinary],
            })
            ordinary_rules = {o.rule for o in ordinary}
            for outcome in subject.spaces.outcomes(row.selector(verb, None)):
                if outcome.rule in ordinary_rules:
                    continue
                _add_exception(exceptions, outcome, subject, f"{row.title}: {row.http_verb(verb)}", _levels(ordinary))
        matrix_rows.append({"id": row.id, "title": row.title, "detail": row.detail, "cells": cells})
    return {
        "ordinaryUser": {"user": user, "groups": [AUTHENTICATED_GROUP]},
        "verbs": list(columns),
        "rows": matrix_rows,
        "exceptions": sorted(exceptions.values(), key=lambda e: (e["rule"] is None, e["rule"] or 0)),
    }


def _levels(outcomes) -> list[str]:
    return [level.wire for level in sorted({o.level for o in outcomes})]


def _add_exception(exceptions: dict, outcome, subject: Subject, cell: str, ordinary_levels: list[str]) -> None:
    entry = exceptions.get(outcome.rule)
    if entry is None:
        evidence = outcome_evidence(outcome, subject)
        entry = exceptions[outcome.rule] = {
            "rule": outcome.rule,
            "line": evidence["line"],
            "file": evidence["file"],
            "level": outcome.level.wire,
            "who": _who(outcome, subject.policy),
            "request": evidence["request"],
            "requestText": evidence["requestText"],
            "cells": [],
            "differs": False,
        }
    entry["cells"].append(cell)
    if outcome.level.wire not in ordinary_levels:
        entry["differs"] = True


def _who(outcome, policy) -> str:
    """The identities a rule is written for, else those of the example request."""
    rule = policy.rules[outcome.rule] if outcome.rule is not None else None
    if rule is not None and rule.users:
        return ", ".join(rule.users)
    if rule is not None and rule.user_groups:
        return "members of " + ", ".join(rule.user_groups)
    request = outcome.witness
    if request.user is None:
        return "requests that fail authentication (no user)"
    groups = [g for g in request.groups if g != AUTHENTICATED_GROUP]
    return request.user + (f" (groups {', '.join(groups)})" if groups else "")
