from __future__ import annotations

import re
from dataclasses import replace

from kube_audit_lint.findings import Finding, Location, Report, Severity, Suppression
from kube_audit_lint.output import markdown
from test_output_support import SPECS, sample_report

GITHUB_ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/cluster",
    "GITHUB_SHA": "0123abcd",
}

EXPECTED = """\
## kube-audit-lint

**3 findings** in 1 policy file: 1 error, 1 warning, 1 note.

| Errors | Warnings | Notes | Suppressed |
| ---: | ---: | ---: | ---: |
| 1 | 1 | 1 | 1 |

| Severity | Check | Location | Message |
| --- | --- | --- | --- |
| error | KAL001 sensitive-body-captured | [policies/audit.yaml:8](policies/audit.yaml#L8) | secrets can be logged at RequestResponse by rule 1<br>Example: get secrets/db-password -n prod by alice<br>Fix: log secrets at Metadata in a rule before rule 1 |
| warning | KAL004 unreachable-rule | [policies/audit.yaml:12](policies/audit.yaml#L12) | rule 2 is never reached: rule 1 matches every request it would |
| note | KAL010 verbose-read-logging | [policies/audit.yaml:13](policies/audit.yaml#L13) | reads are logged with their request body |

<details>
<summary>1 suppressed finding</summary>

| Check | Location | Message | Suppressed by | Justification |
| --- | --- | --- | --- | --- |
| KAL003 health-endpoint-logged | [policies/audit.yaml:6](policies/audit.yaml#L6) | /healthz is logged at Metadata | inline | health checks are handled upstream |

</details>
"""


def test_summary_exact(tmp_path):
    assert markdown.render(sample_report(tmp_path), env={}) == EXPECTED


def test_links_to_the_commit_inside_github_actions(tmp_path):
    output = markdown.render(sample_report(tmp_path), env=GITHUB_ENV)
    assert "[policies/audit.yaml:8](https://github.com/acme/cluster/blob/0123abcd/policies/audit.yaml#L8)" in output
    assert "(policies/audit.yaml#L" not in output


def test_partial_github_environment_falls_back_to_relative_links(tmp_path):
    env = dict(GITHUB_ENV, GITHUB_SHA="")
    assert "](policies/audit.yaml#L8)" in markdown.render(sample_report(tmp_path), env=env)


def test_every_finding_is_listed(tmp_path):
    findings = [
        Finding("KAL002", "some-check", Severity.WARNING, f"finding {n}", Location(str(tmp_path / "a.yaml"), n, 1))
        for n in range(1, 61)
    ]
    output = markdown.render(Report(findings=findings, root=str(tmp_path)), env={})
    assert all(f"| finding {n} |" in output for n in range(1, 61))
    assert "**60 findings**: 60 warnings." in output


def test_cells_are_escaped(tmp_path):
    finding = Finding(
        "KAL002", "some-check", Severity.ERROR, "a | b\nline two <script> & co",
        Location(str(tmp_path / "a.yaml"), 1, 1), fix="use `x|y`",
    )
    row = next(line for line in markdown.render(Report(findings=[finding], root=str(tmp_path)), env={}).splitlines() if "KAL002" in line)
    assert "a \\| b<br>line two &lt;script&gt; &amp; co<br>Fix: use `x\\|y`" in row
    assert len(re.findall(r"(?<!\\)\|", row)) == 5  # four cells, no stray separator


def test_path_outside_root_is_not_linked(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    finding = Finding("KAL002", "some-check", Severity.NOTE, "m", Location(str(tmp_path / "a.yaml"), 2, 1))
    output = markdown.render(Report(findings=[finding], root=str(root)), env=GITHUB_ENV)
    assert f"| {markdown.cell((tmp_path / 'a.yaml').as_posix())}:2 |" in output  # _ escaped, shown as _
    assert "blob/" not in output


def test_path_with_space_is_encoded_in_link(tmp_path):
    finding = Finding("KAL002", "some-check", Severity.NOTE, "m", Location(str(tmp_path / "my dir" / "a.yaml"), 2, 1))
    output = markdown.render(Report(findings=[finding], root=str(tmp_path)), env={})
    assert "[my dir/a.yaml:2](my%20dir/a.yaml#L2)" in output


def test_clean_report(tmp_path):
    output = markdown.render(Report(findings=[], files=["a.yaml", "b.yaml"]), env={})
    assert "No findings in 2 policy files." in output
    assert "<details>" not in output and "| Severity |" not in output


def test_suppression_without_justification_is_marked(tmp_path):
    from kube_audit_lint.findings import Suppression

    finding = Finding(
        "KAL002", "some-check", Severity.NOTE, "m", Location(str(tmp_path / "a.yaml"), 2, 1),
        suppression=Suppression("file"),
    )
    output = markdown.render(Report(findings=[finding], root=str(tmp_path)), env={})
    assert "| file | *none given* |" in output
    assert "No findings." in output


def test_a_long_summary_stays_below_githubs_1_mib_limit(tmp_path):
    path = str(tmp_path / "policy.yaml")
    findings = [
        Finding("KAL001", "sensitive-body-captured", Severity.ERROR, f"finding {i}: " + "é" * 400,
                Location(path, i + 1, 1))
        for i in range(3000)
    ]
    findings += [replace(findings[0], suppression=Suppression("inline", "why")) for _ in range(10)]
    report = Report(findings=findings, files=[path], checks=SPECS, root=str(tmp_path))
    text = markdown.render(report, env={})
    assert len(text.encode("utf-8")) < 1024 * 1024
    shown = text.count("| error | KAL001")
    assert 1000 < shown < 3000
    assert "finding 0:" in text and f"finding {shown - 1}:" in text and f"finding {shown}:" not in text
    assert f"**{3000 - shown + 10} more findings left out** to keep this summary under GitHub's 1 MiB limit" in text
    assert "--format json" in text
    assert "| 3000 | 0 | 0 | 10 |" in text  # the counts stay complete


def test_a_short_summary_is_whole(tmp_path):
    text = markdown.render(sample_report(tmp_path), env={})
    assert "left out" not in text
    smaller = markdown.render(sample_report(tmp_path), env={}, limit=len(text.encode()) - 1)
    assert "left out" in smaller and len(smaller.encode()) < len(text.encode())
