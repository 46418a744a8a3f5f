"""The HTTP side of a GitLab connection: server, credentials, requests, failures.

The server is ``--gitlab-url``, else ``CI_SERVER_URL`` (set inside every GitLab
job), else ``https://gitlab.com``. The token comes from ``CIGEN_GITLAB_TOKEN``,
``GITLAB_TOKEN`` (both sent as ``PRIVATE-TOKEN``) or, inside a job,
``CI_JOB_TOKEN`` (sent as ``JOB-TOKEN``); without one, requests are anonymous
and only public projects can be read. The token is sent to the API of that
server only: never to a ``remote:`` URL, never along a redirect to another
host, and it never appears in a message (every message is also scrubbed of it).

Every request is bounded: a timeout per request (10 s unless
``CIGEN_GITLAB_TIMEOUT`` says otherwise), a ``429 Too Many Requests`` is retried
after the ``Retry-After`` the server asks for when that is short
(:data:`MAX_RETRY_AFTER`), or once after :data:`DEFAULT_RETRY_WAIT` when it
names no wait, and a failure of any kind becomes a :class:`RemoteError` whose
message says what went wrong in a user's words.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

DEFAULT_SERVER = "https://gitlab.com"
DEFAULT_TIMEOUT = 10.0
TIMEOUT_VARIABLE = "CIGEN_GITLAB_TIMEOUT"
MAX_RETRY_AFTER = 30.0
"""Longest wait, in seconds, a `Retry-After` is honoured for; a longer one fails."""
MAX_ATTEMPTS = 3
DEFAULT_RETRY_WAIT = 1.0
"""Seconds waited before the one retry of a `429` that has no `Retry-After`."""
MAX_REASON_BYTES = 4096
"""How much of a `404` answer is read for GitLab's reason (``404 File Not Found``)."""
MAX_REDIRECTS = 5
MAX_PAGES = 1000
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
TOKEN_VARIABLES = ("CIGEN_GITLAB_TOKEN", "GITLAB_TOKEN")
JOB_TOKEN_VARIABLE = "CI_JOB_TOKEN"


class RemoteError(Exception):
    """A request that did not give an answer cigen can use; ``str()`` is the message."""

    def __init__(self, message: str, kind: str, status: int | None = None,
                 reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        """``auth``, ``not-found``, ``timeout``, ``rate-limit``, ``tls``, ``network``,
        ``http`` or ``invalid``."""
        self.status = status
        self.reason = reason
        """The ``message`` of GitLab's JSON answer to a failed request, when it gave one:
        a 404 says ``404 File Not Found``, ``404 Project Not Found``, ``404 Commit Not
        Found``…"""

    @property
    def unreachable(self) -> bool:
        """The server did not answer at all: a cached copy may stand in."""
        return self.kind in ("timeout", "tls", "network", "rate-limit")


class Credentials:
    """A token and the header it goes in; ``repr`` and ``str`` never show the token."""

    __slots__ = ("_token", "header", "source")

    def __init__(self, token: str | None = None, header: str = "PRIVATE-TOKEN",
                 source: str = "") -> None:
        self._token = token or None
        self.header = header
        self.source = source

    @property
    def anonymous(self) -> bool:
        return self._token is None

    def headers(self) -> dict[str, str]:
        return {} if self._token is None else {self.header: self._token}

    def scrub(self, text: str) -> str:
        """``text`` with the token, should it occur in it, masked."""
        if self._token is None or self._token not in text:
            return text
        return text.replace(self._token, "[token]")

    def __repr__(self) -> str:
        return f"Credentials({self.source or 'anonymous'})"

    __str__ = __repr__


def credentials_from(environ: Mapping[str, str]) -> Credentials:
    for name in TOKEN_VARIABLES:
        if environ.get(name):
            return Credentials(environ[name], "PRIVATE-TOKEN", name)
    if environ.get(JOB_TOKEN_VARIABLE):
        return Credentials(environ[JOB_TOKEN_VARIABLE], "JOB-TOKEN", JOB_TOKEN_VARIABLE)
    return Credentials()


def server_from(given: str | None, environ: Mapping[str, str]) -> str:
    """The instance's base URL, without a trailing slash."""
    server = given or environ.get("CI_SERVER_URL") or DEFAULT_SERVER
    if "://" not in server:
        server = f"https://{server}"
    return server.rstrip("/")


def timeout_from(environ: Mapping[str, str]) -> float:
    try:
        value = float(environ.get(TIMEOUT_VARIABLE, ""))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if 0 < value <= 600 else DEFAULT_TIMEOUT


class Connection:
    """Where and how to reach GitLab; plain data, so it can travel to worker processes."""

    __slots__ = ("cache_dir", "credentials", "server", "timeout")

    def __init__(self, server: str, credentials: Credentials | None = None,
                 timeout: float = DEFAULT_TIMEOUT, cache_dir: str | None = None) -> None:
        self.server = server.rstrip("/")
        self.credentials = credentials or Credentials()
        self.timeout = timeout
        self.cache_dir = cache_dir

    @classmethod
    def from_environment(cls, server: str | None, cache_dir: str | None,
                         environ: Mapping[str, str] | None = None) -> Connection:
        environ = os.environ if environ is None else environ
        return cls(server_from(server, environ), credentials_from(environ),
                   timeout_from(environ), cache_dir)

    @property
    def host(self) -> str:
        return urlsplit(self.server).netloc

    def __repr__(self) -> str:
        return f"Connection({self.server!r}, {self.credentials!r})"


class Response:
    __slots__ = ("content", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.status = status
        self.headers = headers
        """Lower-case names."""
        self.content = content

    def json(self) -> Any:
        try:
            return json.loads(self.content)
        except ValueError:
            raise RemoteError("the server's answer is not JSON", "invalid", self.status
                              ) from None


def project_id(path: str) -> str:
    """A project or group path as the API takes it in a URL (``group%2Fproject``)."""
    return quote(path.strip("/"), safe="")


class GitLabClient:
    """Requests to one GitLab instance (and to `remote:` include URLs)."""

    def __init__(self, connection: Connection, transport: Any = None) -> None:
        import httpx

        self.connection = connection
        self._httpx = httpx
        self._client = httpx.Client(timeout=httpx.Timeout(connection.timeout),
                                    follow_redirects=False, transport=transport,
                                    headers={"User-Agent": "cigen"})
        self._unreachable: dict[str, tuple[str, str]] = {}
        """Hosts that could not be connected to in this run: later requests to them
        fail at once instead of each waiting for its own timeout."""

    def close(self) -> None:
        self._client.close()

    def api(self, path: str, params: dict[str, str] | None = None,
            etag: str | None = None) -> Response:
        """``GET /api/v4<path>``; a 304 (when ``etag`` is given) is returned, any other
        status that is not a success raises :class:`RemoteError`."""
        url = f"{self.connection.server}/api/v4{path}"
        return self._get(url, params, etag, authenticated=True)

    def paginate(self, path: str, params: dict[str, str] | None = None) -> list[Any]:
        """Every item of a paginated list, following ``X-Next-Page``."""
        items: list[Any] = []
        page = "1"
        for _ in range(MAX_PAGES):
            response = self.api(path, {**(params or {}), "per_page": "100", "page": page})
            batch = response.json()
            if not isinstance(batch, list):
                raise RemoteError("the server's answer is not a list", "invalid", 200)
            items.extend(batch)
            page = response.headers.get("x-next-page", "").strip()
            if not page or not batch:
                return items
        return items

    def url(self, url: str, etag: str | None = None) -> Response:
        """A `remote:` include's URL; the GitLab token is never sent with it."""
        return self._get(url, None, etag, authenticated=False)

    def _get(self, url: str, params: dict[str, str] | None, etag: str | None,
             authenticated: bool) -> Response:
        httpx = self._httpx
        origin = urlsplit(url)
        what = self._what(url)
        attempts = 0
        redirects = 0
        while True:
            headers = {"Accept-Encoding": "gzip"}
            if etag:
                headers["If-None-Match"] = etag
            current = urlsplit(url)
            known = self._unreachable.get(current.netloc)
            if known is not None:
                raise self._error(f"{what}: {known[0]}", known[1])
            if authenticated and (current.scheme, current.netloc) == (origin.scheme,
                                                                       origin.netloc):
                headers.update(self.connection.credentials.headers())
            try:
                with self._client.stream("GET", url, params=params, headers=headers) as reply:
                    content = b""
                    if reply.status_code < 300:
                        chunks = []
                        size = 0
                        for chunk in reply.iter_bytes():
                            size += len(chunk)
                            if size > MAX_RESPONSE_BYTES:
                                raise RemoteError(f"{what}: the answer is larger than "
                                                  f"{MAX_RESPONSE_BYTES // (1024 * 1024)} MiB",
                                                  "invalid", reply.status_code)
                            chunks.append(chunk)
                        content = b"".join(chunks)
                    elif reply.status_code == 404:
                        content = _head(reply.iter_bytes(), MAX_REASON_BYTES)
                    status = reply.status_code
                    reply_headers = {key.lower(): value for key, value in reply.headers.items()}
            except httpx.ConnectTimeout:
                raise self._down(what, current.netloc, f"cannot connect to {current.netloc} "
                                 f"within {self.connection.timeout:g} s", "timeout") from None
            except httpx.TimeoutException:
                raise self._error(f"{what}: no answer within {self.connection.timeout:g} s",
                                  "timeout") from None
            except httpx.ConnectError as error:
                reason = str(error)
                if "CERTIFICATE" in reason.upper() or "SSL" in reason.upper():
                    detail = reason.split("] ", 1)[-1].split(" (_ssl", 1)[0].strip()
                    raise self._down(what, current.netloc, f"the TLS connection to "
                                     f"{current.netloc} failed ({detail})", "tls") from None
                raise self._down(what, current.netloc, f"cannot connect to {current.netloc}",
                                 "network") from None
            except httpx.HTTPError as error:
                raise self._error(f"{what}: {type(error).__name__}", "network") from None
            if status in (301, 302, 303, 307, 308) and redirects < MAX_REDIRECTS:
                location = reply_headers.get("location")
                if location:
                    redirects += 1
                    url = urljoin(url, location)
                    params = None if "?" in location else params
                    continue
            if status == 429:
                attempts += 1
                wait = _retry_after(reply_headers.get("retry-after"))
                # Without a Retry-After the limit's window is unknown: one short wait,
                # not the full number of attempts.
                pause = DEFAULT_RETRY_WAIT if wait is None and attempts == 1 else wait
                if attempts < MAX_ATTEMPTS and pause is not None and pause <= MAX_RETRY_AFTER:
                    time.sleep(pause)
                    continue
                asked = f" (it asks to wait {wait:g} s)" if wait is not None else ""
                raise self._error(f"{what}: the server limits requests (429){asked}",
                                  "rate-limit", status)
            if status == 304 or 200 <= status < 300:
                return Response(status, reply_headers, content)
            raise self._status_error(what, status, authenticated, _reason(content))

    def _down(self, what: str, host: str, reason: str, kind: str) -> RemoteError:
        """The error for a host that cannot be connected to, remembered for the run."""
        self._unreachable[host] = (reason, kind)
        return self._error(f"{what}: {reason}", kind)

    def _what(self, url: str) -> str:
        """How a request is named in messages: its address, without any query string."""
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"

    def _status_error(self, what: str, status: int, authenticated: bool,
                      reason: str = "") -> RemoteError:
        credentials = self.connection.credentials
        if status in (401, 403):
            if not authenticated or credentials.anonymous:
                hint = (" without a token (set CIGEN_GITLAB_TOKEN or GITLAB_TOKEN)"
                        if authenticated else "")
                return self._error(f"{what}: access denied ({status}){hint}", "auth", status)
            return self._error(f"{what}: the token from {credentials.source} cannot read it "
                               f"({status})", "auth", status)
        if status == 404:
            hint = (" (or it is private: set CIGEN_GITLAB_TOKEN or GITLAB_TOKEN)"
                    if authenticated and credentials.anonymous else "")
            return self._error(f"{what}: not found (404){hint}", "not-found", status, reason)
        return self._error(f"{what}: the server answered {status}", "http", status)

    def _error(self, message: str, kind: str, status: int | None = None,
               reason: str = "") -> RemoteError:
        scrub = self.connection.credentials.scrub
        return RemoteError(scrub(message), kind, status, scrub(reason))


def _head(chunks: Iterator[bytes], limit: int) -> bytes:
    """At most ``limit`` bytes from the start of a body (the rest is never read)."""
    kept = b""
    for chunk in chunks:
        kept += chunk
        if len(kept) >= limit:
            return kept[:limit]
    return kept


def _reason(content: bytes) -> str:
    """The ``message`` of a GitLab JSON error answer (``{"message": "404 File Not
    Found"}``), or nothing."""
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        return ""
    message = document.get("message") if isinstance(document, dict) else None
    return message.strip() if isinstance(message, str) else ""


def _retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (a number of seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
