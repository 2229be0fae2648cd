from __future__ import annotations

import json
import subprocess
import sys
import types
from dataclasses import replace

import pytest

from kube_audit_lint import INFORMATION_URI, __version__
from kube_audit_lint.findings import Finding, Location, Report, Severity, Suppression
from kube_audit_lint.output import sarif
from test_output_support import SPECS, sample_report, spec, validate_sarif


def render(report: Report) -> dict:
    return json.loads(sarif.render(report))


def test_sample_validates_against_both_schemas(tmp_path):
    validate_sarif(render(sample_report(tmp_path)))


def test_empty_report_validates():
    document = render(Report(findings=[], checks=SPECS))
    validate_sarif(document)
    assert document["runs"][0]["results"] == []


def test_log_header_and_driver(tmp_path):
    document = render(sample_report(tmp_path))
    assert list(document)[:2] == ["$schema", "version"]
    assert document["version"] == "2.1.0"
    assert len(document["runs"]) == 1
    run = document["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kube-audit-lint"
    assert driver["version"] == driver["semanticVersion"] == __version__
    assert driver["informationUri"] == INFORMATION_URI
    assert run["invocations"] == [{"executionSuccessful": True}]
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file:///") and base.endswith("/")
    assert run["columnKind"] == "unicodeCodePoints"


def test_rules_describe_every_check(tmp_path):
    rules = render(sample_report(tmp_path))["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [s.code for s in SPECS]
    error_rule = rules[0]
    assert error_rule["name"] == "sensitive-body-captured"
    assert error_rule["shortDescription"] == {"text": "Secrets can be logged with their body."}
    assert error_rule["fullDescription"] == {"text": "Looks for sensitive-body-captured."}
    assert error_rule["defaultConfiguration"] == {"level": "error"}
    assert error_rule["helpUri"] == f"{INFORMATION_URI}/blob/v{__version__}/docs/checks.md#kal001-sensitive-body-captured"
    markdown = error_rule["help"]["markdown"]
    for heading in ("### What it does", "### Why is this bad?", "### Example", "### Use instead", "### Fix", "### Options"):
        assert heading in markdown
    assert "```yaml\nrules:\n  - level: RequestResponse\n```" in markdown
    assert "Why is this bad?\nBecause." in error_rule["help"]["text"]
    # only the security check is a security alert; every rule says how precise it is
    assert [r["properties"].get("security-severity") for r in rules] == ["8.0", None, None, None]
    assert [r["properties"]["tags"] for r in rules] == [
        ["security", "kubernetes", "audit-policy"], ["kubernetes", "audit-policy", "cost"],
        ["kubernetes", "audit-policy", "correctness"], ["kubernetes", "audit-policy", "cost"],
    ]
    assert [r["properties"]["precision"] for r in rules] == ["high"] * 4


def test_results_point_at_rules_and_relative_locations(tmp_path):
    run = render(sample_report(tmp_path))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == 3  # the suppressed finding is left out
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "policies/audit.yaml", "uriBaseId": "%SRCROOT%"}
        assert location["region"]["startLine"] >= 1 and location["region"]["startColumn"] >= 1
        assert result["level"] in ("error", "warning", "note")
        assert list(result["partialFingerprints"]) == ["kubeAuditLint/v1"]
    by_code = {r["ruleId"]: r for r in run["results"]}
    error = by_code["KAL001"]
    assert error["level"] == "error"
    assert error["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 8, "startColumn": 5, "endLine": 8, "endColumn": 27,
    }
    assert error["message"]["text"] == (
        "secrets can be logged at RequestResponse by rule 1\n"
        "Example: get secrets/db-password -n prod by alice\n"
        "Fix: log secrets at Metadata in a rule before rule 1"
    )
    assert error["properties"]["witness"]["resource"] == "secrets"
    assert by_code["KAL004"]["level"] == "warning"  # explicit even though it is SARIF's default
    assert by_code["KAL004"]["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 8
    assert by_code["KAL010"]["locations"][0]["physicalLocation"]["region"] == {"startLine": 13, "startColumn": 5}
    assert "suppressions" not in error


def test_level_follows_the_finding_not_the_rule(tmp_path):
    report = sample_report(tmp_path)
    report.findings = [report.findings[1].with_severity(Severity.WARNING)]
    result = render(report)["runs"][0]["results"][0]
    assert result["level"] == "warning"


def test_suppressed_and_accepted_findings_are_left_out_of_the_upload(tmp_path):
    report = sample_report(tmp_path)
    report.findings[2] = replace(report.findings[2], suppression=Suppression("accepted", "recorded in a.json"))
    document = render(report)
    validate_sarif(document)
    results = document["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["KAL001", "KAL004"]
    assert all("suppressions" not in r for r in results)
    # the rules of the checks that ran are still described
    assert [r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]] == [s.code for s in SPECS]


def test_suppressed_findings_can_be_kept_with_justification(tmp_path):
    report = sample_report(tmp_path)
    accepted = replace(report.findings[2], suppression=Suppression("accepted", ""))
    report.findings.append(accepted)
    results = json.loads(sarif.render(report, include_suppressed=True))["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 2
    inline = next(r for r in suppressed if r["ruleId"] == "KAL003")
    assert inline["suppressions"][0]["kind"] == "inSource"
    assert inline["suppressions"][0]["justification"] == "health checks are handled upstream"
    assert inline["suppressions"][0]["location"]["physicalLocation"]["region"]["startLine"] == 5
    external = next(r for r in suppressed if r["ruleId"] == "KAL010")
    assert external["suppressions"] == [{"kind": "external"}]
    validate_sarif(json.loads(sarif.render(report, include_suppressed=True)))


def test_partial_fingerprints_stable_when_a_line_is_inserted_above(tmp_path):
    before = render(sample_report(tmp_path))["runs"][0]["results"]
    after = render(sample_report(tmp_path, shift=1))["runs"][0]["results"]

    def start_line(result):
        return result["locations"][0]["physicalLocation"]["region"]["startLine"]

    assert [r["partialFingerprints"] for r in before] == [r["partialFingerprints"] for r in after]
    assert [start_line(r) + 1 for r in before] == [start_line(r) for r in after]
    assert len({r["partialFingerprints"]["kubeAuditLint/v1"] for r in before}) == 3


def test_file_outside_root_gets_absolute_uri(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    report = sample_report(tmp_path)
    report.root = str(root)
    document = render(report)
    validate_sarif(document)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (tmp_path / "policies" / "audit.yaml").as_uri()}


def test_path_with_space_is_percent_encoded(tmp_path):
    finding = Finding("KAL001", "sensitive-body-captured", Severity.ERROR, "m", Location(str(tmp_path / "my policies/a b.yaml"), 1, 1))
    document = render(Report(findings=[finding], checks=SPECS, root=str(tmp_path)))
    validate_sarif(document)
    uri = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20policies/a%20b.yaml"


def test_finding_from_an_undeclared_check_gets_a_rule(tmp_path):
    finding = Finding("KAL999", "suppression-without-reason", Severity.NOTE, "m", Location("a.yaml", 1, 1))
    document = render(Report(findings=[finding], checks=SPECS[:1], root=str(tmp_path)))
    validate_sarif(document)
    run = document["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["KAL001", "KAL999"]
    assert run["results"][0]["ruleIndex"] == 1


def test_check_may_set_its_security_severity_and_tags(monkeypatch, tmp_path):
    module = types.ModuleType("tests.fake_strict")
    module.SECURITY_SEVERITY = 9.5
    module.TAGS = ("cis-3.2.2",)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    custom = replace(spec("KAL020", "strict", Severity.WARNING, category="security"), module=module.__name__)
    rule = render(Report(findings=[], checks=(custom,), root=str(tmp_path)))["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["properties"]["security-severity"] == "9.5"
    assert rule["properties"]["tags"] == ["security", "kubernetes", "audit-policy", "cis-3.2.2"]


@pytest.mark.parametrize("value", ["high", 11, None])
def test_bad_security_severity_falls_back_to_severity(monkeypatch, value):
    module = types.ModuleType("tests.fake_bad")
    module.SECURITY_SEVERITY = value
    monkeypatch.setitem(sys.modules, module.__name__, module)
    custom = replace(spec("KAL021", "bad", Severity.ERROR, category="security"), module=module.__name__)
    assert sarif.security_severity(custom) == 8.0


# --- what GitHub code scanning needs ---------------------------------------------------------

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps"]
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["serviceaccounts/token"]
  - level: Metadata
"""


def run_cli(cwd, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kube_audit_lint", "lint", *args], cwd=cwd, capture_output=True,
                          text=True)


def git(cwd, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def git_repository(root):
    git(root, "init", "-q")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")


def artifact_locations(value):
    """Every artifactLocation anywhere in a SARIF document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "artifactLocation":
                yield item
            yield from artifact_locations(item)
    elif isinstance(value, list):
        for item in value:
            yield from artifact_locations(item)


def test_uris_are_relative_to_the_repository_root_from_a_subfolder(tmp_path):
    git_repository(tmp_path)
    folder = tmp_path / "clusters" / "prod"
    folder.mkdir(parents=True)
    (folder / "policy.yaml").write_text(POLICY)
    result = run_cli(folder, "policy.yaml", "--format", "sarif=out/results.sarif")
    assert result.returncode == 1, result.stderr
    document = json.loads((folder / "out" / "results.sarif").read_text())
    validate_sarif(document)
    run = document["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.resolve().as_uri() + "/"}}
    locations = list(artifact_locations(document))
    assert locations and run["results"]
    assert all(location == {"uri": "clusters/prod/policy.yaml", "uriBaseId": "%SRCROOT%"} for location in locations)


def test_the_repository_is_the_one_holding_the_files_not_the_working_directory(tmp_path):
    repository = tmp_path / "repo"
    (repository / "policies").mkdir(parents=True)
    git_repository(repository)
    (repository / "policies" / "a.yaml").write_text(POLICY)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli(elsewhere, str(repository / "policies" / "a.yaml"), "--format", "sarif")
    document = json.loads(result.stdout)
    run = document["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repository.resolve().as_uri() + "/"
    assert {location["uri"] for location in artifact_locations(document)} == {"policies/a.yaml"}


def test_outside_git_the_working_directory_is_the_root(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "policy.yaml").write_text(POLICY)
    result = run_cli(tmp_path, "sub/policy.yaml", "--format", "sarif")
    document = json.loads(result.stdout)
    if document["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] != tmp_path.resolve().as_uri() + "/":
        pytest.skip("the temporary folder is inside a git repository")
    assert {location["uri"] for location in artifact_locations(document)} == {"sub/policy.yaml"}
    assert all(location["uriBaseId"] == "%SRCROOT%" for location in artifact_locations(document))


def test_sarif_category_sets_the_automation_id(tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    for given, expected in (("prod-policies", "prod-policies/"), ("team/prod/", "team/prod/")):
        document = json.loads(run_cli(tmp_path, "policy.yaml", "--format", "sarif", "--sarif-category", given).stdout)
        validate_sarif(document)
        assert document["runs"][0]["automationDetails"] == {"id": expected}
    assert "automationDetails" not in json.loads(run_cli(tmp_path, "policy.yaml", "--format", "sarif").stdout)["runs"][0]


def test_a_long_description_is_cut_at_1024_characters_on_a_word(tmp_path):
    words = " ".join(f"word{i}" for i in range(400))
    long_doc = f"Summary.\n\n## What it does\n{words}\n\n## Why is this bad?\nBecause.\n"
    custom = replace(spec("KAL020", "long", Severity.WARNING), doc=long_doc)
    rule = render(Report(findings=[], checks=(custom,), root=str(tmp_path)))["runs"][0]["tool"]["driver"]["rules"][0]
    text = rule["fullDescription"]["text"]
    assert len(text) <= 1024 and text.endswith("\u2026")
    assert words.startswith(text[:-1]) and words[len(text) - 1] == " "  # cut between two words
    assert words in rule["help"]["text"]  # the whole text stays in help
    assert rule["shortDescription"] == {"text": "Summary."}
    assert sarif.clip("short text") == "short text"
    assert sarif.clip("x" * 2000) == "x" * 1023 + "\u2026"


def test_every_builtin_check_has_a_category_and_a_precision():
    from kube_audit_lint.lint.registry import CATEGORIES, PRECISIONS, all_checks

    builtin = [check for check in all_checks() if check.builtin]
    assert len(builtin) > 30
    for check in builtin:
        assert check.category in CATEGORIES, check.code
        assert check.precision in PRECISIONS, check.code
    assert {"KAL020", "KAL023", "KAL024", "KAL060"} <= {c.code for c in builtin if c.security}
    assert not {"KAL005", "KAL006", "KAL027", "KAL090"} & {c.code for c in builtin if c.security}


def test_rules_of_every_builtin_check_meet_github_limits(tmp_path):
    from kube_audit_lint.lint.registry import all_checks

    checks = tuple(check for check in all_checks() if check.builtin)
    document = render(Report(findings=[], checks=checks, root=str(tmp_path)))
    validate_sarif(document)
    for check, rule in zip(checks, document["runs"][0]["tool"]["driver"]["rules"]):
        assert rule["id"] == check.code
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024
        assert rule["shortDescription"]["text"]
        assert rule["properties"]["precision"] in ("very-high", "high", "medium", "low")
        security = check.category == "security"
        assert ("security" in rule["properties"]["tags"]) is security, check.code
        assert ("security-severity" in rule["properties"]) is security, check.code
        assert rule["helpUri"].startswith(f"{INFORMATION_URI}/blob/v{__version__}/docs/checks.md#")


def test_a_plugin_keeps_its_own_documentation_url(tmp_path):
    custom = replace(spec("XMP001", "plugin-check", Severity.NOTE), docs_url="https://example.com/xmp001")
    rule = render(Report(findings=[], checks=(custom,), root=str(tmp_path)))["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["helpUri"] == "https://example.com/xmp001"


def test_accepted_findings_are_not_uploaded(tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    assert run_cli(tmp_path, "policy.yaml", "--write-accepted", "accepted.json").returncode == 0
    before = json.loads(run_cli(tmp_path, "policy.yaml", "--format", "sarif").stdout)["runs"][0]["results"]
    assert before
    result = run_cli(tmp_path, "policy.yaml", "--accepted", "accepted.json", "--format", "sarif")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    validate_sarif(document)
    assert document["runs"][0]["results"] == []


def test_suppressed_findings_are_not_uploaded(tmp_path):
    suppressed = POLICY.replace("  - level: RequestResponse\n",
                                "  # kube-audit-lint: disable=KAL020 -- tokens are redacted by the sink\n"
                                "  - level: RequestResponse\n")
    (tmp_path / "policy.yaml").write_text(suppressed)
    results = json.loads(run_cli(tmp_path, "policy.yaml", "--format", "sarif").stdout)["runs"][0]["results"]
    assert "KAL020" not in {r["ruleId"] for r in results}
    assert all("suppressions" not in r for r in results)
    everything = json.loads(run_cli(tmp_path, "policy.yaml", "--format", "json").stdout)["findings"]
    assert any(f["code"] == "KAL020" and f["suppressed"] for f in everything)  # JSON keeps it


def test_only_new_keeps_the_full_analysis_in_sarif_and_limits_the_rest(tmp_path):
    git_repository(tmp_path)
    (tmp_path / "policy.yaml").write_text(POLICY)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    full = json.loads(run_cli(tmp_path, "policy.yaml", "--format", "sarif").stdout)["runs"][0]["results"]
    assert any(r["ruleId"] == "KAL020" for r in full)
    # nothing changed since HEAD: nothing is new, the job passes and nothing is annotated ...
    result = run_cli(tmp_path, "policy.yaml", "--diff-base", "HEAD", "--format", "github",
                     "--format", "sarif=results.sarif")
    assert (result.returncode, result.stdout) == (0, ""), result.stderr
    # ... but the SARIF still holds every finding, so code scanning closes none of them
    uploaded = json.loads((tmp_path / "results.sarif").read_text())
    validate_sarif(uploaded)
    assert [r["partialFingerprints"] for r in uploaded["runs"][0]["results"]] == [r["partialFingerprints"] for r in full]
