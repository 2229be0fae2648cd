"""Driving a replay over the inputs: in this process, or spread over worker processes.

The work is a sequence of tasks in input order:

- a byte range of a large plain file, which a worker reads itself (several plain files that are
  large together are spread the same way);
- a whole compressed file, when there are several: a worker decompresses and replays it (its jsonl
  output goes through a temporary file, so memory stays flat);
- a block of lines this process read, from one compressed file or stdin, which cannot be split
  without reading them. The block goes to a worker through shared memory (through a pipe where
  there is none); this process keeps a core for the reading.

Small inputs are replayed here, with no worker at all. Results are taken in task order, so the
jsonl output keeps the input order and line numbers are fixed up from the line counts of the tasks
before; only a few tasks are in flight at a time, which keeps memory flat.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from kube_audit_lint.interrupts import Interrupted, Terminated
from kube_audit_lint.policy.model import Policy
from kube_audit_lint.replay.formats import RAW, VIAQ, is_viaq
from kube_audit_lint.replay.reading import (
    DOCUMENT_FACTOR, MAX_EVENT_SIZE, BadLine, ChunkDecoder, Decoded, LogError, Oversized, Piece, Source,
    is_whole_document, line_count, open_input, read_range, split_lines,
)
from kube_audit_lint.replay.tally import CompareTally, CostTally, JsonlTally, PolicyView, SummaryTally

SUMMARY, JSONL, COMPARE, COST = "summary", "jsonl", "compare", "cost"  # cost: the summary with sizes and times
RANGE_SIZE = 32 << 20  # bytes of a plain file per task
TASK_SIZE = 16 << 20  # bytes of read input per task
LOCAL_TASK_SIZE = 4 << 20  # bytes of a file per task replayed in this process (its chunks are decoded one by one)
PARALLEL_MIN_BYTES = 48 << 20  # below this, worker processes cost more than they save
BAD_LINES_KEPT = 1000
COPY_SIZE = 4 << 20


class StrictError(Exception):
    """A bad line under --strict."""

    def __init__(self, bad: BadLine):
        super().__init__(bad.render())
        self.bad = bad


@dataclass
class Reading:
    """How a run reads its inputs: ``only`` a format (--input-format), lines up to ``max_size``."""

    only: str | None = None
    max_size: int = MAX_EVENT_SIZE
    limits: tuple[int, ...] = ()  # sink size limits whose oversized events mode COST counts


@dataclass
class FileCount:
    events: int = 0
    bad_lines: int = 0
    cut: bool = False  # the input ends inside an event (a cut stream or last line)
    formats: dict[str, int] = field(default_factory=dict)

    def to_dict(self, path: str) -> dict:
        return {"path": path, "events": self.events, "badLines": self.bad_lines,
                "formats": dict(sorted(self.formats.items())),
                "truncatedAfter": self.events if self.cut else None}


@dataclass
class Totals:
    """Everything counted over a run; partial totals of tasks add up into it."""

    counts: dict[tuple, list] = field(default_factory=dict)  # cell key -> numbers (see tally)
    examples: dict[tuple, dict] = field(default_factory=dict)
    events: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)
    bad_line_count: int = 0
    files: dict[str, FileCount] = field(default_factory=dict)
    formats: dict[str, dict] = field(default_factory=dict)  # format -> {"events", "skipped", "truncated"}
    span: tuple[str, str] | None = None  # the earliest and latest event times (modes COST and COMPARE)

    def add_span(self, span: tuple[str, str] | None) -> None:
        if span is not None:
            self.span = span if self.span is None else (min(self.span[0], span[0]), max(self.span[1], span[1]))

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
        self.files[bad.source].bad_lines += 1
        if len(self.bad_lines) < BAD_LINES_KEPT:
            self.bad_lines.append(bad)

    def format_entry(self, fmt: str) -> dict:
        entry = self.formats.get(fmt)
        if entry is None:
            entry = self.formats[fmt] = {"events": 0, "skipped": {}, "truncated": 0}
        return entry

    def add_formats(self, name: str, result: "TaskResult | Decoded") -> None:
        file = self.files[name]
        for fmt, n in result.formats.items():
            self.format_entry(fmt)["events"] += n
            file.formats[fmt] = file.formats.get(fmt, 0) + n
        for (fmt, reason), n in result.skipped.items():
            skipped = self.format_entry(fmt)["skipped"]
            skipped[reason] = skipped.get(reason, 0) + n
        for fmt, n in result.truncated.items():
            self.format_entry(fmt)["truncated"] += n

    def formats_dict(self) -> dict:
        """Per format: events read, records skipped by reason, events cut by the sink yet decided."""
        return {fmt: {"events": e["events"], "skipped": dict(sorted(e["skipped"].items())),
                      "truncated": e["truncated"]}
                for fmt, e in sorted(self.formats.items())}


@dataclass
class TaskResult:
    events: int
    lines: int
    bad: list[BadLine]  # line numbers relative to the task's first line (1-based)
    output: bytes | None  # jsonl lines, or
    output_path: str | None  # a file holding them (whole-file tasks)
    counts: dict[tuple, tuple]
    examples: dict[tuple, dict]
    formats: dict[str, int] = field(default_factory=dict)
    skipped: dict[tuple[str, str], int] = field(default_factory=dict)
    truncated: dict[str, int] = field(default_factory=dict)
    cut: bool = False
    span: tuple[str, str] | None = None


class Worker:
    """Decodes lines and counts them with the tally of the run's mode (also in worker processes)."""

    def __init__(self, mode: str, policies: list[Policy], kube_version: tuple[int, int] | None,
                 reading: Reading | None = None):
        self.mode = mode
        self.reading = reading or Reading()
        views = [PolicyView(p, kube_version) for p in policies]
        self.sized = mode in (COMPARE, COST)
        self.decoder = ChunkDecoder(sized=self.sized, only=self.reading.only, max_size=self.reading.max_size)
        if mode == COST:
            self.tally = CostTally(views[0], self.reading.limits)
        elif mode == COMPARE:
            self.tally = CompareTally(views[1], views[0])  # policies: [new, old]
        elif mode == JSONL:
            self.tally = JsonlTally(views[0])
        else:
            self.tally = SummaryTally(views[0])

    def feed(self, decoded: Decoded) -> bytes | None:
        if self.mode == JSONL:
            return self.tally.lines(decoded.events)
        if self.sized:
            self.tally.count_sized(decoded.events, decoded.sizes)
        else:
            self.tally.count(decoded.events)
        return None

    def run_pieces(self, pieces: Iterable[tuple[Piece | Oversized, int]], source: str, out: BinaryIO | None = None,
                   label: str | None = None) -> TaskResult:
        """The pieces (whole lines, line count) of one task; line numbers count from its start.
        The jsonl output is returned, or written to ``out``. ``label`` is the format of the
        input's plain event lines (raw or viaq), found from the first piece when not given."""
        result = self._result(0, 0, [], [])
        output = []
        for piece, piece_lines in pieces:
            if label is None:
                label = line_label(piece)
            decoded = self.decoder.decode(piece, result.lines + 1, source, label)
            result.lines += piece_lines
            self._add(result, decoded)
            written = self.feed(decoded)
            if written:
                if out is None:
                    output.append(written)
                else:
                    out.write(written)
        self._finish(result, output)
        return result

    def run_document(self, data: bytes, source: str) -> TaskResult:
        decoded = self.decoder.decode_document(data, source, line_label(data))
        written = self.feed(decoded)
        result = self._result(0, line_count(data), [], [])
        self._add(result, decoded)
        self._finish(result, [written] if written else [])
        return result

    def run_source(self, source: Source, out: BinaryIO | None = None) -> TaskResult:
        """A whole input: JSON lines, or one JSON document."""
        pieces = split_lines(source.read, max_size=self.reading.max_size)
        first = next(pieces, None)
        if first is not None and type(first[0]) is not Oversized and is_whole_document(bytes(first[0])):
            data = read_document(source, first[0], pieces, self.reading.max_size)
            result = self.run_document(data, source.display) if data is not None else \
                self._oversized_document(source.display)
            if out is not None and result.output:
                out.write(result.output)
                result.output = None
        else:
            result = self.run_pieces(itertools.chain((first,) if first else (), pieces), source.display, out)
        result.cut = result.cut or source.cut
        return result

    def _oversized_document(self, source: str) -> TaskResult:
        decoded = self.decoder.oversized(Oversized(self.reading.max_size * DOCUMENT_FACTOR), 1, source, "raw")
        decoded.bad[0] = dataclasses.replace(decoded.bad[0], message=(
            f"oversized document: a JSON document over {DOCUMENT_FACTOR} times the maximum event size "
            f"({self.reading.max_size * DOCUMENT_FACTOR:,} bytes; --max-event-size); skipped: give it as JSON "
            "lines (e.g. jq -c '.items[]' or '.events[]'), which are read with flat memory"))
        result = self._result(0, 1, [], [])
        self._add(result, decoded)
        self._finish(result, [])
        return result

    @staticmethod
    def _add(result: TaskResult, decoded: Decoded) -> None:
        result.events += len(decoded.events)
        result.bad += decoded.bad
        for fmt, n in decoded.formats.items():
            result.formats[fmt] = result.formats.get(fmt, 0) + n
        for key, n in decoded.skipped.items():
            result.skipped[key] = result.skipped.get(key, 0) + n
        for fmt, n in decoded.truncated.items():
            result.truncated[fmt] = result.truncated.get(fmt, 0) + n
        result.cut = result.cut or decoded.cut

    def _result(self, events, lines, bad, output) -> TaskResult:
        return TaskResult(events, lines, bad, None, None, {}, {})

    def _finish(self, result: TaskResult, output: list) -> None:
        result.examples = self.tally.take_examples() if self.mode == COMPARE else {}
        result.output = b"".join(output) if output else None
        result.counts = self.tally.take_counts()
        result.span = self.tally.take_span()


def line_label(piece) -> str:
    """The format of an input's plain event lines: ``viaq`` when its first line is a ViaQ record."""
    if type(piece) is Oversized:
        return RAW
    return VIAQ if is_viaq(piece) else RAW


def read_document(source: Source, first: Piece, pieces, max_size: int) -> bytes | None:
    """The rest of a whole-document input, or None when it is larger than a document may be."""
    limit = max_size * DOCUMENT_FACTOR
    parts, size = [bytes(first)], len(first)
    for piece, _ in pieces:
        if type(piece) is Oversized:
            size += piece.size
        else:
            parts.append(bytes(piece))
            size += len(piece)
        if size > limit:
            for _ in pieces:  # read to the end (the input is skipped, not left half-read)
                pass
            return None
    return b"".join(parts)


# --- in worker processes ---------------------------------------------------------------------------

_process_worker: Worker | None = None  # one per process, for the whole run: its caches stay warm
_inherited_blocks: list | None = None  # the parent's SharedBlocks maps, inherited when it forked us
_output_dirs: set[str] = set()  # where this worker wrote jsonl output for the parent to copy


def _init_process(mode: str, policies: list[Policy], kube_version, reading: Reading | None = None) -> None:
    global _process_worker
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: no worker tracebacks
    _exit_with_parent(os.getppid())
    _process_worker = Worker(mode, policies, kube_version, reading)


def _exit_with_parent(parent: int) -> None:
    """End this worker when the replay that started it is gone (killed, or ended by SIGPIPE under
    ``| head``): nothing else would, and it would wait for work forever. The parent can no longer
    remove the jsonl output it had not copied yet, so the worker does."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        for directory in list(_output_dirs):
            shutil.rmtree(directory, ignore_errors=True)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _run_range(path: str, start: int, end: int, output_dir: str | None, label: str) -> TaskResult:
    assert _process_worker is not None
    max_size = _process_worker.reading.max_size
    with open(path, "rb") as f, _output_file(output_dir) as out:
        result = _process_worker.run_pieces(split_lines(read_range(f, start, end), max_size=max_size), path, out,
                                            label)
    if out is not None:
        result.output_path = out.name
    return result


def _run_pieces(pieces: list[tuple[bytes, int]], source: str, label: str) -> TaskResult:
    assert _process_worker is not None
    return _process_worker.run_pieces(pieces, source, label=label)


def _share_blocks(maps: list | None) -> None:
    global _inherited_blocks
    _inherited_blocks = maps


def _run_shared(index: int, length: int, lines: int, source: str, label: str) -> TaskResult:
    """Decode a block the parent filled (of whole lines), a chunk at a time."""
    assert _process_worker is not None and _inherited_blocks is not None
    view = memoryview(_inherited_blocks[index])[:length]
    try:
        pieces = split_lines(_view_reader(view), max_size=_process_worker.reading.max_size)
        return _process_worker.run_pieces(pieces, source, label=label)
    finally:
        view.release()


def _view_reader(view: memoryview) -> Callable[[int], bytes]:
    """A ``read`` for split_lines over a block of memory."""
    position = 0

    def read(size: int) -> bytes:
        nonlocal position
        block = bytes(view[position:position + size])
        position += len(block)
        return block

    return read


def _run_file(path: str, output_dir: str | None) -> TaskResult:
    assert _process_worker is not None
    with open_input(path) as source, _output_file(output_dir) as out:
        result = _process_worker.run_source(source, out)
    if out is not None:
        result.output_path = out.name
    return result


def _output_file(output_dir: str | None):
    """Where a worker writes its jsonl output: a file the parent copies in order (cheaper than
    sending it back through a pipe), or nowhere when the mode has no per-event output."""
    if output_dir is None:
        return contextlib.nullcontext()
    _output_dirs.add(output_dir)
    return tempfile.NamedTemporaryFile(dir=output_dir, suffix=".jsonl", delete=False)


# --- in this process ---------------------------------------------------------------------------------

def line_aligned_ranges(path: str, size: int, range_size: int | None = None) -> list[tuple[int, int]]:
    """Cut a file into ranges of about ``range_size`` bytes that start right after a newline."""
    range_size = range_size or RANGE_SIZE
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


@dataclass
class Task:
    """One unit of work, in input order."""

    source: Source
    function: Callable[..., TaskResult]
    args: tuple
    in_pool: bool
    progress: int  # stored bytes of all inputs read once this task was cut
    limit: int = 1  # at most this many tasks in the pool while tasks like this one flow
    release: Callable[[], None] | None = None  # once its result is handled (frees a shared block)


class SharedBlocks:
    """Blocks of memory shared with the worker processes (an anonymous shared mapping, which forked
    workers inherit): this process fills them with whole lines of decompressed input and workers
    decode them in place, so that the input reaches them without pickling and pipe copies. Having
    no name, the blocks need no cleanup, whatever way the processes end."""

    def __init__(self, count: int, size: int):
        import mmap

        self.size = size
        self.maps = [mmap.mmap(-1, size) for _ in range(count)]
        self.free = list(range(count))

    @staticmethod
    def usable(method: str) -> bool:
        return method == "fork"  # other start methods do not inherit the mapping

    def take(self) -> int:
        return self.free.pop()

    def give_back(self, index: int) -> None:
        self.free.append(index)

    def close(self) -> None:
        for block in self.maps:
            block.close()
        self.maps = []


class Run:
    """One replay over several inputs. ``sink`` receives jsonl output in input order, and
    ``sink_file`` (if given) whole files of it, which it may copy more cheaply than by reading them;
    ``progress`` is called with (stored bytes done, stored bytes in total or None, events so far)."""

    def __init__(self, mode: str, policies: list[Policy], kube_version=None, jobs: int = 1,
                 sink: Callable[[bytes], None] | None = None, strict: bool = False,
                 progress: Callable[[int, int | None, int], None] | None = None,
                 sink_file: Callable[[str], None] | None = None, reading: Reading | None = None):
        self.mode = mode
        self.reading = reading or Reading()
        self.policies = policies
        self.kube_version = kube_version
        self.jobs = max(1, jobs)
        self.sink = sink
        self.sink_file = sink_file
        self.strict = strict
        self.progress = progress
        self.totals = Totals()
        self.command = "replay"  # what an interrupt message calls the run
        self._current: str | None = None  # the input whose events were counted last
        self._local: Worker | None = None
        self._pool = None
        self._blocks: SharedBlocks | None = None
        self._output_dir: str | None = None
        self._total_bytes: int | None = 0
        self._lines_done: dict[Source, int] = {}  # lines of each input handled so far
        self._reads_here = False  # some input is read by this process (gzip, stdin): blocks needed

    def replay(self, names: list[str]) -> Totals:
        sources: list[Source] = []
        try:
            for name in names:  # open every input first: a missing one fails before any output
                sources.append(open_input(name))
            sizes = [s.size for s in sources]
            self._total_bytes = None if None in sizes else sum(s or 0 for s in sizes)
            self._reads_here = any(s.compressed or s.size is None for s in sources)
            self._ordered(self._tasks(sources))
        except (KeyboardInterrupt, Terminated) as exc:
            self._stop_workers()
            raise Interrupted(exc, f"{self.command} interrupted after {self.totals.events:,} events in "
                                   f"{self._current or (sources[-1].display if sources else 'its input')}",
                              self.totals) from None
        finally:
            for source in sources:
                source.close()
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
            if self._blocks is not None:
                _share_blocks(None)
                self._blocks.close()
            if self._output_dir is not None:
                shutil.rmtree(self._output_dir, ignore_errors=True)
        return self.totals

    # --- cutting the inputs into tasks -----------------------------------------------------------------

    def _tasks(self, sources: list[Source]) -> Iterator[Task]:
        files = [s for s in sources if s.size is not None]
        plain_bytes = sum(s.size or 0 for s in files if not s.compressed)
        compressed_files = sum(1 for s in files if s.compressed)
        before = 0
        for source in sources:
            self.totals.files.setdefault(source.display, FileCount())
            if self.jobs > 1 and source.compressed and source.size is not None and compressed_files > 1:
                yield Task(source, _run_file, (source.name, self._jsonl_dir()), True, before + source.size,
                           limit=2 * self.jobs)
            elif self.jobs > 1 and not source.compressed and source.size and plain_bytes >= PARALLEL_MIN_BYTES \
                    and self._lines_file(source):
                label = self._label_of_file(source)
                for start, end in line_aligned_ranges(source.name, source.size):
                    yield Task(source, _run_range, (source.name, start, end, self._jsonl_dir(), label), True, before + end,
                               limit=2 * self.jobs)
            else:
                yield from self._read_here(source, before)
            before += source.size or 0

    def _lines_file(self, source: Source) -> bool:
        with open(source.name, "rb") as f:
            return not is_whole_document(f.read(1 << 16))

    def _label_of_file(self, source: Source) -> str:
        with open(source.name, "rb") as f:
            return line_label(f.read(1 << 16))

    def _mark_cut(self, name: str, lines: int) -> None:
        self.totals.files[name].cut = True
        if self.strict:
            events = self.totals.files[name].events
            raise StrictError(BadLine(name, lines, f"the log ends inside an event: truncated after {events:,} events"))

    def _jsonl_dir(self) -> str | None:
        if self.mode != JSONL:
            return None
        if self._output_dir is None:
            self._output_dir = tempfile.mkdtemp(prefix="kube-audit-lint-")
        return self._output_dir

    def _read_here(self, source: Source, before: int) -> Iterator[Task]:
        """Read the input here: replay it here too while it is small, then hand blocks to workers
        (keeping a core for decompressing)."""
        yield from self._read_pieces_here(source, before)
        if source.cut:
            yield Task(source, self._cut_result, (), False, before + source.position())

    def _cut_result(self) -> TaskResult:
        return TaskResult(0, 0, [], None, None, {}, {}, cut=True)

    def _read_pieces_here(self, source: Source, before: int) -> Iterator[Task]:
        local = self._worker()
        max_size = self.reading.max_size
        pieces = split_lines(source.read, max_size=max_size)
        first = next(pieces, None)
        if first is None:
            return
        if type(first[0]) is not Oversized and is_whole_document(bytes(first[0])):
            data = read_document(source, first[0], pieces, max_size)
            if data is None:
                yield Task(source, local._oversized_document, (source.display,), False, before + source.position())
            else:
                yield Task(source, local.run_document, (data, source.display), False, before + source.position())
            return
        label = line_label(first[0])
        read = 0
        pieces = itertools.chain((first,), pieces)
        # a file's chunks in tasks of several (each task's counts are taken once); a pipe's one by one, so
        # that the output keeps up with a log still being written
        batch, batch_bytes, batch_limit = [], 0, LOCAL_TASK_SIZE if source.size is not None else 0
        for piece, lines in pieces:
            batch.append((piece, lines))
            batch_bytes += len(piece)
            read += len(piece)
            parallel = self.jobs > 1 and read > PARALLEL_MIN_BYTES
            if batch_bytes >= batch_limit or parallel:
                yield Task(source, local.run_pieces, (batch, source.display, None, label), False,
                           before + source.position())
                batch, batch_bytes = [], 0
            if parallel:
                break
        else:
            if batch:
                yield Task(source, local.run_pieces, (batch, source.display, None, label), False,
                           before + source.position())
            return
        feeding = max(1, self.jobs - 1) if source.compressed else self.jobs  # decompressing takes a core
        self._pool_for_run()
        blocks = self._blocks
        cut = self._piped_tasks if blocks is None else self._block_tasks
        for task in cut(source, pieces, blocks, label):
            task.progress += before
            task.limit = feeding
            yield task

    def _block_tasks(self, source: Source, pieces, blocks: SharedBlocks, label: str) -> Iterator[Task]:
        # there is a block more than the tasks that may be pending (their limit), so one is free
        index, filled, lines_in = blocks.take(), 0, 0
        for piece, lines in pieces:
            if filled + len(piece) > blocks.size and filled:
                yield self._block_task(source, blocks, index, filled, lines_in, label)
                index, filled, lines_in = blocks.take(), 0, 0
            if type(piece) is Oversized or len(piece) > blocks.size:  # a line longer than a block
                if filled:
                    yield self._block_task(source, blocks, index, filled, lines_in, label)
                    index, filled, lines_in = blocks.take(), 0, 0
                yield Task(source, self._worker().run_pieces, ([(piece, lines)], source.display, None, label), False,
                           source.position())
                continue
            blocks.maps[index][filled:filled + len(piece)] = piece
            filled += len(piece)
            lines_in += lines
        if filled:
            yield self._block_task(source, blocks, index, filled, lines_in, label)
        else:
            blocks.give_back(index)

    def _block_task(self, source: Source, blocks: SharedBlocks, index: int, filled: int, lines: int,
                    label: str) -> Task:
        return Task(source, _run_shared, (index, filled, lines, source.display, label), True, source.position(),
                    release=lambda: blocks.give_back(index))

    def _piped_tasks(self, source: Source, pieces, _blocks, label: str) -> Iterator[Task]:
        batch, batch_bytes = [], 0
        for piece, lines in pieces:
            batch.append((piece if type(piece) is Oversized else bytes(piece), lines))
            batch_bytes += len(piece)
            if batch_bytes >= TASK_SIZE:
                yield Task(source, _run_pieces, (batch, source.display, label), True, source.position())
                batch, batch_bytes = [], 0
        if batch:
            yield Task(source, _run_pieces, (batch, source.display, label), True, source.position())

    # --- running them in order ----------------------------------------------------------------------

    def _ordered(self, tasks: Iterator[Task]) -> None:
        """Run the tasks and handle their results in task order."""
        pending: deque = deque()
        for task in tasks:
            if not task.in_pool:
                while pending:
                    self._finish(*pending.popleft())
                self._handle(task.function(*task.args), task)
                continue
            pending.append((self._pool_for_run().submit(task.function, *task.args), task))
            while len(pending) > task.limit:
                self._finish(*pending.popleft())
        while pending:
            self._finish(*pending.popleft())

    def _finish(self, future, task: Task) -> None:
        self._handle(future.result(), task)
        if task.release is not None:
            task.release()

    def _stop_workers(self) -> None:
        """End the worker processes now (an interrupt): no worker outlives the run."""
        if self._pool is None:
            return
        processes = list(getattr(self._pool, "_processes", {}).values())
        for process in processes:
            process.terminate()
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(5)
        self._pool = None

    def _pool_for_run(self):
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            method = "fork" if sys.platform == "linux" else "spawn"
            if self._reads_here and SharedBlocks.usable(method):
                # made before any worker exists, so that every worker inherits them
                self._blocks = SharedBlocks(self.jobs + 1, TASK_SIZE)
                _share_blocks(self._blocks.maps)
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=multiprocessing.get_context(method),
                initializer=_init_process,
                initargs=(self.mode, [slim(p) for p in self.policies], self.kube_version, self.reading),
            )
        return self._pool

    def _worker(self) -> Worker:
        if self._local is None:
            self._local = Worker(self.mode, self.policies, self.kube_version, self.reading)
        return self._local

    def _handle(self, result: TaskResult, task: Task) -> None:
        totals, name = self.totals, task.source.display
        self._current = name
        line_base = self._lines_done.get(task.source, 0)
        totals.events += result.events
        totals.files[name].events += result.events
        for bad in result.bad:
            bad = dataclasses.replace(bad, line=bad.line + line_base)
            if self.strict:
                raise StrictError(bad)
            totals.add_bad(bad)
        self._lines_done[task.source] = line_base + result.lines
        totals.add_formats(name, result)
        totals.add_counts(result.counts)
        totals.add_span(result.span)
        for group, example in result.examples.items():
            totals.examples.setdefault(group, example)
        if self.sink is not None:
            self._pass_output(result)
        if result.cut:
            self._mark_cut(name, line_base + result.lines)
        if self.progress is not None:
            self.progress(task.progress, self._total_bytes, totals.events)

    def _pass_output(self, result: TaskResult) -> None:
        if result.output:
            self.sink(result.output)
        if result.output_path:
            if self.sink_file is not None:
                self.sink_file(result.output_path)
            else:
                with open(result.output_path, "rb") as f:
                    for block in iter(lambda: f.read(COPY_SIZE), b""):
                        self.sink(block)
            os.unlink(result.output_path)


__all__ = ["Run", "Reading", "Totals", "StrictError", "LogError", "SUMMARY", "JSONL", "COMPARE", "COST", "default_jobs"]
