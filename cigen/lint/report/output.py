"""Where a rendered report goes: standard output, or a file replaced atomically.

A CI job or an editor may read ``--output`` while cigen writes it; writing a
temporary file in the same directory and renaming it over the target means
readers see the old report or the new one, never half of one, and a failed
run leaves the previous report untouched.
"""

from __future__ import annotations

import errno
import os
import sys

from cigen.source.files import write_atomically


def _write_file(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    # `-o reports/cigen.json` in a fresh CI checkout: the folder is the report's to make.
    try:
        os.makedirs(directory, exist_ok=True)
    except FileExistsError:  # a regular file where a folder of the path should be
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), directory) from None
    write_atomically(path, text)


def write_report(text: str, destination: str | None) -> None:
    """Print ``text``, or write it to ``destination`` when one is given."""
    if destination is None:
        try:
            sys.stdout.write(text)
        except UnicodeEncodeError:
            # An output encoding that cannot show a job name or path (PYTHONIOENCODING=ascii,
            # a Windows code page): show those characters as escapes instead of failing.
            # The whole text is encoded before anything is written, so nothing is repeated.
            reconfigure = getattr(sys.stdout, "reconfigure", None)
            if reconfigure is None:
                raise
            reconfigure(errors="backslashreplace")
            sys.stdout.write(text)
    else:
        _write_file(destination, text)
