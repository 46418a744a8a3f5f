"""Writing what `cigen init` generated: never over an existing file unless asked, and
atomically, so that a reader sees the old file or the new one and never half of it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

STDOUT = "-"


class OutputError(Exception):
    """A destination that exists (without --force) or cannot be written."""


def check_destinations(paths: list[str], force: bool) -> None:
    """Fail before anything is written if any destination is taken or unusable."""
    for path in paths:
        if path == STDOUT:
            continue
        target = Path(path)
        if target.is_dir():
            raise OutputError(f"{path}: is a directory")
        if target.exists() and not force:
            raise OutputError(f"{path} already exists; use --force to overwrite it")
        if not target.parent.is_dir():
            raise OutputError(f"{path}: directory {target.parent} does not exist")


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (``-``: standard output) through a file in the same
    directory that replaces it in one step."""
    if path == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                                 suffix=".tmp")
    except OSError as error:
        raise OutputError(f"{path}: cannot write: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _file_mode(target))
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write: {error.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _file_mode(target: Path) -> int:
    """An existing file's permissions, else those a new file gets under the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
