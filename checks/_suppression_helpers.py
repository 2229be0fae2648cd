"""What the checks about suppression comments (KAL090-KAL094) share: the comments they judge.

They are checks of the ``findings`` scope: each runs once per file, after every other check of the
run, on the file's ``# kube-audit-lint:`` comments as the suppressions applied marked them
(linter/lint/suppressions.py reads and applies them).
"""

from __future__ import annotations

from typing import Iterator

from kube_audit_lint.api import FindingsContext
from kube_audit_lint.lint.suppressions import Directive


def readable(ctx: FindingsContext) -> Iterator[Directive]:
    """The file's suppression comments that can be read (the others are invalid-suppression's)."""
    return (directive for directive in ctx.directives if not directive.problem)
