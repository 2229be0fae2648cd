"""The corpus policies as the replay-style tests use them (imported by the test modules)."""

from __future__ import annotations

from pathlib import Path

from kube_audit_lint.policy.load import lint_read

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
OLD_API = (1, 23)  # policies still on audit.k8s.io/v1beta1 load on releases before 1.24


def load(path: Path):
    """The first policy of the file as the apiserver accepts it, on the newest release that does:
    (policy, None for the newest or OLD_API), or (None, None) when no release we implement does."""
    for version in (None, OLD_API):
        reading = lint_read(str(path), version or (1, 36))
        if reading.verdicts and reading.verdicts[0].accepted:
            return reading.verdicts[0].policy, version
    return None, None


def policy_ids() -> list[str]:
    """The corpus policy file names, for parametrize ids (one placeholder when the corpus is absent)."""
    folder = SHARED / "corpus" / "policies"
    return sorted(p.name for p in folder.glob("*.yaml")) if folder.is_dir() else ["(corpus absent)"]
