"""kube-apiserver's audit flags, read from where clusters keep them, with the line of each flag.

Three shapes are understood:

- a static pod manifest (``kind: Pod``): the kube-apiserver container's ``command`` and ``args``,
  items like ``--audit-log-maxage=30`` (or ``--flag`` followed by its value as the next item),
  and its ``volumeMounts``/``volumes`` (to tell whether the policy file is mounted);
- a kubeadm ``ClusterConfiguration``: ``apiServer.extraArgs`` as a mapping (v1beta3) or a list of
  ``{name, value}`` (v1beta4), and ``apiServer.extraVolumes``;
- a flags file: the command line, one or more flags per line (``#`` comments allowed).

Anything else (a shell script, a Deployment, a Pod that does not run kube-apiserver) is refused
with ``FILE:LINE:COL: not a kube-apiserver manifest: ...`` rather than read as a command line
that sets no audit flag.

Defaults follow ``k8s.io/apiserver/pkg/server/options/audit.go``: before 1.36 the retention flags
default to 0; from 1.36 ``--audit-log-maxage`` defaults to 366, ``--audit-log-maxbackup`` to 100
and ``--audit-log-maxsize`` to 100.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field

from kube_audit_lint.policy.yamlnodes import Document, InputError, Span, parse_documents, read_text

NEW_RETENTION_DEFAULTS_SINCE = (1, 36)


@dataclass(frozen=True)
class Flag:
    name: str  # without the leading dashes
    value: str
    span: Span


@dataclass(frozen=True)
class Mount:
    path: str  # where the file or directory appears inside the container
    span: Span


@dataclass
class ApiserverConfig:
    path: str
    kind: str  # "pod", "kubeadm", "flags"
    flags: dict[str, Flag] = field(default_factory=dict)
    mounts: list[Mount] = field(default_factory=list)
    mounts_known: bool = False  # whether the source can tell us what is mounted
    anchor: Span = Span(1, 1, 1, 1)  # where findings about a missing flag point

    def get(self, name: str) -> Flag | None:
        return self.flags.get(name)

    def value(self, name: str, default: str | None = None) -> str | None:
        flag = self.flags.get(name)
        return flag.value if flag is not None else default

    def mounted(self, file_path: str) -> bool:
        normal = os.path.normpath(file_path)
        return any(normal == os.path.normpath(m.path) or normal.startswith(os.path.normpath(m.path).rstrip("/") + "/")
                   for m in self.mounts)


def retention_default(name: str, kube_version: tuple[int, int]) -> str:
    if kube_version >= NEW_RETENTION_DEFAULTS_SINCE:
        return {"audit-log-maxage": "366", "audit-log-maxbackup": "100", "audit-log-maxsize": "100"}[name]
    return "0"


def _parse_flag_items(items: list[tuple[str, Span]]) -> dict[str, Flag]:
    flags: dict[str, Flag] = {}
    index = 0
    while index < len(items):
        text, span = items[index]
        index += 1
        if not text.startswith("--") and not text.startswith("-"):
            continue
        body = text.lstrip("-")
        if "=" in body:
            name, value = body.split("=", 1)
        else:
            name, value = body, "true"
            if index < len(items) and not items[index][0].startswith("-"):
                value = items[index][0]
                index += 1
        flags[name] = Flag(name, value, span)
    return flags


def _apiserver_container(pod: dict) -> tuple[int, dict] | None:
    containers = (pod.get("spec") or {}).get("containers") or []
    for i, container in enumerate(containers):
        if not isinstance(container, dict):
            continue
        command = " ".join(str(c) for c in [*(container.get("command") or []), *(container.get("args") or [])])
        if "kube-apiserver" in command or container.get("name") == "kube-apiserver":
            return i, container
    return None


def _from_pod(doc: Document) -> ApiserverConfig:
    config = ApiserverConfig(doc.path, "pod", anchor=doc.start, mounts_known=True)
    found = _apiserver_container(doc.data)
    if found is None:
        raise not_a_manifest(doc.path, doc.start, "a Pod with no container that runs kube-apiserver")
    index, container = found
    base = ("spec", "containers", index)
    items: list[tuple[str, Span]] = []
    for key in ("command", "args"):
        for j, item in enumerate(container.get(key) or []):
            items.append((str(item), doc.span(base + (key, j))))
    config.flags = _parse_flag_items(items)
    config.anchor = doc.span(base + ("command",)) if container.get("command") else doc.span(base)
    for j, mount in enumerate(container.get("volumeMounts") or []):
        if isinstance(mount, dict) and mount.get("mountPath"):
            config.mounts.append(Mount(str(mount["mountPath"]), doc.span(base + ("volumeMounts", j))))
    return config


def _from_kubeadm(doc: Document) -> ApiserverConfig:
    config = ApiserverConfig(doc.path, "kubeadm", anchor=doc.start, mounts_known=True)
    apiserver = doc.data.get("apiServer") or {}
    extra = apiserver.get("extraArgs") or {}
    base = ("apiServer", "extraArgs")
    if isinstance(extra, dict):
        for name, value in extra.items():
            config.flags[str(name)] = Flag(str(name), str(value), doc.key_span(base + (name,)))
    elif isinstance(extra, list):
        for j, item in enumerate(extra):
            if isinstance(item, dict) and "name" in item:
                config.flags[str(item["name"])] = Flag(str(item["name"]), str(item.get("value", "")), doc.span(base + (j,)))
    config.anchor = doc.key_span(("apiServer",)) if "apiServer" in doc.data else doc.start
    for j, volume in enumerate(apiserver.get("extraVolumes") or []):
        if isinstance(volume, dict) and volume.get("mountPath"):
            config.mounts.append(Mount(str(volume["mountPath"]), doc.span(("apiServer", "extraVolumes", j))))
    # kubeadm mounts /etc/kubernetes/pki and a few system paths itself; policy files elsewhere need extraVolumes
    config.mounts.append(Mount("/etc/kubernetes/pki", doc.start))
    return config


def _from_flags_text(path: str, text: str) -> ApiserverConfig:
    config = ApiserverConfig(path, "flags")
    items: list[tuple[str, Span]] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        stripped = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
        stripped = stripped.rstrip().rstrip("\\")
        try:
            words = shlex.split(stripped)
        except ValueError as exc:
            raise InputError(path, line_number, 1, f"cannot read flags: {exc}") from None
        column = 1
        for word in words:
            found = line.find(word.split("=")[0], column - 1)
            column = found + 1 if found >= 0 else column
            items.append((word, Span(line_number, column, line_number, column + len(word))))
            column += len(word)
    config.flags = _parse_flag_items(items)
    return config


def read_apiserver_config(path: str) -> ApiserverConfig:
    """Read a manifest, kubeadm configuration or flags file; InputError when it is none of these."""
    text, documents = _read(path)
    return _config_from(path, text, documents)


def apiserver_config_from_text(path: str, text: str) -> ApiserverConfig:
    try:
        documents = parse_documents(path, text)
    except InputError:
        documents = []
    return _config_from(path, text, documents)


EXPECTED = "expected a kube-apiserver static Pod, a kubeadm ClusterConfiguration or a flags file"


def not_a_manifest(path: str, at: Span, what: str) -> InputError:
    return InputError(path, at.line, at.column, f"not a kube-apiserver manifest: {what} ({EXPECTED})")


def _config_from(path: str, text: str, documents: list[Document]) -> ApiserverConfig:
    mappings = [doc for doc in documents if isinstance(doc.data, dict)]
    for doc in mappings:
        if doc.data.get("kind") == "Pod" and _apiserver_container(doc.data) is not None:
            return _from_pod(doc)
        if doc.data.get("kind") == "ClusterConfiguration":
            return _from_kubeadm(doc)
    if mappings:
        pod = next((doc for doc in mappings if doc.data.get("kind") == "Pod"), None)
        if pod is not None:
            return _from_pod(pod)  # raises: no container runs kube-apiserver
        kind = mappings[0].data.get("kind")
        what = f"kind {kind}" if isinstance(kind, str) else "a YAML mapping with no kind"
        raise not_a_manifest(path, mappings[0].key_span(("kind",)) if kind else mappings[0].start, what)
    if not text.strip():
        raise not_a_manifest(path, Span(1, 1, 1, 1), "the file is empty")
    stray = _not_a_flag(text)
    if stray is not None:
        word, at = stray
        raise not_a_manifest(path, at, f"{word!r} is not a kube-apiserver flag")
    config = _from_flags_text(path, text)
    if not config.flags:
        raise not_a_manifest(path, Span(1, 1, 1, 1), "no --flag in the file")
    return config


def _not_a_flag(text: str) -> tuple[str, Span] | None:
    """The first word of a flags file that is neither a flag, nor the value of the flag before it,
    nor the kube-apiserver command that leads the line: a flags file holds nothing else."""
    previous = ""
    for line_number, line in enumerate(text.splitlines(), start=1):
        stripped = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
        column = 0
        try:
            words = shlex.split(stripped.rstrip().rstrip("\\"))
        except ValueError:  # an unclosed quote: no command line
            return line.strip(), Span(line_number, len(line) - len(line.lstrip()) + 1, line_number, len(line) + 1)
        for word in words:
            found = line.find(word, column)
            column = found + len(word) if found >= 0 else column
            if word.startswith("-"):
                previous = word
                continue
            takes_value = previous.startswith("-") and "=" not in previous
            if not takes_value and os.path.basename(word) != "kube-apiserver":
                return word, Span(line_number, found + 1 if found >= 0 else 1, line_number, column + 1)
            previous = word
    return None


def _read(path: str) -> tuple[str, list[Document]]:
    """The file's text and its YAML documents (none for a flags file, which is not YAML).

    A missing, binary or non-UTF-8 file is an InputError with its position; an empty one holds
    nothing, which the caller reports as not a manifest.
    """
    try:
        text = read_text(path)
    except InputError:
        if os.path.isfile(path) and not _has_content(path):
            return "", []
        raise
    try:
        return text, parse_documents(path, text)
    except InputError:
        return text, []


def _has_content(path: str) -> bool:
    with open(path, "rb") as handle:
        return bool(handle.read().strip())
