"""kube-apiserver releases whose policy behaviour differs, as data the loader and validator read."""

from __future__ import annotations

from typing import Iterable

OLDEST = (1, 12)  # audit.k8s.io/v1 first appeared in 1.12
NEWEST = (1, 36)
DEFAULT = NEWEST
# The releases upstream still supports (patch releases for the newest minor releases): what lint and
# validate target unless --kube-version says otherwise. Keep in step with
# https://kubernetes.io/releases/ when a release comes out or reaches its end of life.
SUPPORTED = ((1, 33), (1, 34), (1, 35), (1, 36))

V1BETA1_REMOVED = (1, 24)  # v1alpha1 and v1beta1 no longer registered
STRICT_DECODING_WARNS = (1, 26)  # unknown fields: strict decode fails, lenient fallback with a warning
OMIT_MANAGED_FIELDS = (1, 23)  # omitManagedFields exists
WILDCARD_GROUP = (1, 36)  # group: "*" accepted and matches every group


def parse(text: str) -> tuple[int, int]:
    """``1.30`` or ``v1.30.2`` -> (1, 30); ValueError outside the range we implement."""
    cleaned = text.strip().lstrip("vV")
    parts = cleaned.split(".")
    try:
        version = (int(parts[0]), int(parts[1]))
    except (IndexError, ValueError):
        raise ValueError(f"--kube-version: expected MAJOR.MINOR such as 1.30, got {text!r}") from None
    if not OLDEST <= version <= NEWEST:
        raise ValueError(
            f"--kube-version: {text} is outside the releases implemented "
            f"({format(OLDEST)} to {format(NEWEST)})"
        )
    return version


def format(version: tuple[int, int]) -> str:  # noqa: A001 - mirrors parse()
    return f"{version[0]}.{version[1]}"


def parse_range(text: str) -> tuple[tuple[int, int], ...]:
    """``1.33-1.36`` -> every release from 1.33 to 1.36; ``1.35`` -> (1.35,). ValueError on a range
    that runs backwards or leaves the releases implemented."""
    first, dash, last = text.strip().partition("-")
    if not dash:
        return (parse(text),)
    low, high = parse(first), parse(last)
    if low > high:
        raise ValueError(f"--kube-version: the range {text} runs backwards (write {last.strip()}-{first.strip()})")
    return tuple((low[0], minor) for minor in range(low[1], high[1] + 1))


def format_range(given: Iterable[tuple[int, int]]) -> str:
    """(1.33, 1.34, 1.35) -> ``1.33-1.35``; releases that are not consecutive are listed."""
    releases = sorted(given)
    if len(releases) > 1 and all(b[1] == a[1] + 1 for a, b in zip(releases, releases[1:])):
        return f"{format(releases[0])}-{format(releases[-1])}"
    return ", ".join(format(r) for r in releases)


def registered_api_versions(version: tuple[int, int]) -> tuple[str, ...]:
    if version >= V1BETA1_REMOVED:
        return ("audit.k8s.io/v1",)
    return ("audit.k8s.io/v1", "audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1")
