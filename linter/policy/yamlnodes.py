"""Read YAML or JSON into plain data that remembers where every value came from.

kube-apiserver reads a policy with sigs.k8s.io/yaml, which is go-yaml v2 underneath: YAML 1.1
scalars (unquoted ``yes``/``no``/``on``/``off``/``y``/``n`` are booleans), merge keys, and the last
of duplicate keys wins. We compose the document with ruamel.yaml (which keeps marks) and resolve
plain scalars the way go-yaml v2 does, so what we see is what the apiserver sees.
"""

from __future__ import annotations

import functools
import io
import os
import json
import re
from dataclasses import dataclass, field
from typing import Any

from kube_audit_lint.policy import limits

Path = tuple[Any, ...]  # a JSON path: ("rules", 3, "resources", 0, "group")


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


# go-yaml v2's resolve table (resolve.go): the first character hints at what a plain scalar may be,
# and only these spellings are looked up as booleans, nulls and special floats.
_RESOLVE_MAP: dict[str, Any] = {
    **{t: True for t in ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")},
    **{f: False for f in ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")},
    **{n: None for n in ("", "~", "null", "Null", "NULL")},
    **{s: float("nan") for s in (".nan", ".NaN", ".NAN")},
    **{s: float("inf") for s in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{s: float("-inf") for s in ("-.inf", "-.Inf", "-.INF")},
}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+(_[0-9]+)*([eE][-+]?[0-9]+(_[0-9]+)*)?")
_HEX_DIGITS = "0123456789abcdef"


def _go_parse_uint(text: str, base: int) -> int | None:
    """strconv.ParseUint(text, base, 64) for text without underscores; None when Go fails."""
    if not text:
        return None
    if base == 0:
        base = 10
        if text[0] == "0":
            prefix = text[1:2].lower()
            if len(text) >= 3 and prefix in ("b", "o", "x"):
                base, text = {"b": 2, "o": 8, "x": 16}[prefix], text[2:]
            else:
                base, text = 8, text[1:]
    digits = _HEX_DIGITS[:base]
    if any(ch.lower() not in digits for ch in text):
        return None
    value = int(text, base) if text else 0
    return value if value < 1 << 64 else None


def _go_parse_int(text: str, base: int) -> int | None:
    """strconv.ParseInt(text, base, 64): an optional sign, then ParseUint, within int64."""
    negative = text[:1] == "-"
    body = text[1:] if text[:1] in ("+", "-") else text
    magnitude = _go_parse_uint(body, base)
    if magnitude is None or magnitude > (1 << 63) - (0 if negative else 1):
        return None
    return -magnitude if negative else magnitude


def _go_float(text: str) -> float | None:
    """strconv.ParseFloat for text already known to be well-formed; None on overflow (ErrRange)."""
    value = float(text.replace("_", ""))
    return None if value in (float("inf"), float("-inf")) else value


def resolve_plain_scalar(text: str) -> Any:
    """The value go-yaml v2 gives an unquoted scalar when decoding into interface{}.

    Mirrors resolve() in go-yaml v2: the first character decides what is tried. Timestamps are
    left out on purpose: go-yaml v2 keeps a timestamp-like scalar as its original string when the
    target is interface{}, and no timestamp spelling could have parsed as a number anyway.
    """
    if text in _RESOLVE_MAP:
        return _RESOLVE_MAP[text]
    first = text[0]
    if first == ".":
        return _go_float(text) if _DOT_FLOAT.fullmatch(text) else text
    if not (first.isascii() and (first.isdigit() or first in "+-")):
        return text  # hint 'M' (only the map above) or no hint at all
    plain = text.replace("_", "")
    for number in (_go_parse_int(plain, 0), _go_parse_uint(plain, 0)):
        if number is not None:
            return number
    if _YAML_STYLE_FLOAT.fullmatch(plain):
        value = _go_float(plain)
        if value is not None:
            return value
    if plain.startswith("0b"):
        for number in (_go_parse_int(plain[2:], 2), _go_parse_uint(plain[2:], 2)):
            if number is not None:
                return number
    elif plain.startswith("-0b"):
        number = _go_parse_int("-" + plain[3:], 2)
        if number is not None:
            return number
    return text


_CORE_TAG = "tag:yaml.org,2002:"
_TAG_TYPES: dict[str, type | tuple[type, ...]] = {"bool": bool, "int": int, "float": (int, float), "null": type(None)}


def resolve_tagged_scalar(tag: str, text: str) -> Any:
    """A scalar with an explicit tag (``!!str yes``, ``!!int "5"``), as go-yaml v2 decodes it.

    ``!!str``, ``!!binary`` and tags go-yaml does not resolve keep the text; ``!!bool``, ``!!int``,
    ``!!float`` and ``!!null`` must resolve to their type or go-yaml fails the whole document.
    """
    name = tag[len(_CORE_TAG):] if tag.startswith(_CORE_TAG) else None
    if name is None or name not in _TAG_TYPES:
        return text
    value = resolve_plain_scalar(text) if text else None
    if isinstance(value, bool) and name != "bool" or not isinstance(value, _TAG_TYPES[name]):
        shown = {bool: "!!bool", int: "!!int", float: "!!float", type(None): "!!null"}.get(type(value), "!!str")
        raise ValueError(f"cannot decode {shown} `{text}` as a !!{name}")
    return float(value) if name == "float" and isinstance(value, (int, float)) else value


def _composer(pure: bool = False) -> Any:
    """libyaml's parser through ruamel.yaml.clib when installed (ten times faster, same marks),
    else the pure-Python one. Both only compose: scalars are resolved here, go-yaml's way, so the
    composer leaves every node its kind's default tag (``_KindTags``) and keeps the tags the
    source spells out."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=pure or bool(os.environ.get("KUBE_AUDIT_LINT_PURE_YAML")))
    yaml.Resolver = _kind_tags()
    return yaml


@functools.lru_cache(maxsize=1)
def _kind_tags() -> type:
    """A ruamel resolver that gives a node with no tag in the source the default tag of its kind:
    ruamel's own resolution (YAML 1.2 rules, a regular expression per plain scalar) is work whose
    answer ``_Builder`` never reads."""
    from ruamel.yaml.nodes import ScalarNode, SequenceNode
    from ruamel.yaml.resolver import VersionedResolver

    class _KindTags(VersionedResolver):
        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is ScalarNode:
                return self.DEFAULT_SCALAR_TAG
            if kind is SequenceNode:
                return self.DEFAULT_SEQUENCE_TAG
            return self.DEFAULT_MAPPING_TAG

    return _KindTags


def _span(node: Any) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


_NODE_PROPERTIES = re.compile(r"(?:&\S+\s+)?(!\S*)")

# Deeper nesting is refused as unreadable. go-yaml stops at 10000 levels; an audit policy nests
# about six, and Python's recursion (ours and ruamel's pure composer) ends long before 10000.
MAX_DEPTH = 100
# Text whose nesting cannot exceed this is composed without a depth check first: libyaml's
# composer recurses in C and crashes the interpreter some tens of thousands of levels down.
_UNCHECKED_NESTING = 1000


class _ContentError(InputError):
    """The YAML parses, but its content cannot be read (recursive or excessive aliases, nesting too
    deep, a tag its value does not fit): every parser gives the same answer."""


class LimitError(_ContentError):
    """Input beyond the limits of ``policy/limits.py``: refused whole, never read in part."""


def _allowed_alias_ratio(decodes: int) -> float:
    """go-yaml's bound on the share of decoded nodes that come from alias expansion (its defence
    against alias bombs): 99% up to 400,000 nodes, down to 10% at 4,000,000."""
    low, high = 400_000, 4_000_000
    if decodes <= low:
        return 0.99
    if decodes >= high:
        return 0.10
    return 0.99 - 0.89 * (decodes - low) / (high - low)


def _explicit_tag(text: str, node: Any) -> str | None:
    """The node's tag when the source spells one out (the composer gives an untagged scalar the
    string tag, so only the source tells ``!!str yes`` from ``yes``)."""
    index = getattr(node.start_mark, "index", None)
    if index is None or not text.startswith(("!", "&"), index):
        return None
    if not _NODE_PROPERTIES.match(text, index):
        return None
    return str(getattr(node.tag, "value", node.tag))


class _Builder:
    def __init__(self, doc: Document, text: str = ""):
        self.doc = doc
        self.text = text
        self._active: set[int] = set()
        self._seen: set[int] = set()  # nodes built once: meeting one again is following an alias
        self._alias_depth = 0
        self._decodes = 0
        self._alias_decodes = 0

    def fail(self, node: Any, message: str) -> None:
        span = _span(node)
        language = "JSON" if self.doc.is_json else "YAML"
        raise _ContentError(self.doc.path, span.line, span.column, f"cannot read {language}: {message}")

    def enter(self, node: Any) -> bool:
        """Count ``node`` as go-yaml counts decodes; True when it is reached through an alias
        (the caller then calls ``leave``). Fails a document that is mostly alias expansion."""
        aliased = id(node) in self._seen
        self._seen.add(id(node))
        self._alias_depth += aliased
        self._decodes += 1
        self._alias_decodes += self._alias_depth > 0
        if (self._alias_decodes > 100 and self._decodes > 1000
                and self._alias_decodes / self._decodes > _allowed_alias_ratio(self._decodes)):
            self.fail(node, "document contains excessive aliasing")
        return aliased

    def leave(self, aliased: bool) -> None:
        self._alias_depth -= aliased

    def explicit_tag(self, node: Any) -> str | None:
        return _explicit_tag(self.text, node)

    def build(self, node: Any, path: Path) -> Any:
        if len(path) > MAX_DEPTH:
            self.fail(node, f"nested more than {MAX_DEPTH} levels deep")
        aliased = self.enter(node)
        try:
            return self._value(node, path)
        except ValueError as exc:  # a tag its value does not fit, a merge of no mapping
            self.fail(node, str(exc))
        finally:
            self.leave(aliased)

    def _value(self, node: Any, path: Path) -> Any:
        from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

        self.doc.spans[path] = _span(node)
        if isinstance(node, ScalarNode):
            plain = not node.style  # the C parser says '' where the pure one says None
            if self.doc.is_json and plain:
                return json.loads(node.value)  # JSON input never meets YAML's scalar rules
            tag = self.explicit_tag(node)
            if tag is not None:
                return resolve_tagged_scalar(tag, node.value)
            if plain:
                return resolve_plain_scalar(node.value)
            return node.value
        if id(node) in self._active:  # a recursive alias; go-yaml refuses these too
            self.fail(node, "recursive alias")
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
        return None

    def _mapping(self, node: Any, path: Path) -> dict[Any, Any]:
        """Keys in order, as go-yaml v2 sets them: a later key (or merge) overwrites an earlier one,
        and each overwrite is a duplicate that strict decoding reports."""
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_tag = getattr(key_node.tag, "value", key_node.tag)
            if key_tag == "tag:yaml.org,2002:merge" or (key_node.value == "<<" and not key_node.style):
                self._merge(value_node, path, result, _span(key_node))
                continue
            key = self.build(key_node, path + ("<key>",))
            self.doc.spans.pop(path + ("<key>",), None)
            key = _json_key(key)
            child = path + (key,)
            if key in result:
                self.doc.duplicate_keys.append((child, _span(key_node)))
            self.doc.key_spans[child] = _span(key_node)
            result[key] = self.build(value_node, child)
        return result

    def _merge(self, value_node: Any, path: Path, result: dict[Any, Any], merge_span: Span) -> None:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        # earlier maps of a merge sequence take precedence, so go-yaml applies them last
        sources = list(reversed(value_node.value)) if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, MappingNode):
                raise ValueError("map merge requires map or sequence of maps as the value")
            if id(source) in self._active:
                self.fail(source, "recursive alias")
            aliased = self.enter(source)
            try:
                merged = self._mapping(source, path)
            finally:
                self.leave(aliased)
            for key, value in merged.items():
                if key in result:
                    self.doc.duplicate_keys.append((path + (key,), merge_span))
                result[key] = value


def _json_key(key: Any) -> str:
    """sigs.k8s.io/yaml turns non-string keys into their JSON text."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (int, float)):
        return json.dumps(key)
    return str(key)


UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


def decode_text(path: str, raw: bytes) -> str:
    """The text of a policy file as go-yaml (kube-apiserver's reader) reads it: UTF-8, with or
    without a byte-order mark, or UTF-16 (little or big endian) with one. UTF-32, UTF-16 without
    a byte-order mark and binary data are InputErrors saying so."""
    if raw.startswith(UTF32_BOMS):
        raise InputError(path, 1, 1, "UTF-32 text: kube-apiserver (go-yaml) reads UTF-8 and UTF-16 only; "
                                     "save the file as UTF-8")
    encoding = UTF16_BOMS.get(raw[:2])
    if encoding is not None:
        try:
            raw = raw[2:].decode(encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(path, 1, 1, f"not {encoding.upper()} text after its byte-order mark: {exc.reason}") from None
    if not raw.strip():
        raise InputError(path, 1, 1, "empty file: no policy in it")
    if b"\x00" in raw[:8192]:
        head = raw[:8192]
        if len(head) >= 4 and (head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4):
            raise InputError(path, 1, 1, "UTF-16 text without a byte-order mark: kube-apiserver (go-yaml) reads "
                                         "UTF-16 only with one; save the file as UTF-8")
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
    documents, error = parse_leading_documents(path, text)
    if error is not None:
        raise error
    return documents


def parse_leading_documents(path: str, text: str) -> tuple[list[Document], InputError | None]:
    """The documents up to the first unreadable one, and the error that stopped the reading.

    kube-apiserver reads only the first document of a policy file, so a broken later document
    never reaches it: the caller decides whether an error after the first document matters.
    An error in the first document (or in JSON input, which is read whole) is raised.
    """
    is_json = looks_like_json(text)
    fast = _composer()
    too_deep = _too_deep(path, text, fast, "JSON" if is_json else "YAML")
    if too_deep is not None:
        # only the documents before the one nested too deep are composed
        first_line, too_deep_error = too_deep
        documents = _compose(path, "".join(text.splitlines(keepends=True)[:first_line]), fast, is_json)[0]
        if not documents:
            raise too_deep_error
        return documents, too_deep_error
    if is_json:
        _check_json(path, text)
    documents, error = _compose(path, text, fast, is_json)
    if error is not None and not getattr(fast, "pure", True) and not isinstance(error, _ContentError):
        # libyaml refuses some plain scalars go-yaml reads (a ':' inside a flow item, as in
        # `users: [system:kube-proxy]`); the pure parser reads them as go-yaml does
        documents, error = _compose(path, text, _composer(pure=True), is_json)
    if error is not None and not documents:
        raise error
    return documents, error


def parse_data(path: str, text: str) -> Any:
    """The one document of a data file the project ships, as plain data without positions.

    Its scalars are read as a policy's are (go-yaml's rules); what a user's file needs besides
    (positions, alias and depth limits, recovery from libyaml's refusals) is left out: these files
    are ours, and the test suite reads each of them as a policy is read too."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    def plain(node: Any) -> Any:
        if isinstance(node, ScalarNode):
            tag = _explicit_tag(text, node)
            if tag is not None:
                return resolve_tagged_scalar(tag, node.value)
            return node.value if node.style else resolve_plain_scalar(node.value)
        if isinstance(node, MappingNode):
            return {_json_key(plain(key)): plain(value) for key, value in node.value}
        return [plain(item) for item in node.value]

    nodes = list(_composer().compose_all(io.StringIO(text)))
    if len(nodes) != 1:
        raise InputError(path, 1, 1, f"expected one YAML document, found {len(nodes)}")
    return plain(nodes[0])


def _compose(path: str, text: str, yaml: Any, is_json: bool) -> tuple[list[Document], InputError | None]:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    documents: list[Document] = []
    try:
        for index, node in enumerate(yaml.compose_all(io.StringIO(text))):
            if index >= limits.MAX_DOCUMENTS:
                span = _span(node) if node is not None else Span(1, 1, 1, 1)
                return documents, LimitError(path, span.line, span.column, limits.too_many_documents())
            if node is None:
                continue
            doc = Document(path=path, index=index, data=None, start=_span(node), is_json=is_json)
            doc.data = _Builder(doc, text).build(node, ())
            documents.append(doc)
    except InputError as exc:
        return documents, exc
    except RecursionError:  # the pure composer recurses once per level
        return documents, _ContentError(path, 1, 1, f"cannot read YAML: nested more than {MAX_DEPTH} levels deep")
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        return documents, InputError(path, line, column, f"invalid YAML: {problem}")
    except YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid YAML"
        return documents, InputError(path, 1, 1, f"invalid YAML: {first}")
    return documents, None


def _check_json(path: str, text: str) -> None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(path, 1, 1, f"invalid JSON: nested more than {MAX_DEPTH} levels deep") from None


def _nesting_bound(text: str) -> int:
    """An upper bound of how deep ``text`` nests as written (aliases aside): every level opens with
    a bracket, a sequence dash or a complex-key mark (each of which may also open a mapping on the
    same line), or is indented deeper than the level around it."""
    openers = text.count("[") + text.count("{") + text.count("-") + text.count("?")
    indent = max((len(lead) for lead in re.findall(r"(?m)^[ \t]*", text)), default=0)
    return 2 * openers + indent + 2


def _too_deep(path: str, text: str, yaml: Any, language: str) -> tuple[int, InputError] | None:
    """The first document nested deeper than MAX_DEPTH, found before a composer recurses into it:
    (the 0-based line where that document starts, the error), or None.

    Walks the parser's events (no recursion); the text of real policies is bounded well below
    the depth where composing is unsafe, and skips the walk. Syntax errors are left to the composer.
    """
    if _nesting_bound(text) <= _UNCHECKED_NESTING:
        return None
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent, DocumentStartEvent

    depth, document_line = 0, 0
    try:
        for event in yaml.parse(io.StringIO(text)):
            if isinstance(event, DocumentStartEvent):
                document_line = event.start_mark.line
            elif isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH + 1:  # the root collection is level 0
                    mark = event.start_mark
                    return document_line, _ContentError(
                        path, mark.line + 1, mark.column + 1,
                        f"cannot read {language}: nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        pass
    return None


def read_text(path: str) -> str:
    """The text of ``path`` (``-`` for stdin); InputError when it is missing, binary or empty."""
    import sys

    try:
        if path == "-":
            raw = sys.stdin.buffer.read(limits.MAX_POLICY_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > limits.MAX_POLICY_BYTES:  # refused before it is read
                    raise LimitError(path, 1, 1, limits.too_many_bytes(size))
                raw = handle.read(limits.MAX_POLICY_BYTES + 1)
    except FileNotFoundError:
        raise InputError(path, 1, 1, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, 1, 1, "is a directory") from None
    except OSError as exc:
        raise InputError(path, 1, 1, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > limits.MAX_POLICY_BYTES:  # standard input, or a file that grew while read
        raise LimitError(path, 1, 1, limits.too_many_bytes(len(raw) if path != "-" else None))
    return decode_text(path, raw)


def read_file(path: str) -> tuple[str, list[Document]]:
    """Read ``path`` (``-`` for stdin) into its documents; InputError on anything unreadable."""
    text = read_text(path)
    return text, parse_documents(path, text)
