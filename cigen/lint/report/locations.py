"""Paths as CI report consumers expect them.

GitLab's merge-request widgets and GitHub's annotations match a report's paths
against the repository's files, so the CI formats name files relative to the
working directory (the checkout in a CI job) with forward slashes, whatever
form the command line used. The text and JSON formats keep paths as given.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote_from_bytes

from cigen.lint.engine import STDIN


def report_path(path: str) -> str:
    """``path`` relative to the working directory when it lies below it, with ``/``."""
    if path == STDIN:
        return path
    if os.path.isabs(path):
        try:
            relative = os.path.relpath(path)
        except ValueError:  # another drive on Windows: no relative form exists
            relative = path
        if relative != os.pardir and not relative.startswith(os.pardir + os.sep):
            path = relative
    return os.path.normpath(path).replace(os.sep, "/")


def report_uri(path: str) -> str:
    """A URI reference for ``path``: relative where :func:`report_path` is, else ``file:``.

    The URI percent-encodes the file name's bytes, so a name that is not UTF-8
    (lone surrogates in Python) or holds control characters is named exactly.
    """
    shown = report_path(path)
    if os.path.isabs(shown):
        return Path(shown).as_uri()
    return quote_from_bytes(os.fsencode(shown), safe="/")
