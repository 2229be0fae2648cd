"""Read YAML or JSON into plain data that remembers where every value came from.

kube-apiserver reads a policy with sigs.k8s.io/yaml, which is go-yaml v2 underneath: YAML 1.1
scalars (unquoted ``yes``/``no``/``on``/``off``/``y``/``n`` are booleans), merge keys, and the last
of duplicate keys wins. We compose the document with ruamel.yaml (which keeps marks) and resolve
plain scalars the way go-yaml v2 does, so what we see is what the apiserver sees.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

Path = tuple  # a JSON path: ("rules", 3, "resources", 0, "group")


@dataclass(frozen=True)
class Span:
    """1-based start and end of a token, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


class InputError(Exception):
    """Input we cannot read at all; always carries a position for a one-line message."""

    def __init__(self, path: str, line: int, column: int, message: str):
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path = path
        self.line = line
        self.column = column
        self.message = message


@dataclass
class Document:
    """One YAML document: plain data plus the position of every value and key in it."""

    path: str
    index: int  # 0-based document number within the file
    data: Any
    spans: dict[Path, Span] = field(default_factory=dict)  # value positions
    key_spans: dict[Path, Span] = field(default_factory=dict)  # key positions (for mappings)
    duplicate_keys: list[tuple[Path, Span]] = field(default_factory=list)
    start: Span = Span(1, 1, 1, 1)
    is_json: bool = False

    def span(self, path: Path) -> Span:
        """Position of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.spans:
                return self.spans[path]
            path = path[:-1]
        return self.spans.get((), self.start)

    def key_span(self, path: Path) -> Span:
        path = tuple(path)
        return self.key_spans.get(path) or self.span(path)


# go-yaml v2's resolve table, restricted to what a plain scalar can become.
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUES = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_FALSES = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}
_INT = re.compile(r"^[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]+|[0-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOATS = {
    ".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
    "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
    "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}


def resolve_plain_scalar(text: str) -> Any:
    """The value go-yaml v2 gives an unquoted scalar when decoding into interface{}."""
    if text in _NULLS:
        return None
    if text in _TRUES:
        return True
    if text in _FALSES:
        return False
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    if _INT.match(text):
        digits = text.replace("_", "")
        sign = -1 if digits.startswith("-") else 1
        body = digits.lstrip("+-")
        try:
            if body.startswith("0b"):
                return sign * int(body[2:], 2)
            if body.startswith("0x"):
                return sign * int(body[2:], 16)
            if len(body) > 1 and body.startswith("0"):
                return sign * int(body, 8)
            return sign * int(body)
        except ValueError:
            return text
    if _FLOAT.match(text) and any(ch.isdigit() for ch in text):
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return text


def _span(node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self._active: set[int] = set()

    def build(self, node, path: Path) -> Any:
        from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

        self.doc.spans[path] = _span(node)
        if isinstance(node, ScalarNode):
            if node.style is None:
                return resolve_plain_scalar(node.value)
            return node.value
        if id(node) in self._active:  # a recursive alias; go-yaml refuses these too
            raise ValueError("recursive alias")
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
        return None

    def _mapping(self, node, path: Path) -> dict:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_tag = getattr(key_node.tag, "value", key_node.tag)
            if key_tag == "tag:yaml.org,2002:merge" or (key_node.value == "<<" and key_node.style is None):
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    if isinstance(source, MappingNode):
                        for k, v in self._mapping(source, path).items():
                            merged.setdefault(k, v)
                continue
            key = self.build(key_node, path + ("<key>",))
            self.doc.spans.pop(path + ("<key>",), None)
            key = _json_key(key)
            child = path + (key,)
            if key in result:
                self.doc.duplicate_keys.append((child, _span(key_node)))
            self.doc.key_spans[child] = _span(key_node)
            result[key] = self.build(value_node, child)
        for k, v in merged.items():
            result.setdefault(k, v)
        return result


def _json_key(key: Any) -> str:
    """sigs.k8s.io/yaml turns non-string keys into their JSON text."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (int, float)):
        return json.dumps(key)
    return str(key)


def decode_text(path: str, raw: bytes) -> str:
    if not raw.strip():
        raise InputError(path, 1, 1, "empty file: no policy in it")
    if b"\x00" in raw[:8192]:
        raise InputError(path, 1, 1, "binary file: not YAML or JSON")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(path, line, column, "not UTF-8 text: not YAML or JSON") from None


def looks_like_json(text: str) -> bool:
    """The apiserver's decoder treats input starting with '{' (after white space) as JSON."""
    return text.lstrip(" \t\r\n").startswith("{")


def parse_documents(path: str, text: str) -> list[Document]:
    """All documents of a YAML stream (or the one JSON object), with positions."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    is_json = looks_like_json(text)
    if is_json:
        _check_json(path, text)
    yaml = YAML(typ="rt", pure=True)
    documents: list[Document] = []
    try:
        for index, node in enumerate(yaml.compose_all(io.StringIO(text))):
            if node is None:
                continue
            doc = Document(path=path, index=index, data=None, start=_span(node), is_json=is_json)
            try:
                doc.data = _Builder(doc).build(node, ())
            except ValueError as exc:
                span = _span(node)
                raise InputError(path, span.line, span.column, f"cannot read YAML: {exc}") from None
            documents.append(doc)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise InputError(path, line, column, f"invalid YAML: {problem}") from None
    except YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid YAML"
        raise InputError(path, 1, 1, f"invalid YAML: {first}") from None
    return documents


def _check_json(path: str, text: str) -> None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}") from None


def read_file(path: str) -> tuple[str, list[Document]]:
    """Read ``path`` (``-`` for stdin) into its documents; InputError on anything unreadable."""
    import sys

    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                raw = handle.read()
    except FileNotFoundError:
        raise InputError(path, 1, 1, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, 1, 1, "is a directory") from None
    except OSError as exc:
        raise InputError(path, 1, 1, f"cannot read: {exc.strerror or exc}") from None
    text = decode_text(path, raw)
    return text, parse_documents(path, text)
