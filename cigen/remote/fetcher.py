"""Files of a GitLab instance as includes name them: project files, components,
the instance's templates and `remote:` URLs; and, for the audit, a group's projects.

Each file comes back as a :class:`FetchedFile` with the name findings show
(``group/project@ref:path``), its bytes, and where it lives (project and commit,
so that the file's own local includes are read from the same commit). A file
that cannot be fetched comes back with ``content=None`` and a one-line
``problem``: a failure is something to report, never an exception.

Answers are cached (:mod:`.cache`): a file at a commit is fetched once; a name
(branch, tag, ``~latest``, template, URL) is asked again once per run with its
ETag, and its last answer is used when the server cannot be reached.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import quote, urlsplit

from cigen.remote.cache import RemoteCache
from cigen.remote.client import Connection, GitLabClient, RemoteError, Response, project_id
from cigen.remote.versions import SEMVER, needs_tags, resolve_version

COMMIT_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
SERVER_VARIABLES = re.compile(r"^\$(?:\{)?(?:CI_SERVER_FQDN|CI_SERVER_HOST)(?:\})?$")
TEMPLATE_SUFFIX = ".gitlab-ci.yml"
FILE_NOT_FOUND = "404 File Not Found"
"""GitLab's reason when the project and commit were found but the path is not there."""


class FetchedFile:
    """One fetched file, or why it could not be fetched."""

    __slots__ = ("content", "display", "failure", "path", "problem", "project", "ref", "sha",
                 "web_url")

    def __init__(self, display: str, content: bytes | None = None, problem: str = "",
                 project: str | None = None, ref: str | None = None, sha: str | None = None,
                 path: str = "", web_url: str | None = None, failure: str = "") -> None:
        self.display = display
        self.content = content
        self.problem = problem
        self.failure = failure
        """What kind of failure (:attr:`RemoteError.kind`), when it could not be fetched."""
        self.project = project
        """The project whose repository holds the file (``None`` for templates and URLs)."""
        self.ref = ref
        """The ref as shown in names (what the include wrote, or the version it resolved to)."""
        self.sha = sha
        """The commit the file was read at, when known."""
        self.path = path
        self.web_url = web_url


def _failed(display: str, problem: str, failure: str = "invalid") -> FetchedFile:
    return FetchedFile(display, None, problem, failure=failure)


def _b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def _unb64(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        return None


class GitLabFetcher:
    """Reads files from one GitLab instance through its REST API, with the cache."""

    def __init__(self, connection: Connection, client: GitLabClient | None = None) -> None:
        self.connection = connection
        self.cache = RemoteCache(connection.cache_dir)
        self._client = client
        self._commits: dict[tuple[str, str], str] = {}
        """The commit each (project, ref) resolved to in this run: one answer per run."""
        self._projects: dict[str, dict[str, Any] | RemoteError] = {}
        self._tags: dict[str, list[tuple[str, str]] | RemoteError] = {}
        self._trees: dict[tuple[str, str, str], list[str] | None] = {}
        self._revalidated: dict[tuple[str, ...], FetchedFile] = {}
        self.web_urls: dict[str, str] = {}
        """A browsable address for each fetched file's name (``…/-/blob/<sha>/<path>``)."""
        self._fetched: set[str] = set()

    def fetched(self, display: str) -> bool:
        return display in self._fetched

    def web_url(self, display: str) -> str | None:
        return self.web_urls.get(display)

    @property
    def host(self) -> str:
        return self.connection.host

    @property
    def server(self) -> str:
        return self.connection.server

    @property
    def client(self) -> GitLabClient:
        if self._client is None:
            self._client = GitLabClient(self.connection)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # Projects and groups -------------------------------------------------

    def project_info(self, project: str) -> dict[str, Any]:
        """``GET /projects/:id`` (default branch, ``ci_config_path``, …); raises
        :class:`RemoteError`. The last answer stands in when the server is unreachable."""
        known = self._projects.get(project)
        if isinstance(known, RemoteError):
            raise known
        if known is not None:
            return known
        info: dict[str, Any] | None = None
        try:
            answer = self.client.api(f"/projects/{project_id(project)}").json()
            if not isinstance(answer, dict):
                raise RemoteError(f"project {project}: unexpected answer", "invalid")
            info = answer
            self.cache.store_pointer("projects", (self.server, project), info)
        except RemoteError as error:
            cached = self.cache.pointer("projects", self.server, project)
            if not (error.unreachable and cached is not None):
                self._projects[project] = error
                raise
            info = cached
        self._projects[project] = info
        return info

    def group_projects(self, group: str, include_subgroups: bool = False,
                       archived: bool = False) -> list[dict[str, Any]]:
        """The projects of a group (``GET /groups/:id/projects``, every page)."""
        params = {"include_subgroups": "true" if include_subgroups else "false",
                  "order_by": "path", "sort": "asc"}
        if not archived:
            params["archived"] = "false"
        projects = self.client.paginate(f"/groups/{project_id(group)}/projects", params)
        return [item for item in projects if isinstance(item, dict)]

    # Files of a project ----------------------------------------------------

    def project_file(self, project: str, ref: str | None, path: str,
                     shown_ref: str | None = None) -> FetchedFile:
        """``path`` in ``project`` at ``ref`` (the default branch when ``None``)."""
        project = project.strip().strip("/")
        path = path.strip().lstrip("/")
        if ref is None:
            try:
                ref = str(self.project_info(project).get("default_branch") or "")
            except RemoteError as error:
                return _failed(f"{project}:{path}", f"cannot read project {project}: {error}",
                               error.kind)
            if not ref:
                return _failed(f"{project}:{path}",
                               f"project {project} has no default branch (empty repository)")
        shown = shown_ref or ref
        display = f"{project}@{shown}:{path}"
        sha = ref if COMMIT_SHA.match(ref) else self._commits.get((project, ref))
        if sha is None and SEMVER.match(ref):
            # A release version: tags are treated as immutable once seen.
            pointer = self.cache.pointer("refs", self.server, project, ref)
            if pointer is not None and isinstance(pointer.get("sha"), str):
                sha = pointer["sha"]
        if sha is not None:
            return self._file_at(project, sha, path, display, shown)
        return self._file_at_ref(project, ref, path, display, shown)

    def _raw_path(self, project: str, path: str) -> str:
        return f"/projects/{project_id(project)}/repository/files/{quote(path, safe='')}/raw"

    def _file_at(self, project: str, sha: str, path: str, display: str,
                 shown: str) -> FetchedFile:
        content = self.cache.file(self.server, project, sha, path)
        if content is None:
            absent = self.cache.absent(self.server, project, sha, path)
            if absent is not None:
                return _failed(display, absent, "not-found")
            try:
                response = self.client.api(self._raw_path(project, path), {"ref": sha})
            except RemoteError as error:
                why = self._why(project, path, error)
                # GitLab names what it did not find: a missing file in a project it let
                # us read stays missing at this commit. "Project Not Found" may only
                # mean the token cannot see it, which a new token changes.
                if error.status == 404 and error.reason == FILE_NOT_FOUND \
                        and COMMIT_SHA.match(sha):
                    self.cache.store_absent(self.server, project, sha, path, why)
                return _failed(display, why, error.kind)
            content = response.content
            self.cache.store_file(self.server, project, sha, path, content)
        return self._found(display, content, project, shown, sha, path)

    def _file_at_ref(self, project: str, ref: str, path: str, display: str,
                     shown: str) -> FetchedFile:
        """A file at a name that may move: asked again with the last answer's ETag."""
        pointer = self.cache.pointer("refs", self.server, project, ref, path)
        cached = None
        if pointer is not None and isinstance(pointer.get("sha"), str):
            cached = self.cache.file(self.server, project, pointer["sha"], path)
        etag = pointer.get("etag") if pointer is not None and cached is not None else None
        try:
            response = self.client.api(self._raw_path(project, path), {"ref": ref},
                                       etag if isinstance(etag, str) else None)
        except RemoteError as error:
            if error.unreachable and cached is not None and pointer is not None:
                return self._found(display, cached, project, shown, pointer["sha"], path)
            return _failed(display, self._why(project, path, error), error.kind)
        if response.status == 304 and cached is not None and pointer is not None:
            sha = str(pointer["sha"])
            content = cached
        else:
            content = response.content
            commit = response.headers.get("x-gitlab-commit-id", "").strip().lower()
            # Without the commit the answer is still keyed, by its content.
            sha = commit if COMMIT_SHA.match(commit) else \
                "content-" + hashlib.sha256(content).hexdigest()
            self.cache.store_file(self.server, project, sha, path, content)
            self.cache.store_pointer("refs", (self.server, project, ref, path),
                                     {"sha": sha, "etag": response.headers.get("etag")})
            if COMMIT_SHA.match(sha):
                self.cache.store_pointer("refs", (self.server, project, ref), {"sha": sha})
        if COMMIT_SHA.match(sha):
            self._commits[(project, ref)] = sha
        return self._found(display, content, project, shown, sha, path)

    def _found(self, display: str, content: bytes, project: str, shown: str, sha: str,
               path: str) -> FetchedFile:
        commit = sha if COMMIT_SHA.match(sha) else shown
        web_url = f"{self.server}/{project}/-/blob/{commit}/{quote(path)}"
        self.web_urls[display] = web_url
        self._fetched.add(display)
        return FetchedFile(display, content, "", project, shown,
                           sha if COMMIT_SHA.match(sha) else None, path, web_url)

    def _why(self, project: str, path: str, error: RemoteError) -> str:
        if error.kind == "not-found":
            return f"`{path}` not found in {project} at that ref, or the project cannot be " \
                   f"read ({error.message})"
        if error.kind == "auth":
            return f"cannot read {project}: {error.message}"
        return error.message

    def project_tree(self, project: str, sha: str) -> list[str] | None:
        """Every file path of ``project`` at commit ``sha`` (for local globs in its
        files); ``None`` when the tree cannot be listed."""
        return self._tree(project, sha, recursive=True)

    def root_files(self, project: str, sha: str) -> list[str] | None:
        """The files at the top of ``project`` at commit ``sha`` (one short listing)."""
        return self._tree(project, sha, recursive=False)

    def _tree(self, project: str, sha: str, recursive: bool) -> list[str] | None:
        kind = "trees" if recursive else "roots"
        key = (kind, project, sha)
        if key not in self._trees:
            pointer = self.cache.pointer(kind, self.server, project, sha)
            paths: list[str] | None = None
            if pointer is not None and isinstance(pointer.get("paths"), list):
                paths = [str(item) for item in pointer["paths"]]
            else:
                try:
                    entries = self.client.paginate(
                        f"/projects/{project_id(project)}/repository/tree",
                        {"ref": sha, "recursive": "true" if recursive else "false"})
                    paths = sorted(str(entry["path"]) for entry in entries
                                   if isinstance(entry, dict) and entry.get("type") == "blob"
                                   and isinstance(entry.get("path"), str))
                    if COMMIT_SHA.match(sha):
                        self.cache.store_pointer(kind, (self.server, project, sha),
                                                 {"paths": paths})
                except RemoteError:
                    paths = None
            self._trees[key] = paths
        return self._trees[key]

    # Components ------------------------------------------------------------

    def component(self, address: str) -> FetchedFile:
        """``<fqdn>/<project path>/<name>@<version>``: ``templates/<name>.yml`` or
        ``templates/<name>/template.yml`` of that project at that version."""
        location, at, version = address.strip().rpartition("@")
        if not at or not version:
            return _failed(address, f"component `{address}` names no version "
                           "(`<fqdn>/<project>/<name>@<version>`)")
        host, _, rest = location.partition("/")
        project, _, name = rest.rpartition("/")
        if not project or not name:
            return _failed(address, f"component `{address}` is not "
                           "`<fqdn>/<project>/<name>@<version>`")
        if SERVER_VARIABLES.match(host):
            host = self.host
        if host.lower() != self.host.lower():
            return _failed(address, f"component `{address}` is on {host}, not on "
                           f"{self.host} (--gitlab-url)")
        ref = version
        sha: str | None = None
        if needs_tags(version):
            tags = self._tag_list(project)
            if isinstance(tags, RemoteError):
                return _failed(address, f"cannot list the versions of {project}: {tags}")
            tag = resolve_version(version, [tag_name for tag_name, _ in tags])
            if tag is None:
                return _failed(address, f"component `{address}`: no released version of "
                               f"{project} matches `{version}`")
            ref = tag
            sha = dict(tags)[tag] or None
        candidates = (f"templates/{name}.yml", f"templates/{name}/template.yml")
        first: FetchedFile | None = None
        for path in candidates:
            found = self.project_file(project, sha or ref, path, shown_ref=ref)
            if found.content is not None:
                return found
            first = first or found
        assert first is not None
        return _failed(address, f"component `{address}`: neither {candidates[0]} nor "
                       f"{candidates[1]} could be read in {project} at {ref} "
                       f"({first.problem})")

    def _tag_list(self, project: str) -> list[tuple[str, str]] | RemoteError:
        if project not in self._tags:
            try:
                entries = self.client.paginate(
                    f"/projects/{project_id(project)}/repository/tags")
                tags = [(str(entry.get("name")),
                         str((entry.get("commit") or {}).get("id") or ""))
                        for entry in entries if isinstance(entry, dict)]
                self.cache.store_pointer("tags", (self.server, project),
                                         {"tags": [list(tag) for tag in tags]})
                self._tags[project] = tags
            except RemoteError as error:
                pointer = self.cache.pointer("tags", self.server, project)
                if error.unreachable and pointer is not None \
                        and isinstance(pointer.get("tags"), list):
                    self._tags[project] = [(str(name), str(sha))
                                           for name, sha in pointer["tags"]]
                else:
                    self._tags[project] = error
        return self._tags[project]

    # Templates and URLs ------------------------------------------------------

    def template(self, name: str) -> FetchedFile:
        """One of the instance's CI/CD templates (``GET /templates/gitlab_ci_ymls/:key``)."""
        name = name.strip()
        display = f"template:{name}"
        key = name[:-len(TEMPLATE_SUFFIX)] if name.endswith(TEMPLATE_SUFFIX) else name
        path = f"/templates/gitlab_ci_ymls/{quote(key, safe='')}"

        def content_of(response: Response) -> bytes:
            document = response.json()
            content = document.get("content") if isinstance(document, dict) else None
            if not isinstance(content, str):
                raise RemoteError(f"template {name}: the answer has no content", "invalid")
            return content.encode("utf-8", "surrogatepass")

        return self._named("templates", (self.server, key), display,
                           lambda etag: self.client.api(path, None, etag), content_of)

    def remote(self, url: str) -> FetchedFile:
        """A `remote:` include (public, fetched without the GitLab token)."""
        url = url.strip()
        if urlsplit(url).scheme not in ("https", "http"):
            return _failed(url, f"remote include `{url}` is not an HTTP(S) URL")
        found = self._named("urls", (url,), url, lambda etag: self.client.url(url, etag),
                            lambda response: response.content)
        if found.content is not None:
            self.web_urls[url] = url
        return found

    def _named(self, kind: str, key: tuple[str, ...], display: str, get: Any,
               content_of: Any) -> FetchedFile:
        """A file behind a name that may change: revalidated once per run with its ETag;
        the cached copy stands in when the server cannot be reached."""
        if key in self._revalidated:
            return self._revalidated[key]
        pointer = self.cache.pointer(kind, *key)
        cached = _unb64(pointer.get("content")) if pointer is not None else None
        etag = pointer.get("etag") if pointer is not None and cached is not None else None
        try:
            response = get(etag if isinstance(etag, str) else None)
            if response.status == 304 and cached is not None:
                content = cached
            else:
                content = content_of(response)
                self.cache.store_pointer(kind, key, {"content": _b64(content),
                                                     "etag": response.headers.get("etag")})
            found = FetchedFile(display, content, path=display)
        except RemoteError as error:
            found = FetchedFile(display, cached, path=display) \
                if error.unreachable and cached is not None \
                else _failed(display, error.message, error.kind)
        self._revalidated[key] = found
        if found.content is not None:
            self._fetched.add(display)
        return found
