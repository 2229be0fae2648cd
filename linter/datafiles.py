"""The package's data files, all under ``linter/data`` (installed as ``kube_audit_lint/data``)."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def data_path(relative: str) -> Traversable:
    """``relative`` (``schema/config.schema.json``) inside the data folder, installed or not."""
    return resources.files("kube_audit_lint").joinpath("data", *relative.split("/"))


def read_data(relative: str) -> str:
    return data_path(relative).read_text("utf-8")
