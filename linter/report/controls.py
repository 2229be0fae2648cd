"""Evaluating framework controls and conflicts against one policy (and its apiserver flags).

Every result is plain data (dicts and lists of str, int, bool, None) in the report's JSON shape,
so the JSON output is the model itself and the other formats only lay it out. Evidence items:

- ``{"kind": "rule", "rule", "line", "level", "request", "requestText", "ok", "omittedStage"}``: the
  rule that decides some of the requests a test selects (``rule`` null: no rule matches), the level
  it gives them and a witness request;
- ``{"kind": "flag", "flag", "value", "origin" ("set" | "default" | "unset"), "file", "line", "ok"}``;
- ``{"kind": "problem", "message", "file", "line", "ok"}``: why kube-apiserver would refuse the policy;
- ``{"kind": "note", "text"}``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from kube_audit_lint.lint.baseline import PolicySpace, RequestSelector
from kube_audit_lint.engine.space import Outcome
from kube_audit_lint.kube.api import AUTHENTICATED_GROUP
from kube_audit_lint.kube.flags import retention_default
from kube_audit_lint.policy.model import Level, Policy
from kube_audit_lint.report.frameworks import (
    AnyFlagTest, Conflict, Control, ExpectTest, FlagTest, Framework, FrameworkError, ManualTest, PolicyFileTest,
    PolicyTest, load_framework,
)

PASS, FAIL, MANUAL, NOT_APPLICABLE = "pass", "fail", "manual", "not-applicable"
UNKNOWN = "unknown"  # a test of the apiserver flags when no manifest was given
STATUSES = (PASS, FAIL, MANUAL, NOT_APPLICABLE)
NO_MANIFEST = "not checked: no --apiserver-manifest given"
EVERY_REQUEST = RequestSelector.from_mapping({})
# an authenticated user the policy does not name (the matrix, report/matrix.py, and the conflicts)
ORDINARY_NAMES = ("alice", "jane", "ordinary-user")


@dataclass
class Subject:
    """What controls are evaluated on: the policy as kube-apiserver reads it, and its flags."""

    policy: Policy
    verdict: Any  # linter.policy.validate.Verdict
    policy_path: str  # as shown in the report
    kube_version: tuple[int, int]
    spaces: PolicySpace
    apiserver: Any = None  # linter.apiserver_flags.ApiserverConfig
    apiserver_path: str = ""  # as shown in the report


# --------------------------------------------------------------------------------------------
# Controls


def evaluate_framework(framework: Framework, subject: Subject) -> dict:
    controls = [evaluate_control(control, subject) for control in framework.controls]
    return {
        "name": framework.name,
        "title": framework.title,
        "version": framework.version,
        "kind": framework.kind,
        "description": framework.description,
        "source": dict(framework.source),
        "counts": count_statuses(controls),
        "controls": controls,
    }


def count_statuses(controls: list[dict]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for control in controls:
        counts[control["status"]] += 1
    return counts


def evaluate_control(control: Control, subject: Subject) -> dict:
    result = {
        "id": control.id,
        "title": control.title,
        "asks": control.asks,
        "reads": control.reads or None,
        "remediation": control.remediation,
        "references": list(control.references),
        "status": PASS,
        "reason": "",
        "conflicts": [],
        "tests": [],
    }
    if control.applies_when is not None:
        applies = flag_test(control.applies_when, subject)
        if applies["status"] == FAIL:
            result["status"] = NOT_APPLICABLE
            flag = applies["evidence"][0] if applies["evidence"] else {}
            result["reason"] = (f"applies only when {control.applies_when.describe()}; "
                                f"here --{control.applies_when.flag} is {_shown_value(flag)}")
            result["tests"] = [applies]
            return result
    result["tests"] = [run_test(test, subject) for test in control.tests]
    result["status"], result["reason"] = combine(result["tests"])
    return result


def combine(tests: list[dict]) -> tuple[str, str]:
    """fail if any test fails; manual while anything is left to a person or to a manifest not
    given; pass otherwise."""
    statuses = [test["status"] for test in tests]
    if FAIL in statuses:
        failed = sum(1 for s in statuses if s == FAIL)
        return FAIL, f"{failed} of {len(tests)} test(s) failed"
    if MANUAL in statuses:
        return MANUAL, "to be verified by a person"
    if UNKNOWN in statuses:
        if PASS in statuses:
            return MANUAL, "the policy passes; its flags are not checked"
        return MANUAL, "flags not checked"
    return PASS, ""


def run_test(test, subject: Subject) -> dict:
    if isinstance(test, ExpectTest):
        return expect_test(test, subject)
    if isinstance(test, FlagTest):
        return flag_test(test, subject)
    if isinstance(test, AnyFlagTest):
        return any_flag_test(test, subject)
    if isinstance(test, PolicyFileTest):
        return policy_file_test(test, subject)
    if isinstance(test, PolicyTest):
        return policy_test(test, subject)
    if isinstance(test, ManualTest):
        return _test("manual", test.text, MANUAL, [], expected="")
    raise TypeError(f"unknown test {test!r}")


def _test(kind: str, title: str, status: str, evidence: list[dict], expected: str, selector: str = "") -> dict:
    return {"kind": kind, "title": title, "expected": expected, "selector": selector or None,
            "status": status, "evidence": evidence}


# ---- expectations over request classes


def expect_test(test: ExpectTest, subject: Subject) -> dict:
    outcomes = subject.spaces.outcomes(test.selector)
    evidence = [outcome_evidence(outcome, subject, test) for outcome in outcomes]
    status = PASS if all(item["ok"] for item in evidence) else FAIL
    return _test("expect", test.title, status, evidence, test.describe(), test.selector.describe())


def outcome_evidence(outcome: Outcome, subject: Subject, test: ExpectTest | None = None) -> dict:
    ok, omitted = True, None
    if test is not None:
        if test.bound is not None and not test.bound.admits(outcome.level):
            ok = False
        elif outcome.level is not Level.NONE:
            omitted = next((s for s in test.stages_kept if s in outcome.decision.omit_stages), None)
            ok = omitted is None
    return {
        "kind": "rule",
        "rule": outcome.rule,
        "file": subject.policy_path,
        "line": None if outcome.rule is None else subject.policy.rule_line(outcome.rule),
        "level": outcome.level.wire,
        "request": outcome.witness.as_dict(),
        "requestText": outcome.witness.describe(),
        "ok": ok,
        "omittedStage": omitted,
    }


# ---- the apiserver's flags


def _flag_value(flag: str, subject: Subject) -> dict:
    """The flag as kube-apiserver sees it: set in the manifest, or its default, or unset."""
    config = subject.apiserver
    found = config.get(flag)
    if found is not None:
        return {"kind": "flag", "flag": flag, "value": found.value, "origin": "set",
                "file": subject.apiserver_path, "line": found.span.line, "ok": True}
    if flag in ("audit-log-maxage", "audit-log-maxbackup", "audit-log-maxsize"):
        return {"kind": "flag", "flag": flag, "value": retention_default(flag, subject.kube_version),
                "origin": "default", "file": subject.apiserver_path, "line": None, "ok": True}
    return {"kind": "flag", "flag": flag, "value": None, "origin": "unset",
            "file": subject.apiserver_path, "line": None, "ok": True}


def _shown_value(evidence: dict) -> str:
    if not evidence or evidence.get("origin") == "unset":
        return "unset"
    value = evidence["value"]
    shown = repr(value) if value in ("", "-") else value
    return f"{shown} (default)" if evidence["origin"] == "default" else shown


def flag_holds(test: FlagTest, value: str | None) -> bool:
    if test.relation == "set":
        return value not in (None, "")
    if value is None:
        return False
    if test.relation == "atLeast":
        try:
            return int(value) >= int(test.value)
        except ValueError:
            return False
    if test.relation == "equals":
        return value == test.value
    if test.relation == "oneOf":
        return value in test.value
    return value not in test.value  # notIn


def flag_test(test: FlagTest, subject: Subject) -> dict:
    if subject.apiserver is None:
        return _test("flag", test.describe(), UNKNOWN, [{"kind": "note", "text": NO_MANIFEST}], test.describe())
    evidence = _flag_value(test.flag, subject)
    evidence["ok"] = flag_holds(test, evidence["value"])
    return _test("flag", test.describe(), PASS if evidence["ok"] else FAIL, [evidence], test.describe())


def any_flag_test(test: AnyFlagTest, subject: Subject) -> dict:
    if subject.apiserver is None:
        return _test("flag", test.describe(), UNKNOWN, [{"kind": "note", "text": NO_MANIFEST}], test.describe())
    values = [_flag_value(flag, subject) for flag in test.flags]
    found = [item for item in values if item["value"] not in (None, "")]
    for item in values:
        item["ok"] = bool(found)
    # the flag that is set is the evidence; when none is, each missing one is
    return _test("flag", test.describe(), PASS if found else FAIL, found or values, test.describe())


def policy_file_test(test: PolicyFileTest, subject: Subject) -> dict:
    if subject.apiserver is None:
        return _test("flag", test.describe(), UNKNOWN, [{"kind": "note", "text": NO_MANIFEST}], test.describe())
    evidence = _flag_value("audit-policy-file", subject)
    value = evidence["value"]
    evidence["ok"] = bool(value) and os.path.basename(value) == os.path.basename(subject.policy.path or subject.policy_path)
    items = [evidence]
    if value and not evidence["ok"]:
        items.append({"kind": "note", "text": f"--audit-policy-file names {os.path.basename(value)}, "
                                              f"the policy reported on is {os.path.basename(subject.policy_path)}"})
    return _test("flag", test.describe(), PASS if evidence["ok"] else FAIL, items, test.describe())


# ---- the policy as a whole


def policy_test(test: PolicyTest, subject: Subject) -> dict:
    if test.what == "loads":
        errors = list(subject.verdict.errors)
        evidence = [{"kind": "problem", "message": problem.render(), "file": subject.policy_path,
                     "line": problem.span.line, "ok": False} for problem in errors[:10]]
        return _test("policy", test.describe(), FAIL if errors else PASS, evidence, test.describe())
    outcomes = subject.spaces.outcomes(EVERY_REQUEST)
    if test.what == "logs-something":
        logged = [o for o in outcomes if o.level is not Level.NONE]
        shown = logged[:3] if logged else outcomes[:3]
        evidence = [outcome_evidence(o, subject) for o in shown]
        for item in evidence:
            item["ok"] = bool(logged)
        return _test("policy", test.describe(), PASS if logged else FAIL, evidence, test.describe())
    unmatched = [o for o in outcomes if o.rule is None]
    evidence = [outcome_evidence(o, subject) for o in unmatched]
    for item in evidence:
        item["ok"] = False
    return _test("policy", test.describe(), FAIL if unmatched else PASS, evidence, test.describe())


def ordinary_selector(selector: RequestSelector, policy) -> RequestSelector:
    """``selector`` narrowed to the requests of an ordinary user."""
    data = dict(selector.source)
    data["users"] = [ordinary_user(policy)]
    data["onlyGroups"] = [AUTHENTICATED_GROUP]
    data.pop("userGroups", None)
    data.pop("authenticated", None)
    return RequestSelector.from_mapping(data)


def ordinary_user(policy) -> str:
    """A user name the policy does not mention."""
    named = {user for rule in policy.rules for user in rule.users}
    for name in ORDINARY_NAMES:
        if name not in named:
            return name
    return next(f"user-{n}" for n in range(1, len(named) + 2) if f"user-{n}" not in named)


# --------------------------------------------------------------------------------------------
# Conflicts


def evaluate_conflict(conflict: Conflict, subject: Subject, frameworks: list[Framework]) -> dict:
    """The levels the policy gives the conflict's requests, the side(s) it satisfies, and the side
    an ordinary user's requests land on (what the policy's author chose for most traffic)."""
    evaluated = {framework.name for framework in frameworks}
    known = {side.framework: _side_framework(side, frameworks) for side in conflict.sides}
    labels = {name: (f.label(side.control) if f else f"{name} {side.control}")
              for side in conflict.sides for name, f in [(side.framework, known[side.framework])]}
    outcomes = subject.spaces.outcomes(conflict.selector)
    ordinary = subject.spaces.outcomes(ordinary_selector(conflict.selector, subject.policy))
    sides = []
    for side in conflict.sides:
        sides.append({
            "framework": side.framework, "control": side.control, "label": labels[side.framework],
            "frameworkTitle": known[side.framework].title if known[side.framework] else side.framework,
            "asks": side.asks, "expected": str(side.bound),
            "evaluated": side.framework in evaluated,
            "satisfied": bool(outcomes) and all(side.bound.admits(o.level) for o in outcomes),
            "satisfiedForOrdinaryUsers": bool(ordinary) and all(side.bound.admits(o.level) for o in ordinary),
        })
    evidence = []
    for outcome in outcomes:
        item = outcome_evidence(outcome, subject)
        item["breaks"] = [f"{s.framework}:{s.control}" for s in conflict.sides if not s.bound.admits(outcome.level)]
        item["breaksLabels"] = [labels[s.framework] for s in conflict.sides if not s.bound.admits(outcome.level)]
        evidence.append(item)
    return {
        "id": conflict.id,
        "title": conflict.title,
        "selector": conflict.selector.describe(),
        "sides": sides,
        "levels": [level.wire for level in sorted({o.level for o in outcomes})],
        "ordinaryLevels": [level.wire for level in sorted({o.level for o in ordinary})],
        "took": [f"{s['framework']}:{s['control']}" for s in sides if s["satisfied"]],
        "verdict": _conflict_verdict(sides, outcomes, ordinary),
        "tradeOff": conflict.trade_off,
        "evidence": evidence,
    }


def _side_framework(side, frameworks: list[Framework]) -> Framework | None:
    """The framework of a conflict's side: among those evaluated, else the profile of that name."""
    framework = next((f for f in frameworks if f.name == side.framework), None)
    if framework is None:
        try:
            framework = load_framework(side.framework)
        except FrameworkError:
            return None
    return framework


def _conflict_verdict(sides: list[dict], outcomes: list[Outcome], ordinary: list[Outcome]) -> str:
    def name(side: dict) -> str:
        return side["label"]

    taken = [s for s in sides if s["satisfied"]]
    if len(taken) == 1:
        return f"The policy sides with {name(taken[0])}: {taken[0]['asks']}."
    if taken:
        return "The policy satisfies every side."
    levels = _either(level.wire for level in sorted({o.level for o in outcomes}))
    text = f"The policy satisfies neither side: these requests get {levels}, depending on the rule that decides them."
    leaning = [s for s in sides if s["satisfiedForOrdinaryUsers"]]
    if len(leaning) == 1:
        ordinary_levels = _either(level.wire for level in sorted({o.level for o in ordinary}))
        text += (f" An ordinary user's requests get {ordinary_levels}, as {name(leaning[0])} asks; "
                 "the rules marked below decide otherwise for some requests.")
    return text


def _either(words) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def link_conflicts(frameworks: list[dict], conflicts: list[dict]) -> None:
    """Mark each control that takes part in a conflict, so a reader sees it next to its status."""
    for framework in frameworks:
        for control in framework["controls"]:
            for conflict in conflicts:
                if any(side["framework"] == framework["name"] and side["control"] == control["id"]
                       for side in conflict["sides"]):
                    control["conflicts"].append(conflict["id"])
