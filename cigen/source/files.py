"""Files on disk: what may be read, how much, and where the repository is.

Only regular files are read, never more than the size limit plus one byte
(:func:`read_regular_file`), so a named pipe cannot hang a run and a link to
``/dev/zero`` cannot fill memory. A file that is a symbolic link is read only
when its target is inside the repository root (:func:`check_link`); the root
is the git top level of the directory the file (or link) is in
(:func:`find_repository_root`). :func:`glob_regex` reads path patterns the way
GitLab's local includes and cigen's ``exclude`` settings write them. Files cigen
writes (fixes, reports) are replaced atomically (:func:`write_atomically`).
An editor's unsaved buffers stand in for the files they edit while
:func:`reading_unsaved` is in effect.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import stat
from collections.abc import Iterator

from cigen.source.text import MAX_FILE_BYTES


class UnreadableFile(Exception):
    """A path cigen will not or cannot read; the message says why, without the path."""


_FILE_KINDS = ((stat.S_ISDIR, "is a directory"),
               (stat.S_ISFIFO, "not a regular file (a named pipe)"),
               (stat.S_ISCHR, "not a regular file (a character device)"),
               (stat.S_ISBLK, "not a regular file (a block device)"),
               (stat.S_ISSOCK, "not a regular file (a socket)"))


# Non-blocking, so that opening a named pipe never waits for a writer; the flags
# a platform lacks are left out.
_READ_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def _not_regular(mode: int) -> str:
    return next((reason for test, reason in _FILE_KINDS if test(mode)),
                "not a regular file")


def _unreadable(path: str, error: OSError) -> UnreadableFile:
    if error.errno == errno.ELOOP:
        return UnreadableFile("symbolic link loop")
    if error.errno == errno.ENOENT and os.path.islink(path):
        return UnreadableFile("broken symbolic link (its target does not exist)")
    if error.errno == errno.ENOENT:
        return UnreadableFile("no such file or directory")
    return UnreadableFile(f"cannot read: {error.strerror or error}")


_unsaved: dict[str, bytes] = {}
"""Texts read instead of the files on disk, by real path (see :func:`reading_unsaved`)."""


@contextlib.contextmanager
def reading_unsaved(texts: dict[str, str]) -> Iterator[None]:
    """While in effect, reading a file of ``texts`` (by path) gives its text there
    instead of what is on disk: an editor's unsaved buffers, so that a pipeline is
    linted with the includes the editor holds."""
    saved = dict(_unsaved)
    _unsaved.update({os.path.realpath(path): text.encode("utf-8", "surrogatepass")
                     for path, text in texts.items()})
    try:
        yield
    finally:
        _unsaved.clear()
        _unsaved.update(saved)


def read_regular_file(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """At most ``limit + 1`` bytes of the regular file at ``path`` (links followed).

    One byte past the limit is enough for :func:`decode_source` to refuse the
    size. The type is checked before opening, so a device is never opened, and
    again on the open descriptor, opened non-blocking, so a named pipe swapped
    in between cannot block.
    """
    if _unsaved:
        unsaved = _unsaved.get(os.path.realpath(path))
        if unsaved is not None:
            return unsaved[:limit + 1]
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise UnreadableFile(_not_regular(mode))
        descriptor = os.open(path, _READ_FLAGS)
    except ValueError:
        raise UnreadableFile("the path contains a NUL character") from None
    except OSError as error:
        raise _unreadable(path, error) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise UnreadableFile(_not_regular(mode))
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    except OSError as error:
        raise _unreadable(path, error) from None
    finally:
        os.close(descriptor)


def is_inside(path: str, root: str) -> bool:
    """``path`` is ``root`` or below it, both with every symbolic link resolved."""
    real_root = os.path.realpath(root)
    try:
        return os.path.commonpath([os.path.realpath(path), real_root]) == real_root
    except ValueError:  # on different drives
        return False


def check_link(path: str, root: str) -> None:
    """Refuse a ``path`` that is a symbolic link to somewhere outside ``root``.

    A link is followed to the file it names only inside the repository, so
    linting a checkout never reads (or, with ``--fix``, writes) a file elsewhere.
    """
    if os.path.islink(path) and not is_inside(path, root):
        raise UnreadableFile("symbolic link to a file outside the repository root; not read")


def find_repository_root(path: str) -> str:
    """The git top-level directory containing ``path``, else the file's directory.

    When ``path`` is a symbolic link this is the root of the directory the link
    is in, not of its target: the link is the file the repository holds.
    """
    return repository_root(os.path.realpath(os.path.dirname(os.path.abspath(path))))


@functools.cache
def repository_root(start: str) -> str:
    """The git top-level directory containing the directory ``start``, else ``start``."""
    current = start
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return start
        current = parent


@functools.cache  # exclude patterns are matched against every finding's path
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path pattern as a regex: `**` crosses directories, `*` and `?` do not."""
    parts = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts) + r"\Z")


def file_mode(path: str) -> int:
    """The permissions of the file at ``path``, or those a new file gets under the umask
    (temporary files are created 0600; what replaces a file must not change them)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: str, text: str, *, durable: bool = True) -> None:
    """Replace ``path`` with ``text`` through a temporary file in the same directory,
    so a crash or a full disk leaves either the old file or the new one, whole.
    ``durable=False`` skips the flush to disk, for files that may be lost (a cache).

    A symbolic link is followed: its target is replaced and the link stays a link.
    The file keeps its permissions. Any failure (the temporary file cannot be
    created or written, the rename is refused) raises :class:`OSError` with the
    original file untouched and no temporary file left behind.
    """
    import tempfile  # only when writing: it costs every plain run otherwise

    path = os.path.realpath(path)
    directory, name = os.path.split(path)
    mode = file_mode(path)
    # Part of the name only: the whole of a long one and the additions could pass the
    # file-name limit the destination itself is within.
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".cigen-{name[:64]}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as output:
            output.write(text)
            if durable:
                output.flush()
                os.fsync(output.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
