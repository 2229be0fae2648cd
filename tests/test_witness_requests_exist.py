"""Every example request in a finding is one kube-apiserver could receive (real corpus policies)."""

from __future__ import annotations

from kube_audit_lint.commands.lint import LintOptions
from kube_audit_lint.kube.api import lookup
from kube_audit_lint.lint.pipeline import lint_report

# resource/subresource -> the only verbs the apiserver serves there (pkg/registry: the REST
# storages of these implement only Create, or only Get/Connect)
ONLY = {
    ("pods", "log"): {"get"}, ("pods", "exec"): {"get", "create"}, ("pods", "attach"): {"get", "create"},
    ("pods", "portforward"): {"get", "create"}, ("pods", "eviction"): {"create"}, ("pods", "binding"): {"create"},
    ("serviceaccounts", "token"): {"create"}, ("tokenreviews", ""): {"create"},
    ("subjectaccessreviews", ""): {"create"}, ("selfsubjectaccessreviews", ""): {"create"},
    ("localsubjectaccessreviews", ""): {"create"}, ("selfsubjectrulesreviews", ""): {"create"},
}


def impossible(witness: dict) -> str | None:
    """Why no request like ``witness`` reaches kube-apiserver, or None."""
    for key in ("user", "verb", "namespace"):
        if "*" in (witness.get(key) or ""):
            return f"a pattern in {key}"
    if any("*" in group for group in witness.get("groups") or ()):
        return "a pattern in a group"
    if "path" in witness and "resource" not in witness:
        return None
    resource, subresource = witness.get("resource", ""), witness.get("subresource", "")
    served = lookup(witness.get("apiGroup", ""), resource)
    if served is not None and not served.namespaced and witness.get("namespace") and resource != "namespaces":
        return "a namespace on a cluster-scoped resource"
    if subresource and not witness.get("name"):
        return "a subresource without an object name"
    only = ONLY.get((resource, subresource))
    if only is not None and witness.get("verb") not in only:
        return f"verb {witness.get('verb')} on {resource}/{subresource}"
    return None


def test_every_example_request_on_the_corpus_could_reach_the_apiserver(corpus_policies):
    report, _ = lint_report(LintOptions(paths=[str(corpus_policies)]))
    witnesses = [(f, f.witness) for f in report.findings if f.witness]
    assert len(witnesses) > 200
    problems = [(f.location.path.rsplit("/", 1)[-1], f.code, why) for f, w in witnesses if (why := impossible(w))]
    assert problems == []
