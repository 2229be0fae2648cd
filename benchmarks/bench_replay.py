#!/usr/bin/env python3
"""Replay throughput and memory: events/s for ``--format summary`` and ``--format jsonl`` (to a
file), next to a decode-only baseline on the same file in the same run, the ``--jobs 2`` speed-up
and peak memory.

The log is generated (deterministic, by seed) with one of generate_log.py's profiles: ``realistic``
(the default: a multi-tenant cluster with thousands of users, hundreds of namespaces, pods that
come and go, so that few requests repeat exactly) or ``cluster`` (a large cluster with few tenants).
The ratio reported is replay's time over the time of DECODE_ONLY, decoding every line whole with
msgspec, each in a fresh process on one core; DECODE_STRUCT (decoding only replay's fields) is shown
as the floor.

Every measurement runs the real command line in a fresh process (``python -m kube_audit_lint replay ...``)
and reads the process's wall time, CPU time and peak resident memory (``wait4``); each is repeated
and the median is reported. On a shared machine wall time varies with what else runs: CPU time
shows the cost of our code, wall time what a user waits.

    python benchmarks/bench_replay.py --events 2000000 --jobs 1   # generates /tmp/kal-bench-realistic-2000000.jsonl
    python benchmarks/bench_replay.py --events 2000000 --profile cluster   # /tmp/kal-bench-2000000.jsonl
    python benchmarks/bench_replay.py --log big.jsonl --repeat 5
    python benchmarks/bench_replay.py --events 10000000 --memory-only --stream   # generator piped into replay
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_POLICY = os.path.join(REPO, "examples", "audit-policy.yaml")

DECODE_ONLY = """
import sys, msgspec
decode = msgspec.json.Decoder().decode
events = 0
with open(sys.argv[1], "rb", buffering=0) as f:
    rest = b""
    while True:
        block = f.read(4 << 20)
        if not block:
            break
        lines = (rest + block).split(b"\\n")
        rest = lines.pop()
        for line in lines:
            if line:
                decode(line)
                events += 1
    if rest.strip():
        decode(rest)
        events += 1
print(events)
"""


# the floor: only the fields replay reads, into its own struct, one call per chunk
DECODE_STRUCT = """
import sys
from kube_audit_lint.replay.reading import ChunkDecoder, open_input, split_lines
decoder, events = ChunkDecoder(), 0
with open_input(sys.argv[1]) as source:
    for piece, lines in split_lines(source.read):
        events += len(decoder.decode(piece, 1, "").events)
print(events)
"""


@dataclass
class Measure:
    wall: float
    cpu: float
    peak_mb: float  # peak RSS of the command's process
    peak_all_mb: float  # largest memory (PSS) sampled over it and its workers together


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages (the workers' copy-on-write pages, shared memory) are
    divided among the processes that share them, so PSS adds up across a process tree."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return _status_kb(pid, "VmRSS:")


def _process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo += [int(child) for child in f.read().split()]
        except OSError:
            pass
    return pids


class MemorySampler(threading.Thread):
    """Samples a process's own peak RSS (VmHWM: ``ru_maxrss`` would also count the RSS this
    process had when it forked the command) and the memory of its whole tree (PSS), every 20 ms."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.peak_all_kb = pid, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak_kb = max(self.peak_kb, _status_kb(self.pid, "VmHWM:"))
            self.peak_all_kb = max(self.peak_all_kb, sum(_pss_kb(p) for p in _process_tree(self.pid)))


def run(command: list[str], stdin=None, stdout=subprocess.DEVNULL) -> Measure:
    """Run a command to completion: its wall time, CPU time (its workers included) and memory."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, cwd=REPO)
    sampler = MemorySampler(process.pid)
    sampler.start()
    error = process.stderr.read().decode() if process.stderr else ""  # until it exits (and never fills the pipe)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed ({os.waitstatus_to_exitcode(status)}): {' '.join(command)}\n{error}")
    peak = sampler.peak_kb or usage.ru_maxrss  # no /proc: fall back to ru_maxrss (an upper bound)
    return Measure(wall, usage.ru_utime + usage.ru_stime, peak / 1024, max(peak, sampler.peak_all_kb) / 1024)


def run_pair(command: list[str]) -> Measure:
    """Two copies of a command at once: how much parallel work the machine really allows now."""
    started = time.perf_counter()
    processes = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
                 for _ in range(2)]
    cpu = 0.0
    for process in processes:
        _, _, usage = os.wait4(process.pid, 0)
        cpu += usage.ru_utime + usage.ru_stime
    return Measure(time.perf_counter() - started, cpu, 0.0, 0.0)


def median(measures: list[Measure]) -> Measure:
    return Measure(statistics.median(m.wall for m in measures), statistics.median(m.cpu for m in measures),
                   max(m.peak_mb for m in measures), max(m.peak_all_mb for m in measures))


def replay_command(policy: str, log: str, fmt: str, jobs: int, output: str | None = None) -> list[str]:
    command = [sys.executable, "-m", "kube_audit_lint", "replay", policy, log, "--format", fmt, "--jobs", str(jobs),
               "--no-progress"]
    return command + (["--output", output] if output else [])


def shown(command: list[str]) -> str:
    """The command as a reader would type it (scripts given with -c are named, not printed)."""
    names = {DECODE_ONLY: "DECODE_ONLY", DECODE_STRUCT: "DECODE_STRUCT"}
    words = ["python" if c == sys.executable else f"<{names[c]} in benchmarks/bench_replay.py>" if c in names else c
             for c in command]
    return " ".join(os.path.relpath(c, REPO) if os.path.isabs(c) and c.startswith(REPO) else c for c in words)


def generator_command(events: int, seed: int, profile: str) -> list[str]:
    return [sys.executable, os.path.join(HERE, "generate_log.py"), "--events", str(events), "--seed", str(seed),
            "--profile", profile]


def ensure_log(path: str | None, events: int, seed: int, profile: str = "cluster") -> str:
    if path and os.path.exists(path):
        return path
    named = f"kal-bench-{events}.jsonl" if profile == "cluster" else f"kal-bench-{profile}-{events}.jsonl"
    path = path or os.path.join(tempfile.gettempdir(), named if seed == 1 else named.replace(".jsonl", f"-seed{seed}.jsonl"))
    if not os.path.exists(path):
        needed = events * 1000
        free = shutil.disk_usage(os.path.dirname(path)).free
        if free < needed * 1.2:
            raise SystemExit(f"not enough disk for {events:,} events at {path} ({free >> 30} GiB free); use --stream")
        print(f"generating {events:,} events into {path} ...", file=sys.stderr)
        subprocess.run(generator_command(events, seed, profile) + ["-o", path], check=True)
    return path


def ensure_gzip(log: str) -> str:
    zipped = log + ".gz"
    if not os.path.exists(zipped):
        import gzip

        print(f"compressing into {zipped} ...", file=sys.stderr)
        with open(log, "rb") as src, gzip.open(zipped, "wb", compresslevel=1) as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
    return zipped


def ensure_gzip_parts(log: str, count: int) -> list[str]:
    """The log cut into ``count`` gzip files at line ends, like rotated logs."""
    import gzip

    names = [f"{log}.part{i}.gz" for i in range(count)]
    if all(os.path.exists(n) for n in names):
        return names
    print(f"cutting into {count} gzip files ...", file=sys.stderr)
    size = os.path.getsize(log)
    with open(log, "rb") as src:
        for i, name in enumerate(names):
            end = size if i == count - 1 else (i + 1) * size // count
            with gzip.open(name, "wb", compresslevel=1) as dst:
                while src.tell() < end:
                    dst.write(src.readline() if end - src.tell() < (4 << 20) else src.read(4 << 20))
    return names


def count_lines(path: str) -> int:
    lines = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            lines += block.count(b"\n")
    return lines


def rate(events: int, seconds: float) -> str:
    return f"{events / seconds:>12,.0f}"


def row(name: str, events: int, m: Measure, command: str) -> dict:
    print(f"  {name:<36} {rate(events, m.wall)} {rate(events, m.cpu)} {m.wall:>8.2f} {m.cpu:>8.2f} "
          f"{m.peak_mb:>8.0f} {m.peak_all_mb:>9.0f}")
    return {"name": name, "events": events, "wall_s": round(m.wall, 3), "cpu_s": round(m.cpu, 3),
            "events_per_s_wall": round(events / m.wall), "events_per_s_cpu": round(events / m.cpu),
            "peak_rss_mb": round(m.peak_mb, 1), "peak_rss_all_processes_mb": round(m.peak_all_mb, 1),
            "command": command}


def benchmark(args) -> dict:
    log = ensure_log(args.log, args.events, args.seed, args.profile)
    events = count_lines(log)
    size = os.path.getsize(log)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    generated = "" if args.log else f" (generate_log.py --profile {args.profile} --seed {args.seed})"
    print(f"log: {log}{generated}: {events:,} events, {size / 2**20:,.0f} MiB ({size / events:.0f} bytes/event); "
          f"policy: {os.path.relpath(args.policy, REPO)}; cores: {os.cpu_count()}; load before: {load:.2f}; "
          f"median of {args.repeat}")
    print(f"  {'measure':<36} {'events/s wall':>12} {'events/s CPU':>12} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} "
          f"{'with workers':>9}")
    results = []
    out_dir = tempfile.mkdtemp(prefix="kal-bench-")
    try:
        cases = [("decode-only (msgspec, dicts)", [sys.executable, "-c", DECODE_ONLY, log]),
                 ("decode-only (replay's event struct)", [sys.executable, "-c", DECODE_STRUCT, log])]
        for jobs in args.jobs:
            cases.append((f"replay summary --jobs {jobs}", replay_command(args.policy, log, "summary", jobs)))
            cases.append((f"replay jsonl to file --jobs {jobs}",
                          replay_command(args.policy, log, "jsonl", jobs, os.path.join(out_dir, "out.jsonl"))))
            cases.append((f"replay jsonl to /dev/null --jobs {jobs}", replay_command(args.policy, log, "jsonl", jobs, os.devnull)))
        if args.gzip:
            zipped = ensure_gzip(log)
            parts = ensure_gzip_parts(log, 4)
            for jobs in args.jobs:
                cases.append((f"replay summary gzip --jobs {jobs}", replay_command(args.policy, zipped, "summary", jobs)))
            for jobs in args.jobs:
                command = replay_command(args.policy, parts[0], "summary", jobs)
                cases.append((f"replay summary 4 gzip files --jobs {jobs}", command[:6] + parts[1:] + command[6:]))
        pair_name, pair_command = "two summary --jobs 1 at once", replay_command(args.policy, log, "summary", 1)
        measures: dict[str, list[Measure]] = {name: [] for name, _ in cases}
        measures[pair_name] = []
        for _ in range(args.repeat):  # interleaved, so that a busy spell hits every case alike
            for name, command in cases:
                measures[name].append(run(command))
            if 2 in args.jobs:
                measures[pair_name].append(run_pair(pair_command))
        for name, command in cases:
            results.append(row(name, events, median(measures[name]), shown(command)))
        if measures[pair_name]:
            results.append(row(pair_name, 2 * events, median(measures[pair_name]), "(two at once) " + shown(pair_command)))
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    print("\n  commands:")
    for r in results:
        print(f"    {r['name']}: {r['command']}")
    by_name = {r["name"]: r for r in results}
    base = by_name["decode-only (msgspec, dicts)"]
    summary: dict = {"log": log, "profile": None if args.log else args.profile, "events": events, "bytes": size,
                     "repeat": args.repeat, "load_before": round(load, 2), "results": results}
    print()
    pair = by_name.get("two summary --jobs 1 at once")
    if pair is not None:
        ceiling = 2 * by_name["replay summary --jobs 1"]["wall_s"] / pair["wall_s"]
        print(f"  the machine's ceiling now (two independent replays at once vs one): {ceiling:.2f}x")
        summary["parallel_ceiling"] = round(ceiling, 2)
    print("  ratios: replay's time over the decode-only baseline's (DECODE_ONLY: every line decoded whole by msgspec),"
          " both whole processes")
    for fmt in ("summary", "jsonl to file", "jsonl to /dev/null", "summary gzip", "summary 4 gzip files"):
        one = by_name.get(f"replay {fmt} --jobs 1")
        if one is None:
            continue
        key = fmt.replace(" to file", "").replace(" to /dev/null", "_devnull").replace(" ", "_")
        if "gzip" not in fmt:  # the baseline reads the plain file
            ratio_wall, ratio_cpu = one["wall_s"] / base["wall_s"], one["cpu_s"] / base["cpu_s"]
            print(f"  replay {fmt} --jobs 1 / decode-only time: {ratio_wall:.2f}x wall, {ratio_cpu:.2f}x CPU "
                  f"({one['events_per_s_wall']:,} events/s wall, {one['events_per_s_cpu']:,} events/s CPU)")
            summary[f"ratio_{key}_to_decode"] = {"wall": round(ratio_wall, 2), "cpu": round(ratio_cpu, 2)}
        two = by_name.get(f"replay {fmt} --jobs 2")
        if two is not None:
            speedup = one["wall_s"] / two["wall_s"]
            print(f"  replay {fmt} --jobs 2 speed-up: {speedup:.2f}x (wall)")
            summary[f"speedup_{key}_jobs2"] = round(speedup, 2)
    return summary


def memory_only(args) -> dict:
    """Peak memory of a summary replay of ``--events`` generated events, read from a file or piped
    from the generator (``--stream``, when the log would not fit on disk)."""
    if args.stream:
        generator = subprocess.Popen(generator_command(args.events, args.seed, args.profile), stdout=subprocess.PIPE)
        command = replay_command(args.policy, "-", "summary", 1)
        measure = run(command, stdin=generator.stdout)
        generator.wait()
        shown_command = (f"python benchmarks/generate_log.py --events {args.events} --profile {args.profile} | "
                         f"{shown(command)}")
    else:
        log = ensure_log(args.log, args.events, args.seed, args.profile)
        command = replay_command(args.policy, log, "summary", 1)
        measure = run(command)
        shown_command = shown(command)
    print(f"{args.events:,} events ({'piped from the generator' if args.stream else 'from a file'}): "
          f"peak RSS {measure.peak_mb:.0f} MB, wall {measure.wall:.1f} s, CPU {measure.cpu:.1f} s")
    print(f"  {shown_command}")
    return {"events": args.events, "stream": args.stream, "peak_rss_mb": round(measure.peak_mb, 1),
            "wall_s": round(measure.wall, 2), "cpu_s": round(measure.cpu, 2), "command": shown_command}



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000_000, help="events to generate (default 2,000,000)")
    parser.add_argument("--log", help="an existing log to use (generated there if missing)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", choices=("realistic", "cluster"), default="realistic",
                        help="the generated log's traffic (generate_log.py --profile; default realistic)")
    parser.add_argument("--policy", default=DEFAULT_POLICY, help="policy to replay (default examples/audit-policy.yaml)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to measure (default 1 2)")
    parser.add_argument("--gzip", action="store_true", help="also replay a gzip copy of the log (summary)")
    parser.add_argument("--memory-only", action="store_true", help="only the peak memory of one summary replay")
    parser.add_argument("--stream", action="store_true", help="with --memory-only: pipe the generator into replay")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    args.policy = os.path.abspath(args.policy)
    result = memory_only(args) if args.memory_only else benchmark(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
