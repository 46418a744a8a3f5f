"""Stage 3, GitLab Runner configurations.

Owns the model of a runner's ``config.toml`` (:mod:`.config`): its
``[[runners]]`` and their executor settings, each with the line it was
written on; and gitlab-runner Helm chart values (:mod:`.helm`), the
configuration they embed in ``runners.config`` and the chart's own runner
settings. Takes in: text from :mod:`cigen.source`. Hands on: ``RunnerConfig``,
``HelmValues``.
"""
