"""Framework profiles are data: every built-in one loads, conflicts point at real controls, and a
profile of one's own is read (or refused with its position) like the built-in ones."""

from __future__ import annotations

import textwrap

import pytest

from kube_audit_lint.report import frameworks as profiles


def test_every_builtin_profile_loads_with_controls_of_every_kind():
    names = profiles.builtin_names()
    assert {"cis", "nsa", "stig", "pci", "falco", "elastic", "eks-detections"} <= set(names)
    kinds = set()
    for name in names:
        framework = profiles.load_builtin(name)
        assert framework.controls, name
        for control in framework.controls:
            assert control.asks and control.remediation and control.tests, (name, control.id)
            kinds |= {type(test).__name__ for test in control.tests}
    assert kinds == {"ExpectTest", "FlagTest", "AnyFlagTest", "PolicyFileTest", "PolicyTest", "ManualTest"}


def test_issue_controls_are_present():
    cis = profiles.load_builtin("cis")
    assert [c.id for c in cis.controls] == ["1.2.16", "1.2.17", "1.2.18", "1.2.19", "3.2.1", "3.2.2"]
    stig = profiles.load_builtin("stig")
    catch_all = stig.control("V-242403").tests[0]
    assert str(catch_all.bound) == "at least RequestResponse"
    pci = profiles.load_builtin("pci")
    assert pci.control("10.2.1.4") is not None
    assert profiles.load_builtin("falco").kind == "detection"


def test_detection_profiles_say_what_they_read():
    for name in ("falco", "elastic", "eks-detections"):
        for control in profiles.load_builtin(name).controls:
            assert control.reads, (name, control.id)
    exec_rule = profiles.load_builtin("falco").control("attach-exec-pod").tests[0]
    assert exec_rule.stages_kept == ("ResponseStarted",)


def test_conflicts_name_existing_controls_and_disagree():
    conflicts = profiles.load_conflicts()
    assert {c.id for c in conflicts} == {"sensitive-bodies", "configmap-bodies"}
    for conflict in conflicts:
        for side in conflict.sides:
            assert profiles.load_builtin(side.framework).control(side.control) is not None, side
        from kube_audit_lint.policy.model import Level

        # no level satisfies every side: that is what makes it a conflict
        assert not any(all(side.bound.admits(level) for side in conflict.sides) for level in Level)


def test_framework_list_defaults_aliases_and_unknown_names():
    assert profiles.parse_framework_list(None) == ["cis", "nsa", "stig", "pci"]
    assert profiles.parse_framework_list("cis, falco,cis") == ["cis", "falco"]
    assert profiles.load_framework("eks").name == "eks-detections"
    with pytest.raises(profiles.FrameworkError, match="unknown framework 'sox'"):
        profiles.load_frameworks(["cis", "sox"])
    with pytest.raises(profiles.FrameworkError, match="named twice"):
        profiles.load_frameworks(["eks", "eks-detections"])


def test_relevant_conflicts_need_one_of_their_frameworks():
    conflicts = profiles.load_conflicts()
    only_nsa = profiles.relevant_conflicts(conflicts, [profiles.load_builtin("nsa")])
    assert only_nsa == []
    with_falco = profiles.relevant_conflicts(conflicts, [profiles.load_builtin("falco")])
    assert [c.id for c in with_falco] == ["configmap-bodies"]


OWN_PROFILE = """\
name: house-rules
title: House rules
kind: compliance
description: What our security team asks.
source: {title: Internal wiki}
controls:
  - id: HR-1
    title: Exec is logged with its body
    asks: exec sessions are logged with the request.
    remediation: Log pods/exec at Request.
    tests:
      - title: exec at Request
        selector:
          verbs: [get, create]
          resources: [{group: "", resources: [pods/exec]}]
        bound: {atLeast: Request}
"""


def test_a_profile_file_of_ones_own(tmp_path):
    path = tmp_path / "house.yaml"
    path.write_text(OWN_PROFILE, encoding="utf-8")
    framework = profiles.load_framework(str(path))
    assert framework.name == "house-rules"
    assert framework.control("HR-1").tests[0].describe() == "at least Request"


def test_a_broken_profile_is_refused_with_its_position(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(OWN_PROFILE.replace("bound: {atLeast: Request}", "bound: {atLeast: Everything}"), encoding="utf-8")
    with pytest.raises(profiles.FrameworkError) as caught:
        profiles.load_framework(str(path))
    message = str(caught.value)
    assert message.startswith(f"{path}:") and "controls[0].tests[0]" in message
    assert "\n" not in message


def test_folded_text_reads_as_one_line(tmp_path):
    path = tmp_path / "folded.yaml"
    path.write_text(OWN_PROFILE.replace("asks: exec sessions are logged with the request.",
                                        "asks: >-\n      exec sessions are\n      logged."), encoding="utf-8")
    assert profiles.load_framework(str(path)).control("HR-1").asks == "exec sessions are logged."


def test_duplicate_control_ids_are_refused(tmp_path):
    doubled = OWN_PROFILE + textwrap.indent(OWN_PROFILE.split("controls:\n", 1)[1], "")
    path = tmp_path / "double.yaml"
    path.write_text(doubled, encoding="utf-8")
    with pytest.raises(profiles.FrameworkError, match="duplicate control id 'HR-1'"):
        profiles.load_framework(str(path))
