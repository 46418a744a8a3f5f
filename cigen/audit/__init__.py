"""`cigen audit`: every project of a GitLab group linted, one report for the organisation.

:mod:`.run` lists the group's projects, lints each one's CI configuration at its
default branch with remote includes resolved and under the project's own
``[tool.cigen]``, in shards that a GitLab job with ``parallel:`` can split, and
merges shard reports; :mod:`.report` writes ``audit.json``, ``audit.csv`` and
the self-contained ``audit.html``.
"""
