"""Stage 3, GitLab Runner configurations.

Owns the model of a runner's ``config.toml`` (:mod:`.config`): its
``[[runners]]`` and their executor settings, each with the line it was
written on. Takes in: text from :mod:`cigen.source`. Hands on: ``RunnerConfig``.
"""
