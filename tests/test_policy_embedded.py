"""Policies kept inside other documents: ConfigMaps, Talos machine configs, OpenShift APIServer."""

from __future__ import annotations

import json

import pytest

from kube_audit_lint.policy import versions
from kube_audit_lint.policy.load import lint_read
from kube_audit_lint.policy.yamlnodes import parse_documents

POLICY_LINES = [
    "apiVersion: audit.k8s.io/v1",
    "kind: Policy",
    "omitStages: [RequestReceived]",
    "rules:",
    "  - level: RequestResponse",
    "    resources:",
    '      - group: ""',
    '        resources: ["secrets"]',
    "  - level: Metadata",
]


def indented(spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in POLICY_LINES)


CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: audit\ndata:\n  policy.yaml: |\n" + indented(4)
TALOS = ("version: v1alpha1\nmachine:\n  type: controlplane\ncluster:\n  apiServer:\n    auditPolicy:\n"
         + indented(6))



@pytest.mark.parametrize("text, level_line, level_column", [(CONFIGMAP, 11, 16), (TALOS, 11, 18)],
                         ids=["configmap", "talos"])
def test_an_embedded_policy_is_linted_on_the_wrapping_files_lines(cli, tmp_path, text, level_line, level_column):
    path = tmp_path / "wrapper.yaml"
    path.write_text(text)
    code, out, _ = cli("lint", str(path), "--select", "KAL020", "--format", "json")
    [finding] = json.loads(out)["findings"]
    assert code == 1 and finding["code"] == "KAL020"
    assert (finding["line"], finding["column"]) == (level_line, level_column)
    assert text.splitlines()[level_line - 1][level_column - 1:].startswith("RequestResponse")


def test_a_configmap_without_a_policy_is_not_a_policy(tmp_path):
    path = tmp_path / "cm.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  app.conf: |\n    key: value\n")
    assert not lint_read(str(path)).is_policy_file


def apiserver_resource(tmp_path, audit: str):
    path = tmp_path / "apiserver.yaml"
    path.write_text("apiVersion: config.openshift.io/v1\nkind: APIServer\nmetadata:\n  name: cluster\nspec:\n"
                    "  audit:\n" + audit)
    [verdict] = lint_read(str(path), versions.DEFAULT).verdicts
    return verdict.policy.document.data


def corpus_rules(corpus_policies, name: str):
    text = (corpus_policies / name).read_text()
    data = parse_documents(name, "\n".join(line[4:] if name == "openshift-default.yaml" else line
                                           for line in text.splitlines()))[0].data
    return data


@pytest.mark.parametrize("profile, rendered", [
    ("Default", "openshift-default.yaml"),
    ("WriteRequestBodies", "openshift-writerequestbodies.yaml"),
    ("AllRequestBodies", "openshift-allrequestbodies.yaml"),
])
def test_openshift_profiles_render_the_policy_openshift_runs(tmp_path, corpus_policies, profile, rendered):
    ours = apiserver_resource(tmp_path, f"    profile: {profile}\n")
    theirs = corpus_rules(corpus_policies, rendered)
    for key in ("omitManagedFields", "omitStages", "rules"):
        assert ours[key] == theirs[key], key


def test_openshift_custom_rules_scope_a_profile_to_a_group(tmp_path, corpus_policies):
    ours = apiserver_resource(tmp_path, "    profile: None\n    customRules:\n"
                                        "    - group: system:authenticated:oauth\n      profile: WriteRequestBodies\n")
    theirs = corpus_rules(corpus_policies, "openshift-oauth.yaml")
    assert ours["rules"] == theirs["rules"]


def test_openshift_findings_point_at_the_profile_line(cli, tmp_path):
    path = tmp_path / "apiserver.yaml"
    path.write_text("apiVersion: config.openshift.io/v1\nkind: APIServer\nmetadata:\n  name: cluster\nspec:\n"
                    "  audit:\n    profile: AllRequestBodies\n")
    code, out, _ = cli("lint", str(path), "--select", "KAL020", "--format", "json")
    lines = {f["line"] for f in json.loads(out)["findings"]}
    assert code == 1 and lines == {7}


def test_a_helm_template_is_skipped_with_a_reason_to_render_it(cli, tmp_path):
    path = tmp_path / "audit.yaml"
    path.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n{{- range .Values.rules }}\n  - level: {{ .level }}\n{{- end }}\n")
    code, _, err = cli("lint", str(path), "--verbose")
    assert code == 2 and "an unrendered template: render it first" in err
