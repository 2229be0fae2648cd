"""Audit policies written inside files that are not YAML: shell heredocs, Terraform heredocs and
Markdown code blocks.

Each wrapper yields the blocks of text it holds (``Block``: the text as the program reading it
would see it, the line of the wrapping file it starts on and the indentation removed from each of
its lines) and the blocks that cannot be read as written (``Skip``: a shell heredoc whose delimiter
is unquoted substitutes ``$variables``; a Terraform heredoc with ``${...}`` or ``%{...}`` is a
template). Which blocks hold a policy is the reader's business (``linter.policy.load``); a skip is
only reported for a block that looks like a policy, so a script's other heredocs stay quiet.

Pure functions of the text: no file is read here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

SHELL, TERRAFORM, MARKDOWN = "shell", "terraform", "markdown"
_SUFFIXES = {
    ".sh": SHELL, ".bash": SHELL, ".zsh": SHELL, ".ksh": SHELL,
    ".tf": TERRAFORM,
    ".md": MARKDOWN, ".markdown": MARKDOWN,
}
_SHEBANG = re.compile(r"#!\s*\S*/(?:env\s+)?(?:ba|z|k|da)?sh\b")

UNQUOTED_HEREDOC = ("heredoc with an unquoted delimiter substitutes $variables; quote the delimiter ('EOF') "
                    "to lint it")
TERRAFORM_TEMPLATE = ("Terraform heredoc with ${...} or %{...} is a template Terraform renders; lint the "
                      "rendered policy (terraform console, or a heredoc without interpolation)")


@dataclass(frozen=True)
class Block:
    """Text held by a wrapper: its first line in the wrapping file, and per line of the text the
    number of characters removed in front of it (tabs of ``<<-``, a code block's indentation)."""

    line: int  # 1-based line of the wrapping file where the text's first line is
    indents: tuple[int, ...]
    text: str
    label: str  # where it is, for messages: "heredoc 'EOF'", "yaml code block"


@dataclass(frozen=True)
class Skip:
    line: int  # of the opening marker in the wrapping file
    column: int
    reason: str
    text: str  # the block's text as written (to tell whether it is a policy at all)


def wrapper_kind(path: str, text: str) -> str | None:
    """SHELL, TERRAFORM or MARKDOWN for a file of that kind, or None (YAML or JSON, read as such)."""
    kind = _SUFFIXES.get(os.path.splitext(path)[1].lower())
    if kind is not None:
        return kind
    if not path.endswith((".yaml", ".yml", ".json")) and _SHEBANG.match(text):
        return SHELL
    return None


def wrapped_blocks(kind: str, text: str) -> Iterator[Block | Skip]:
    yield from {SHELL: shell_heredocs, TERRAFORM: terraform_heredocs, MARKDOWN: markdown_blocks}[kind](text)


def looks_like_policy(text: str) -> bool:
    """Names the audit.k8s.io group and a ``kind: Policy`` (also nested, as in a ConfigMap)."""
    return "audit.k8s.io" in text and re.search(r"(?m)^\s*[\"']?kind[\"']?\s*:\s*['\"]?Policy\b", text) is not None


# ---------------------------------------------------------------------------------------------
# Shell: cat <<'EOF' > audit-policy.yaml ... EOF (also <<"EOF", <<\EOF, <<-'EOF', tee)

_SHELL_HEREDOC = re.compile(r"(?<![<])<<(?P<dash>-?)[ \t]*(?P<word>'[^'\n]*'|\"[^\"\n]*\"|\\?[A-Za-z_0-9][\w.-]*)")


def shell_heredocs(text: str) -> Iterator[Block | Skip]:
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _shell_opening(lines[index])
        index += 1
        if opening is None:
            continue
        column, dash, delimiter, quoted = opening
        start = index
        while index < len(lines) and (lines[index].lstrip("\t") if dash else lines[index]) != delimiter:
            index += 1
        body = lines[start:index]
        index += 1  # the closing line
        indents = tuple(len(line) - len(line.lstrip("\t")) if dash else 0 for line in body)
        content = "".join(line[indent:] + "\n" for line, indent in zip(body, indents))
        if quoted:
            yield Block(start + 1, indents, content, f"heredoc {delimiter!r}")
        else:
            yield Skip(start, column, UNQUOTED_HEREDOC, content)


def _shell_opening(line: str) -> tuple[int, bool, str, bool] | None:
    """(column, <<-, delimiter, quoted) of the first heredoc opened on ``line``."""
    if line.lstrip().startswith("#") or "((" in line:  # a comment; arithmetic (( 1 << 2 ))
        return None
    match = _SHELL_HEREDOC.search(line)
    if match is None:
        return None
    word = match.group("word")
    quoted = word[0] in "'\"\\"
    delimiter = word[1:-1] if word[0] in "'\"" else word.lstrip("\\")
    return match.start() + 1, bool(match.group("dash")), delimiter, quoted


# ---------------------------------------------------------------------------------------------
# Terraform: content = <<-EOT ... EOT

_TERRAFORM_HEREDOC = re.compile(r"<<(?P<dash>-?)(?P<word>[A-Za-z_][A-Za-z0-9_-]*)[ \t]*$")
_TEMPLATE_SEQUENCE = re.compile(r"[$%]\{")


def terraform_heredocs(text: str) -> Iterator[Block | Skip]:
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        match = None if line.lstrip().startswith(("#", "//")) else _TERRAFORM_HEREDOC.search(line)
        if match is None:
            continue
        start, delimiter = index, match.group("word")
        while index < len(lines) and lines[index].strip() != delimiter:
            index += 1
        body = lines[start:index]
        index += 1
        if _TEMPLATE_SEQUENCE.search("\n".join(body)):
            yield Skip(start, match.start() + 1, TERRAFORM_TEMPLATE, "\n".join(body))
            continue
        # <<- strips the spaces common to every line that is not blank
        common = min((len(b) - len(b.lstrip(" \t")) for b in body if b.strip()), default=0) if match.group("dash") else 0
        indents = tuple(min(common, len(b) - len(b.lstrip(" \t"))) for b in body)
        content = "".join(b[indent:] + "\n" for b, indent in zip(body, indents))
        yield Block(start + 1, indents, content, f"heredoc {delimiter!r}")


# ---------------------------------------------------------------------------------------------
# Markdown: ```yaml ... ``` (or ~~~yml)

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")


def markdown_blocks(text: str) -> Iterator[Block | Skip]:
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        index += 1
        if match is None:
            continue
        fence, indent = match.group("fence"), len(match.group("indent"))
        language = (match.group("info").split() or [""])[0].lower()
        start = index
        while index < len(lines) and not _closes(lines[index], fence):
            index += 1
        body = lines[start:index]
        index += 1
        if language not in ("yaml", "yml"):
            continue
        # CommonMark: a fence indented N spaces removes up to N spaces from each line of its content
        indents = tuple(min(indent, len(b) - len(b.lstrip(" "))) for b in body)
        content = "".join(b[n:] + "\n" for b, n in zip(body, indents))
        yield Block(start + 1, indents, content, f"{language} code block")


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}
