"""What a fixer proposes: edits, and the change in the request space they are meant to make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from kube_audit_lint.engine.space import Selector
from kube_audit_lint.findings import Edit


@dataclass(frozen=True)
class Proposal:
    description: str
    edits: tuple[Edit, ...]
    # the requests whose outcome may change; () means no request may change at all
    intended: tuple[Selector, ...] = ()
    # how each of those requests must change, given (old Effect, new Effect); None: any way
    expects: Callable | None = None
    expected: str = ""  # ``expects`` in words, for the reason of a demotion
    unsafe_reason: str = ""  # set when the fixer itself judges the fix unsafe
