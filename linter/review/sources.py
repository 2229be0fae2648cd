"""Where a reviewed policy comes from: a file, or ``git:REF:path`` (the file in a commit).

The policy is read as kube-apiserver reads the file (the first YAML document; JSON when the file
starts with ``{``). A policy the apiserver would refuse decides nothing, so it is an input error
with the apiserver's reasons, each at its file:line:col.
"""

from __future__ import annotations

from kube_audit_lint.policy.gitsource import GitSourceError, local_copy
from kube_audit_lint.policy.load import apiserver_read, first_document_not_policy
from kube_audit_lint.policy.model import Policy
from kube_audit_lint.policy.yamlnodes import InputError


class SourceError(ValueError):
    """A policy that cannot be read or would not load: one line (or a few) for the user, exit 2."""


def read_policy(spec: str, kube_version: tuple[int, int]) -> Policy:
    """The policy kube-apiserver would load from ``spec``; SourceError when there is none."""
    try:
        with local_copy(spec) as path:
            reading = apiserver_read(path, kube_version)
    except GitSourceError as exc:
        raise SourceError(str(exc)) from None
    except InputError as exc:
        raise SourceError(f"{spec}:{exc.line}:{exc.column}: {exc.message}") from None
    not_policy = first_document_not_policy(reading)
    if not_policy:
        start = reading.documents[0].start
        raise SourceError(f"{spec}:{start.line}:{start.column}: {not_policy}")
    verdict = reading.verdicts[0]
    if not verdict.accepted:
        reasons = "".join(f"\n  {spec}:{p.span.line}:{p.span.column}: {p.render()}" for p in verdict.errors)
        raise SourceError(f"{spec}: kube-apiserver would refuse this policy:{reasons}")
    verdict.policy.document.path = spec
    return verdict.policy
