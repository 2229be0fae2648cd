"""`kube-audit-lint baseline diff`: a policy against a baseline, request class by request class."""

from __future__ import annotations

import json
import sys

from kube_audit_lint.lint.baseline import BaselineError, diff_classes, diff_json, diff_text, load_baseline
from kube_audit_lint.policy.load import apiserver_read, first_document_not_policy
from kube_audit_lint.policy.model import Policy
from kube_audit_lint.policy.yamlnodes import InputError


def run_baseline_diff(policy_path: str, baseline_name: str, kube_version: tuple[int, int], output_format: str) -> int:
    """``kube-audit-lint baseline diff``: a report, so exit 0; 2 when an input cannot be used."""
    try:
        baseline = load_baseline(baseline_name)
        policy = _read_policy(policy_path, kube_version)
        diffs = diff_classes(policy, baseline, kube_version)
    except (BaselineError, InputError) as exc:
        print(f"kube-audit-lint: error: {exc}", file=sys.stderr)
        return 2
    if output_format == "json":
        print(json.dumps(diff_json(diffs, policy, baseline, kube_version), indent=2))
    else:
        print(diff_text(diffs, policy, baseline))
    return 0


def _read_policy(path: str, kube_version: tuple[int, int]) -> Policy:
    """The policy as kube-apiserver reads the file; a refused policy is compared all the same,
    with a warning, since what it would log is still what the author wrote."""
    reading = apiserver_read(path, kube_version)
    not_policy = first_document_not_policy(reading)
    if not_policy:
        raise BaselineError(not_policy, path, reading.documents[0].start)
    verdict = reading.verdicts[0]
    for problem in verdict.errors[:1]:
        print(f"{path}:{problem.span.line}:{problem.span.column}: warning: kube-apiserver would refuse "
              f"this policy: {problem.render()}", file=sys.stderr)
    return verdict.policy
