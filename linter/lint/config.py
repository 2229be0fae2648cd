"""Settings for a lint run: defaults, then the configuration file, then the command line.

The configuration lives in ``.kube-audit-lint.yaml`` (or ``.yml``) or in the ``[tool.kube-audit-lint]``
table of ``pyproject.toml``. It is found from the current directory upwards: the first directory that
holds one wins. When one directory holds both, the dedicated ``.kube-audit-lint.yaml`` wins over
``pyproject.toml`` (and ``.yaml`` over ``.yml``); ``--show-config`` says which file was read and which
was passed over. ``--config FILE`` skips the search.

Keys are kebab-case (``fail-on``); the file's shape is ``linter/data/schema/config.schema.json``. Checks are
named by code or by name. A bad file is a ``ConfigError`` that points at the offending key:
``path:line:col: message`` (exit code 2).

Command line over file: ``--select`` replaces the file's ``select`` (and un-ignores what it selects),
``--ignore`` adds to the file's ``ignore``; ``--fail-on``, ``--baseline`` and ``--kube-version``
replace the file's value; ``--exit-zero`` exists on the command line only.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from kube_audit_lint.datafiles import data_path
from kube_audit_lint.lint import registry  # looked up when called: the checks can be swapped (tests)
from kube_audit_lint.lint.patterns import matches
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.yamlnodes import InputError, parse_documents

YAML_NAMES = (".kube-audit-lint.yaml", ".kube-audit-lint.yml")
PYPROJECT = "pyproject.toml"
TOOL_TABLE = ("tool", "kube-audit-lint")
SCHEMA_FILE = "schema/config.schema.json"
DEFAULT, COMMAND_LINE = "default", "command line"

# file key -> Settings field
FILE_KEYS = {
    "select": "select",
    "ignore": "ignore",
    "severity": "severity",
    "baseline": "baseline",
    "per-file-ignores": "per_file_ignores",
    "exclude": "exclude",
    "include": "include",
    "fail-on": "fail_on",
    "kube-version": "kube_version",
    "non-suppressible": "non_suppressible",
    "require-reasons": "require_reasons",
    "checks": "check_options",
}


class ConfigError(ValueError):
    """A configuration problem, reported in one line (``path:line:col: message``), exit code 2."""


@dataclass
class Settings:
    select: list[str] = field(default_factory=list)  # empty: every check
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)  # check code -> error|warning|note
    baseline: str = "recommended"
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)  # glob -> checks
    fail_on: str = "warning"
    exit_zero: bool = False
    non_suppressible: list[str] = field(default_factory=list)
    require_reasons: bool = False
    check_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # check code -> options
    kube_version: str | None = None
    exclude: list[str] = field(default_factory=list)  # globs of paths not to lint
    include: list[str] = field(default_factory=list)  # globs of other files to read in directories (*.sh)
    origins: dict[str, str] = field(default_factory=dict)  # Settings field -> where its value came from
    config_file: str | None = None  # the file read, as shown to the user
    config_notes: list[str] = field(default_factory=list)  # files passed over during discovery


# ---------------------------------------------------------------------------------------------
# Finding the file


@dataclass
class ConfigSource:
    """A configuration file and the table in it that holds our keys."""

    path: str  # as shown in messages
    text: str
    kind: str  # "yaml" or "toml"
    table: tuple[str, ...] = ()  # for TOML: where our keys are ((): the top level)


def discover(start: str) -> tuple[ConfigSource | None, list[str]]:
    """The configuration file for ``start`` (a directory) and its ancestors, and what was passed over."""
    directory = os.path.abspath(start)
    while True:
        found = _sources_in(directory)
        if found:
            chosen, *passed_over = found
            notes = [f"{p.path} is not read: {chosen.path} in the same directory takes precedence" for p in passed_over]
            return chosen, notes
        parent = os.path.dirname(directory)
        if parent == directory:
            return None, []
        directory = parent


def configured_kube_version(near: str | None) -> str | None:
    """The ``kube-version`` of the configuration file found from ``near`` (a file or folder; the
    working directory when None or ``-`` or ``git:...``) upwards, or None. ConfigError when the
    file cannot be read or the value is not a release."""
    start = "." if near in (None, "-") or near.startswith("git:") else near
    if not os.path.isdir(start):
        start = os.path.dirname(os.path.abspath(start))
    source, _ = discover(start)
    if source is None:
        return None
    raw = read_config(source)
    value = raw.data.get("kube-version")
    if value is None:
        return None
    if not isinstance(value, str):
        raise raw.error(("kube-version",), f'kube-version: expected a string such as "1.30", got {_kind(value)}')
    return value


def _sources_in(directory: str) -> list[ConfigSource]:
    found = []
    for name in YAML_NAMES:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            found.append(ConfigSource(_shown(path), _read(path), "yaml"))
    pyproject = os.path.join(directory, PYPROJECT)
    if os.path.isfile(pyproject):
        text = _read(pyproject)
        # a pyproject.toml without our table is someone else's file: keep looking upwards
        if "kube-audit-lint" in text and _toml_table(_shown(pyproject), text, TOOL_TABLE) is not None:
            found.append(ConfigSource(_shown(pyproject), text, "toml", TOOL_TABLE))
    return found


def source_for(path: str) -> ConfigSource:
    """The file named by ``--config``: a pyproject.toml, another TOML file, or a YAML file."""
    if not os.path.isfile(path):
        raise ConfigError(f"{path}:1:1: no such configuration file")
    text = _read(path)
    if path.endswith(".toml"):
        if _toml_table(path, text, TOOL_TABLE) is not None:
            return ConfigSource(path, text, "toml", TOOL_TABLE)
        if os.path.basename(path) == PYPROJECT:
            raise ConfigError(f"{path}:1:1: no [tool.kube-audit-lint] table in this file")
        return ConfigSource(path, text, "toml", ())
    if path.endswith((".yaml", ".yml")):
        return ConfigSource(path, text, "yaml")
    raise ConfigError(f"{path}:1:1: expected a pyproject.toml, a .toml or a .yaml configuration file")


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{_shown(path)}:1:1: cannot read configuration file: {exc}") from None


def _shown(path: str) -> str:
    """``path`` relative to the current directory when that is shorter (readable and clickable)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return relative if len(relative) < len(path) else path


# ---------------------------------------------------------------------------------------------
# Reading it: plain data plus a way to point at any key or value


@dataclass
class RawConfig:
    source: ConfigSource
    data: dict[str, Any]
    document: Any = None  # the YAML document (linter.policy.yamlnodes.Document), for positions

    def position(self, path: tuple, key: bool = False) -> tuple[int, int]:
        """1-based line and column of the key (``key=True``) or value at ``path`` in the file."""
        if self.source.kind == "yaml":
            if self.document is None:
                return 1, 1
            span = self.document.key_span(path) if key else self.document.span(path)
            return span.line, span.column
        value = None if key else _value_at(self.data, path)
        token = value if isinstance(value, str) else None
        return toml_position(self.source.text, self.source.table + tuple(path), key, token)

    def where(self, path: tuple, key: bool = False) -> str:
        line, column = self.position(path, key)
        return f"{self.source.path}:{line}:{column}"

    def error(self, path: tuple, message: str, key: bool = False) -> ConfigError:
        return ConfigError(f"{self.where(path, key)}: {message}")


def _value_at(data: Any, path: tuple) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def read_config(source: ConfigSource) -> RawConfig:
    if source.kind == "yaml":
        return _read_yaml(source)
    table = _toml_table(source.path, source.text, source.table)
    return RawConfig(source, table or {})


def _read_yaml(source: ConfigSource) -> RawConfig:
    try:
        documents = parse_documents(source.path, source.text)
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    if not documents or documents[0].data is None:
        return RawConfig(source, {})
    if len(documents) > 1:
        span = documents[1].start
        raise ConfigError(f"{source.path}:{span.line}:{span.column}: a configuration file holds one YAML document")
    document = documents[0]
    if not isinstance(document.data, dict):
        span = document.start
        raise ConfigError(f"{source.path}:{span.line}:{span.column}: expected a mapping of settings (select:, ignore:, ...)")
    data = dict(document.data)
    if isinstance(data.get("kube-version"), (int, float)) and not isinstance(data["kube-version"], bool):
        # YAML reads an unquoted 1.30 as the number 1.3: use what was written
        data["kube-version"] = _source_slice(source.text, document.span(("kube-version",)))
    return RawConfig(source, data, document)


def _source_slice(text: str, span) -> str:
    lines = text.splitlines()
    if span.line != span.end_line or span.line > len(lines):
        return ""
    return lines[span.line - 1][span.column - 1: span.end_column - 1].strip()


def _load_toml(path: str, text: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line, column = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message) or "invalid TOML"
        raise ConfigError(f"{path}:{line}:{column}: invalid TOML: {message}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{path}:1:1: invalid TOML: nested too deeply to read") from None


def _toml_table(path: str, text: str, table: tuple[str, ...]) -> dict | None:
    """The table at ``table`` in the TOML ``text`` (None when absent)."""
    data: Any = _load_toml(path, text)
    for name in table:
        if not isinstance(data, dict) or name not in data:
            return None
        data = data[name]
    if not isinstance(data, dict):
        line, column = toml_position(text, table, key=True)
        raise ConfigError(f"{path}:{line}:{column}: [{'.'.join(table)}] must be a table")
    return data


# TOML keeps no positions: find the line by reading the text the way a person would.
_TOML_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]#]+?)\s*\]\]?\s*(#.*)?$")
_TOML_KEY = re.compile(r"""^\s*(?P<name>(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _dotted(name: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", name)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def toml_position(text: str, path: tuple, key: bool = False, token: str | None = None) -> tuple[int, int]:
    """Best-effort line and column of ``path`` (a key path, perhaps ending in list indexes) in TOML text."""
    keys = tuple(str(p) for p in path if not isinstance(p, int))
    lines = text.splitlines()
    best = (0, 1, 1)  # (matched key count, line, column)
    table: tuple[str, ...] = ()
    for number, line in enumerate(lines, 1):
        header = _TOML_HEADER.match(line)
        if header:
            table = _dotted(header.group("name"))
            full, column = table, line.index("[") + 1
        else:
            match = _TOML_KEY.match(line)
            if not match:
                continue
            full, column = table + _dotted(match.group("name")), match.start("name") + 1
        matched = len(full) if keys[: len(full)] == full else 0
        if matched > best[0]:
            best = (matched, number, column)
    matched, line_no, column = best
    if matched == 0:
        return 1, 1
    rest = keys[matched:]
    # a key inside an inline table, or a value: look for its text from the key on
    wanted = rest[0] if rest else token
    found = _find_token(lines, line_no, wanted) if wanted else None
    return found or (line_no, column)


def _find_token(lines: list[str], start_line: int, token: str | None) -> tuple[int, int] | None:
    if token is None:
        return None
    pattern = re.compile(r"""(["']?)""" + re.escape(token) + r"\1(?![A-Za-z0-9_-])")
    for number in range(start_line, min(len(lines), start_line + 200) + 1):
        match = pattern.search(lines[number - 1], lines[number - 1].find("=") + 1 if number == start_line else 0)
        if match:
            return number, match.start() + 1
    return None


# ---------------------------------------------------------------------------------------------
# Checking it


def validate_shape(raw: RawConfig) -> None:
    """The file against the JSON Schema; the first problem in file order, as one line."""
    from jsonschema import Draft202012Validator

    with data_path(SCHEMA_FILE).open(encoding="utf-8") as handle:
        schema = json.load(handle)
    problems = []
    for error in Draft202012Validator(schema).iter_errors(raw.data):
        path, message, key = _describe(error)
        problems.append((raw.position(path, key), path, message, key))
    if problems:
        position, path, message, key = min(problems, key=lambda p: p[0])
        raise ConfigError(f"{raw.source.path}:{position[0]}:{position[1]}: {message}")


def _describe(error) -> tuple[tuple, str, bool]:
    """A short message for a schema error, and the key or value path it is about."""
    path = tuple(error.absolute_path)
    where = _key_name(path)
    instance = error.instance
    if "propertyNames" in error.schema_path:  # a bad key in a mapping of checks or globs
        what = "a glob" if path[:1] == ("per-file-ignores",) else "a check code or name"
        return path + (instance,), f"{where}: {instance!r} is not {what}", True
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in allowed)
        name = extra[0] if extra else "?"
        scope = f" in {where}" if path else ""
        return path + (name,), f"unknown key {name!r}{scope}{_did_you_mean(name, allowed)}", True
    if error.validator == "type" and path == ("kube-version",):
        return path, f'kube-version: expected a string such as "1.30" (quoted: the number 1.30 is 1.3), got {_kind(instance)}', False
    if error.validator == "type":
        expected = {"object": "a mapping", "array": "a list", "string": "a string", "boolean": "true or false"}
        wanted = expected.get(error.validator_value, error.validator_value)
        return path, f"{where}: expected {wanted}, got {_kind(instance)}", False
    if error.validator == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return path, f"{where}: expected one of {options}, got {instance!r}", False
    if error.validator == "pattern" and path[:1] == ("kube-version",):
        return path, f'kube-version: expected MAJOR.MINOR such as "1.30", got {instance!r}', False
    if error.validator == "pattern":
        return path, f"{where}: {instance!r} is not a check code or name", False
    if error.validator == "minLength":
        return path, f"{where}: must not be empty", False
    return path, f"{where}: {error.message}", False


def _key_name(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "configuration"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return {dict: "a mapping", list: "a list", str: f"the string {value!r}", type(None): "nothing"}.get(
        type(value), type(value).__name__)


def _did_you_mean(name: str, candidates) -> str:
    import difflib

    close = difflib.get_close_matches(name.replace("_", "-").lower(), sorted(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def resolve_check(raw: RawConfig, path: tuple, name: str, key: bool = False, allow_all: bool = False):
    """The CheckSpec named ``name`` at ``path``; ConfigError pointing there when there is none."""
    if allow_all and name.upper() == "ALL":
        return None
    spec = registry.find_check(name)
    if spec is None:
        names = [s.name for s in registry.all_checks()]
        raise raw.error(path, f"unknown check {name!r}{_did_you_mean(name, names)} (see: kube-audit-lint checks)", key)
    return spec


def _check_list(raw: RawConfig, key: str, allow_all: bool = False) -> list[str]:
    names = raw.data.get(key, [])
    for index, name in enumerate(names):
        resolve_check(raw, (key, index), name, allow_all=allow_all)
    return list(names)


def _per_file_ignores(raw: RawConfig) -> dict[str, list[str]]:
    for glob, names in raw.data["per-file-ignores"].items():
        for index, name in enumerate(names):
            resolve_check(raw, ("per-file-ignores", glob, index), name, allow_all=True)
    return {glob: list(names) for glob, names in raw.data["per-file-ignores"].items()}


def _check_mapping(raw: RawConfig, key: str) -> dict[str, Any]:
    """A check -> value mapping keyed by check code; naming one check twice is an error."""
    result: dict[str, Any] = {}
    for name, value in raw.data.get(key, {}).items():
        spec = resolve_check(raw, (key, name), name, key=True)
        if spec.code in result:
            raise raw.error((key, name), f"{key}: {spec.code} ({spec.name}) is configured twice", key=True)
        result[spec.code] = value
    return result


def _check_options(raw: RawConfig) -> dict[str, dict[str, Any]]:
    options = _check_mapping(raw, "checks")
    written = {registry.find_check(name).code: name for name in raw.data.get("checks", {})}
    result = {}
    for code, values in options.items():
        spec = registry.find_check(code)
        declared = {name.replace("-", "_"): name for name in spec.options}
        result[code] = {}
        for option, value in values.items():
            path = ("checks", written[code], option)
            name = declared.get(option.replace("-", "_"))
            if name is None:
                known = f"its options: {', '.join(sorted(spec.options))}" if spec.options else "it has no options"
                raise raw.error(path, f"unknown option {option!r} for {spec.code} ({spec.name}); {known}", key=True)
            default = spec.options[name]
            if not _same_type(default, value):
                raise raw.error(path, f"{spec.name}.{name}: expected {_kind_of_default(default)}, got {_kind(value)}")
            result[code][name] = value
    return result


def _same_type(default: Any, value: Any) -> bool:
    if default is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    if isinstance(default, (list, tuple)):
        return isinstance(value, list)
    return isinstance(value, type(default))


def _kind_of_default(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, (int, float)):
        return "a number"
    if isinstance(default, (list, tuple)):
        return "a list"
    if isinstance(default, dict):
        return "a mapping"
    return "a string"


def _baseline(raw: RawConfig) -> str:
    """A baseline file is relative to the configuration file; a name stays a name."""
    value = raw.data["baseline"]
    if "/" in value or os.sep in value or value.endswith((".yaml", ".yml", ".json")):
        base = os.path.dirname(os.path.abspath(raw.source.path))
        return _shown(os.path.normpath(os.path.join(base, value)))
    return value


def _kube_version(raw: RawConfig) -> str:
    try:
        return versions.format(versions.parse(raw.data["kube-version"]))
    except ValueError as exc:
        raise raw.error(("kube-version",), str(exc).replace("--kube-version: ", "kube-version: ")) from None


def apply_file(settings: Settings, raw: RawConfig) -> None:
    """Validate ``raw`` and copy its values into ``settings``, recording where each came from."""
    validate_shape(raw)
    values: dict[str, Any] = {
        "select": lambda: _check_list(raw, "select", allow_all=True),
        "ignore": lambda: _check_list(raw, "ignore", allow_all=True),
        "non-suppressible": lambda: _check_list(raw, "non-suppressible"),
        "severity": lambda: _check_mapping(raw, "severity"),
        "per-file-ignores": lambda: _per_file_ignores(raw),
        "checks": lambda: _check_options(raw),
        "baseline": lambda: _baseline(raw),
        "kube-version": lambda: _kube_version(raw),
    }
    for key in raw.data:  # in file order, so that the first problem reported is the first in the file
        field_name = FILE_KEYS[key]
        value = values[key]() if key in values else raw.data[key]
        setattr(settings, field_name, value)
        line, _ = raw.position((key,), key=True)
        settings.origins[field_name] = f"{raw.source.path}:{line}"


# ---------------------------------------------------------------------------------------------
# Putting it together


def load_settings(options, cwd: str | None = None) -> Settings:
    """The effective settings for ``options`` (a linter.lint.LintOptions)."""
    settings = Settings()
    source, notes = (source_for(options.config), []) if options.config else discover(cwd or os.getcwd())
    if source is not None:
        settings.config_file = source.path + (" [tool.kube-audit-lint]" if source.table else "")
        settings.config_notes = notes
        apply_file(settings, read_config(source))
    apply_command_line(settings, options)
    return settings


def apply_command_line(settings: Settings, options) -> None:
    if options.select:
        settings.select = list(options.select)
        settings.origins["select"] = COMMAND_LINE
        selected = _codes(options.select)
        kept = [name for name in settings.ignore if _codes([name]).isdisjoint(selected)]
        if kept != settings.ignore:
            settings.ignore = kept
            settings.origins["ignore"] = f"{settings.origins.get('ignore')} (without what --select names)"
    extend = list(getattr(options, "extend_select", None) or [])
    if extend:
        # added to what is selected (everything, when nothing is): ignores of the same checks dropped
        if settings.select:
            settings.select = settings.select + [n for n in extend if n not in settings.select]
            settings.origins["select"] = _joined(settings.origins.get("select"), "--extend-select")
        added = _codes(extend)
        settings.ignore = [name for name in settings.ignore if _codes([name]).isdisjoint(added)]
    if options.ignore:
        settings.ignore = settings.ignore + [n for n in options.ignore if n not in settings.ignore]
        settings.origins["ignore"] = _joined(settings.origins.get("ignore"), COMMAND_LINE)
    for name in ("fail_on", "baseline"):
        value = getattr(options, name)
        if value:
            setattr(settings, name, value)
            settings.origins[name] = COMMAND_LINE
    if options.exit_zero:
        settings.exit_zero = True
        settings.origins["exit_zero"] = COMMAND_LINE
    if getattr(options, "kube_version", None):
        settings.kube_version = versions.format(options.kube_version)
        settings.origins["kube_version"] = COMMAND_LINE


def _joined(earlier: str | None, later: str) -> str:
    return f"{earlier} + {later}" if earlier else later


def _codes(names) -> set[str]:
    """Check codes for ``names``; unknown names are left for the lint run to report."""
    codes = set()
    for name in names:
        if name.upper() == "ALL":
            codes |= {spec.code for spec in registry.all_checks()}
        elif (spec := registry.find_check(name)) is not None:
            codes.add(spec.code)
    return codes


def is_excluded(settings: Settings, path: str) -> bool:
    """Whether ``exclude`` names ``path`` or a folder it is in (gitignore-style patterns, see
    lint/patterns.py)."""
    return matches(settings.exclude, path, config_dir(settings))


def config_dir(settings: Settings) -> str | None:
    """The folder of the configuration file the settings come from (patterns are relative to it)."""
    if not settings.config_file:
        return None
    return os.path.dirname(os.path.abspath(settings.config_file.split(" [")[0]))


def is_included(settings: Settings, path: str, root: str = ".") -> bool:
    """Whether ``include`` names ``path``, a file found under the directory ``root``: gitignore-style
    patterns (lint/patterns.py), matched relative to the configuration file's folder, or to
    ``root`` (``docs/**/*.md`` names ``docs/audit.md``)."""
    if not settings.include:
        return False
    return any(matches(settings.include, path, base) for base in (config_dir(settings), os.path.abspath(root)))


SHOWN = (
    ("select", "select"), ("ignore", "ignore"), ("severity", "severity"), ("baseline", "baseline"),
    ("per-file-ignores", "per_file_ignores"), ("exclude", "exclude"), ("include", "include"), ("fail-on", "fail_on"),
    ("exit-zero", "exit_zero"), ("kube-version", "kube_version"), ("non-suppressible", "non_suppressible"),
    ("require-reasons", "require_reasons"), ("checks", "check_options"),
)


def show_settings(settings: Settings) -> str:
    """The effective settings, one per line, each with where it came from."""
    lines = [f"# configuration file: {settings.config_file or 'none found (defaults)'}"]
    lines += [f"# {note}" for note in settings.config_notes]
    rows = []
    for key, name in SHOWN:
        value = getattr(settings, name)
        if name == "kube_version" and value is None:
            value = versions.format(versions.DEFAULT)
        text = json.dumps(value, sort_keys=True)
        if name == "select" and not value:
            text += "  (every check)"
        rows.append((f"{key} = {text}", settings.origins.get(name, DEFAULT)))
    width = max(len(row) for row, _ in rows)
    lines += [f"{row.ljust(width)}  # {origin}" for row, origin in rows]
    return "\n".join(lines) + "\n"
