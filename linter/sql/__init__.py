"""The policy as a query: one SQL expression tree (sqlglot) that computes, for every audit event,
what kube-apiserver's policy checker decides, rendered for the engines where the logs already live
(DuckDB, Spark, Trino/Athena, BigQuery, ClickHouse), and the replay engines that run it.

sqlglot and the engines are optional dependencies: nothing here is imported at startup.
"""
