"""Stopping on SIGINT (Ctrl-C) and SIGTERM (a cancelled CI job): what was interrupted, and how far
it got.

``main`` turns SIGTERM into ``Terminated``, which unwinds like Ctrl-C's KeyboardInterrupt, so every
output file is left as it was (files.AtomicFile). A long run that catches either re-raises it as
``Interrupted``, saying what it had done ("replay interrupted after 41,873 events in audit.log")
and carrying its partial counts for ``--partial-on-interrupt``.
"""

from __future__ import annotations


class Terminated(BaseException):
    """SIGTERM: unwinds like Ctrl-C, so output files are left as they were."""


def terminate(signum: int, frame: object) -> None:
    """The SIGTERM handler."""
    raise Terminated()


class Interrupted(BaseException):
    """A run stopped by SIGINT or SIGTERM: ``what`` says how far it got; ``partial`` holds what it
    had counted (a replay's Totals), for a partial report the user asked for."""

    def __init__(self, cause: BaseException, what: str, partial: object = None):
        super().__init__(what)
        self.cause = cause
        self.what = what
        self.partial = partial
        self.outcome = "no output file was changed"  # or what was written of the partial result

    @property
    def signal_name(self) -> str:
        return "SIGTERM" if isinstance(self.cause, Terminated) else "SIGINT"

    @property
    def exit_code(self) -> int:
        return 143 if isinstance(self.cause, Terminated) else 130
