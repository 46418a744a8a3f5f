"""Writing what `cigen init` generated: never over an existing file unless asked, both
files or neither, and atomically, so that a reader sees the old file or the new one
and never half of it.

Every destination is checked before anything is written; then each text goes to a
temporary file beside its destination, and only when all of them are complete do
they replace their destinations. Whatever stops the writing on the way, an error
or a signal, removes the temporary files.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from cigen.init.spec import is_utf8, shown
from cigen.source.files import file_mode

STDOUT = "-"


class OutputError(Exception):
    """A destination that exists (without --force) or cannot be written."""


@dataclass(frozen=True, slots=True)
class Destination:
    option: str
    """The option that named it, for messages: ``--output`` or ``--runner-config``."""
    path: str
    """As the user gave it; ``-`` is standard output."""

    @property
    def label(self) -> str:
        """The option and the path, as messages start."""
        return f"{self.option}: {display_path(self.path)}"

    @property
    def target(self) -> str:
        """Where the text lands: an existing symbolic link is written through."""
        return os.path.realpath(self.path)


def display_path(path: str) -> str:
    """``path`` as it is when it prints on one line, else quoted with escapes."""
    plain = path.isprintable() and is_utf8(path) and path.strip() == path and path != ""
    return path if plain else shown(path)


def check_destinations(destinations: list[Destination], force: bool) -> None:
    """Fail before anything is written if any destination is taken or unusable."""
    files = [destination for destination in destinations if destination.path != STDOUT]
    for destination in files:
        _check_name(destination)
    for index, destination in enumerate(files):
        for earlier in files[:index]:
            if destination.target == earlier.target:
                raise OutputError(f"{destination.label} is the same file as "
                                  f"{earlier.option} {display_path(earlier.path)}")
    statuses = [_check_file(destination, force) for destination in files]
    for index, (destination, status) in enumerate(zip(files, statuses, strict=True)):
        for earlier, earlier_status in zip(files[:index], statuses[:index], strict=True):
            if status and earlier_status and os.path.samestat(status, earlier_status):
                raise OutputError(f"{destination.label} is the same file as "
                                  f"{earlier.option} {display_path(earlier.path)}")


def _check_name(destination: Destination) -> None:
    path = destination.path
    if not path:
        raise OutputError(f"{destination.option}: the path is empty")
    if "\0" in path:
        raise OutputError(f"{destination.label}: a path cannot hold a NUL character")
    if not is_utf8(path):
        raise OutputError(f"{destination.label}: the path is not valid UTF-8")
    if path.endswith(os.sep):
        raise OutputError(f"{destination.label}: names a directory; name the file")


def _check_file(destination: Destination, force: bool) -> os.stat_result | None:
    """The destination's status if it exists; raises if it cannot be (over)written."""
    path = destination.path
    try:
        os.lstat(path)
        present = True
    except FileNotFoundError:
        present = False
    except OSError as error:
        raise _os_error(destination, error) from None
    try:
        status: os.stat_result | None = os.stat(destination.target)
    except FileNotFoundError:  # nothing there yet, or a symbolic link to nothing
        status = None
    except OSError as error:
        raise _os_error(destination, error) from None
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise OutputError(f"{destination.label}: is a directory")
    if present and not force:
        raise OutputError(f"{destination.label} already exists; use --force to overwrite it")
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise OutputError(f"{destination.label}: is not a regular file")
    parent = os.path.dirname(destination.target)
    # Through a symbolic link, the directory that matters is the one it points into.
    linked = os.path.abspath(path) != destination.target
    shown_parent = display_path(parent if linked else str(Path(path).parent))
    try:
        parent_status = os.stat(parent)
    except FileNotFoundError:
        raise OutputError(f"{destination.label}: directory {shown_parent} does not "
                          "exist") from None
    except OSError as error:
        raise _os_error(destination, error) from None
    if not stat.S_ISDIR(parent_status.st_mode):
        raise OutputError(f"{destination.label}: {shown_parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{destination.label}: cannot write in directory {shown_parent}")
    return status


def _os_error(destination: Destination, error: OSError) -> OutputError:
    if error.errno == errno.ENOTDIR:
        parent = display_path(str(Path(destination.path).parent))
        return OutputError(f"{destination.label}: {parent} is not a directory")
    return OutputError(f"{destination.label}: {error.strerror or error}")


def write_files(texts: list[tuple[Destination, str]]) -> None:
    """Write each text to its destination, all of them or none.

    Standard output is written after the temporary files are complete and before
    any of them replaces its destination, so a failure to print writes nothing.
    """
    pending: list[tuple[Destination, str]] = []
    with _signals_stop_writing():
        try:
            for destination, text in texts:
                if destination.path != STDOUT:
                    _prepare(destination, text, pending)
            for destination, text in texts:
                if destination.path == STDOUT:
                    _print(destination, text)
            while pending:
                destination, temporary = pending[0]
                try:
                    os.replace(temporary, destination.target)
                except OSError as error:
                    raise OutputError(f"{destination.label}: cannot write: "
                                      f"{error.strerror}") from None
                pending.pop(0)
        finally:
            for _destination, temporary in pending:
                Path(temporary).unlink(missing_ok=True)


def _prepare(destination: Destination, text: str, pending: list[tuple[Destination, str]]
             ) -> None:
    """A complete temporary file beside the destination, added to ``pending`` as soon
    as it exists."""
    target = Path(destination.target)
    try:
        # Part of the name only: the whole of a long one and the additions could
        # pass the file-name limit the destination itself is within.
        descriptor, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name[:64]}.", suffix=".tmp")
    except OSError as error:
        raise OutputError(f"{destination.label}: cannot write: {error.strerror}") from None
    pending.append((destination, temporary))
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, file_mode(str(target)))
    except OSError as error:
        raise OutputError(f"{destination.label}: cannot write: {error.strerror}") from None


def _print(destination: Destination, text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as error:
        if error.errno == errno.EPIPE:
            # The reader is gone: without this, the interpreter's own flush at exit
            # fails again and prints a traceback.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise OutputError(f"{destination.option}: cannot write to standard output: "
                          f"{error.strerror}") from None


@contextmanager
def _signals_stop_writing() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exit that unwinds, so that the temporary files
    are removed; by default they would end the process on the spot."""
    def stop(number: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + number)

    caught: list[signal.Signals] = []
    try:
        for number in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(number) == signal.SIG_DFL:
                signal.signal(number, stop)
                caught.append(number)
    except ValueError:  # not the main thread: signals stay as they are
        pass
    try:
        yield
    finally:
        for number in caught:
            signal.signal(number, signal.SIG_DFL)
