"""Wall time of `kube-audit-lint lint` on one small policy, next to `python -c pass`.

pre-commit runs the linter on every commit: startup is most of its cost. Prints the median of
several runs of each command and their ratio.

    python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    executable = shutil.which("kube-audit-lint")
    lint = [executable] if executable else [sys.executable, "-m", "kube_audit_lint"]
    policy = str(REPO / "examples" / "audit-policy.yaml")
    baseline = median_seconds([sys.executable, "-c", "pass"], args.runs)
    version = median_seconds(lint + ["--version"], args.runs)
    linting = median_seconds(lint + ["lint", policy], args.runs)
    print(f"python -c pass                         median {baseline * 1000:7.1f} ms")
    print(f"kube-audit-lint --version              median {version * 1000:7.1f} ms")
    print(f"kube-audit-lint lint examples/audit-policy.yaml  median {linting * 1000:7.1f} ms  "
          f"({linting / baseline:.1f}x python -c pass)")
    print(f"runs: {args.runs} each; cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
