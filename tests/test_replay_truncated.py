"""Logs cut short: a compressed stream that ends early (gz, bz2, xz, zstd) or a last line cut
mid-event. Every complete event is used, the cut is counted per file and shown in every output
format; exit 0, and 2 with --strict."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zlib

import pytest
from typer.testing import CliRunner

from kube_audit_lint.cli import app

POLICY = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"
EVENTS = 3000


def log_bytes() -> bytes:
    return "".join(json.dumps({"kind": "Event", "auditID": f"id-{i}", "stage": "ResponseComplete", "verb": "get",
                               "requestURI": f"/api/v1/namespaces/ns-{i % 97}/pods/p-{i}",
                               "user": {"username": f"user-{i % 13}"},
                               "objectRef": {"resource": "pods", "namespace": f"ns-{i % 97}", "name": f"p-{i}"}})
                   + "\n" for i in range(EVENTS)).encode()


def _zstd():
    zstandard = pytest.importorskip("zstandard", reason="zstandard (extra [zstd]) is not installed")
    return (lambda data: zstandard.ZstdCompressor().compress(data),
            lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data))


CODECS = {
    "gz": (gzip.compress, lambda data: zlib.decompressobj(wbits=31).decompress(data)),
    "bz2": (bz2.compress, lambda data: bz2.BZ2Decompressor().decompress(data)),
    "xz": (lzma.compress, lambda data: lzma.LZMADecompressor().decompress(data)),
    "zstd": None,
}


def replay(*args):
    return CliRunner().invoke(app, ["replay", *args])


@pytest.mark.parametrize("codec", sorted(CODECS))
@pytest.mark.parametrize("fraction", [0.35, 0.7, 0.95])
def test_a_cut_compressed_log_gives_every_complete_event(tmp_path, codec, fraction):
    compress, readable = CODECS[codec] or _zstd()
    whole = compress(log_bytes())
    cut = whole[: int(len(whole) * fraction)]
    available = readable(cut)
    complete = available.count(b"\n")
    path = tmp_path / f"audit.log.{codec}"
    path.write_bytes(cut)
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    result = replay(str(policy), str(path), "--format", "json")
    if complete == 0:  # bz2 gives nothing before its first whole block
        assert result.exit_code == 2 and "no audit event" in result.output
        return
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["events"] == complete < EVENTS
    assert summary["files"][0]["truncatedAfter"] == complete
    assert summary["badLineCount"] == 0
    assert f"truncated after {complete:,} events" in replay(str(policy), str(path)).stdout
    assert "truncated after" in replay(str(policy), str(path), "--format", "markdown").stdout
    strict = replay(str(policy), str(path), "--strict")
    assert strict.exit_code == 2 and f"truncated after {complete:,} events" in strict.output


def test_a_last_line_cut_mid_event(tmp_path):
    data = log_bytes()
    path = tmp_path / "audit.log"
    path.write_bytes(data[: len(data) - 40])  # the last event loses its end
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    summary = json.loads(replay(str(policy), str(path), "--format", "json").stdout)
    assert summary["events"] == EVENTS - 1
    assert summary["files"][0]["truncatedAfter"] == EVENTS - 1
    assert summary["badLineCount"] == 0
    jsonl = replay(str(policy), str(path), "--format", "jsonl")
    assert jsonl.exit_code == 0 and len(jsonl.stdout.splitlines()) == EVENTS - 1


def test_the_report_counts_the_cut(tmp_path):
    whole = gzip.compress(log_bytes())
    path = tmp_path / "audit.log.gz"
    path.write_bytes(whole[: len(whole) // 2])
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    result = CliRunner().invoke(app, ["report", str(policy), "--events", str(path), "--format", "json", "-o", "-"])
    assert result.exit_code in (0, 1), result.output
    files = json.loads(result.stdout)["replay"]["files"]
    assert files[0]["truncatedAfter"] is not None and files[0]["truncatedAfter"] > 0
