"""Replaying recorded audit logs against a policy.

- ``events``: an audit event -> the request attributes the audit filter saw
  (``event_to_request``, ``event_at.event_at``);
- ``reading``: logs (JSON lines, EventList, gzip, stdin) -> decoded events and bad lines;
- ``tally``: events -> counts of what a policy decides, cached per distinct request;
- ``runner``: the inputs cut into ordered tasks, here or in worker processes;
- ``summary``: ``replay_files(policy, paths) -> ReplaySummary`` (``.to_dict()`` for JSON);
- ``compare``: ``compare_files(new, old, paths) -> Comparison``, the impact of a policy change;
- ``render``: text and Markdown; ``command``: the ``replay`` command.

Nothing here reads request or response bodies or annotation values beyond skipping them (and,
for volume estimates, measuring their length).
"""
