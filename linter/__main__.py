from kube_audit_lint.cli import main

main()
