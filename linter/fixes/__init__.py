"""Automatic fixes (``kube-audit-lint lint --fix``): text edits that fix a finding, ruff's model.

A fixer is a small module with one function, ``propose(finding, policy, text) -> Proposal | None``:
the line-preserving edits of the policy file's text that fix the finding, and the requests whose
outcome the fix means to change (request selectors) and how. ``FIXERS`` below maps a check code to
its fixer: plain data, nothing registers itself.

A fix is *safe* only when the request-level difference between the policy before and after
(``checks/_policy_changes.py``, over ``engine.space.PolicyPair``) lies inside the fix's intended change and
changes those requests the intended way; a fix that changes anything else is demoted to unsafe,
with the example request that shows it. Unsafe fixes are applied only with ``--unsafe-fixes``.
``apply.fix_file`` applies fixes to a file, checks that the result still loads in kube-apiserver
and that re-linting finds nothing new, and otherwise leaves that fix out and says why.
"""

from __future__ import annotations

from kube_audit_lint.fixes import (
    api_version, catch_all, exec_verbs, health_probes, misspelled_key, omit_stages, sensitive_bodies,
    versioned_group,
)

# check code -> the fixer of its findings
FIXERS = {
    "KAL001": api_version.propose,  # invalid-policy: audit.k8s.io/v1beta1 -> audit.k8s.io/v1
    "KAL002": misspelled_key.propose,  # unknown-field: verb -> verbs, resource -> resources, ...
    "KAL003": versioned_group.propose,  # versioned-group: apps/v1 -> apps, v1 -> ""
    "KAL006": omit_stages.propose,  # missing-omit-stages: omitStages: ["RequestReceived"] at policy level
    "KAL013": exec_verbs.propose,  # exec-verbs-incomplete: add get (or create) to the verbs
    "KAL020": sensitive_bodies.propose,  # sensitive-body-captured: a Metadata rule before the rule
    "KAL021": health_probes.propose,  # health-endpoint-logged: a None rule for the probes, first
    "KAL023": catch_all.propose,  # no-catch-all: append - level: Metadata
}
