"""Stage 4, the lint run: from paths to a report and fixed files.

Owns finding the files to check and running every selected rule over each
(:mod:`.engine`, split across processes by :mod:`.parallel` for large
batches), the configuration (:mod:`.settings`), findings (:mod:`.findings`),
inline suppressions (:mod:`.suppressions`), fixes and atomic writes
(:mod:`.fix`), the rules, one module each (:mod:`.rules`), and the report
formats, one module each (:mod:`.report`), and the tool versions cigen
recommends and ``cigen init`` pins (:mod:`.versions`). :mod:`.run` is what ``cigen lint``
does once its options are parsed. Takes in: ``JobFacts`` and ``RunnerConfig``.
Hands on: a ``LintReport`` and an exit code.
"""
