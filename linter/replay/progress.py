"""A one-line progress display on stderr: bytes read, events, events per second."""

from __future__ import annotations

import sys
import time
from typing import TextIO

LARGE_INPUT = 64 << 20  # bytes; smaller inputs finish before a progress line would help
INTERVAL = 0.25  # seconds between redraws


def wanted(requested: bool | None, total_bytes: int | None, stream: TextIO | None = None) -> bool:
    """--progress / --no-progress win; otherwise on a terminal, for large or unsized (stdin) input."""
    if requested is not None:
        return requested
    stream = stream or sys.stderr
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):
        terminal = False
    return terminal and (total_bytes is None or total_bytes >= LARGE_INPUT)


class Progress:
    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int | None, events: int) -> None:
        now = time.monotonic()
        if now - self.last < INTERVAL:
            return
        self.last = now
        rate = events / max(now - self.started, 1e-9)
        read = f"{done / 2**20:,.0f} MiB"
        if total:
            read += f" of {total / 2**20:,.0f} MiB ({min(100.0, 100 * done / total):.0f}%)"
        self.stream.write(f"\rreplay: {read}, {events:,} events, {rate:,.0f} events/s ")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
