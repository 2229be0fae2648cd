#!/usr/bin/env python3
"""Peak memory of replay and filter on hostile inputs: a run of NUL bytes with no newline (a
crashed writer), a gzip bomb expanding to one huge line, a 50 MB line, a deeply nested event, and a
normal log for comparison. Each runs the real command in a fresh process; peak resident memory is
read from the process (VmHWM). Sizes are set with --size-mb (default 1024).

    python benchmarks/bench_memory.py --size-mb 1024
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench_replay import DEFAULT_POLICY, REPO, MemorySampler  # noqa: E402


def run(command: list[str]) -> tuple[float, float, int]:
    """Wall time, peak resident MB and exit code of a command (any exit code)."""
    import time

    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    sampler = MemorySampler(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    sampler.done.set()
    sampler.join()
    return time.perf_counter() - started, (sampler.peak_kb or usage.ru_maxrss) / 1024, os.waitstatus_to_exitcode(status)


def write_inputs(folder: str, size_mb: int) -> dict[str, str]:
    mib = 1 << 20
    paths = {}
    paths["NUL bytes, no newline"] = os.path.join(folder, "zeros.log")
    with open(paths["NUL bytes, no newline"], "wb") as f:
        block = b"\0" * (16 * mib)
        for _ in range(size_mb // 16):
            f.write(block)
    member = gzip.compress(b"x" * (64 * mib), compresslevel=9)
    paths["gzip bomb, one line"] = os.path.join(folder, "bomb.log.gz")
    with open(paths["gzip bomb, one line"], "wb") as f:
        for _ in range(max(1, size_mb // 64)):
            f.write(member)
    event = {"kind": "Event", "auditID": "a", "stage": "ResponseComplete", "verb": "get", "requestURI": "/x",
             "user": {"username": "u"}}
    paths["a 50 MB line among events"] = os.path.join(folder, "long-line.log")
    with open(paths["a 50 MB line among events"], "w") as f:
        f.write(json.dumps(event) + "\n")
        f.write(json.dumps(dict(event, requestObject={"data": "y" * (50 * mib)})) + "\n")
        f.write(json.dumps(event) + "\n")
    paths["an event nested 100,000 deep"] = os.path.join(folder, "deep.log")
    with open(paths["an event nested 100,000 deep"], "w") as f:
        f.write(json.dumps(event)[:-1] + ',"requestObject":' + "[" * 100_000 + "]" * 100_000 + "}\n")
    paths["a normal log, 200,000 events"] = os.path.join(folder, "normal.log")
    subprocess.run([sys.executable, os.path.join(HERE, "generate_log.py"), "--events", "200000", "-o",
                    paths["a normal log, 200,000 events"]], check=True)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args(argv)
    # the generated inputs are large (up to a GiB): they go when the run ends, however it ends
    with tempfile.TemporaryDirectory(prefix="kal-bench-memory-") as folder:
        paths = write_inputs(folder, args.size_mb)
        base = [sys.executable, "-m", "kube_audit_lint"]
        print(f"{'input':<32} {'command':<8} {'wall s':>8} {'peak MB':>8} {'exit':>5}")
        for name, path in paths.items():
            for command, extra in (("replay", ["replay", DEFAULT_POLICY, path, "--format", "json", "--jobs", "1",
                                               "--no-progress"]),
                                   ("filter", ["filter", DEFAULT_POLICY, path, "-o", os.devnull])):
                wall, peak, code = run(base + extra)  # exit 2: no event in it, as expected of the hostile ones
                print(f"{name:<32} {command:<8} {wall:>8.2f} {peak:>8.0f} {code:>5}")
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
