"""An example plugin package for kube-audit-lint: one module per check, registered as entry points."""
