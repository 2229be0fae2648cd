"""The lint run: files -> policies -> checks -> findings -> suppressions -> checks of the findings
-> (only-new) -> report.

A check runs where its scope says (linter.lint.registry): ``policy`` checks on each policy
document, ``manifest`` checks once per run on the apiserver manifest, ``findings`` checks on each
file once every other check of the run has run and the suppression comments are applied."""

from __future__ import annotations

import datetime
import os
import re
import sys
from dataclasses import dataclass, field, replace

from kube_audit_lint.findings import Finding, Location, Report, Severity
from kube_audit_lint.kube.api import builtin_groups
from kube_audit_lint.kube.flags import apiserver_config_from_text, read_apiserver_config
from kube_audit_lint.lint import only_new, suppressions
from kube_audit_lint.lint.baseline import BaselineError, builtin_names, load_baseline
from kube_audit_lint.lint.config import Settings, config_dir, is_excluded, is_included, load_settings
from kube_audit_lint.lint.grouping import group_report
from kube_audit_lint.lint.patterns import GitIgnores, matches
from kube_audit_lint.lint import registry  # its checks looked up when called: they can be swapped (tests)
from kube_audit_lint.lint.registry import (FINDINGS_SCOPE, MANIFEST_SCOPE, POLICY_SCOPE, CheckContext,
                                           FindingsContext, PluginFailure, PolicyAnalysis, run_check)
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.load import lint_read, mentions_audit_policy
from kube_audit_lint.policy.validate import apiserver_verdict, is_audit_policy_document
from kube_audit_lint.policy.yamlnodes import InputError, LimitError, parse_documents

POLICY_SUFFIXES = (".yaml", ".yml", ".json")
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"}


@dataclass
class LintOptions:
    paths: list[str] = field(default_factory=list)
    output_format: str = "text"
    output: str | None = None
    formats: list[str] = field(default_factory=list)  # --format as given, repeated: "sarif=results.sarif"
    sarif_category: str | None = None  # runs[].automationDetails.id of the SARIF output
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    fail_on: str | None = None
    exit_zero: bool = False
    baseline: str | None = None
    config: str | None = None
    show_config: bool = False
    kube_version: tuple[int, int] | None = None
    kube_versions: tuple[tuple[int, int], ...] | None = None  # --kube-version 1.33-1.36
    accepted: str | None = None
    write_accepted: str | None = None
    diff_base: str | None = None
    apiserver_manifest: str | None = None
    verbose: bool = False
    allow_no_policy: bool = False
    extend_select: list[str] = field(default_factory=list)
    stdin_filename: str | None = None
    statistics: bool = False
    quiet: bool = False
    color: str = "auto"
    fix: bool = False  # apply the safe fixes (and the unsafe ones with unsafe_fixes)
    diff: bool = False  # print the fixes as a unified diff instead of writing them
    unsafe_fixes: bool = False


class LintInputError(ValueError):
    """Unreadable input or bad usage: one line on stderr, exit code 2."""


def collect_files(paths: list[str], settings=None) -> list[str]:
    """The files to read: files as given, directories searched for YAML/JSON files (sorted), and for
    the files the configuration's ``include`` names (shell scripts, Terraform, Markdown)."""

    files: list[str] = []
    for path in paths or ["."]:
        if os.path.isdir(path):
            gitignores = GitIgnores()  # a walk respects the .gitignore files it passes
            for directory, subdirs, names in os.walk(path):
                gitignores.enter(directory)
                subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS and not d.startswith(".")
                                    and not gitignores.ignored(os.path.join(directory, d), is_dir=True))
                files += [os.path.join(directory, n) for n in sorted(names)
                          if (n.endswith(POLICY_SUFFIXES)
                              or (settings is not None and is_included(settings, os.path.join(directory, n), path)))
                          and not gitignores.ignored(os.path.join(directory, n))]
        else:
            files.append(path)
    # a file named twice (or also found in a directory given) is linted once, as first named
    unique: dict[str, str] = {}
    for path in files:
        unique.setdefault(path if path == "-" else os.path.normpath(os.path.abspath(path)), path)
    return list(unique.values())


def select_checks(settings, path: str | None = None):
    """The checks to run on ``path``: select/ignore (codes or names), per-file ignores."""

    def keys(names):
        resolved = set()
        for name in names:
            if name.upper() == "ALL":
                resolved |= {spec.code for spec in registry.all_checks()}
                continue
            spec = registry.find_check(name)
            if spec is None:
                raise LintInputError(f"unknown check {name!r}{did_you_mean(name, known_check_keys())} "
                                     "(see: kube-audit-lint checks)")
            resolved.add(spec.code)
        return resolved

    chosen = keys(settings.select) if settings.select else {spec.code for spec in registry.all_checks()}
    chosen -= keys(settings.ignore)
    if path is not None:

        for pattern, names in settings.per_file_ignores.items():
            if matches((pattern,), path, config_dir(settings)):
                chosen -= keys(names)
    return [spec for spec in registry.all_checks() if spec.code in chosen]


def known_check_keys() -> list[str]:

    return [key for spec in registry.all_checks() for key in (spec.code, spec.name)]


def did_you_mean(word: str, known) -> str:
    """``; did you mean "secrets"?`` for the closest known word, or "" when none is close."""
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_options(settings, spec) -> dict:
    options = dict(spec.options)
    for key in (spec.code, spec.name):
        options.update(settings.check_options.get(key, {}))
    return options


def severity_for(settings, spec, finding: Finding) -> Finding:
    for key in (spec.code, spec.name):
        if key in settings.severity:
            return finding.with_severity(Severity.parse(settings.severity[key]))
    return finding


def lint_verdict(verdict, specs, settings, kube_version, display_path: str | None = None,
                 apiserver=None, plugin_problems: list[str] | None = None) -> list[Finding]:
    """Run ``specs`` on one policy document; findings in source order. Checks of the findings
    scope are left out: they run on a whole file's findings (``lint_findings``).

    A plugin check that fails is recorded in ``plugin_problems`` and the other checks go on
    (without that list, the failure propagates as PluginFailure)."""

    findings: list[Finding] = []
    policy_line = verdict.policy.document.start.line
    analysis = PolicyAnalysis(verdict.policy, kube_version)
    for spec in specs:
        if spec.scope == FINDINGS_SCOPE:
            continue
        ctx = CheckContext(verdict.policy, verdict, spec, kube_version, check_options(settings, spec), display_path,
                           apiserver, baseline=settings.baseline, analysis=analysis)
        try:
            findings += [replace(severity_for(settings, spec, f), policy_line=policy_line) for f in run_check(spec, ctx)]
        except PluginFailure as failure:
            if plugin_problems is None:
                raise
            plugin_problems.append(failure.problem.render())
    return findings


def lint_text(text: str, path: str = "<policy>", select: list[str] | None = None,
              kube_version: tuple[int, int] = versions.DEFAULT, options: dict | None = None,
              apiserver_manifest_text: str | None = None) -> list[Finding]:
    """Lint the policies in ``text`` with default settings: for examples, tests and embedding.

    ``apiserver_manifest_text`` is the text of a kube-apiserver manifest (or kubeadm
    configuration, or flags file) for the checks of the audit flags.

    Inline suppressions apply (suppressed findings are returned, marked as such), then the checks
    of the findings scope run. Selecting one of those runs the other checks too, since their
    findings are what it judges (``run_selection``); only the selected checks' findings are returned.
    """

    settings = Settings(select=list(select or []))
    if options:
        settings.check_options = {code: dict(opts) for code, opts in options.items()}
    settings, reported = run_selection(settings)
    specs = select_checks(settings)
    apiserver = None
    if apiserver_manifest_text is not None:

        apiserver = apiserver_config_from_text("<apiserver-manifest>", apiserver_manifest_text)
    findings: list[Finding] = []
    for document in parse_documents(path, text):
        if is_audit_policy_document(document.data):
            findings += lint_verdict(apiserver_verdict(document, kube_version), specs, settings, kube_version,
                                     apiserver=apiserver)
    report = Report(findings=findings, files=[path], sources={path: text})
    if apiserver_manifest_text is not None:
        report.sources["<apiserver-manifest>"] = apiserver_manifest_text
    report = apply_suppressions(report, settings)
    return [finding for finding in report.findings if reported is None or finding.code in reported]


def run_selection(settings):
    """(the settings to run with, the codes to report; None: every check that runs).

    A check of the findings scope judges the findings of the others (whether a suppression is
    still used needs the findings it would suppress): when the selection names one, every check
    the configuration does not ignore runs, and only the selected ones are reported."""

    chosen = select_checks(settings)
    if settings.select and any(spec.scope == FINDINGS_SCOPE for spec in chosen):
        return replace(settings, select=[]), {spec.code for spec in chosen}
    return settings, None


def _sort_key(finding: Finding):
    loc = finding.location
    return (loc.path, loc.line, loc.column, finding.code, finding.message)


def lint_paths(paths: list[str], settings, kube_version, verbose: bool = False,
               apiserver_manifest: str | None = None, stdin_filename: str | None = None) -> Report:

    report = Report(findings=[], root=os.getcwd())
    report.plugin_problems += [problem.render() for problem in registry.plugin_problems()]
    apiserver = None
    if apiserver_manifest:

        try:
            apiserver = read_apiserver_config(apiserver_manifest)
        except InputError as exc:
            raise LintInputError(str(exc)) from None
        report.sources[apiserver_manifest] = _source_text(apiserver_manifest)

    linted = []  # the policy documents linted, for the checks of the apiserver manifest
    for path in collect_files(paths, settings):
        if is_excluded(settings, path):
            skip(report, path, "excluded by the configuration", verbose)
            continue
        explicit = path in paths
        special = None if explicit or path == "-" else not_a_regular_file(path)
        if special:
            skip(report, path, special, verbose)
            continue
        try:
            reading = lint_read(path, kube_version, name=stdin_filename if path == "-" else None)
            if path == "-" and stdin_filename:
                path = named_stdin(reading, stdin_filename)
        except LimitError as exc:
            # beyond the documented limits (policy/limits.py): refused, and the run goes on (exit 2)
            report.input_errors.append(str(exc))
            continue
        except InputError as exc:
            if (explicit and not os.path.isfile(path)) or mentions_audit_policy(path):
                # one bad file never stops a run: it is a finding at its position, the others go on
                report.findings += unreadable_findings(exc, select_checks(settings, path))
                report.files.append(path)
                report.sources[path] = _source_text(path)
                continue
            # pre-commit hands over every YAML file, templates included: one that does not even
            # mention an audit policy is not ours to complain about
            template = "{{" in _source_text(path)
            reason = ("an unrendered template: render it first (helm template, kustomize build) and lint the output"
                      if template else "not an audit policy, or a template yet to be rendered")
            skip(report, path, reason, verbose, detail=str(exc))
            continue
        for span, reason in reading.block_skips:
            # a policy left unlinted is said even without --verbose: the run must not look clean
            report.skipped_blocks.append((path, span.line, span.column, reason))
            print(f"{path}:{span.line}:{span.column}: skipped: {reason}", file=sys.stderr)
        if not reading.is_policy_file:
            reason = reading.block_skips[0][1] if reading.block_skips else "no audit.k8s.io Policy document"
            skip(report, path, reason, verbose and not reading.block_skips)
            continue
        if verbose:
            for doc in reading.skipped:
                print(f"{path}:{doc.start.line}:{doc.start.column}: skipped document {doc.index + 1}: "
                      "not an audit.k8s.io Policy", file=sys.stderr)
        report.files.append(path)
        report.sources[path] = reading.text
        specs = select_checks(settings, path)
        policy_specs = [spec for spec in specs if spec.scope == POLICY_SCOPE]
        for verdict in reading.verdicts:
            report.findings += lint_verdict(verdict, policy_specs, settings, kube_version, apiserver=apiserver,
                                            plugin_problems=report.plugin_problems)
            linted.append(verdict)
            if reading.wrapper is None and any(verdict.policy.document.data is doc.data for doc in reading.documents):
                report.verdicts.setdefault(path, []).append(verdict)  # not one inside another document
        report.findings += _file_note_findings(reading, specs)
        for error in reading.block_errors:
            report.findings += unreadable_findings(error, specs, what=f"this policy ({reading.wrapper} block)")
    manifest_specs = [spec for spec in select_checks(settings) if spec.scope == MANIFEST_SCOPE]
    if apiserver is not None and linted and manifest_specs:
        # the manifest is one file: its checks run once, against the policy it names when it is linted
        named = apiserver.value("audit-policy-file") or ""
        verdict = next((v for v in linted if os.path.basename(v.policy.path) == os.path.basename(named)), linted[0])
        report.findings += lint_verdict(verdict, manifest_specs, settings, kube_version, apiserver=apiserver,
                                        plugin_problems=report.plugin_problems)
    report.checks = tuple(select_checks(settings))
    report.findings.sort(key=_sort_key)
    return report


def not_a_regular_file(path: str) -> str | None:
    """Why a file found in a folder cannot be read as a policy (a FIFO would block the run for
    ever; a device never ends), or None for a regular file. A symlink loop or a file that cannot
    be opened is left to the reader, which makes it a finding for that file."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    return "not a regular file (a FIFO, socket or device)"


def named_stdin(reading, name: str) -> str:
    """A policy piped in by an editor (``lint - --stdin-filename path``): reported under its file's
    name, whose per-file settings apply."""

    reading.path = name
    reading.block_errors = [InputError(name, e.line, e.column, e.message) for e in reading.block_errors]
    for document in [*reading.documents, *(verdict.policy.document for verdict in reading.verdicts)]:
        document.path = name
    return name


def skip(report: Report, path: str, reason: str, verbose: bool, detail: str = "") -> None:
    """A file given (or found) that is not linted, with the reason; said under --verbose."""
    report.skipped.append(path)
    report.skip_reasons[path] = reason
    if verbose:
        print(f"{detail} (skipped: {reason})" if detail else f"{path}: skipped: {reason}", file=sys.stderr)


def unreadable_findings(error, specs, what: str = "this file") -> list[Finding]:
    """A file meant as a policy that cannot be read (bad YAML or JSON, not text, missing): a finding
    of invalid-policy at the error's position, since kube-apiserver would refuse it."""

    invalid = next((s for s in specs if s.name == "invalid-policy"), None)
    if invalid is None:
        return []
    return [Finding(
        code=invalid.code, name=invalid.name, severity=Severity.ERROR,
        message=f"kube-apiserver cannot read {what}: {error.message}",
        location=Location(error.path, error.line, error.column, None, None),
        subject="unreadable policy file",
    )]


def _source_text(path: str) -> str:
    if path == "-":
        return ""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def _file_note_findings(reading, specs) -> list[Finding]:
    """How the apiserver reads this file differently (several documents): reported by invalid-policy."""

    invalid = next((s for s in specs if s.name == "invalid-policy"), None)
    if invalid is None:
        return []
    findings = []
    for note in reading.notes:
        findings.append(Finding(
            code=invalid.code, name=invalid.name,
            severity=Severity.ERROR if note.error else Severity.WARNING,
            message=note.render(),
            location=Location(reading.path, note.span.line, note.span.column, note.span.end_line, note.span.end_column),
            subject=note.kind,
        ))
    return findings


def exit_code(report: Report, settings) -> int:
    if settings.exit_zero or settings.fail_on == "never":
        return 0
    threshold = Severity.parse(settings.fail_on)
    return 1 if any(f.severity >= threshold for f in report.active) else 0


def check_baseline(name: str | None) -> None:
    """An unknown baseline is a usage error before any policy is read, whatever the policy."""

    if not name:
        return
    try:
        load_baseline(name)
    except BaselineError as exc:
        hint = did_you_mean(name, builtin_names()) if not os.path.exists(name) else ""
        raise LintInputError(f"{exc}{hint}") from None


def lint_report(options: LintOptions):
    """Run a whole lint as the command would, without writing output: (report, settings).

    Raises ConfigError, LintInputError or another ValueError for input the user must fix.
    """

    settings = load_settings(options)
    releases = target_releases(options, settings)

    check_baseline(settings.baseline)
    run_settings, reported = run_selection(settings)
    report = lint_releases(releases, lambda release: lint_paths(
        options.paths, run_settings, release, options.verbose, options.apiserver_manifest,
        stdin_filename=options.stdin_filename), rerun="-" not in options.paths)
    report = apply_suppressions(report, run_settings, plugin_problems=report.plugin_problems)
    if reported is not None:
        # the checks of the findings scope judged every check's findings; only the selected ones are reported
        report = replace(report, findings=[f for f in report.findings if f.code in reported],
                         checks=tuple(s for s in report.checks if s.code in reported))
    report = apply_only_new(report, options)
    grouped_by = {spec.code: spec.grouped_by for spec in report.checks}
    if report.full_analysis is not None:
        report.full_analysis = group_report(replace(report.full_analysis, checks=report.checks), grouped_by)
    report = group_report(report, grouped_by)
    return report, settings


def target_releases(options: LintOptions, settings) -> tuple[tuple[int, int], ...]:
    """The Kubernetes releases the policies are checked for: --kube-version (a release or a range),
    the configuration's, else every release still supported upstream."""
    return options.kube_versions or ((options.kube_version,) if options.kube_version else None) or (
        (versions.parse(settings.kube_version),) if settings.kube_version else versions.SUPPORTED)


def target_version(options: LintOptions, settings) -> tuple[int, int]:
    """The newest of the targeted releases: the one fixes are verified against."""
    return max(target_releases(options, settings))


def release_behaviour(version: tuple[int, int], text: str = "") -> tuple[object, ...]:
    """What tells ``version``'s handling of a policy apart from another release's: the loader's and
    checker's switches, and which catalogued resources named in ``text`` it serves. Two releases
    with equal behaviour lint ``text`` alike (a resource no policy names only changes which
    resource an example request picks)."""

    named = set(re.findall(r"[a-z][a-z0-9]*", text))
    served = frozenset(
        (group, name) for group, resources in builtin_groups().items() for name, resource in resources.items()
        if name in named and resource.served_in(version)
    )
    wildcard_group = version >= versions.WILDCARD_GROUP if _MAY_NAME_EVERY_GROUP.search(text) else None
    return (wildcard_group, versions.registered_api_versions(version),
            version >= versions.STRICT_DECODING_WARNS, version >= versions.OMIT_MANAGED_FIELDS, served)


# a rule entry that may say group "*" (tagged, an alias, or an escaped "*"): only then does it matter
# whether the release takes "*" for every group
_MAY_NAME_EVERY_GROUP = re.compile(r"""group['"]?\s*:\s*(![^\s'"]*\s+)?['"]?\*|\\(u002a|x2a|U0000002a)""", re.IGNORECASE)


_TARGET = re.compile(r"\(target: [0-9.]+\)")  # the release a message was written for


def lint_releases(releases, lint, rerun: bool = True) -> Report:
    """The findings of ``lint(release)`` over every targeted release, each once.

    The newest release is linted first; the others are linted again only where they behave
    differently on these policies (``release_behaviour``). A finding that only some releases give
    says which (``(Kubernetes 1.33-1.35 only)``): a policy that only some releases load is an
    invalid-policy error naming them. Standard input cannot be read twice: with ``-`` among the
    paths only the newest release is linted (``rerun`` False)."""

    releases = sorted(set(releases))
    newest = releases[-1]
    base = lint(newest)
    if len(releases) == 1 or not rerun:
        return base
    text = "\n".join(base.sources.values())
    groups: dict[tuple[object, ...], list[tuple[int, int]]] = {}
    for release in releases:
        groups.setdefault(release_behaviour(release, text), []).append(release)
    if len(groups) == 1:
        return base
    seen: dict[tuple, tuple[Finding, set]] = {}
    for members in sorted(groups.values(), key=lambda m: m[-1], reverse=True):
        report = base if newest in members else lint(members[-1])
        for finding in report.findings:
            key = (finding.code, finding.location.path, finding.location.line, finding.location.column,
                   _TARGET.sub("", finding.message))
            seen.setdefault(key, (finding, set()))[1].update(members)
    findings = []
    for finding, found_in in seen.values():
        message = _TARGET.sub(f"(target: {versions.format_range(found_in)})", finding.message)
        if len(found_in) < len(releases) and message == finding.message:
            message += f" (Kubernetes {versions.format_range(found_in)} only)"
        findings.append(replace(finding, message=message))
    return replace(base, findings=sorted(findings, key=_sort_key))


def apply_suppressions(report: Report, settings, today: datetime.date | None = None,
                       plugin_problems: list[str] | None = None) -> Report:
    """Inline suppressions (``# kube-audit-lint: disable=...``, see linter.lint.suppressions) applied
    to the findings of ``report``, then the checks of the findings scope run on each of its files."""

    today = today or datetime.date.today()
    report, directives = suppressions.apply_to_report(report, settings, today)
    return lint_findings(report, directives, settings, today, plugin_problems)


def lint_findings(report: Report, directives: dict, settings, today: datetime.date,
                  plugin_problems: list[str] | None = None) -> Report:
    """``report`` with the findings of the checks of the findings scope added: each runs once on
    every file with sources, after every other check of the run, with that file's findings and
    suppression comments (``directives``: by file, as the suppressions applied marked them).

    Their severity follows the configuration as any check's does. A plugin check that fails is
    recorded in ``plugin_problems`` (without that list, the failure propagates as PluginFailure)."""

    by_path: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    comment_proof = suppressions.comment_proof_codes()
    non_suppressible = suppressions.non_suppressible_codes(settings)
    origin = settings.origins.get("non_suppressible", "the configuration")
    added: list[Finding] = []
    for path in report.sources:
        ran = select_checks(settings, path)
        specs = [spec for spec in ran if spec.scope == FINDINGS_SCOPE]
        if not specs:
            continue
        found, marked, codes = tuple(by_path.get(path, ())), tuple(directives.get(path, ())), frozenset(s.code for s in ran)
        for spec in specs:
            ctx = FindingsContext(path, spec, found, marked, codes, today, require_reasons=settings.require_reasons,
                                  non_suppressible=non_suppressible, non_suppressible_origin=origin,
                                  comment_proof=comment_proof, options=check_options(settings, spec))
            try:
                added += [severity_for(settings, spec, f) for f in run_check(spec, ctx)]
            except PluginFailure as failure:
                if plugin_problems is None:
                    raise
                plugin_problems.append(failure.problem.render())
    return replace(report, findings=sorted([*report.findings, *added], key=_sort_key))


def apply_only_new(report: Report, options: LintOptions) -> Report:
    """``--accepted`` / ``--write-accepted`` / ``--diff-base``: see linter.only_new."""
    if not (options.accepted or options.write_accepted or options.diff_base):
        return report

    return only_new.apply(report, options)
