#!/usr/bin/env python3
"""Replay engines side by side: the default engine against ``--engine duckdb`` on the same
generated log, for ``--format summary`` and ``--format jsonl`` (to a file), with events/s and peak
memory (of the command and, for the default engine, its worker processes together).

Every measurement runs the real command line in a fresh process, as benchmarks/bench_replay.py
does (its helpers measure wall time, CPU time and memory).

    python benchmarks/bench_engines.py                         # 2M and 10M events
    python benchmarks/bench_engines.py --events 2000000 --repeat 3
    python benchmarks/bench_engines.py --log big.jsonl --events 0
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_replay import DEFAULT_POLICY, ensure_log, median, replay_command, run  # noqa: E402

ENGINES = ("default", "duckdb")
FORMATS = ("summary", "jsonl")


def measure(policy: str, log: str, events: int, jobs: int, repeat: int) -> list[tuple]:
    rows = []
    for fmt in FORMATS:
        for engine in ENGINES:
            with tempfile.TemporaryDirectory(prefix="kal-bench-") as tmp:
                output = os.path.join(tmp, "out.jsonl") if fmt == "jsonl" else None
                command = replay_command(policy, log, fmt, jobs, output) + ["--engine", engine]
                result = median([run(command) for _ in range(repeat)])
            rows.append((events, fmt, engine, result))
            print(f"  {events:>12,}  {fmt:<8} {engine:<8} {events / result.wall:>12,.0f} ev/s  "
                  f"{result.wall:>7.1f} s  cpu {result.cpu:>7.1f} s  peak {result.peak_all_mb:>7.0f} MiB", file=sys.stderr)
    return rows


def table(rows: list[tuple]) -> str:
    lines = ["| events | format | default: events/s | duckdb: events/s | default: peak MiB | duckdb: peak MiB |",
             "|---:|---|---:|---:|---:|---:|"]
    by = {(n, fmt, engine): m for n, fmt, engine, m in rows}
    for n, fmt in dict.fromkeys((n, fmt) for n, fmt, _, _ in rows):
        d, k = by[(n, fmt, "default")], by[(n, fmt, "duckdb")]
        lines.append(f"| {n:,} | {fmt} | {n / d.wall:,.0f} | {n / k.wall:,.0f} | {d.peak_all_mb:,.0f} | {k.peak_all_mb:,.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, action="append", help="events to generate (repeatable; default 2M and 10M)")
    parser.add_argument("--log", help="an existing log instead of a generated one")
    parser.add_argument("--policy", default=DEFAULT_POLICY)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="--jobs of both engines (DuckDB threads)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = []
    for events in ([0] if args.log else args.events or [2_000_000, 10_000_000]):
        log = ensure_log(args.log, events, args.seed)
        if args.log:
            with open(log, "rb") as f:
                events = sum(1 for line in f if line.strip())
        rows += measure(args.policy, log, events, args.jobs, args.repeat)
    print(table(rows))


if __name__ == "__main__":
    main()
