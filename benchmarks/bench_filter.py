#!/usr/bin/env python3
"""filter throughput next to replay's, in one run on the same log: events/s of
``filter POLICY LOG -o FILE``, ``replay --format jsonl -o FILE --jobs 1`` and
``replay --format summary --jobs 1`` (single process each: filter does not fan out), the ratios,
and the peak memory of each. Medians of ``--repeat`` runs, each in a fresh process.

    python benchmarks/bench_filter.py --events 300000
    python benchmarks/bench_filter.py --log big.jsonl --repeat 5
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench_replay import DEFAULT_POLICY, median, run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300_000, help="events of the generated log (default 300,000)")
    parser.add_argument("--log", help="an existing log instead of a generated one")
    parser.add_argument("--policy", default=DEFAULT_POLICY)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    # the generated inputs are large (up to a GiB): they go when the run ends, however it ends
    with tempfile.TemporaryDirectory(prefix="kal-bench-filter-") as work:
        log = args.log
        if log is None:
            log = os.path.join(work, "audit.jsonl")
            subprocess.run([sys.executable, os.path.join(HERE, "generate_log.py"), "--events", str(args.events),
                            "-o", log], check=True)
        with open(log, "rb") as f:
            events = sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))
        out = os.path.join(work, "out.jsonl")
        base = [sys.executable, "-m", "kube_audit_lint"]
        commands = {
            "filter": base + ["filter", args.policy, log, "-o", out],
            "replay jsonl": base + ["replay", args.policy, log, "--format", "jsonl", "-o", out, "--jobs", "1",
                                    "--no-progress"],
            "replay summary": base + ["replay", args.policy, log, "--jobs", "1", "--no-progress"],
        }
        results = {name: median([run(command) for _ in range(args.repeat)]) for name, command in commands.items()}
        print(f"{events:,} events ({os.path.getsize(log) / 1e6:,.0f} MB), {args.repeat} runs each, medians")
        print(f"{'command':<16} {'wall s':>8} {'CPU s':>8} {'events/s':>12} {'peak MB':>8}")
        for name, m in results.items():
            print(f"{name:<16} {m.wall:>8.2f} {m.cpu:>8.2f} {events / m.wall:>12,.0f} {m.peak_mb:>8.0f}")
        filter_wall = results["filter"].wall
        for name in ("replay jsonl", "replay summary"):
            print(f"filter / {name}: {filter_wall / results[name].wall:.2f}x the wall time")
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
