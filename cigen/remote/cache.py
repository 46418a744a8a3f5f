"""Files fetched from GitLab, kept on disk between runs.

A file at a commit never changes, so it is kept under the key (server,
project, commit SHA, path) and fetched once. What a name points at may change
(a branch, ``~latest``, a template of the instance), so the cache also keeps,
per name, the commit it last resolved to and the ETag of that answer: the next
run asks the server again with ``If-None-Match`` and reads the file from the
cache on ``304 Not Modified``, or when the server cannot be reached at all
(offline with a warm cache). A path that GitLab says is not in a project at a
commit (``404 File Not Found``, the project itself readable) stays absent at
that commit, so that answer is kept too; a 404 for a branch or a tag, or one
that may only mean the project cannot be read, is asked again every run.
Nothing else is kept: no token, no header.

The default place is the user's cache directory (``platformdirs``), under
``cigen/gitlab``; ``--cache-dir DIR`` puts it in ``DIR/gitlab``. Entries are
JSON (never code), each written to a temporary file and renamed into place,
so concurrent runs never read half an entry. A cache that cannot be written is
simply not kept.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from typing import Any

FORMAT = 1
SUBDIRECTORY = "gitlab"


def default_directory() -> str:
    import platformdirs

    return os.path.join(platformdirs.user_cache_dir("cigen", appauthor=False), SUBDIRECTORY)


def directory_for(chosen: str | None) -> str:
    """Where remote files are kept: ``DIR/gitlab`` for ``--cache-dir DIR``, else the
    user's cache directory."""
    if chosen is not None:
        return os.path.join(os.path.abspath(chosen), SUBDIRECTORY)
    return default_directory()


class RemoteCache:
    """The on-disk cache; with ``directory=None`` it keeps nothing."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory

    def file(self, server: str, project: str, sha: str, path: str) -> bytes | None:
        entry = self._load("files", [server, project, sha, path])
        if entry is None or not isinstance(entry.get("content"), str):
            return None
        try:
            return base64.b64decode(entry["content"], validate=True)
        except ValueError:
            return None

    def store_file(self, server: str, project: str, sha: str, path: str,
                   content: bytes) -> None:
        self._store("files", [server, project, sha, path], {
            "server": server, "project": project, "sha": sha, "path": path,
            "content": base64.b64encode(content).decode("ascii")})

    def absent(self, server: str, project: str, sha: str, path: str) -> str | None:
        """Why ``path`` is known not to exist in ``project`` at commit ``sha``, if it is."""
        entry = self._load("absent", [server, project, sha, path])
        reason = entry.get("message") if entry is not None else None
        return reason if isinstance(reason, str) else None

    def store_absent(self, server: str, project: str, sha: str, path: str,
                     message: str) -> None:
        self._store("absent", [server, project, sha, path], {"message": message})

    def pointer(self, kind: str, *name: str) -> dict[str, Any] | None:
        """What a name (``kind`` and its parts) last resolved to."""
        return self._load(kind, list(name))

    def store_pointer(self, kind: str, name: tuple[str, ...], value: dict[str, Any]) -> None:
        self._store(kind, list(name), value)

    def _path(self, kind: str, key: list[str]) -> str | None:
        if self.directory is None:
            return None
        digest = hashlib.sha256(json.dumps([FORMAT, *key]).encode()).hexdigest()
        return os.path.join(self.directory, kind, digest[:2], digest)

    def _load(self, kind: str, key: list[str]) -> dict[str, Any] | None:
        path = self._path(kind, key)
        if path is None:
            return None
        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
        except (OSError, ValueError):
            return None
        if not isinstance(document, dict) or document.get("key") != key \
                or not isinstance(document.get("value"), dict):
            return None
        value: dict[str, Any] = document["value"]
        return value

    def _store(self, kind: str, key: list[str], value: dict[str, Any]) -> None:
        path = self._path(kind, key)
        if path is None:
            return
        try:
            folder = os.path.dirname(path)
            os.makedirs(folder, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump({"key": key, "value": value}, stream)
                os.replace(temporary, path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            pass
