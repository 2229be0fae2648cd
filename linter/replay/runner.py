"""Driving a replay over the inputs: in this process, or spread over worker processes.

Work is cut into tasks that keep the input order: a byte range of a large plain file (a worker
reads it itself), or a chunk of lines read here (gzip and stdin, which cannot be split without
reading them). Results come back in task order, so the jsonl output keeps the input order and
line numbers are fixed up from the line counts of the tasks before. At most two tasks per worker
are in flight, which keeps memory flat.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from linter.policy.model import Policy
from linter.replay.reading import (
    BadLine, ChunkDecoder, Decoded, LogError, Piece, Source, is_whole_document, line_count, open_input,
    read_range, split_lines,
)
from linter.replay.tally import CompareTally, JsonlTally, PolicyView, SummaryTally

SUMMARY, JSONL, COMPARE = "summary", "jsonl", "compare"
RANGE_SIZE = 32 << 20  # bytes of a plain file per task
TASK_SIZE = 16 << 20  # bytes of gzip or stdin input per task
PARALLEL_MIN_BYTES = 48 << 20  # below this, worker processes cost more than they save
BAD_LINES_KEPT = 1000


class StrictError(Exception):
    """A bad line under --strict."""

    def __init__(self, bad: BadLine):
        super().__init__(bad.render())
        self.bad = bad


@dataclass
class Totals:
    """Everything counted over a run; partial totals of tasks add up into it."""

    counts: dict[tuple, list] = field(default_factory=dict)  # cell key -> numbers (see tally)
    examples: dict[tuple, dict] = field(default_factory=dict)
    events: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)
    bad_line_count: int = 0
    files: dict[str, list[int]] = field(default_factory=dict)  # source -> [events, bad lines]

    def add_counts(self, counts: dict[tuple, tuple]) -> None:
        for key, numbers in counts.items():
            have = self.counts.get(key)
            if have is None:
                self.counts[key] = list(numbers)
            else:
                for i, n in enumerate(numbers):
                    have[i] += n

    def add_bad(self, bad: BadLine) -> None:
        self.bad_line_count += 1
        self.files[bad.source][1] += 1
        if len(self.bad_lines) < BAD_LINES_KEPT:
            self.bad_lines.append(bad)


@dataclass
class TaskResult:
    events: int
    lines: int
    bad: list[BadLine]  # line numbers relative to the task's first line (1-based)
    output: bytes | None
    counts: dict[tuple, tuple]
    examples: dict[tuple, dict]


class Worker:
    """Decodes chunks and counts them with the tally of the run's mode (also in worker processes)."""

    def __init__(self, mode: str, policies: list[Policy], kube_version: tuple[int, int] | None):
        self.mode = mode
        views = [PolicyView(p, kube_version) for p in policies]
        self.decoder = ChunkDecoder(sized=mode == COMPARE)
        if mode == COMPARE:
            self.tally = CompareTally(views[1], views[0])  # policies: [new, old]
        elif mode == JSONL:
            self.tally = JsonlTally(views[0])
        else:
            self.tally = SummaryTally(views[0])

    def feed(self, decoded: Decoded) -> bytes | None:
        if self.mode == JSONL:
            return self.tally.lines(decoded.events)
        if self.mode == COMPARE:
            self.tally.count_sized(decoded.events, decoded.sizes)
        else:
            self.tally.count(decoded.events)
        return None

    def run_pieces(self, pieces: Iterable[tuple[Piece, int]], source: str) -> TaskResult:
        """The pieces (whole lines, line count) of one task; line numbers count from its start."""
        events, lines, bad, output = 0, 0, [], []
        for piece, piece_lines in pieces:
            decoded = self.decoder.decode(piece, lines + 1, source)
            events += len(decoded.events)
            lines += piece_lines
            bad += decoded.bad
            out = self.feed(decoded)
            if out:
                output.append(out)
        return self._result(events, lines, bad, output)

    def run_document(self, data: bytes, source: str) -> TaskResult:
        decoded = self.decoder.decode_document(data, source)
        out = self.feed(decoded)
        return self._result(len(decoded.events), line_count(data), decoded.bad, [out] if out else [])

    def _result(self, events, lines, bad, output) -> TaskResult:
        examples = self.tally.take_examples() if self.mode == COMPARE else {}
        joined = b"".join(output) if self.mode == JSONL else None
        return TaskResult(events, lines, bad, joined, self.tally.take_counts(), examples)


# Worker processes keep one Worker for the whole run, so their caches stay warm across tasks.
_process_worker: Worker | None = None


def _init_process(mode: str, policies: list[Policy], kube_version) -> None:
    global _process_worker
    _process_worker = Worker(mode, policies, kube_version)


def _run_range(path: str, start: int, end: int) -> TaskResult:
    assert _process_worker is not None
    with open(path, "rb") as f:
        return _process_worker.run_pieces(split_lines(read_range(f, start, end)), path)


def _run_pieces(pieces: list[tuple[bytes, int]], source: str) -> TaskResult:
    assert _process_worker is not None
    return _process_worker.run_pieces(pieces, source)


def line_aligned_ranges(path: str, size: int, range_size: int = RANGE_SIZE) -> list[tuple[int, int]]:
    """Cut a file into ranges of about ``range_size`` bytes that start right after a newline."""
    bounds = [0]
    with open(path, "rb") as f:
        position = range_size
        while position < size:
            f.seek(position)
            f.readline()
            position = f.tell()
            if position >= size:
                break
            bounds.append(position)
            position += range_size
    bounds.append(size)
    return list(zip(bounds, bounds[1:]))


def slim(policy: Policy) -> Policy:
    """The policy without its source document, to send to worker processes."""
    return dataclasses.replace(policy, document=None, issues=[])


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class Run:
    """One replay over several inputs. ``sink`` receives jsonl output in input order; ``progress``
    is called with (stored bytes done, stored bytes in total or None, events so far)."""

    def __init__(self, mode: str, policies: list[Policy], kube_version=None, jobs: int = 1,
                 sink: Callable[[bytes], None] | None = None, strict: bool = False,
                 progress: Callable[[int, int | None, int], None] | None = None):
        self.mode = mode
        self.policies = policies
        self.kube_version = kube_version
        self.jobs = max(1, jobs)
        self.sink = sink
        self.strict = strict
        self.progress = progress
        self.totals = Totals()
        self._local: Worker | None = None
        self._pool = None
        self._done_bytes = 0
        self._total_bytes: int | None = 0

    def replay(self, names: list[str]) -> Totals:
        sources: list[Source] = []
        try:
            for name in names:  # open every input first: a missing one fails before any output
                sources.append(open_input(name))
            sizes = [s.size for s in sources]
            self._total_bytes = None if None in sizes else sum(s or 0 for s in sizes)
            for source in sources:
                self.totals.files.setdefault(source.display, [0, 0])
                self._replay_source(source)
                self._done_bytes += source.size or 0
        finally:
            for source in sources:
                source.close()
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
        return self.totals

    def _replay_source(self, source: Source) -> None:
        if self._splittable(source):
            self._ordered(self._range_tasks(source), source)
            return
        pieces = split_lines(source.read)
        first = next(pieces, None)
        if first is None:
            return
        if is_whole_document(bytes(first[0])):
            data = bytes(first[0]) + b"".join(bytes(piece) for piece, _ in pieces)
            self._handle(self._worker().run_document(data, source.display), source, 0)
            return
        self._ordered(self._piece_tasks(source, itertools.chain((first,), pieces)), source)

    def _splittable(self, source: Source) -> bool:
        if self.jobs < 2 or source.compressed or source.size is None or source.size < PARALLEL_MIN_BYTES:
            return False
        with open(source.name, "rb") as f:
            head = f.read(1 << 16)
        return not is_whole_document(head)

    def _range_tasks(self, source: Source):
        for start, end in line_aligned_ranges(source.name, source.size or 0):
            yield _run_range, (source.name, start, end), end

    def _piece_tasks(self, source: Source, pieces: Iterator[tuple[Piece, int]]):
        """Pieces are handled here until the input proves large, then batched into pool tasks."""
        read, batch, batch_bytes = 0, [], 0
        for piece, lines in pieces:
            read += len(piece)
            if self.jobs < 2 or read <= PARALLEL_MIN_BYTES:
                yield None, [(piece, lines)], source.position()
                continue
            batch.append((bytes(piece), lines))
            batch_bytes += len(piece)
            if batch_bytes >= TASK_SIZE:
                yield _run_pieces, batch, source.position()
                batch, batch_bytes = [], 0
        if batch:
            yield _run_pieces, batch, source.position()

    def _ordered(self, tasks, source: Source) -> None:
        """Run tasks (here when the function is None, else in the pool) and handle results in order."""
        from collections import deque

        pending: deque = deque()
        line_base = 0
        for function, args, position in tasks:
            if function is None:
                while pending:
                    line_base = self._finish(pending.popleft(), source, line_base)
                result = self._worker().run_pieces(args, source.display)
                line_base = self._handle(result, source, line_base, position)
                continue
            pending.append((self._submit(function, args, source), position))
            while len(pending) > 2 * self.jobs:
                line_base = self._finish(pending.popleft(), source, line_base)
        while pending:
            line_base = self._finish(pending.popleft(), source, line_base)

    def _finish(self, item, source: Source, line_base: int) -> int:
        future, position = item
        return self._handle(future.result(), source, line_base, position)

    def _submit(self, function, args, source: Source):
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            method = "fork" if sys.platform == "linux" else "spawn"
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=multiprocessing.get_context(method),
                initializer=_init_process,
                initargs=(self.mode, [slim(p) for p in self.policies], self.kube_version),
            )
        if function is _run_pieces:
            return self._pool.submit(function, args, source.display)
        return self._pool.submit(function, *args)

    def _worker(self) -> Worker:
        if self._local is None:
            self._local = Worker(self.mode, self.policies, self.kube_version)
        return self._local

    def _handle(self, result: TaskResult, source: Source, line_base: int, position: int | None = None) -> int:
        totals = self.totals
        totals.events += result.events
        totals.files[source.display][0] += result.events
        for bad in result.bad:
            bad = dataclasses.replace(bad, line=bad.line + line_base)
            if self.strict:
                raise StrictError(bad)
            totals.add_bad(bad)
        totals.add_counts(result.counts)
        for group, example in result.examples.items():
            totals.examples.setdefault(group, example)
        if result.output and self.sink is not None:
            self.sink(result.output)
        if self.progress is not None:
            self.progress(self._done_bytes + (position if position is not None else source.position()),
                          self._total_bytes, totals.events)
        return line_base + result.lines


__all__ = ["Run", "Totals", "StrictError", "LogError", "SUMMARY", "JSONL", "COMPARE", "default_jobs"]
