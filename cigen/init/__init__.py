"""Stage 5, the generator behind ``cigen init``.

Owns the build specification and its validation (:mod:`.spec`), where
settings come from (:mod:`.settings`, :mod:`.prompts`), rendering the
templates (:mod:`.generate`) with the tool versions cigen pins (:mod:`.pins`,
from :mod:`cigen.lint.versions`, which the linter recommends too), the
self-check that lints every output before it is written (through
:mod:`cigen.lint`), and writing the files (:mod:`.files`); :mod:`.run` is
what ``cigen init`` does once its options are parsed. Hands on: files on disk.
"""
