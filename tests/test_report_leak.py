"""Nothing leaks: a secret planted in the bodies, headers and annotations of replayed events appears
in no format of the report, while the events themselves are counted and listed by request."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from kube_audit_lint.report import render
from kube_audit_lint.report.model import ReportOptions, build_report

SECRET = "pl4nted-s3cret-d0-not-print"

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    resources: [{group: "", resources: ["secrets"]}]
  - level: RequestResponse
"""


def leaky_event(**overrides) -> dict:
    event = {
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse", "stage": "ResponseComplete",
        "auditID": "6e1f6a3c-0000-4000-8000-000000000001",
        "verb": "get",
        "requestURI": f"/api/v1/namespaces/prod/secrets/db?token={SECRET}",
        "user": {"username": "alice", "groups": ["system:authenticated"], "extra": {"token": [SECRET]}},
        "impersonatedUser": {"username": SECRET},
        "sourceIPs": ["10.0.0.1"],
        "userAgent": f"kubectl/v1.30 {SECRET}",
        "objectRef": {"resource": "secrets", "namespace": "prod", "name": "db", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 200, "message": SECRET},
        "requestObject": {"kind": "Secret", "data": {"password": SECRET}},
        "responseObject": {"kind": "Secret", "data": {"password": SECRET}, "metadata": {"annotations": {"a": SECRET}}},
        "annotations": {"authorization.k8s.io/reason": SECRET, "mutation.webhook.admission.k8s.io/round_0": SECRET},
    }
    event.update(overrides)
    return event


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("leak")
    policy = work / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    log = work / "audit.log"
    events = [
        leaky_event(),
        leaky_event(verb="create", requestURI=f"/api/v1/namespaces/prod/pods/web/exec?command=sh&command=-c&command={SECRET}",
                    objectRef={"resource": "pods", "subresource": "exec", "namespace": "prod", "name": "web"}),
        leaky_event(verb="get", requestURI=f"/healthz?verbose={SECRET}", objectRef=None),
    ]
    lines = [json.dumps({k: v for k, v in e.items() if v is not None}) for e in events]
    lines.append('{"kind": "Event", "verb": 42, "note": "' + SECRET + '"}')  # a bad line holding the secret
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return build_report(ReportOptions(policy=str(policy), events=[str(log)],
                                      frameworks="cis,nsa,stig,pci,falco,elastic,eks"))


def test_the_events_were_read_and_the_dropped_secret_read_is_listed(report):
    replay = report["replay"]
    assert replay["events"] == 3 and replay["badLineCount"] == 1
    (dropped,) = replay["sensitiveNotLogged"]["requests"]
    assert dropped["request"]["resource"] == "secrets" and dropped["request"]["name"] == "db"


@pytest.mark.parametrize("fmt", ["json", "md", "html"])
def test_no_format_carries_the_secret(report, fmt):
    if fmt == "html":
        pytest.importorskip("jinja2", reason="the report extra (Jinja2) is not installed")
    text = render(report, fmt)
    assert SECRET not in text
    assert "db" in text  # the request attributes are there


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_does_not_carry_it_either(report, tmp_path):
    pytest.importorskip("jinja2", reason="the report extra (Jinja2) is not installed")
    from kube_audit_lint.report.pdf import find_chromium

    if find_chromium() is None:
        pytest.skip("Chromium is not installed")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render(report, "pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Replay evidence" in text
    assert SECRET not in text and SECRET.encode() not in pdf.read_bytes()
