"""kube-apiserver releases whose policy behaviour differs, as data the loader and validator read."""

from __future__ import annotations

OLDEST = (1, 12)  # audit.k8s.io/v1 first appeared in 1.12
NEWEST = (1, 36)
DEFAULT = NEWEST

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


def registered_api_versions(version: tuple[int, int]) -> tuple[str, ...]:
    if version >= V1BETA1_REMOVED:
        return ("audit.k8s.io/v1",)
    return ("audit.k8s.io/v1", "audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1")
