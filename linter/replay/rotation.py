"""A rotated log set, given as a folder or a glob, read in time order (oldest first).

kube-apiserver's log backend rotates ``audit.log`` into backups named with the rotation time
(``audit-2026-12-03T10-00-00.000.log``, ``.gz`` when compressed); logrotate numbers them
(``audit.log.1``, ``audit.log.2.gz``: the higher, the older). The live file comes last. Files
named otherwise keep their name order, before the live file. Only regular files are read: a
folder's FIFOs, sockets and devices are skipped with a reason, as are hidden files.
"""

from __future__ import annotations

import glob
import os
import re
import stat

from kube_audit_lint.replay.reading import LogError

_BACKUP_TIME = re.compile(r"-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)(?:\.[^.]+)?(?:\.gz|\.bz2|\.xz|\.zst)?$")
_NUMBERED = re.compile(r"\.(\d+)(?:\.gz|\.bz2|\.xz|\.zst)?$")
_GLOB = re.compile(r"[*?[]")


def time_order_key(path: str) -> tuple:
    """Backups by rotation time, then numbered ones from the oldest (highest number), then the rest
    by name (the live file among them)."""
    name = os.path.basename(path)
    backup = _BACKUP_TIME.search(name)
    if backup:
        return (0, backup.group(1), name)
    numbered = _NUMBERED.search(name)
    if numbered:
        return (1, -int(numbered.group(1)), name)
    return (2, "", name)


def expand(names: list[str]) -> tuple[list[str], list[str]]:
    """The inputs, with each folder and glob pattern replaced by its regular files in time order;
    and the files skipped, each with its reason. LogError for a pattern that matches nothing."""
    out: list[str] = []
    skipped: list[str] = []
    for name in names:
        if name == "-" or os.path.isfile(name):
            out.append(name)
        elif os.path.isdir(name):
            entries = sorted(os.path.join(name, entry) for entry in os.listdir(name) if not entry.startswith("."))
            out += _regular(entries, skipped)
        elif _GLOB.search(name) and not os.path.exists(name):
            matches = glob.glob(name)
            if not matches:
                raise LogError(f"{name}: no file matches this pattern")
            out += _regular(sorted(matches), skipped)
        else:
            out.append(name)  # missing or special: opening it says why
    return out, skipped


def _regular(paths: list[str], skipped: list[str]) -> list[str]:
    files = []
    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            skipped.append(f"{path}: skipped: {exc.strerror or exc}")
            continue
        if stat.S_ISREG(mode):
            files.append(path)
        elif not stat.S_ISDIR(mode):
            skipped.append(f"{path}: skipped: not a regular file (a FIFO, socket or device)")
    return sorted(files, key=time_order_key)
