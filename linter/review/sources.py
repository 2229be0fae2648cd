"""Where a reviewed policy comes from: a file, or ``git:REF:path`` (the file in a commit).

The policy is read as kube-apiserver reads the file (the first YAML document; JSON when the file
starts with ``{``). A policy the apiserver would refuse decides nothing, so it is an input error
with the apiserver's reasons, each at its file:line:col.
"""

from __future__ import annotations

import os
import subprocess
import tempfile

from kube_audit_lint.policy.model import Policy


class SourceError(ValueError):
    """A policy that cannot be read or would not load: one line (or a few) for the user, exit 2."""


def read_policy(spec: str, kube_version: tuple[int, int]) -> Policy:
    """The policy kube-apiserver would load from ``spec``; SourceError when there is none."""
    from kube_audit_lint.policy.load import apiserver_read, first_document_not_policy
    from kube_audit_lint.policy.yamlnodes import InputError

    with _local_copy(spec) as path:
        try:
            reading = apiserver_read(path, kube_version)
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


def is_git_spec(spec: str) -> bool:
    return spec.startswith("git:")


class _local_copy:
    """A path to read: the file itself, or a temporary copy of ``git:REF:path``."""

    def __init__(self, spec: str):
        self.spec = spec
        self._tmp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> str:
        if not is_git_spec(self.spec):
            return self.spec
        ref, _, path = self.spec[4:].partition(":")
        if not ref or not path:
            raise SourceError(f"{self.spec}: expected git:REF:path, e.g. git:main:audit/policy.yaml")
        content = git_show(ref, path)
        self._tmp = tempfile.TemporaryDirectory(prefix="kube-audit-lint-")
        local = os.path.join(self._tmp.name, os.path.basename(path) or "policy.yaml")
        with open(local, "wb") as handle:
            handle.write(content)
        return local

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def git_show(ref: str, path: str) -> bytes:
    """The file at ``path`` (from the repository root, else from the current directory) in ``ref``."""
    attempts = [f"{ref}:{path}"] + ([f"{ref}:./{path}"] if not path.startswith(("/", "./")) else [])
    error = ""
    for spec in attempts:
        try:
            result = subprocess.run(["git", "show", "--end-of-options", spec], capture_output=True, check=False)
        except FileNotFoundError:
            raise SourceError("git:REF:path needs git on PATH") from None
        if result.returncode == 0:
            return result.stdout
        error = error or (result.stderr.decode("utf-8", "replace").strip().splitlines() or ["?"])[-1]
    raise SourceError(f"git:{ref}:{path}: {error}")
