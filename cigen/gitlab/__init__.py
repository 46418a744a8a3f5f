"""Stage 2, GitLab's own reading of a pipeline.

Owns what GitLab does to the files before a job runs: local includes and
their ``rules:`` (:mod:`.includes`, judged with :mod:`.expressions`), CI/CD
inputs (:mod:`.inputs`), deep merges (:mod:`.merge`), ``extends``,
``!reference``, ``default:``/``inherit`` and variables (:mod:`.pipeline`), the
CI JSON schema (:mod:`.schema`) and the merged view ``cigen expand`` prints
(:mod:`.expand`, written by :mod:`.yaml_output`).
Takes in: positioned values from :mod:`cigen.source`. Hands on: a
``Pipeline`` of resolved ``Job``s whose values still point where each was
written. Knows nothing of shell or of what a job builds.
"""
