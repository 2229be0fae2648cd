"""kube-audit-lint: a linter for Kubernetes API-server audit policies."""

__version__ = "0.2.0"
INFORMATION_URI = "https://github.com/kube-audit-lint/kube-audit-lint"
