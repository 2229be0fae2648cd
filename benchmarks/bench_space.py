"""Time the request-space analysis on every corpus policy.

For each policy: build a fresh RequestSpace, ask reachable() and shadowed_by() for every rule and
outcomes() for a dozen selectors of the kind the checks ask about. Prints the median of several
runs per policy, and the slowest. Run: ``python benchmarks/bench_space.py [POLICY...] [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kube_audit_lint.engine.space import RequestSpace, Selector  # noqa: E402
from kube_audit_lint.policy.load import lint_read  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "policies"

QUESTIONS = [
    {},
    {"resources": [{"group": "", "resources": ["secrets", "configmaps", "serviceaccounts/token"]}]},
    {"resources": [{"group": "authentication.k8s.io", "resources": ["tokenreviews"]}]},
    {"resources": [{"group": "", "resources": ["pods/exec", "pods/attach", "pods/portforward"]}]},
    {"resources": [{"group": "rbac.authorization.k8s.io",
                    "resources": ["roles", "rolebindings", "clusterroles", "clusterrolebindings"]}],
     "verbs": ["create", "update", "patch", "delete"]},
    {"resources": [{"group": "*", "resources": ["*"]}], "verbs": ["get", "list", "watch"]},
    {"resources": [{"group": "", "resources": ["events"]},
                   {"group": "events.k8s.io", "resources": ["events"]}]},
    {"nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version"]},
    {"nonResourceURLs": ["*"]},
    {"authenticated": False},
    {"userGroups": ["system:nodes"], "verbs": ["update", "patch"]},
    {"users": ["system:kube-proxy"], "resources": [{"group": "", "resources": ["endpoints"]}]},
    {"resources": [{"group": "", "resources": ["nodes/proxy"]}]},
]


def analyse(policy) -> None:
    space = RequestSpace(policy)
    for index in range(len(policy.rules)):
        space.reachable(index)
        space.shadowed_by(index)
    for question in QUESTIONS:
        space.outcomes(Selector.from_mapping(question))


def policies(paths):
    for path in paths:
        for number, verdict in enumerate(lint_read(str(path)).verdicts):
            suffix = f"#{number + 1}" if number else ""
            yield f"{Path(path).name}{suffix}", verdict.policy


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    paths = args.paths or sorted(CORPUS.glob("*.y*ml"))
    if not paths:
        print(f"no policies given and no corpus at {CORPUS}", file=sys.stderr)
        return 2
    medians = []
    print(f"{'policy':48} {'rules':>5} {'median ms':>10} {'max ms':>8}")
    for name, policy in policies(paths):
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            analyse(policy)
            times.append((time.perf_counter() - start) * 1000)
        medians.append((statistics.median(times), name))
        print(f"{name:48} {len(policy.rules):5} {statistics.median(times):10.2f} {max(times):8.2f}")
    total = sum(m for m, _ in medians)
    slowest = max(medians)
    print(f"\n{len(medians)} policies, {len(QUESTIONS)} selector questions each: "
          f"sum of medians {total:.1f} ms, slowest {slowest[1]} {slowest[0]:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
