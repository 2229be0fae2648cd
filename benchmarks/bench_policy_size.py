"""How lint time grows with the size of a policy and with the number of policy documents in a file.

Generates (deterministically, seed 1) policies of 100, 500, 1,000 and 2,000 rules in the style of
real ones (users and groups of the control plane and of teams, namespaces, resources of the core
and other API groups, resource names, non-resource URLs, every level), and files of 100, 200 and
400 small policy documents; lints each in a fresh process (``python -m kube_audit_lint lint``, every
check, the recommended baseline) and prints the median wall time of several runs and the ratios
2000/100 rules and 400/200 documents. Nothing is asserted: the figures are for reading.

    python benchmarks/bench_policy_size.py [--runs 3] [--rules 100 500 1000 2000] [--documents 100 200 400]
    python benchmarks/bench_policy_size.py --write-policy 2000 -o big.yaml   # just the policy
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

LEVELS = ("None", "Metadata", "Request", "RequestResponse")
VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
SYSTEM_USERS = ("system:kube-proxy", "system:kube-scheduler", "system:kube-controller-manager",
                "system:apiserver", "system:serviceaccount:kube-system:coredns")
GROUPS = ("system:nodes", "system:serviceaccounts", "system:authenticated", "system:masters")
RESOURCES = {
    "": ("pods", "pods/log", "pods/exec", "services", "configmaps", "secrets", "serviceaccounts",
         "serviceaccounts/token", "nodes", "nodes/status", "namespaces", "endpoints", "events"),
    "apps": ("deployments", "deployments/scale", "statefulsets", "daemonsets", "replicasets"),
    "batch": ("jobs", "cronjobs"),
    "rbac.authorization.k8s.io": ("roles", "rolebindings", "clusterroles", "clusterrolebindings"),
    "coordination.k8s.io": ("leases",),
    "networking.k8s.io": ("ingresses", "networkpolicies"),
    "storage.k8s.io": ("storageclasses",),
}
PATHS = ("/healthz*", "/livez*", "/readyz*", "/version", "/metrics", "/openapi/*", "/apis*", "/logs*")


def _pick(rng: random.Random, pool, low: int, high: int) -> list[str]:
    return rng.sample(list(pool), rng.randint(low, min(high, len(pool))))


def generate_rule(rng: random.Random, number: int) -> list[str]:
    """One rule as YAML lines (indented for ``rules:``)."""
    lines = [f"  - level: {rng.choice(LEVELS)}"]
    team = f"team-{number % 97}"
    kind = rng.random()
    if kind < 0.08:
        lines.append(f"    nonResourceURLs: [{', '.join(repr(p) for p in _pick(rng, PATHS, 1, 3))}]")
        return lines
    who = rng.random()
    if who < 0.25:
        users = _pick(rng, SYSTEM_USERS, 1, 2) if rng.random() < 0.5 else [f"user-{number % 211}@example.com"]
        lines.append(f"    users: [{', '.join(repr(u) for u in users)}]")
    elif who < 0.45:
        groups = _pick(rng, GROUPS, 1, 1) if rng.random() < 0.4 else [f"{team}-admins"]
        lines.append(f"    userGroups: [{', '.join(repr(g) for g in groups)}]")
    if rng.random() < 0.6:
        lines.append(f"    verbs: [{', '.join(_pick(rng, VERBS, 1, 4))}]")
    if rng.random() < 0.5:
        namespaces = [f"{team}-{env}" for env in _pick(rng, ("dev", "staging", "prod"), 1, 2)]
        if rng.random() < 0.2:
            namespaces.append("kube-system")
        lines.append(f"    namespaces: [{', '.join(repr(n) for n in namespaces)}]")
    if rng.random() < 0.9:
        lines.append("    resources:")
        for group in _pick(rng, RESOURCES, 1, 2):
            lines.append(f"      - group: {group!r}")
            if rng.random() < 0.1:
                continue  # every resource of the group
            lines.append(f"        resources: [{', '.join(repr(r) for r in _pick(rng, RESOURCES[group], 1, 3))}]")
            if rng.random() < 0.15:
                lines.append(f"        resourceNames: ['{team}-config', 'app-{number % 53}']")
    if rng.random() < 0.3:
        lines.append("    omitStages: [RequestReceived]")
    return lines


def generate_policy(rules: int, seed: int = 1) -> str:
    """A policy of ``rules`` rules, the last a catch-all at Metadata."""
    rng = random.Random(seed)
    lines = ["apiVersion: audit.k8s.io/v1", "kind: Policy", "omitStages: [RequestReceived]", "rules:"]
    for number in range(rules - 1):
        lines += generate_rule(rng, number)
    lines.append("  - level: Metadata")
    return "\n".join(lines) + "\n"


def generate_documents(count: int, seed: int = 1) -> str:
    """``count`` small policy documents (three rules each) in one YAML stream."""
    rng = random.Random(seed)
    documents = []
    for number in range(count):
        lines = ["apiVersion: audit.k8s.io/v1", "kind: Policy", "omitStages: [RequestReceived]", "rules:"]
        lines += generate_rule(rng, number) + generate_rule(rng, number + 1)
        lines.append("  - level: Metadata")
        documents.append("\n".join(lines) + "\n")
    return "---\n".join(documents)


def median_seconds(path: Path, runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of linting ``path`` in a fresh process."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kube_audit_lint", "lint", "--exit-zero", "--quiet", str(path)],
                       cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rules", type=int, nargs="*", default=[100, 500, 1000, 2000])
    parser.add_argument("--documents", type=int, nargs="*", default=[100, 200, 400])
    parser.add_argument("--write-policy", type=int, metavar="RULES", help="write one generated policy and stop")
    parser.add_argument("--write-documents", type=int, metavar="COUNT", help="write one generated file and stop")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    if args.write_policy or args.write_documents:
        text = generate_policy(args.write_policy) if args.write_policy else generate_documents(args.write_documents)
        if args.output:
            args.output.write_text(text)
        else:
            sys.stdout.write(text)
        return 0
    by_rules: dict[int, tuple[float, float]] = {}
    by_documents: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        print(f"{'input':34} {'bytes':>9} {'wall s':>8} {'CPU s':>8}")
        for count in args.rules:
            path = Path(scratch) / f"policy-{count}.yaml"
            path.write_text(generate_policy(count))
            by_rules[count] = median_seconds(path, args.runs)
            print(f"{f'one policy of {count} rules':34} {path.stat().st_size:9} "
                  f"{by_rules[count][0]:8.2f} {by_rules[count][1]:8.2f}")
        for count in args.documents:
            path = Path(scratch) / f"documents-{count}.yaml"
            path.write_text(generate_documents(count))
            by_documents[count] = median_seconds(path, args.runs)
            print(f"{f'{count} policy documents in a file':34} {path.stat().st_size:9} "
                  f"{by_documents[count][0]:8.2f} {by_documents[count][1]:8.2f}")
    for label, table, large, small in (("rules", by_rules, 2000, 100), ("documents", by_documents, 400, 200)):
        if large in table and small in table:
            print(f"ratio {large}/{small} {label}: {table[large][0] / table[small][0]:.2f}x wall, "
                  f"{table[large][1] / table[small][1]:.2f}x CPU")
    print(f"runs: {args.runs} each; medians of the wall and CPU time of `lint` in a fresh process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
