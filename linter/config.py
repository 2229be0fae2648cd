"""Settings for a lint run: defaults, configuration file, command line, in that order of precedence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ConfigError(ValueError):
    """A configuration problem, reported in one line (``path:line:col: message``), exit code 2."""


@dataclass
class Settings:
    select: list[str] = field(default_factory=list)  # empty: every check
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)  # check code or name -> error|warning|note
    baseline: str = "recommended"
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)  # glob -> checks
    fail_on: str = "warning"
    exit_zero: bool = False
    non_suppressible: list[str] = field(default_factory=list)
    require_reasons: bool = False
    check_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # check code or name -> options
    kube_version: str | None = None
    origins: dict[str, str] = field(default_factory=dict)  # setting -> where its value came from


def load_settings(options) -> Settings:
    """The effective settings for ``options`` (a linter.lint.LintOptions)."""
    settings = Settings()
    for name in ("select", "ignore"):
        value = getattr(options, name)
        if value:
            setattr(settings, name, list(value))
            settings.origins[name] = "command line"
    if options.fail_on:
        settings.fail_on = options.fail_on
        settings.origins["fail_on"] = "command line"
    if options.baseline:
        settings.baseline = options.baseline
        settings.origins["baseline"] = "command line"
    if options.exit_zero:
        settings.exit_zero = True
        settings.origins["exit_zero"] = "command line"
    return settings


def show_settings(settings: Settings) -> str:
    lines = []
    for name in ("select", "ignore", "severity", "baseline", "per_file_ignores", "fail_on", "exit_zero",
                 "non_suppressible", "require_reasons", "check_options", "kube_version"):
        lines.append(f"{name} = {getattr(settings, name)!r}  # {settings.origins.get(name, 'default')}")
    return "\n".join(lines) + "\n"
