"""The largest input kube-audit-lint reads, in one place.

Beyond these limits a file is refused with one line, ``FILE:LINE:COL: ...`` (exit status 2; a lint
run goes on with its other files), before the work that grows with the input is done: the size is
checked before the file is read, the documents are counted as they are parsed, the rules before any
check runs. Real policies are far below them: the largest of ../shared/corpus has 19 rules and 8 KiB.
"""

from __future__ import annotations

MAX_POLICY_BYTES = 5 * 1024 * 1024  # text of one policy file (or of standard input)
MAX_DOCUMENTS = 1_000  # YAML documents in one file
MAX_RULES = 5_000  # rules in one policy


def too_many_bytes(size: int | None) -> str:
    """For a file of ``size`` bytes; None for standard input, which is not read past the limit."""
    limit = f"{MAX_POLICY_BYTES // 2**20} MiB" if MAX_POLICY_BYTES % 2**20 == 0 else f"{MAX_POLICY_BYTES:,} bytes"
    found = f"the file has {size:,} bytes" if size is not None else f"more than {MAX_POLICY_BYTES:,} bytes on standard input"
    return f"{found}; kube-audit-lint reads at most {limit} of policy text"


def too_many_documents() -> str:
    return f"more than {MAX_DOCUMENTS:,} YAML documents in the file; kube-audit-lint reads at most {MAX_DOCUMENTS:,}"


def too_many_rules(count: int) -> str:
    return f"the policy has {count:,} rules; kube-audit-lint reads at most {MAX_RULES:,} rules per policy"
