"""Files to policies, two ways.

``apiserver_read`` reads a file exactly as kube-apiserver's policy reader does (only the first YAML
document; JSON when the file starts with ``{``). ``lint_read`` reads generously: every document of
the file that is an audit policy, with notes on how the apiserver would read the file differently;
in a shell script, Terraform file or Markdown document, the policies of its heredocs and code
blocks (``linter.policy.wrapped``), positioned in the wrapping file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from kube_audit_lint.policy import versions
from kube_audit_lint.policy.embedded import embedded_policies
from kube_audit_lint.policy.model import type_meta
from kube_audit_lint.policy.validate import Problem, Verdict, apiserver_verdict, is_audit_policy_document
from kube_audit_lint.policy import limits
from kube_audit_lint.policy.wrapped import Skip, looks_like_policy, wrapped_blocks, wrapper_kind
from kube_audit_lint.policy.yamlnodes import (Document, InputError, LimitError, Span, parse_leading_documents, read_file,
                                              read_text)


@dataclass
class FileReading:
    path: str
    documents: list[Document]
    verdicts: list[Verdict] = field(default_factory=list)  # one per policy document read
    notes: list[Problem] = field(default_factory=list)  # how the apiserver reads the file differently
    skipped: list[Document] = field(default_factory=list)  # documents that are not policies
    text: str = ""  # the text read (stdin can be read only once: excerpts and suppressions need it)
    embedded: list[str] = field(default_factory=list)  # where policies inside other documents were found
    wrapper: str | None = None  # "shell", "terraform", "markdown" (linter.policy.wrapped), or None for YAML
    block_skips: list[tuple[Span, str]] = field(default_factory=list)  # policy blocks not read, and why
    block_errors: list[InputError] = field(default_factory=list)  # policy blocks that cannot be read

    @property
    def is_policy_file(self) -> bool:
        return bool(self.verdicts or self.block_errors)


def _multi_document_note(documents: list[Document], first_policy: int) -> Problem | None:
    if len(documents) <= 1 and first_policy == 0:
        return None
    if first_policy != 0:
        doc = documents[first_policy]
        return Problem("", f"kube-apiserver reads only the first YAML document of a policy file; the policy "
                       f"is document {first_policy + 1}, so the apiserver would read document 1 instead",
                       doc.start, (), error=True, kind="multi-document")
    rest = documents[1]
    return Problem("", f"kube-apiserver reads only the first YAML document of a policy file; the "
                   f"{len(documents) - 1} document(s) after it are ignored", rest.start, (), error=False,
                   kind="multi-document")


def apiserver_read(path: str, kube_version: tuple[int, int] = versions.DEFAULT) -> FileReading:
    """The apiserver's reading: the first document only. Raises InputError when unreadable.

    sigs.k8s.io/yaml decodes the first document and never looks further, so a later document
    that is not even valid YAML does not stop the apiserver: it is reported as a warning.
    """
    text = read_text(path)
    documents, tail_error = parse_leading_documents(path, text)
    if isinstance(tail_error, LimitError):
        raise tail_error
    if not documents:
        raise InputError(path, 1, 1, "no YAML document in the file")
    reading = FileReading(path, documents)
    reading.verdicts.append(apiserver_verdict(documents[0], kube_version))
    _check_rule_counts(reading)
    note = _multi_document_note(documents, 0)
    if note:
        reading.notes.append(note)
    if tail_error is not None:
        reading.notes.append(_unread_tail_note(tail_error))
    reading.skipped = documents[1:]
    return reading


def _unread_tail_note(error: InputError) -> Problem:
    """A later document that cannot be read: the apiserver stops at the first one, so it only warns."""
    return Problem("", f"{error.message}: kube-apiserver never reads past the first document, so this does not "
                   "stop it", Span(error.line, error.column, error.line, error.column), (), error=False,
                   kind="multi-document")


def lint_read(path: str, kube_version: tuple[int, int] = versions.DEFAULT, name: str | None = None) -> FileReading:
    """Every policy document in the file; non-policy documents are kept aside as skipped.

    A document that cannot be read after a first policy document is a note, as for the apiserver
    (which reads only the first); before one, it makes the file unreadable (InputError).
    A shell script, Terraform file or Markdown document is read for the policies it wraps (known
    by ``name`` when given: the name of a file piped in on stdin, else by ``path``)."""
    text = read_text(path)
    kind = wrapper_kind(name or path, text)
    if kind is not None:
        return _wrapped_read(path, text, kind, kube_version)
    documents, tail_error = parse_leading_documents(path, text)
    if isinstance(tail_error, LimitError) or (
            tail_error is not None and not (documents and is_audit_policy_document(documents[0].data))):
        raise tail_error
    if not documents:
        raise InputError(path, 1, 1, "no YAML document in the file")
    reading = FileReading(path, documents, text=text)
    _read_documents(reading, documents, tail_error, text, kube_version)
    return reading


def _read_documents(reading: FileReading, documents: list[Document], tail_error: InputError | None, text: str,
                    kube_version: tuple[int, int], move: Callable[[Span], Span] = lambda span: span) -> None:
    """The policies of one YAML stream into ``reading``; ``move`` places a position of ``text`` in
    the file read (``text`` is a block of a wrapping file)."""
    policy_indexes = [i for i, doc in enumerate(documents) if is_audit_policy_document(doc.data)]
    for i, doc in enumerate(documents):
        if i in policy_indexes:
            reading.verdicts.append(apiserver_verdict(moved(doc, move), kube_version))
            continue
        embedded = embedded_policies(doc, text)
        reading.verdicts += [apiserver_verdict(moved(policy, move), kube_version) for _, policy in embedded]
        reading.embedded += [where for where, _ in embedded]
        if not embedded:
            reading.skipped.append(moved(doc, move))
    if policy_indexes:
        note = _multi_document_note(documents, policy_indexes[0])
        if note:
            reading.notes.append(replace(note, span=move(note.span)))
    if tail_error is not None:
        note = _unread_tail_note(tail_error)
        reading.notes.append(replace(note, span=move(note.span)))
    _check_rule_counts(reading)


def moved(document: Document, move: Callable[[Span], Span]) -> Document:
    """``document`` with every position passed through ``move``."""
    return replace(document, spans={p: move(s) for p, s in document.spans.items()},
                   key_spans={p: move(s) for p, s in document.key_spans.items()},
                   duplicate_keys=[(p, move(s)) for p, s in document.duplicate_keys], start=move(document.start))


def _wrapped_read(path: str, text: str, kind: str, kube_version: tuple[int, int]) -> FileReading:
    """The policies in the heredocs or code blocks of a wrapping file. A block that is no policy is
    passed over in silence (a README has many YAML blocks); one that looks like a policy but cannot
    be read as written is a skip with its reason, or an error when it is broken YAML."""
    reading = FileReading(path, [], text=text, wrapper=kind)
    for block in wrapped_blocks(kind, text):
        if isinstance(block, Skip):
            if looks_like_policy(block.text):
                reading.block_skips.append((Span(block.line, block.column, block.line, block.column), block.reason))
            continue
        move = block_position(block.line, block.indents)
        try:
            documents, tail_error = parse_leading_documents(path, block.text)
        except InputError as exc:
            if looks_like_policy(block.text):
                reading.block_errors.append(_moved_error(exc, move))
            continue
        if not documents:
            continue
        if tail_error is not None and not is_audit_policy_document(documents[0].data):
            if looks_like_policy(block.text):
                reading.block_errors.append(_moved_error(tail_error, move))
            continue
        found = FileReading(path, documents)
        _read_documents(found, documents, tail_error, block.text, kube_version, move)
        if found.verdicts:
            reading.documents += found.documents
            reading.verdicts += found.verdicts
            reading.notes += found.notes
            reading.skipped += found.skipped
            reading.embedded += [f"{block.label} (line {block.line - 1})"] + found.embedded
    return reading


def block_position(first_line: int, indents: tuple[int, ...]) -> Callable[[Span], Span]:
    """Positions in a block's text -> positions in the wrapping file: the block starts on
    ``first_line`` and line ``n`` of the block lost ``indents[n - 1]`` characters in front."""
    def indent(line: int) -> int:
        return indents[line - 1] if 0 < line <= len(indents) else 0

    def move(span: Span) -> Span:
        return Span(span.line + first_line - 1, span.column + indent(span.line),
                    span.end_line + first_line - 1, span.end_column + indent(span.end_line))

    return move


def _moved_error(error: InputError, move: Callable[[Span], Span]) -> InputError:
    at = move(Span(error.line, error.column, error.line, error.column))
    return InputError(error.path, at.line, at.column, error.message)


def _check_rule_counts(reading: FileReading) -> None:
    """LimitError, at the first rule past the limit, for a policy with too many rules."""
    for verdict in reading.verdicts:
        policy = verdict.policy
        if len(policy.rules) > limits.MAX_RULES:
            span = policy.span(("rules", limits.MAX_RULES))
            raise LimitError(policy.path, span.line, span.column, limits.too_many_rules(len(policy.rules)))


def first_document_not_policy(reading: FileReading) -> str | None:
    """Why the document kube-apiserver reads (the first) is no audit policy at all, or None when
    it is one (a policy it would refuse is still a policy)."""
    data = reading.documents[0].data
    if is_audit_policy_document(data):
        return None
    if isinstance(data, dict):
        found = ", ".join(f"{key} {type_meta(data, key)}" for key in ("kind", "apiVersion")
                          if isinstance(type_meta(data, key), str))
    else:
        found = {list: "a list", str: "a string", type(None): "nothing"}.get(type(data), "a single value")
    message = f"not an audit policy ({found or 'no kind or apiVersion'}; expected kind Policy, apiVersion audit.k8s.io/v1)"
    later = next((doc for doc in reading.skipped if is_audit_policy_document(doc.data)), None)
    if later is not None:
        message += (f"; document {later.index + 1} (line {later.start.line}) is one, but kube-apiserver reads "
                    "only the first document of a policy file")
    return message


def mentions_audit_policy(path: str) -> bool:
    """Whether a file that cannot be read as a policy was meant to be one (its errors are ours to
    report), judged from its raw text: it names the audit.k8s.io group or a ``kind: Policy``.

    A template (Helm's or Jinja's ``{{ ... }}``, ``{% ... %}``) is no policy until it is rendered:
    pre-commit hands over a chart's templates too, and their template syntax is not our error."""
    import re

    if path == "-":
        return True
    try:
        with open(path, "rb") as handle:
            raw = handle.read(1 << 20)
    except OSError:
        return True
    for encoding in ("utf-32", "utf-16"):  # text in an encoding kube-apiserver may not read
        if raw.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")) and b"\x00" in raw[:16]:
            try:
                raw = raw[: len(raw) // 4 * 4].decode(encoding).encode("utf-8")
                break
            except UnicodeDecodeError:
                continue
    else:
        if raw[1:64:2].count(0) > 24:  # UTF-16 without a byte-order mark
            raw = raw[: len(raw) // 2 * 2].decode("utf-16-le", "replace").encode("utf-8")
        elif raw[0:64:2].count(0) > 24:
            raw = raw[: len(raw) // 2 * 2].decode("utf-16-be", "replace").encode("utf-8")
    if b"{{" in raw or b"{%" in raw:
        return False
    return b"audit.k8s.io" in raw or re.search(rb"(?m)^\s*kind:\s*['\"]?Policy\b", raw) is not None


def holds_audit_policy(path: str) -> bool:
    """Whether ``path`` is a policy file to check: it holds an audit policy document, or it is
    unreadable but mentions one. pre-commit hands over every YAML file; the rest are skipped."""
    try:
        _, documents = read_file(path)
    except InputError:
        return mentions_audit_policy(path)
    return any(is_audit_policy_document(doc.data) for doc in documents)
