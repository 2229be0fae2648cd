"""The report in its four formats: the JSON matches its documented schema, Markdown and HTML hold
the seven sections, the HTML is self-contained, and the identification can be trusted."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kube_audit_lint.report import render
from kube_audit_lint.report.model import ReportOptions, build_report

MANIFEST = """\
apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
    - name: kube-apiserver
      command:
        - kube-apiserver
        - --audit-policy-file=/etc/kubernetes/audit/gce-configure-helper.yaml
        - --audit-log-path=/var/log/kubernetes/audit.log
        - --audit-log-maxage=7
"""
FIXED_TIME = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, corpus_policies) -> dict:
    events = corpus_policies.parent / "events" / "panther-analysis-tests.jsonl"
    if not events.is_file():
        pytest.skip(f"../shared not present: {events}")
    work = tmp_path_factory.mktemp("report")
    manifest = work / "kube-apiserver.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    return {"policy": str(corpus_policies / "gce-configure-helper.yaml"), "events": [str(events)],
            "manifest": str(manifest)}


@pytest.fixture(scope="module")
def report(inputs) -> dict:
    return build_report(ReportOptions(
        policy=inputs["policy"], events=inputs["events"], apiserver_manifest=inputs["manifest"],
        frameworks="cis,nsa,stig,pci,falco,elastic,eks", generated_at=FIXED_TIME,
    ))


@pytest.fixture(scope="module")
def html(report) -> str:
    pytest.importorskip("jinja2", reason="the report extra (Jinja2) is not installed")
    return render(report, "html")


def test_json_matches_its_schema_and_is_the_model(report):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).resolve().parents[1] / "linter" / "data" / "report" / "report.schema.json").read_text())
    text = render(report, "json")
    data = json.loads(text)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=str)
    assert not errors, errors[0].message
    assert data == json.loads(json.dumps(report))
    assert (data["format"], data["formatVersion"]) == ("kube-audit-lint-report", 1)


def test_identification(report, inputs):
    ident = report["identification"]
    raw = Path(inputs["policy"]).read_bytes()
    assert ident["policy"]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert ident["policy"]["lines"] == len(raw.decode().splitlines())
    assert ident["generatedAt"] == "2026-01-02T03:04:05Z"
    assert ident["kubeVersion"] == "1.36"
    assert [f["name"] for f in ident["frameworks"]] == ["cis", "nsa", "stig", "pci", "falco", "elastic", "eks-detections"]
    assert ident["apiserverManifest"]["sha256"] == hashlib.sha256(MANIFEST.encode()).hexdigest()
    assert ident["events"][0]["sha256"] == hashlib.sha256(Path(inputs["events"][0]).read_bytes()).hexdigest()
    assert ident["baseline"]["name"] == "recommended"


def test_summary_counts_agree_with_the_controls(report):
    for summary, framework in zip(report["summary"]["frameworks"], report["frameworks"]):
        statuses = [c["status"] for c in framework["controls"]]
        assert summary["counts"] == {s: statuses.count(s) for s in ("pass", "fail", "manual", "not-applicable")}
    findings = report["summary"]["findings"]
    active = [f for f in report["findings"] if not f["suppressed"]]
    assert findings["warning"] == sum(f["severity"] == "warning" for f in active)


def test_manifest_flags_are_evidence_with_lines(report):
    cis = next(f for f in report["frameworks"] if f["name"] == "cis")
    maxage = next(c for c in cis["controls"] if c["id"] == "1.2.17")
    assert maxage["status"] == "fail"
    assert maxage["tests"][0]["evidence"][0]["line"] == 11
    kal062 = [f for f in report["findings"] if f["code"] == "KAL062"]
    assert kal062 and kal062[0]["file"].endswith("kube-apiserver.yaml") and kal062[0]["line"] == 11


def test_the_audit_flags_table(report):
    flags = {f["flag"]: f for f in report["apiserverFlags"]["flags"]}
    assert (flags["audit-log-maxage"]["value"], flags["audit-log-maxage"]["line"]) == ("7", 11)
    assert [x["code"] for x in flags["audit-log-maxage"]["findings"]] == ["KAL062"]
    assert (flags["audit-log-maxsize"]["value"], flags["audit-log-maxsize"]["origin"]) == ("100", "default")
    assert flags["audit-log-format"]["value"] == "json" and flags["audit-log-format"]["note"] is None
    assert flags["audit-webhook-config-file"]["origin"] == "unset"


def test_a_legacy_log_format_is_noted(inputs, tmp_path):
    manifest = tmp_path / "flags.txt"
    manifest.write_text("--audit-policy-file=/p.yaml --audit-log-path=/a.log --audit-log-format=legacy\n")
    flags = build_report(ReportOptions(policy=inputs["policy"], frameworks="cis", apiserver_manifest=str(manifest)))
    (row,) = [f for f in flags["apiserverFlags"]["flags"] if f["flag"] == "audit-log-format"]
    assert row["value"] == "legacy" and row["note"].startswith("expected json")


def test_replay_evidence_is_counted(report):
    replay = report["replay"]
    assert replay["events"] == 219
    assert sum(replay["eventsByLevel"].values()) == replay["events"]
    assert sum(r["events"] for r in replay["rules"]) + replay["unmatched"] == replay["events"]
    assert replay["unusedRules"] and 0 in replay["unusedRules"]


SECTIONS = ("identification", "summary", "controls", "matrix", "replay", "exceptions", "appendix")


def test_html_is_one_self_contained_file(html):
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "@import" not in html and "url(" not in html
    assert not re.search(r"""\b(?:src|href|xlink:href|action|poster|srcset)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "<svg" in html and "<style>" in html


def test_html_sections_and_links_into_the_appendix(html, report):
    for section in SECTIONS:
        assert f'<section id="{section}"' in html
    lines = len(report["sources"]["policy"]["lines"])
    anchors = set(re.findall(r'id="policy-L(\d+)"', html))
    assert len(anchors) == lines
    targets = set(re.findall(r'href="#policy-L(\d+)"', html))
    assert targets and targets <= anchors
    assert 'href="#manifest-L11"' in html and 'id="manifest-L11"' in html
    for framework in report["frameworks"]:
        for control in framework["controls"]:
            assert f'id="ctl-{framework["name"]}-{control["id"]}"' in html
    assert 'id="conflict-sensitive-bodies"' in html and 'href="#conflict-sensitive-bodies"' in html


def test_html_every_rule_evidence_links_to_its_line(html):
    # every "rule N (line L)" shown is a link to line L of the policy
    shown = re.findall(r'<a href="#policy-L(\d+)" class="mono">rule \d+ \(line (\d+)\)</a>', html)
    assert shown and all(a == b for a, b in shown)
    assert not re.search(r'<span class="mono">rule \d+ \(line \d+\)</span>', html)


def test_html_has_a_print_stylesheet(html):
    assert "@media print" in html and "@page" in html


def test_markdown_sections_and_tables(report):
    text = render(report, "md")
    for heading in ("## 1. Identification", "## 2. Summary", "## 3. Controls", "## 4. Effective levels",
                    "## 5. Replay evidence", "## 6. Accepted exceptions", "## 7. Appendix: lint findings", "## 8. Appendix: sources"):
        assert heading in text
    assert "| Control | Status | Evidence | Remediation |" in text
    assert "#### Bodies of Secrets, ConfigMaps and TokenReviews" in text
    assert '<a name="policy-source"></a>' in text and "](#policy-source)" in text
    for row in text.splitlines():
        if row.startswith("| **3.2.2**"):
            assert row.count(" | ") == 3  # a pipe inside a cell would add columns
            break
    else:
        pytest.fail("no 3.2.2 row")


def test_a_policy_kube_apiserver_refuses_says_so_first(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Loud\n")
    refused = build_report(ReportOptions(policy=str(policy), frameworks="cis"))
    ident = refused["identification"]["policy"]
    assert ident["accepted"] is False and ident["refusedBecause"][0]["line"] == 4
    assert "would refuse this policy" in render(refused, "md").split("## 1.")[0]
    pytest.importorskip("jinja2")
    assert "would refuse this policy" in render(refused, "html").split('<section id="identification"')[0]


def test_without_events_the_replay_section_says_so(inputs):
    plain = build_report(ReportOptions(policy=inputs["policy"], frameworks="cis", generated_at=FIXED_TIME))
    assert plain["replay"] is None
    assert "No audit log was given" in render(plain, "md")


def test_source_date_epoch_sets_the_time(inputs, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    plain = build_report(ReportOptions(policy=inputs["policy"], frameworks="cis"))
    assert plain["identification"]["generatedAt"] == "2023-11-14T22:13:20Z"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_commit_and_local_changes(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    policy = tmp_path / "audit" / "policy.yaml"
    policy.parent.mkdir()
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "policy")
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    clean = build_report(ReportOptions(policy=str(policy), frameworks="cis"))["identification"]["git"]
    assert clean == {"commit": head, "path": "audit/policy.yaml", "tracked": True, "dirty": False}
    policy.write_text(policy.read_text() + "  # changed\n")
    dirty = build_report(ReportOptions(policy=str(policy), frameworks="cis"))["identification"]["git"]
    assert dirty["dirty"] is True


def test_outside_git_there_is_no_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    policy = tmp_path / "policy.yaml"
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n")
    assert build_report(ReportOptions(policy=str(policy), frameworks="cis"))["identification"]["git"] is None
