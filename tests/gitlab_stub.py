"""A small GitLab REST API on 127.0.0.1 for the tests of `--remote` and `cigen audit`.

It serves, from fixture repositories held in dictionaries, exactly the
endpoints cigen uses:

- ``GET /api/v4/projects/:id`` (default branch, ``ci_config_path``, archived),
- ``GET /api/v4/projects/:id/repository/files/:path/raw?ref=`` (with
  ``X-Gitlab-Commit-Id`` and an ``ETag``; ``If-None-Match`` gives 304),
- ``GET /api/v4/projects/:id/repository/tree?ref=&recursive=`` and
  ``GET /api/v4/projects/:id/repository/tags`` (paginated),
- ``GET /api/v4/templates/gitlab_ci_ymls/:key``,
- ``GET /api/v4/groups/:id/projects`` (paginated, subgroups and archived),
- any other path from :attr:`GitLabStub.pages` (for `remote:` includes),

``:id`` being the URL-encoded path. Pagination uses GitLab's headers
(``X-Page``, ``X-Per-Page``, ``X-Next-Page``, ``X-Total``, ``X-Total-Pages``,
``Link``). Failures are arranged per path: a status to answer
(:attr:`GitLabStub.statuses`), a number of ``429``s before the real answer
(:attr:`GitLabStub.rate_limits`, with the ``Retry-After`` of
:attr:`GitLabStub.retry_after`), or a delay (:attr:`GitLabStub.delays`). A
404 says what was not found as GitLab does (``{"message": "404 Project Not
Found"}``, ``404 Commit Not Found``, ``404 File Not Found``); a private project
is a ``404 Project Not Found`` to an anonymous reader.
Private projects need the token (``PRIVATE-TOKEN`` or ``JOB-TOKEN``). Every
request is recorded (path and headers) so tests can check what was sent.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


def commit_sha(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


@dataclass
class StubProject:
    path: str
    default_branch: str = "main"
    ci_config_path: str = ""
    archived: bool = False
    private: bool = False
    refs: dict[str, str] = field(default_factory=dict)
    """Branch or tag name -> commit SHA."""
    tags: list[str] = field(default_factory=list)
    commits: dict[str, dict[str, str]] = field(default_factory=dict)
    """Commit SHA -> {path: text}."""

    def add_commit(self, ref: str, files: dict[str, str], tag: bool = False) -> str:
        sha = commit_sha(self.path, ref, json.dumps(files, sort_keys=True))
        self.commits[sha] = dict(files)
        self.refs[ref] = sha
        if tag:
            self.tags.append(ref)
        return sha


class NotFound(Exception):
    """A 404 with GitLab's reason: ``what`` is ``Project``, ``Commit`` or ``File``."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


class GitLabStub:
    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.projects: dict[str, StubProject] = {}
        self.templates: dict[str, str] = {}
        self.pages: dict[str, str] = {}
        self.statuses: dict[str, int] = {}
        """Request path (as sent, before the query) -> status to answer instead."""
        self.rate_limits: dict[str, int] = {}
        """Request path -> how many 429s come before the answer."""
        self.retry_after: dict[str, str | None] = {}
        """Request path -> the 429s' ``Retry-After`` (``None``: no header; default ``1``)."""
        self.delays: dict[str, float] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Fixtures ------------------------------------------------------------

    def add_project(self, path: str, files: dict[str, str] | None = None, *,
                    branch: str = "main", **settings: Any) -> StubProject:
        project = StubProject(path, default_branch=branch, **settings)
        if files is not None:
            project.add_commit(branch, files)
        self.projects[path] = project
        return project

    # Running -------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> GitLabStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def paths(self) -> list[str]:
        with self._lock:
            return [request.path for request in self.requests]

    # Answers -------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path = parts.path
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        headers = {key.lower(): value for key, value in handler.headers.items()}
        with self._lock:
            self.requests.append(Request("GET", path, headers))
            remaining = self.rate_limits.get(path, 0)
            if remaining:
                self.rate_limits[path] = remaining - 1
        if path in self.delays:
            time.sleep(self.delays[path])
        if remaining:
            wait = self.retry_after.get(path, "1")
            self._send(handler, 429, b"rate limited",
                       {} if wait is None else {"Retry-After": wait})
            return
        if path in self.statuses:
            self._send(handler, self.statuses[path], b'{"message": "stubbed"}')
            return
        if not path.startswith("/api/v4/"):
            if path in self.pages:
                self._text(handler, headers, self.pages[path].encode(), {})
            else:
                self._send(handler, 404, b"not found")
            return
        segments = [unquote(segment) for segment in path[len("/api/v4/"):].split("/")]
        try:
            self._api(handler, segments, query, headers)
        except NotFound as missing:
            self._send(handler, 404, json.dumps({"message": f"404 {missing.what} Not Found"}
                                                ).encode())
        except KeyError:
            self._send(handler, 404, b'{"message": "404 Not Found"}')

    def _authorised(self, headers: dict[str, str], project: StubProject) -> int | None:
        given = headers.get("private-token") or headers.get("job-token")
        if given is not None and given != self.token:
            return 401
        if project.private and given is None:
            raise NotFound("Project")  # GitLab hides private projects from anonymous readers
        return None

    def _api(self, handler: BaseHTTPRequestHandler, segments: list[str], query: dict[str, str],
             headers: dict[str, str]) -> None:
        if segments[0] == "templates" and segments[1] == "gitlab_ci_ymls":
            key = "/".join(segments[2:])
            content = self.templates[key]
            self._text(handler, headers, json.dumps({"name": key, "content": content}).encode(),
                       {"Content-Type": "application/json"})
            return
        if segments[0] == "groups" and segments[2:] == ["projects"]:
            group = segments[1]
            subgroups = query.get("include_subgroups") == "true"
            found = []
            for project in sorted(self.projects.values(), key=lambda item: item.path):
                namespace = project.path.rsplit("/", 1)[0]
                if not (namespace == group or (subgroups and namespace.startswith(group + "/"))):
                    continue
                if query.get("archived") == "false" and project.archived:
                    continue
                found.append(self._project_json(project))
            self._paginated(handler, found, query)
            return
        if segments[0] != "projects":
            raise KeyError(segments[0])
        if segments[1] not in self.projects:
            raise NotFound("Project")
        project = self.projects[segments[1]]
        denied = self._authorised(headers, project)
        if denied is not None:
            self._send(handler, denied, b'{"message": "denied"}')
            return
        rest = segments[2:]
        if not rest:
            self._json(handler, self._project_json(project))
        elif rest[:2] == ["repository", "files"] and rest[-1] == "raw":
            file_path = "/".join(rest[2:-1])
            ref = query.get("ref", project.default_branch)
            sha = ref if ref in project.commits else project.refs.get(ref)
            if sha is None:
                raise NotFound("Commit")
            if file_path not in project.commits[sha]:
                raise NotFound("File")
            self._text(handler, headers, project.commits[sha][file_path].encode(),
                       {"X-Gitlab-Commit-Id": sha, "X-Gitlab-Ref": ref})
        elif rest == ["repository", "tree"]:
            ref = query.get("ref", project.default_branch)
            sha = ref if ref in project.commits else project.refs[ref]
            names = sorted(project.commits[sha])
            if query.get("recursive") != "true":  # the top directory only
                folders = sorted({name.split("/", 1)[0] for name in names if "/" in name})
                entries = [{"id": commit_sha(name), "name": name, "path": name,
                            "type": "tree", "mode": "040000"} for name in folders]
                names = [name for name in names if "/" not in name]
            else:
                entries = []
            entries += [{"id": commit_sha(name), "name": name.rsplit("/", 1)[-1], "path": name,
                         "type": "blob", "mode": "100644"} for name in names]
            self._paginated(handler, entries, query)
        elif rest == ["repository", "tags"]:
            tags = [{"name": name, "commit": {"id": project.refs[name]}}
                    for name in project.tags]
            self._paginated(handler, tags, query)
        else:
            raise KeyError("/".join(rest))

    def _project_json(self, project: StubProject) -> dict[str, Any]:
        return {"id": abs(hash(project.path)) % 100000, "path_with_namespace": project.path,
                "path": project.path.rsplit("/", 1)[-1],
                "default_branch": project.default_branch or None,
                "ci_config_path": project.ci_config_path or None,
                "archived": project.archived,
                "web_url": f"{self.url}/{project.path}"}

    def _paginated(self, handler: BaseHTTPRequestHandler, items: list[Any],
                   query: dict[str, str]) -> None:
        per_page = max(1, min(100, int(query.get("per_page", "20"))))
        page = max(1, int(query.get("page", "1")))
        total_pages = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page:page * per_page]
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items)),
                   "X-Total-Pages": str(total_pages),
                   "X-Next-Page": str(page + 1) if page < total_pages else ""}
        if page < total_pages:
            headers["Link"] = f'<{self.url}{urlsplit(handler.path).path}?page={page + 1}' \
                              f'&per_page={per_page}>; rel="next"'
        self._json(handler, chunk, headers)

    def _json(self, handler: BaseHTTPRequestHandler, document: Any,
              headers: dict[str, str] | None = None) -> None:
        self._send(handler, 200, json.dumps(document).encode(),
                   {"Content-Type": "application/json", **(headers or {})})

    def _text(self, handler: BaseHTTPRequestHandler, request_headers: dict[str, str],
              content: bytes, headers: dict[str, str]) -> None:
        etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
        if request_headers.get("if-none-match") == etag:
            self._send(handler, 304, b"", {"ETag": etag, **headers})
            return
        self._send(handler, 200, content, {"ETag": etag, "Content-Type": "text/plain", **headers})

    def _send(self, handler: BaseHTTPRequestHandler, status: int, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        try:
            handler.send_response(status)
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if body:
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)
