"""The compliance report as one JSON-serialisable value: what every format lays out.

``build_report(options)`` reads the policy (as kube-apiserver reads it), the apiserver's flags,
the framework profiles and, with ``--events``, the audit logs, and returns a dict. ``--format json``
prints it as is; its shape is ``linter/data/report/report.schema.json`` (``"format":
"kube-audit-lint-report"``, ``"formatVersion": 1``; fields are only ever added within a version):

- ``identification``: ``policy`` (``path``, ``sha256``, ``lines``, ``accepted`` by kube-apiserver of
  the version assumed, ``refusedBecause``: its reasons with their lines), ``git`` (``commit``,
  ``dirty``, ``path`` in the repository; null outside a repository), ``generatedAt`` (UTC, ISO 8601;
  ``SOURCE_DATE_EPOCH`` is honoured), ``tool``, ``kubeVersion``, ``frameworks``, ``baseline``,
  ``apiserverManifest`` and ``events`` (path and SHA-256 of each input);
- ``summary``: controls by status per framework, findings by severity, conflicts;
- ``frameworks``: per framework its ``controls``: ``id``, ``title``, ``asks``, ``reads``,
  ``remediation``, ``status`` (pass | fail | manual | not-applicable), ``reason``, ``conflicts``
  (ids) and ``tests`` (``kind``, ``title``, ``expected``, ``selector``, ``status``, ``evidence``:
  see ``linter.report.controls``);
- ``apiserverFlags``: null, or the audit flags of ``--apiserver-manifest``: each with its value
  and line (or kube-apiserver's default), a note where the value is unexpected, and the findings
  on its line (see ``linter.report.flags``);
- ``conflicts``: where two frameworks ask opposite things, the levels the policy gives the
  requests and which side it satisfies (``took``);
- ``matrix``: the effective-level matrix (see ``linter.report.matrix``);
- ``replay``: null, or the replay summary of the events (``linter.replay.summary``);
- ``findings``: every finding of the lint run, suppressed ones included with their ``suppression``;
- ``exceptions``: the suppressed findings (inline comments and the accepted-findings file);
- ``sources``: the policy (and manifest) text, by line, for the appendix.

Nothing in the report comes from an event's bodies, headers or annotations: replay decodes only the
request attributes (user, groups, verb, resource, namespace, name, path without the query).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import subprocess
from dataclasses import dataclass, field
from typing import Any

from kube_audit_lint import __version__
from kube_audit_lint.kube.flags import read_apiserver_config
from kube_audit_lint.lint.baseline import BaselineError, PolicySpace, load_baseline
from kube_audit_lint.lint.config import ConfigError
from kube_audit_lint.lint.pipeline import LintInputError, LintOptions, lint_report
from kube_audit_lint.output.common import describe_witness, order_key
from kube_audit_lint.policy import versions
from kube_audit_lint.policy.load import apiserver_read
from kube_audit_lint.policy.validate import is_audit_policy_document
from kube_audit_lint.policy.yamlnodes import InputError
from kube_audit_lint.replay.nothing_read import NothingRead, require_events
from kube_audit_lint.replay.reading import LogError
from kube_audit_lint.replay.rotation import expand
from kube_audit_lint.replay.summary import replay_files
from kube_audit_lint.report import controls, frameworks as profiles
from kube_audit_lint.report.controls import Subject
from kube_audit_lint.report.flags import flag_table
from kube_audit_lint.report.matrix import build_matrix

FORMAT_NAME = "kube-audit-lint-report"
FORMAT_VERSION = 1
HASH_CHUNK = 1 << 20


class ReportInputError(ValueError):
    """Input the user must fix: one line on stderr, exit code 2."""


@dataclass
class ReportOptions:
    policy: str
    events: list[str] = field(default_factory=list)
    frameworks: str | None = None  # "cis,nsa"; None: the defaults
    baseline: str | None = None
    apiserver_manifest: str | None = None
    output_format: str = "html"
    output: str | None = None
    kube_version: tuple[int, int] | None = None
    accepted: str | None = None
    generated_at: datetime.datetime | None = None  # for tests; else now (or SOURCE_DATE_EPOCH)


def build_report(options: ReportOptions) -> dict[str, Any]:
    kube_version = options.kube_version or versions.DEFAULT
    try:
        chosen = profiles.load_frameworks(profiles.parse_framework_list(options.frameworks))
        conflicts = profiles.relevant_conflicts(profiles.load_conflicts(), chosen)
    except profiles.FrameworkError as exc:
        raise ReportInputError(str(exc)) from None
    subject = read_subject(options.policy, kube_version, options.apiserver_manifest)
    verdict, policy_path = subject.verdict, subject.policy_path
    apiserver_text = _read_text(options.apiserver_manifest) if options.apiserver_manifest else ""
    framework_results = [controls.evaluate_framework(framework, subject) for framework in chosen]
    conflict_results = [controls.evaluate_conflict(conflict, subject, chosen) for conflict in conflicts]
    controls.link_conflicts(framework_results, conflict_results)
    findings, baseline = _lint(options, kube_version)
    replay = _replay(verdict.policy, options.events, kube_version) if options.events else None
    policy_text = _read_text(options.policy)
    report = {
        "format": FORMAT_NAME,
        "formatVersion": FORMAT_VERSION,
        "identification": _identification(options, policy_path, policy_text, kube_version, chosen, baseline, verdict),
        "summary": {},
        "frameworks": framework_results,
        "conflicts": conflict_results,
        "apiserverFlags": flag_table(subject, findings),
        "matrix": build_matrix(subject),
        "replay": replay,
        "findings": findings,
        "exceptions": [f for f in findings if f["suppressed"]],
        "sources": _sources(policy_path, policy_text, subject.apiserver_path, apiserver_text),
    }
    report["summary"] = _summary(report)
    return report


# --------------------------------------------------------------------------------------------
# Inputs


def display_path(path: str) -> str:
    """Relative to the working directory when inside it (what a reader of a CI artifact expects)."""
    if path in ("-", ""):
        return path
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return relative.replace(os.sep, "/") if not relative.startswith("..") else absolute.replace(os.sep, "/")


def read_subject(policy_path: str, kube_version: tuple[int, int], apiserver_manifest: str | None = None):
    """What the controls are evaluated on: the policy as kube-apiserver reads it, and its flags."""
    verdict = _read_policy(policy_path, kube_version)
    apiserver = _read_manifest(apiserver_manifest)
    return Subject(
        policy=verdict.policy, verdict=verdict, policy_path=display_path(policy_path), kube_version=kube_version,
        spaces=PolicySpace(verdict.policy, kube_version), apiserver=apiserver,
        apiserver_path=display_path(apiserver_manifest) if apiserver_manifest else "",
    )


def _read_policy(path: str, kube_version):
    if path == "-":
        raise ReportInputError("the report needs a policy file, not standard input")
    try:
        reading = apiserver_read(path, kube_version)
    except InputError as exc:
        raise ReportInputError(str(exc)) from None
    document = reading.documents[0]
    if not is_audit_policy_document(document.data):
        raise ReportInputError(f"{path}:{document.start.line}:{document.start.column}: not an audit policy "
                               "(expected apiVersion audit.k8s.io/v1 and kind Policy)")
    return reading.verdicts[0]


def _read_manifest(path: str | None):
    if not path:
        return None

    try:
        return read_apiserver_config(path)
    except InputError as exc:
        raise ReportInputError(str(exc)) from None


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            return handle.read()
    except OSError as exc:
        raise ReportInputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def sha256_of(path: str) -> str | None:
    if path == "-":
        return None
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(HASH_CHUNK), b""):
                digest.update(chunk)
    except OSError as exc:
        raise ReportInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return digest.hexdigest()


def git_info(path: str) -> dict | None:
    """The commit the policy file is at, and whether it differs from it; None outside git."""
    directory = os.path.dirname(os.path.abspath(path))

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", directory, *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    top = git("rev-parse", "--show-toplevel")
    if not commit or not top:
        return None
    in_repo = os.path.relpath(os.path.realpath(path), os.path.realpath(top)).replace(os.sep, "/")
    tracked = bool(git("ls-files", "--", os.path.basename(path)))
    status = git("status", "--porcelain", "--", os.path.basename(path))
    return {"commit": commit, "path": in_repo, "tracked": tracked, "dirty": bool(status)}


def generated_at(options: ReportOptions) -> str:
    moment = options.generated_at
    if moment is None and os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        moment = datetime.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), datetime.timezone.utc)
    moment = moment or datetime.datetime.now(datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _identification(options: ReportOptions, policy_path: str, policy_text: str, kube_version, chosen, baseline,
                    verdict) -> dict:
    refusals = [{"message": problem.render(), "line": problem.span.line} for problem in verdict.errors]
    return {
        "policy": {"path": policy_path, "sha256": sha256_of(options.policy), "lines": len(policy_text.splitlines()),
                   "accepted": verdict.accepted, "refusedBecause": refusals},
        "git": git_info(options.policy),
        "generatedAt": generated_at(options),
        "tool": {"name": "kube-audit-lint", "version": __version__},
        "kubeVersion": versions.format(kube_version),
        "frameworks": [{"name": f.name, "title": f.title, "version": f.version, "kind": f.kind} for f in chosen],
        "baseline": baseline,
        "apiserverManifest": ({"path": display_path(options.apiserver_manifest),
                               "sha256": sha256_of(options.apiserver_manifest)}
                              if options.apiserver_manifest else None),
        "events": [{"path": display_path(path), "sha256": sha256_of(path)} for path in options.events],
        "acceptedFindings": ({"path": display_path(options.accepted), "sha256": sha256_of(options.accepted)}
                             if options.accepted else None),
    }


# --------------------------------------------------------------------------------------------
# The lint run, for findings and exceptions


def _lint(options: ReportOptions, kube_version) -> tuple[list[dict], dict | None]:
    lint_options = LintOptions(paths=[options.policy], baseline=options.baseline,
                               apiserver_manifest=options.apiserver_manifest, kube_version=kube_version,
                               accepted=options.accepted)
    try:
        report, settings = lint_report(lint_options)
        baseline = load_baseline(settings.baseline) if settings.baseline else None
    except (ConfigError, LintInputError, BaselineError) as exc:
        raise ReportInputError(str(exc)) from None
    except ValueError as exc:  # the accepted-findings file and other input the user must fix
        raise ReportInputError(str(exc)) from None

    findings = sorted(report.findings, key=order_key(report))
    baseline_info = {"name": baseline.name, "title": baseline.title, "path": baseline.display_path} if baseline else None
    return [_finding(finding) for finding in findings], baseline_info


def _finding(finding) -> dict:
    location = finding.location
    suppression = finding.suppression
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.label,
        "message": finding.message,
        "file": display_path(location.path) if location.path not in ("-", "<stdin>") else location.path,
        "line": location.line,
        "column": location.column,
        "rule": finding.rule_index,
        "request": finding.witness,
        "requestText": describe_witness(finding.witness) if finding.witness else None,
        "fix": finding.fix,
        "suppressed": suppression is not None,
        "suppression": None if suppression is None else {
            "kind": suppression.kind,
            "justification": suppression.justification,
            "file": display_path(suppression.location.path) if suppression.location else None,
            "line": suppression.location.line if suppression.location else None,
        },
    }


# --------------------------------------------------------------------------------------------
# Replay


def _replay(policy, paths: list[str], kube_version) -> dict:
    try:
        paths, _ = expand(paths)  # a folder or glob of rotated logs, in time order
        replayed = replay_files(policy, paths, kube_version, jobs=1)
        require_events(replayed.events, paths)  # evidence from no event at all is no evidence
        summary = replayed.to_dict()
    except (LogError, NothingRead) as exc:
        raise ReportInputError(str(exc)) from None
    summary.pop("policy", None)
    for entry in summary.get("files", []):
        entry["path"] = display_path(entry["path"])
    for bad in summary.get("badLines", []):
        bad["file"] = display_path(bad["file"])
    return summary


# --------------------------------------------------------------------------------------------
# Summary and sources


def _summary(report: dict) -> dict:
    findings = report["findings"]
    active = [f for f in findings if not f["suppressed"]]
    return {
        "frameworks": [{"name": f["name"], "title": f["title"], "kind": f["kind"], "counts": f["counts"]}
                       for f in report["frameworks"]],
        "findings": {
            "error": sum(1 for f in active if f["severity"] == "error"),
            "warning": sum(1 for f in active if f["severity"] == "warning"),
            "note": sum(1 for f in active if f["severity"] == "note"),
            "suppressed": len(findings) - len(active),
        },
        "conflicts": len(report["conflicts"]),
    }


def _sources(policy_path: str, policy_text: str, manifest_path: str, manifest_text: str) -> dict:
    sources = {"policy": {"path": policy_path, "lines": policy_text.splitlines()}}
    if manifest_path:
        sources["apiserverManifest"] = {"path": manifest_path, "lines": manifest_text.splitlines()}
    return sources
