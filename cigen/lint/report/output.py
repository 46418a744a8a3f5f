"""Where a rendered report goes: standard output, or a file replaced atomically.

A CI job or an editor may read ``--output`` while cigen writes it; writing a
temporary file in the same directory and renaming it over the target means
readers see the old report or the new one, never half of one, and a failed
run leaves the previous report untouched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys


def _new_file_mode() -> int:
    # mkstemp creates 0600 files; a report should get the permissions of any other new file.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(path: str, text: str) -> None:
    import tempfile  # only with --output: it and shutil slow down every plain run

    directory = os.path.dirname(os.path.abspath(path))
    # `-o reports/cigen.json` in a fresh CI checkout: the folder is the report's to make.
    try:
        os.makedirs(directory, exist_ok=True)
    except FileExistsError:  # a regular file where a folder of the path should be
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), directory) from None
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = _new_file_mode()
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                         dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


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
        write_atomically(destination, text)
