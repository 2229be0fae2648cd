"""Time of `kube-audit-lint lint` on one small policy, next to `python -c pass`.

pre-commit runs the linter on every commit: startup is most of its cost. Prints the median wall
and CPU time of several runs of each command (the commands take turns, so that a slow moment of a
shared machine falls on all of them) and each one's ratio to `python -c pass`.

Besides the lint itself it times what every lint pays before any of the project's code runs:
importing the CLI framework (typer) and the YAML parser (ruamel.yaml), and finding the plugins
(``importlib.metadata`` entry points). The lint's ratio cannot fall below that one's.

    python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

DEPENDENCIES = ("import typer, ruamel.yaml, importlib.metadata as m; "
                "m.entry_points(group='kube_audit_lint.checks')")


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    executable = shutil.which("kube-audit-lint")
    lint = [executable] if executable else [sys.executable, "-m", "kube_audit_lint"]
    policy = str(REPO / "examples" / "audit-policy.yaml")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import typer, ruamel.yaml; find plugins": [sys.executable, "-c", DEPENDENCIES],
        "kube-audit-lint --version": lint + ["--version"],
        "kube-audit-lint lint examples/audit-policy.yaml": lint + ["lint", policy],
    }
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for _ in range(args.runs):
        for label, command in commands.items():
            times[label].append(timed(command))
    base_wall = statistics.median(w for w, _ in times["python -c pass"])
    base_cpu = statistics.median(c for _, c in times["python -c pass"])
    print(f"{'command':50} {'wall ms':>8} {'ratio':>6} {'CPU ms':>8} {'ratio':>6}")
    for label, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{label:50} {wall * 1000:8.1f} {wall / base_wall:5.1f}x {cpu * 1000:8.1f} {cpu / base_cpu:5.1f}x")
    print(f"runs: {args.runs} each, taking turns; cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
