"""A small report shared by the output tests: an error, a warning, a note and a suppressed finding.

Built from fake CheckSpec and Finding values so that the formatter tests do not depend on which
checks exist.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kube_audit_lint.findings import Finding, Location, Report, Severity, Suppression
from kube_audit_lint.lint.registry import CheckSpec

SOURCE = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  # kube-audit-lint: disable=KAL003 -- health checks are handled upstream
  - level: Metadata
    nonResourceURLs: ["/healthz*"]
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["secrets"]
  - level: Request
    verbs: ["get"]
"""

DOC = """\
{summary}

## What it does
Looks for {name}.

## Why is this bad?
Because.

## Example
```yaml
rules:
  - level: RequestResponse
```

## Use instead
```yaml
rules:
  - level: Metadata
```

## Fix
Lower the level.

## References
- CIS 3.2.2
"""


def spec(code: str, name: str, severity: Severity, summary: str = "", options: dict | None = None,
         category: str = "correctness") -> CheckSpec:
    summary = summary or f"Summary of {name}."
    return CheckSpec(
        code=code,
        name=name,
        severity=severity,
        options=options or {},
        doc=DOC.format(summary=summary, name=name),
        run=lambda ctx: (),
        module=f"tests.fake_{name.replace('-', '_')}",
        category=category,
    )


SPECS = (
    spec("KAL001", "sensitive-body-captured", Severity.ERROR, "Secrets can be logged with their body.",
         {"resources": ["secrets", "configmaps"]}, category="security"),
    spec("KAL003", "health-endpoint-logged", Severity.WARNING, category="cost"),
    spec("KAL004", "unreachable-rule", Severity.WARNING),
    spec("KAL010", "verbose-read-logging", Severity.NOTE, category="cost"),
)

WITNESS = {
    "user": "alice", "groups": [], "verb": "get", "apiGroup": "", "resource": "secrets",
    "subresource": "", "namespace": "prod", "name": "db-password",
}


def sample_findings(path: str, shift: int = 0) -> list[Finding]:
    """The four findings; ``shift`` moves every line down (as if lines were inserted above)."""
    return [
        Finding(
            code="KAL004", name="unreachable-rule", severity=Severity.WARNING,
            message="rule 2 is never reached: rule 1 matches every request it would",
            location=Location(path, 12 + shift, 5, 13 + shift, 19), rule_index=2,
            subject="rule 2 shadowed by rule 1", related=(Location(path, 8 + shift, 5, 8 + shift, 27),),
        ),
        Finding(
            code="KAL001", name="sensitive-body-captured", severity=Severity.ERROR,
            message="secrets can be logged at RequestResponse by rule 1",
            location=Location(path, 8 + shift, 5, 8 + shift, 27), rule_index=1, witness=dict(WITNESS),
            fix="log secrets at Metadata in a rule before rule 1", subject="secrets at RequestResponse",
        ),
        Finding(
            code="KAL010", name="verbose-read-logging", severity=Severity.NOTE,
            message="reads are logged with their request body", location=Location(path, 13 + shift, 5),
            rule_index=2, subject="reads at Request",
        ),
        Finding(
            code="KAL003", name="health-endpoint-logged", severity=Severity.WARNING,
            message="/healthz is logged at Metadata", location=Location(path, 6 + shift, 5, 6 + shift, 20),
            rule_index=0, subject="/healthz",
            suppression=Suppression("inline", "health checks are handled upstream", Location(path, 5 + shift, 3)),
        ),
    ]


def sample_report(root: Path, *, shift: int = 0, relative: bool = False) -> Report:
    """The sample policy written under ``root``; paths absolute, or relative to ``root`` (cwd)."""
    policy = root / "policies" / "audit.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    text = "# a comment line\n" * shift + SOURCE
    policy.write_text(text)
    path = "policies/audit.yaml" if relative else str(policy)
    return Report(
        findings=sample_findings(path, shift),
        files=[path],
        checks=SPECS,
        root=str(root),
        skipped=[],
        sources={path: text},
    )


def shared_dir() -> Path:
    return Path(__file__).resolve().parents[1].parent / "shared"


def sarif_schemas() -> list[dict]:
    """Both SARIF schemas: the OASIS one and the copy GitHub's upload-sarif validates against."""
    directory = shared_dir() / "schemas"
    names = ("sarif-schema-2.1.0.json", "sarif-schema-2.1.0.codeql-action.json")
    if not all((directory / name).is_file() for name in names):
        pytest.skip(f"../shared not present: {directory} lacks the SARIF schemas")
    return [json.loads((directory / name).read_text()) for name in names]


def validate_sarif(document: dict) -> None:
    import jsonschema

    for schema in sarif_schemas():
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class(schema).validate(document)

