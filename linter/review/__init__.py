"""Reviewing a policy change: the semantic diff of two policies and policy unit tests.

Both stand on the request-space analysis (``kube_audit_lint.engine.space``): a diff is every
class of requests two policies decide differently, a test property a claim over every request of
a class; each answer comes with an example request the evaluator confirms.
"""
