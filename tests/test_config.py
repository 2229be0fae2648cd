"""Configuration: discovery, keys, precedence, errors with positions, --show-config."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from kube_audit_lint.datafiles import data_path
from kube_audit_lint.lint import config as config_module
from kube_audit_lint.lint import registry
from kube_audit_lint.lint.config import ConfigError, Settings, discover, load_settings, show_settings
from kube_audit_lint.findings import Severity
from kube_audit_lint.lint.pipeline import LintOptions
from kube_audit_lint.lint.registry import CheckSpec


def _nothing(ctx):
    yield from ()


FAKE_CHECKS = (
    CheckSpec("TST001", "rule-seen", Severity.WARNING, {"limit": 3, "names": ["a"], "strict_mode": False}, "Sees rules.", _nothing, "tests.fake"),
    CheckSpec("TST002", "body-level", Severity.ERROR, {}, "Body levels.", _nothing, "tests.fake"),
    CheckSpec("TST003", "never-fires", Severity.NOTE, {}, "Never.", _nothing, "tests.fake"),
)


@pytest.fixture(autouse=True)
def fake_checks(monkeypatch, tmp_path):
    """Known checks are the three fakes: the tests do not depend on the real checks' names."""
    monkeypatch.setattr(registry, "all_checks", lambda: FAKE_CHECKS)
    monkeypatch.chdir(tmp_path)  # file names in messages are relative to the current directory


def write(path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return str(path)


def settings_in(directory, **options) -> Settings:
    return load_settings(LintOptions(**options), cwd=str(directory))


def error_of(directory, **options) -> str:
    with pytest.raises(ConfigError) as caught:
        settings_in(directory, **options)
    return str(caught.value)


# --- discovery ----------------------------------------------------------------------------------


def test_no_configuration_gives_the_defaults(tmp_path):
    settings = settings_in(tmp_path)
    assert settings.config_file is None
    assert (settings.select, settings.ignore, settings.fail_on, settings.baseline) == ([], [], "warning", "recommended")
    assert settings.origins == {}


def test_found_in_a_parent_directory(tmp_path, monkeypatch):
    write(tmp_path / "pyproject.toml", """
        [project]
        name = "x"

        [tool.kube-audit-lint]
        fail-on = "error"
    """)
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    settings = settings_in(nested)
    assert settings.fail_on == "error"
    assert settings.config_file == os.path.join("..", "..", "pyproject.toml") + " [tool.kube-audit-lint]"
    assert settings.origins["fail_on"] == os.path.join("..", "..", "pyproject.toml") + ":5"


def test_nearest_directory_wins(tmp_path):
    write(tmp_path / ".kube-audit-lint.yaml", "fail-on: note\n")
    write(tmp_path / "a" / ".kube-audit-lint.yml", "fail-on: error\n")
    assert settings_in(tmp_path / "a").fail_on == "error"
    assert settings_in(tmp_path).fail_on == "note"


def test_pyproject_without_our_table_is_passed_over(tmp_path):
    write(tmp_path / ".kube-audit-lint.yaml", "fail-on: note\n")
    write(tmp_path / "sub" / "pyproject.toml", '[tool.ruff]\nselect = ["E"]\n# kube-audit-lint is configured above\n')
    assert settings_in(tmp_path / "sub").fail_on == "note"


def test_dedicated_file_wins_over_pyproject_in_the_same_directory(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.kube-audit-lint]\nfail-on = "error"\n')
    write(tmp_path / ".kube-audit-lint.yaml", "fail-on: note\n")
    source, notes = discover(str(tmp_path))
    assert source.kind == "yaml"
    assert len(notes) == 1 and "pyproject.toml is not read" in notes[0]
    settings = settings_in(tmp_path)
    assert settings.fail_on == "note"
    assert "pyproject.toml is not read" in show_settings(settings)


def test_yaml_extension_wins_over_yml(tmp_path):
    write(tmp_path / ".kube-audit-lint.yaml", "fail-on: note\n")
    write(tmp_path / ".kube-audit-lint.yml", "fail-on: error\n")
    assert settings_in(tmp_path).fail_on == "note"


def test_explicit_config_skips_discovery(tmp_path):
    write(tmp_path / ".kube-audit-lint.yaml", "fail-on: note\n")
    other = write(tmp_path / "conf" / "lint.yaml", "fail-on: error\n")
    assert settings_in(tmp_path, config=other).fail_on == "error"


def test_explicit_pyproject_and_plain_toml(tmp_path):
    pyproject = write(tmp_path / "pyproject.toml", '[tool.kube-audit-lint]\nfail-on = "error"\n')
    plain = write(tmp_path / "lint.toml", 'fail-on = "note"\n')
    assert settings_in(tmp_path, config=pyproject).fail_on == "error"
    assert settings_in(tmp_path, config=plain).fail_on == "note"


@pytest.mark.parametrize("name, text, message", [
    ("missing.yaml", None, "no such configuration file"),
    ("pyproject.toml", "[tool.ruff]\n", "no [tool.kube-audit-lint] table"),
    ("lint.ini", "[x]\n", "expected a pyproject.toml"),
])
def test_explicit_config_problems(tmp_path, name, text, message):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    assert message in error_of(tmp_path, config=str(path))


def test_empty_yaml_file_is_an_empty_configuration(tmp_path):
    write(tmp_path / ".kube-audit-lint.yaml", "# nothing yet\n")
    assert settings_in(tmp_path).fail_on == "warning"


# --- every key ----------------------------------------------------------------------------------


def test_every_key_from_yaml(tmp_path):
    write(tmp_path / ".kube-audit-lint.yaml", """
        select: [TST001, body-level]
        ignore: [never-fires]
        severity:
          rule-seen: error
          TST002: note
        baseline: baselines/ours.yaml
        per-file-ignores:
          "legacy/*.yaml": [TST001]
        exclude: ["vendor/*"]
        fail-on: never
        kube-version: 1.30
        non-suppressible: [TST002]
        require-reasons: yes
        checks:
          rule-seen:
            limit: 5
            names: [b, c]
            strict-mode: true
    """)
    settings = settings_in(tmp_path)
    assert settings.select == ["TST001", "body-level"]
    assert settings.ignore == ["never-fires"]
    assert settings.severity == {"TST001": "error", "TST002": "note"}
    assert os.path.abspath(settings.baseline) == str(tmp_path / "baselines" / "ours.yaml")
    assert settings.per_file_ignores == {"legacy/*.yaml": ["TST001"]}
    assert settings.exclude == ["vendor/*"]
    assert settings.fail_on == "never"
    assert settings.kube_version == "1.30"  # unquoted YAML 1.30 is not the number 1.3
    assert settings.non_suppressible == ["TST002"]
    assert settings.require_reasons is True
    assert settings.check_options == {"TST001": {"limit": 5, "names": ["b", "c"], "strict_mode": True}}
    path = ".kube-audit-lint.yaml"
    assert settings.origins["select"] == f"{path}:1"
    assert settings.origins["check_options"] == f"{path}:14"


def test_every_key_from_pyproject(tmp_path):
    write(tmp_path / "pyproject.toml", """
        [tool.kube-audit-lint]
        select = ["TST001", "body-level"]
        ignore = ["never-fires"]
        severity = { rule-seen = "error" }
        baseline = "gke"
        exclude = ["vendor/*"]
        fail-on = "note"
        kube-version = "v1.29"
        non-suppressible = ["TST002"]
        require-reasons = true

        [tool.kube-audit-lint.per-file-ignores]
        "legacy/*.yaml" = ["TST001"]

        [tool.kube-audit-lint.checks.rule-seen]
        limit = 7
    """)
    settings = settings_in(tmp_path)
    assert settings.severity == {"TST001": "error"}
    assert settings.baseline == "gke"  # a name stays a name
    assert settings.kube_version == "1.29"
    assert settings.per_file_ignores == {"legacy/*.yaml": ["TST001"]}
    assert settings.check_options == {"TST001": {"limit": 7}}
    assert settings.require_reasons is True and settings.fail_on == "note"
    assert settings.origins["per_file_ignores"].endswith("pyproject.toml:12")


def test_baseline_file_is_relative_to_the_configuration_file(tmp_path):
    write(tmp_path / ".kube-audit-lint.yaml", "baseline: ./baselines/ours.yaml\n")
    settings = settings_in(tmp_path)
    assert os.path.abspath(settings.baseline) == str(tmp_path / "baselines" / "ours.yaml")


def test_exclude_matches_paths_names_and_directories():
    settings = Settings(exclude=["vendor", "*.generated.yaml", "charts/*/templates/*"])
    assert config_module.is_excluded(settings, "vendor/audit.yaml")
    assert config_module.is_excluded(settings, "./deploy/x.generated.yaml")
    assert config_module.is_excluded(settings, "charts/app/templates/policy.yaml")
    assert not config_module.is_excluded(settings, "deploy/audit.yaml")


# --- precedence ---------------------------------------------------------------------------------


@pytest.fixture
def configured(tmp_path):
    write(tmp_path / ".kube-audit-lint.yaml", """
        select: [TST001, TST002]
        ignore: [TST003, TST002]
        fail-on: error
        baseline: eks
        kube-version: "1.30"
    """)
    return tmp_path


def test_file_over_defaults(configured):
    settings = settings_in(configured)
    assert (settings.fail_on, settings.baseline, settings.kube_version) == ("error", "eks", "1.30")


def test_command_line_over_file(configured):
    settings = settings_in(configured, fail_on="note", baseline="gke", kube_version=(1, 28), exit_zero=True)
    assert (settings.fail_on, settings.baseline, settings.kube_version, settings.exit_zero) == ("note", "gke", "1.28", True)
    assert {settings.origins[k] for k in ("fail_on", "baseline", "kube_version", "exit_zero")} == {"command line"}


def test_command_line_select_replaces_and_wins_over_file_ignore(configured):
    settings = settings_in(configured, select=["body-level"])
    assert settings.select == ["body-level"]
    assert settings.ignore == ["TST003"]  # TST002 is selected on the command line: no longer ignored
    assert "without what --select names" in settings.origins["ignore"]


def test_command_line_ignore_adds_to_file_ignore(configured):
    settings = settings_in(configured, ignore=["TST001", "TST003"])
    assert settings.ignore == ["TST003", "TST002", "TST001"]
    assert settings.origins["ignore"].endswith(":2 + command line")


# --- errors, with the position of the key or value -----------------------------------------------

YAML_ERRORS = [
    ("fail_on: error\n", "1:1: unknown key 'fail_on' (did you mean 'fail-on'?)"),
    ("fail-on: warn\n", "1:10: fail-on: expected one of error, warning, note, never, got 'warn'"),
    ("select: TST001\n", "1:9: select: expected a list, got the string 'TST001'"),
    ("select:\n  - TST001\n  - nope\n", "3:5: unknown check 'nope'"),
    ("ignore: [rule-sen]\n", "1:10: unknown check 'rule-sen' (did you mean 'rule-seen'?)"),
    ("severity:\n  TST001: warn\n", "2:11: severity.TST001: expected one of error, warning, note, got 'warn'"),
    ("severity:\n  bogus: note\n", "2:3: unknown check 'bogus'"),
    ("severity:\n  TST001: note\n  rule-seen: error\n", "3:3: severity: TST001 (rule-seen) is configured twice"),
    ("per-file-ignores:\n  'a/*': [TST009]\n", "2:11: unknown check 'TST009'"),
    ("per-file-ignores:\n  'a/*': TST001\n", "2:10: per-file-ignores.a/*: expected a list"),
    ("require-reasons: maybe\n", "1:18: require-reasons: expected true or false, got the string 'maybe'"),
    ("kube-version: 1.99\n", "1:15: kube-version: 1.99 is outside the releases implemented"),
    ("kube-version: latest\n", '1:15: kube-version: expected MAJOR.MINOR such as "1.30"'),
    ("non-suppressible: [TST001, x]\n", "1:28: unknown check 'x'"),
    ("checks:\n  rule-seen:\n    limt: 1\n", "3:5: unknown option 'limt' for TST001 (rule-seen); its options: limit, names, strict_mode"),
    ("checks:\n  rule-seen:\n    limit: many\n", "3:12: rule-seen.limit: expected a number, got the string 'many'"),
    ("checks:\n  body-level:\n    x: 1\n", "3:5: unknown option 'x' for TST002 (body-level); it has no options"),
    ("checks:\n  rule-seen: 3\n", "2:14: checks.rule-seen: expected a mapping"),
    ("- select\n", "1:1: expected a mapping of settings"),
    ("select: [TST001\n", "invalid YAML"),
    ("fail-on: error\n---\nfail-on: note\n", "3:1: a configuration file holds one YAML document"),
]


@pytest.mark.parametrize("text, expected", YAML_ERRORS, ids=[e[1][:40] for e in YAML_ERRORS])
def test_yaml_errors_point_at_the_problem(tmp_path, text, expected):
    path = tmp_path / ".kube-audit-lint.yaml"
    path.write_text(text)
    message = error_of(tmp_path)
    assert message.startswith(path.name + ":"), message
    assert expected in message, message


TOML_ERRORS = [
    ('fail_on = "error"\n', "2:1: unknown key 'fail_on' (did you mean 'fail-on'?)"),
    ('fail-on = "warn"\n', "2:11: fail-on: expected one of error"),
    ('select = ["TST001",\n  "nope"]\n', "3:3: unknown check 'nope'"),
    ('severity = { rule-seen = "error", bogus = "note" }\n', "2:35: unknown check 'bogus'"),
    ('kube-version = 1.30\n', '2:1: kube-version: expected a string such as "1.30"'),
    ('require-reasons = "yes"\n', "2:19: require-reasons: expected true or false"),
    ("[tool.kube-audit-lint.checks.rule-seen]\nlimt = 1\n", "3:1: unknown option 'limt'"),
    ("[tool.kube-audit-lint.severity]\nrule-seen = \"fatal\"\n", "3:13: severity.rule-seen: expected one of"),
    ("select = [\n", "invalid TOML"),
]


@pytest.mark.parametrize("text, expected", TOML_ERRORS, ids=[e[1][:40] for e in TOML_ERRORS])
def test_toml_errors_point_at_the_problem(tmp_path, text, expected):
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.kube-audit-lint]\n" + text)
    message = error_of(tmp_path)
    assert message.startswith(path.name + ":"), message
    assert expected in message, message


def test_the_first_problem_in_file_order_is_reported(tmp_path):
    write(tmp_path / ".kube-audit-lint.yaml", "fail-on: sometimes\nbogus: 1\nselect: 3\n")
    assert ":1:10: fail-on:" in error_of(tmp_path)


def test_schema_is_valid_and_lists_every_key():
    from jsonschema import Draft202012Validator

    with data_path(config_module.SCHEMA_FILE).open(encoding="utf-8") as handle:
        schema = json.load(handle)
    Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) == set(config_module.FILE_KEYS)
    assert {field for field in config_module.FILE_KEYS.values()} <= set(Settings.__dataclass_fields__)


# --- --show-config --------------------------------------------------------------------------------


def test_show_config_says_where_each_value_came_from(tmp_path, monkeypatch):
    write(tmp_path / ".kube-audit-lint.yaml", "fail-on: error\nignore: [TST003]\n")
    monkeypatch.chdir(tmp_path)
    text = show_settings(settings_in(tmp_path, select=["TST001"], kube_version=(1, 30)))
    lines = {line.split(" = ")[0]: line for line in text.splitlines() if " = " in line}
    assert text.splitlines()[0] == "# configuration file: .kube-audit-lint.yaml"
    assert lines["fail-on"].endswith("# .kube-audit-lint.yaml:1")
    assert '"error"' in lines["fail-on"]
    assert lines["ignore"].endswith("# .kube-audit-lint.yaml:2")
    assert lines["select"].endswith("# command line") and '["TST001"]' in lines["select"]
    assert lines["kube-version"].endswith("# command line") and '"1.30"' in lines["kube-version"]
    assert lines["baseline"].endswith("# default")
    assert list(lines) == [key for key, _ in config_module.SHOWN]


def test_show_config_without_a_file(tmp_path):
    text = show_settings(settings_in(tmp_path))
    assert "none found (defaults)" in text.splitlines()[0]
    assert "(every check)" in text
    assert text == show_settings(settings_in(tmp_path))  # stable
