"""The package's data files, all under ``linter/data`` (installed as ``kube_audit_lint/data``)."""

from __future__ import annotations

import sys
from importlib import resources

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover
    from importlib.abc import Traversable


def data_path(relative: str) -> Traversable:
    """``relative`` (``schema/config.schema.json``) inside the data folder, installed or not."""
    return resources.files("kube_audit_lint").joinpath("data", *relative.split("/"))


def read_data(relative: str) -> str:
    return data_path(relative).read_text("utf-8")
