"""Check documentation, generated from the checks' docstrings: ``kube-audit-lint checks``.

The docstring of a check is its one source of documentation: the ``checks`` command, the README
checks table, ``docs/checks.md`` and the SARIF rule help all come from it. Regenerate the docs page
with::

    kube-audit-lint checks --format markdown --full > docs/checks.md
"""

from __future__ import annotations

import json
import re
from typing import Iterable, Sequence

from kube_audit_lint import INFORMATION_URI, __version__
from kube_audit_lint.lint import registry  # looked up when called: the checks can be swapped (tests)
from kube_audit_lint.lint.registry import doc_sections

SECTION_ORDER = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix", "References")
DOCS_PAGE = "docs/checks.md"
DOCS_HEADER = (
    "# Checks\n\n"
    "<!-- Generated from the check docstrings by "
    "`kube-audit-lint checks --format markdown --full > docs/checks.md`; do not edit by hand. -->\n"
)
EXIT_OK, EXIT_USAGE = 0, 2


def one_check(spec, output_format: str) -> str:
    if output_format == "markdown":
        return check_markdown(spec)
    if output_format == "json":
        return json.dumps(check_object(spec), indent=2, ensure_ascii=False) + "\n"
    return check_text(spec)


def check_list(specs: Sequence, output_format: str, full: bool) -> str:
    if output_format == "markdown":
        return checks_markdown_doc(specs) if full else checks_table(specs, link_to=DOCS_PAGE)
    if output_format == "json":
        return json.dumps({"checks": [check_object(spec) for spec in specs]}, indent=2, ensure_ascii=False) + "\n"
    if full:
        return "\n".join(check_text(spec) for spec in specs)
    return checks_text_table(specs)


# --- anchors and links -----------------------------------------------------------------------


def heading(spec) -> str:
    return f"{spec.code} {spec.name}"


def docs_anchor(spec) -> str:
    """The anchor GitHub gives the check's heading in docs/checks.md (``kal001-sensitive-body-captured``)."""
    return github_slug(heading(spec))


def docs_url(spec) -> str:
    """Where a check is documented: a plugin's own page, else this project's docs/checks.md as
    released with the running version (the tag ``v<version>``), so the page matches the check."""
    if getattr(spec, "docs_url", ""):
        return spec.docs_url

    return f"{INFORMATION_URI}/blob/v{__version__}/{DOCS_PAGE}#{docs_anchor(spec)}"


def github_slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped (but ``-`` and ``_``), blanks to ``-``."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


# --- sections --------------------------------------------------------------------------------


def ordered_sections(spec) -> list[tuple[str, str]]:
    """The docstring's sections (title, body): the standard ones in their order, then any others."""
    sections = doc_sections(spec.doc)
    standard = {title.lower(): title for title in SECTION_ORDER}
    out = [(title, sections[key]) for key, title in standard.items() if sections.get(key)]
    out += [
        (_title(key, spec.doc), body)
        for key, body in sections.items()
        if key not in standard and key != "summary" and body
    ]
    return out


def _title(key: str, doc: str) -> str:
    """A section's heading as written in the docstring (``doc_sections`` lower-cases the keys)."""
    for line in doc.splitlines():
        line = line.strip()
        if line.startswith("## ") and line[3:].strip().lower() == key:
            return line[3:].strip()
    return key.capitalize()


def summary_paragraph(spec) -> str:
    return doc_sections(spec.doc).get("summary", "") or spec.summary


def option_lines(spec) -> list[str]:
    return [f"- `{name}` (default: `{_json_value(value)}`)" for name, value in spec.options.items()]


def _json_value(value) -> str:
    return json.dumps(value, default=_jsonable)


def _jsonable(value):
    """Option defaults may be sets or tuples; show them as lists."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


# --- text ------------------------------------------------------------------------------------


def checks_text_table(specs: Sequence) -> str:
    rows = [("CODE", "NAME", "SEVERITY", "SUMMARY")] + [
        (spec.code, spec.name, spec.severity.label, spec.summary) for spec in specs
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3] for row in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def check_text(spec) -> str:
    """One check's full documentation for a terminal."""
    lines = [f"{spec.code} {spec.name} ({spec.severity.label})", "", summary_paragraph(spec)]
    for title, body in ordered_sections(spec):
        lines += ["", f"{title}", _indent(body)]
    if spec.options:
        lines += ["", "Options", _indent("\n".join(f"{name}: {_json_value(value)}" for name, value in spec.options.items()))]
    lines += ["", f"Documentation: {docs_url(spec)}"]
    return "\n".join(lines) + "\n"


def check_help_text(spec) -> str:
    """SARIF ``help.text``: the documentation as plain text."""
    parts = [summary_paragraph(spec)]
    parts += [f"{title}\n{body}" for title, body in ordered_sections(spec)]
    return "\n\n".join(part for part in parts if part)


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line.strip() else "" for line in text.splitlines())


# --- markdown --------------------------------------------------------------------------------


def check_markdown(spec, level: int = 2) -> str:
    """One check's section of docs/checks.md."""
    hashes = "#" * level
    lines = [f"{hashes} {heading(spec)}", "", f"Code `{spec.code}` · name `{spec.name}` · severity **{spec.severity.label}**", ""]
    lines += [summary_paragraph(spec), ""]
    for title, body in ordered_sections(spec):
        lines += [f"{hashes}# {title}", "", body, ""]
    if spec.options:
        lines += [f"{hashes}# Options", "", *option_lines(spec), ""]
    return "\n".join(lines)


def check_help_markdown(spec) -> str:
    """SARIF ``help.markdown``: what GitHub shows under "Show more" on an alert."""
    lines = [summary_paragraph(spec), ""]
    for title, body in ordered_sections(spec):
        lines += [f"### {title}", "", body, ""]
    if spec.options:
        lines += ["### Options", "", *option_lines(spec), ""]
    lines.append(f"[Documentation of {spec.code}]({docs_url(spec)})")
    return "\n".join(lines)


def checks_table(specs: Iterable, link_to: str | None = None) -> str:
    """The README checks table; codes link to their section of ``link_to`` when given."""
    lines = ["| Code | Name | Severity | What it does |", "| --- | --- | --- | --- |"]
    for spec in specs:
        code = f"[{spec.code}]({link_to or ''}#{docs_anchor(spec)})" if link_to is not None else spec.code
        lines.append(f"| {code} | `{spec.name}` | {spec.severity.label} | {table_cell(spec.summary)} |")
    return "\n".join(lines) + "\n"


def checks_markdown_doc(specs: Sequence | None = None) -> str:
    """The whole docs/checks.md page: the table, then one section per check."""
    if specs is None:
        specs = registry.all_checks()
    parts = [DOCS_HEADER, checks_table(specs, link_to="")]
    parts += [check_markdown(spec) for spec in specs]
    return "\n".join(parts).rstrip("\n") + "\n"


def table_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- json ------------------------------------------------------------------------------------


def check_object(spec) -> dict:
    return {
        "code": spec.code,
        "name": spec.name,
        "severity": spec.severity.label,
        "category": getattr(spec, "category", ""),
        "precision": getattr(spec, "precision", ""),
        "summary": spec.summary,
        "options": json.loads(_json_value(spec.options)),
        "documentationUri": docs_url(spec),
        "sections": {title: body for title, body in ordered_sections(spec)},
    }
