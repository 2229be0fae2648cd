"""Fixes attached to findings, and applied to a file: ``lint --fix``, ``--diff``, ``--unsafe-fixes``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from kube_audit_lint.findings import Finding, Fix, Report
from kube_audit_lint.fixes import FIXERS
from kube_audit_lint.fixes.text import apply_edits, editable, overlaps
from kube_audit_lint.fixes.verify import judge
from kube_audit_lint.lint.pipeline import apply_suppressions, lint_verdict, select_checks
from kube_audit_lint.lint.registry import POLICY_SCOPE
from kube_audit_lint.policy.validate import apiserver_verdict, is_audit_policy_document
from kube_audit_lint.policy.yamlnodes import InputError, parse_leading_documents

UNMASKING = ("KAL001",)  # fixes that make the apiserver read a policy it refused, changing no request
JUDGE_ACCEPTED_ONLY = ("KAL050",)  # checks that say nothing of a policy the apiserver refuses
MAX_PASSES = 10  # a fix can make another one possible (positions move): fix, re-lint, again
# rules of a policy above which a plain lint run does not work out its fixes: proving a fix safe is
# a request-level diff of the whole policy; --fix, --diff and --unsafe-fixes always work them out
MARKED_RULES = 60


def attach(findings: list[Finding], verdicts, text: str, kube_version, rule_limit: int | None = None) -> list[Finding]:
    """``findings`` with the fix of each one that has a fixer and whose fix can be made (in policies
    of at most ``rule_limit`` rules, when given)."""
    if not editable(text):
        return findings
    judged: dict[tuple, Fix | None] = {}
    out = []
    for finding in findings:
        fixer = FIXERS.get(finding.code)
        verdict = _verdict_of(finding, verdicts) if fixer and not finding.suppressed else None
        if verdict is None or (rule_limit is not None and len(verdict.policy.rules) > rule_limit):
            out.append(finding)
            continue
        try:
            proposal = fixer(finding, verdict.policy, text)
        except (KeyError, IndexError, TypeError, ValueError):
            proposal = None  # a shape the fixer does not know: no fix rather than a wrong one
        if proposal is None:
            out.append(finding)
            continue
        key = (proposal.edits, proposal.description)
        if key not in judged:
            try:
                judged[key] = judge(proposal, verdict.policy, verdict, text, kube_version).fix
            except (ValueError, AssertionError):  # the request-space analysis cannot judge it: no fix
                judged[key] = None
        out.append(replace(finding, autofix=judged[key]) if judged[key] else finding)
    return out


def _verdict_of(finding: Finding, verdicts):
    """The policy document holding the finding (YAML only: JSON is not edited line by line)."""
    holding = [v for v in verdicts if v.policy.document.start.line <= finding.location.line]
    verdict = holding[-1] if holding else None
    if verdict is None or verdict.policy.document.is_json:
        return None
    if verdict.policy.document.path != finding.location.path:
        return None
    return verdict


def attach_to_report(report: Report, kube_version, every_policy: bool = True) -> Report:
    """Every finding of ``report`` with its fix, when it has one (the policies read by the lint;
    without ``every_policy``, those of at most MARKED_RULES rules)."""
    by_file: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_file.setdefault(finding.location.path, []).append(finding)
    fixed = {}
    for path, findings in by_file.items():
        verdicts = report.verdicts.get(path)
        text = report.sources.get(path)
        if verdicts and text is not None:
            limit = None if every_policy else MARKED_RULES
            for before, after in zip(findings, attach(findings, verdicts, text, kube_version, limit)):
                fixed[id(before)] = after
    return replace(report, findings=[fixed.get(id(f), f) for f in report.findings])


def lint_text(path: str, text: str, settings, kube_version) -> tuple[list, list[Finding]]:
    """(verdicts, findings with fixes) of the policy documents in ``text``, with ``settings``."""
    specs = [spec for spec in select_checks(settings, path) if spec.scope == POLICY_SCOPE]
    documents, _ = parse_leading_documents(path, text)  # a broken later document: the ones before it
    verdicts = [apiserver_verdict(doc, kube_version) for doc in documents if is_audit_policy_document(doc.data)]
    findings = [f for verdict in verdicts for f in lint_verdict(verdict, specs, settings, kube_version)]
    report = apply_suppressions(Report(findings=findings, files=[path], sources={path: text}), settings)
    return verdicts, attach(report.findings, verdicts, text, kube_version)


@dataclass
class FileFix:
    path: str
    original: str
    text: str
    applied: list[Finding] = field(default_factory=list)
    not_applied: list[tuple[Finding, str]] = field(default_factory=list)  # a fix that failed, and why

    @property
    def changed(self) -> bool:
        return self.text != self.original


def _problems(findings: list[Finding]) -> Counter:
    """Active findings per check: what a finding says moves with the rules (their numbers, the
    deciding rule), so a new finding is one more of a check than before."""
    return Counter(f.code for f in findings if not f.suppressed)


def _errors(verdicts) -> int:
    return sum(len(v.errors) for v in verdicts)


def fix_file(path: str, text: str, settings, kube_version, unsafe: bool = False) -> FileFix:
    """Apply the fixes of ``path`` (safe ones; unsafe ones too with ``unsafe``) until none is left.

    Each pass applies the fixes that do not overlap, then checks the result: it must load in
    kube-apiserver when the original did (and have no more errors otherwise), and re-linting it
    must find nothing that was not found before. When the pass fails that check, the first fix
    that passes it alone is kept (the others may pass once it is made: versioned groups masked by
    an old apiVersion); when none does, they are left out and reported with the reason."""
    result = FileFix(path, text, text)
    verdicts, findings = lint_text(path, text, settings, kube_version)
    for _ in range(MAX_PASSES):
        candidates = [f for f in findings if f.autofix and (f.autofix.safe or unsafe)]
        if not candidates:
            break
        batch = _non_overlapping(candidates)
        outcome = _try(path, result.text, batch, verdicts, findings, settings, kube_version)
        if isinstance(outcome, str):
            failures = []
            for candidate in candidates:
                batch = [c for c in candidates if c.autofix.edits == candidate.autofix.edits]
                outcome = _try(path, result.text, batch, verdicts, findings, settings, kube_version)
                if not isinstance(outcome, str):
                    break
                failures.append((candidate, outcome))
            else:
                result.not_applied = failures
                break
        result.text, verdicts, findings, made = outcome
        result.applied += made
    return result


def _non_overlapping(candidates: list[Finding]) -> list[Finding]:
    """Fixes whose edits touch no other's; findings with the very same fix all go with it."""
    chosen: list[Finding] = []
    for finding in candidates:
        same = [c for c in chosen if c.autofix.edits == finding.autofix.edits]
        if same or not any(overlaps(a, b) for c in chosen for a in c.autofix.edits for b in finding.autofix.edits):
            chosen.append(finding)
    return chosen


def _try(path, text, batch, verdicts, findings, settings, kube_version, follow_up: bool = True):
    """(new text, verdicts, findings, fixes made) after the batch's edits, or why they cannot be kept.

    A fix that brings a new finding which has a safe fix of its own (a catch-all rule makes the
    health probes logged, and the health probe fix drops them again) is kept together with that
    fix when the two leave nothing new."""
    edits = list(dict.fromkeys(edit for finding in batch for edit in finding.autofix.edits))
    new_text = apply_edits(text, edits)
    try:
        new_verdicts, new_findings = lint_text(path, new_text, settings, kube_version)
    except InputError as exc:
        return f"the fixed file cannot be read: {exc.message}"
    if len(new_verdicts) != len(verdicts):
        return "the fixed file does not hold the same policies"
    if all(v.accepted for v in verdicts) and not all(v.accepted for v in new_verdicts):
        problem = next(p for v in new_verdicts for p in v.errors)
        return f"kube-apiserver would refuse the fixed policy: {problem.render()}"
    if _errors(new_verdicts) > _errors(verdicts):
        return "kube-apiserver would find more errors in the fixed policy"
    new = _new_problems(batch, verdicts, findings, new_verdicts, new_findings)
    if not new:
        return new_text, new_verdicts, new_findings, list(batch)
    code = next(iter(new))
    found = [f for f in new_findings if f.code == code][-1]
    why = f"re-linting the fixed policy finds a new problem: {code} {found.message.splitlines()[0]}"
    if len(new) > 1:
        why += f" (and more of {', '.join(sorted(set(new) - {code}))})"
    extra = [f for f in new_findings if f.code in new and f.autofix and f.autofix.safe]
    if not follow_up or not extra:
        return why
    outcome = _try(path, new_text, _non_overlapping(extra), new_verdicts, new_findings, settings, kube_version,
                   follow_up=False)
    if isinstance(outcome, str) or _new_problems(batch, verdicts, findings, outcome[1], outcome[2]):
        return why
    return outcome[0], outcome[1], outcome[2], list(batch) + outcome[3]


def _new_problems(batch, verdicts, findings, new_verdicts, new_findings) -> Counter:
    """The checks with more findings after the batch than before (see fix_file)."""
    new = _problems(new_findings) - _problems(findings)
    if not all(v.accepted for v in verdicts) and all(v.accepted for v in new_verdicts):
        for code in JUDGE_ACCEPTED_ONLY:
            del new[code]
    if all(f.code in UNMASKING for f in batch) and _unmasked(verdicts, new_verdicts):
        return Counter()
    return new


def _unmasked(verdicts, new_verdicts) -> bool:
    """The apiserver now reads a policy whose apiVersion it refused: checks that could not judge it
    before now do, so what they find is not caused by the fix (which, being safe, changes no
    request's outcome)."""
    def stopped(found) -> bool:
        return any(p.kind == "version" for v in found for p in v.errors)

    return stopped(verdicts) and not stopped(new_verdicts)


def unified_diff(fix: FileFix) -> str:
    import difflib

    return "".join(difflib.unified_diff(fix.original.splitlines(keepends=True), fix.text.splitlines(keepends=True),
                                        fromfile=fix.path, tofile=fix.path))
