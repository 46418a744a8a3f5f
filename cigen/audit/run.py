"""What `cigen audit` and `cigen audit merge` do once their options are parsed.

The audit lists the group's projects (``GET /groups/:id/projects``, every
page; archived ones only with ``--archived``), keeps this shard's share
(``--shard I/N``, by default ``CI_NODE_INDEX``/``CI_NODE_TOTAL`` of a
``parallel:`` job: the projects sorted by path, every N-th from the I-th), and
for each project reads its CI configuration (``ci_config_path``, else
``.gitlab-ci.yml``) at its default branch, with its own ``cigen.toml`` or
``pyproject.toml`` ``[tool.cigen]`` from the same commit, and lints it as
`cigen lint --remote` would, its local includes read from the same commit.

Each project's result is appended to ``audit.partial.jsonl`` as soon as it is
known, so an interrupted audit loses nothing: ``--resume`` skips the projects
already there or in ``audit.json``. ``--jobs N`` fetches N projects at once
(the linting itself takes turns). A project that cannot be read is a row with
status ``error`` and the reason, never the end of the audit.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cigen.audit.report import ReportError, document, read_document, write_reports
from cigen.remote.client import Connection, RemoteError
from cigen.remote.fetcher import FetchedFile, GitLabFetcher

EXIT_OK = 0
EXIT_USAGE = 2
JOURNAL = "audit.partial.jsonl"
CONFIG_FILES = ("cigen.toml", "pyproject.toml")


class AuditError(Exception):
    """A usage or I/O problem, printed as one line (exit 2)."""


class AuditRequest:
    __slots__ = ("archived", "group", "include_subgroups", "jobs", "output_dir", "resume",
                 "shard")

    def __init__(self, group: str, output_dir: str, include_subgroups: bool = False,
                 archived: bool = False, resume: bool = False, jobs: int = 4,
                 shard: str | None = None) -> None:
        self.group = group
        self.output_dir = output_dir
        self.include_subgroups = include_subgroups
        self.archived = archived
        self.resume = resume
        self.jobs = jobs
        self.shard = shard


def parse_shard(given: str | None, environ: Mapping[str, str]) -> tuple[int, int]:
    """``(index, total)``, 1-based, from ``--shard I/N`` or the `parallel:` variables."""
    if given is None:
        index, total = environ.get("CI_NODE_INDEX"), environ.get("CI_NODE_TOTAL")
        if not index or not total:
            return 1, 1
        given, where = f"{index}/{total}", "CI_NODE_INDEX/CI_NODE_TOTAL"
    else:
        where = "--shard"
    first, slash, second = given.partition("/")
    try:
        shard, shards = int(first), int(second)
    except ValueError:
        raise AuditError(f"{where}: expected I/N (like 2/4), not '{given}'") from None
    if not slash or shards < 1 or not 1 <= shard <= shards:
        raise AuditError(f"{where}: expected I/N with 1 <= I <= N, not '{given}'")
    return shard, shards


def run_audit(request: AuditRequest, connection: Connection,
              environ: Mapping[str, str] | None = None) -> int:
    try:
        return _audit(request, connection, os.environ if environ is None else environ)
    except (AuditError, ReportError) as error:
        _error_line(f"cigen: error: {error}")
        return EXIT_USAGE


def _audit(request: AuditRequest, connection: Connection, environ: Mapping[str, str]) -> int:
    if request.jobs < 1:
        raise AuditError("--jobs: must be at least 1")
    shard, shards = parse_shard(request.shard, environ)
    fetcher = GitLabFetcher(connection)
    try:
        try:
            listed = fetcher.group_projects(request.group, request.include_subgroups,
                                            request.archived)
        except RemoteError as error:
            raise AuditError(f"cannot list the projects of group {request.group}: {error}"
                             ) from None
        projects = sorted((item for item in listed
                           if isinstance(item.get("path_with_namespace"), str)),
                          key=lambda item: str(item["path_with_namespace"]))
        mine = [item for index, item in enumerate(projects) if index % shards == shard - 1]
        os.makedirs(request.output_dir, exist_ok=True)
        done = _done(request.output_dir) if request.resume else {}
        if not request.resume:
            _remove(os.path.join(request.output_dir, JOURNAL))
        pending = [item for item in mine if item["path_with_namespace"] not in done]
        auditor = _Auditor(fetcher, connection, os.path.join(request.output_dir, JOURNAL))
        with _progress(len(pending)) as advance:
            def audit_one(item: dict[str, Any]) -> None:
                auditor.audit(item)
                advance()

            if request.jobs == 1 or len(pending) < 2:
                for item in pending:
                    audit_one(item)
            else:
                with ThreadPoolExecutor(max_workers=request.jobs) as pool:
                    list(pool.map(audit_one, pending))
        results = {**done, **auditor.results}
        wanted = {str(item["path_with_namespace"]) for item in mine}
        entries = [entry for name, entry in results.items() if name in wanted]
        write_reports(request.output_dir, document(connection.server, entries))
        _remove(os.path.join(request.output_dir, JOURNAL))
    finally:
        fetcher.close()
    errors = sum(1 for entry in entries if entry["status"] == "error")
    findings = sum(len(entry["findings"]) for entry in entries)
    print(f"cigen audit: {len(entries)} projects (shard {shard}/{shards}), {findings} "
          f"findings, {errors} not readable; report in {request.output_dir}", file=sys.stderr)
    return EXIT_OK


def run_merge(output_dir: str, shard_dirs: list[str]) -> int:
    """Join shard reports into one, as one unsharded audit would have written it."""
    try:
        if not shard_dirs:
            raise AuditError("audit merge: name the shard directories to merge")
        merged: dict[str, dict[str, Any]] = {}
        server = ""
        for directory in shard_dirs:
            report = read_document(os.path.join(directory, "audit.json"))
            server = server or str(report.get("server", ""))
            if report.get("server", server) != server:
                raise AuditError(f"{directory}: audits a different server "
                                 f"({report.get('server')}, not {server})")
            for entry in report["projects"]:
                merged[entry["project"]] = entry
        write_reports(output_dir, document(server, list(merged.values())))
    except (AuditError, ReportError) as error:
        _error_line(f"cigen: error: {error}")
        return EXIT_USAGE
    print(f"cigen audit merge: {len(merged)} projects from {len(shard_dirs)} reports; report "
          f"in {output_dir}", file=sys.stderr)
    return EXIT_OK


def _done(directory: str) -> dict[str, dict[str, Any]]:
    """Projects an earlier run already audited: its report, then its journal."""
    done: dict[str, dict[str, Any]] = {}
    report = os.path.join(directory, "audit.json")
    if os.path.exists(report):
        for entry in read_document(report)["projects"]:
            done[entry["project"]] = entry
    try:
        with open(os.path.join(directory, JOURNAL), encoding="utf-8") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # the line being written when the run stopped
                if isinstance(entry, dict) and isinstance(entry.get("project"), str):
                    done[entry["project"]] = entry
    except OSError:
        pass
    return done


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as error:
        raise AuditError(f"{path}: cannot remove: {error.strerror}") from None


class _Auditor:
    """Audits projects one by one or from several threads; linting takes turns."""

    def __init__(self, fetcher: GitLabFetcher, connection: Connection, journal: str) -> None:
        self.fetcher = fetcher
        self.connection = connection
        self.journal = journal
        self.results: dict[str, dict[str, Any]] = {}
        self._lint_lock = threading.Lock()
        self._write_lock = threading.Lock()

    def audit(self, item: dict[str, Any]) -> None:
        project = str(item["path_with_namespace"])
        try:
            entry = self._audit(project, item)
        except Exception as error:  # one project's surprise must not end the audit
            entry = _entry(project, None, None, "error",
                           f"internal error: {type(error).__name__}: {error}")
        line = json.dumps(entry) + "\n"
        with self._write_lock:
            self.results[project] = entry
            try:
                with open(self.journal, "a", encoding="utf-8") as handle:
                    handle.write(line)
            except OSError as error:
                raise AuditError(f"{self.journal}: cannot write: {error.strerror}") from None

    def _audit(self, project: str, item: dict[str, Any]) -> dict[str, Any]:
        info = item
        if "default_branch" not in info:
            try:
                info = self.fetcher.project_info(project)
            except RemoteError as error:
                return _entry(project, None, None, "error", error.message)
        ref = info.get("default_branch")
        if not ref:
            return _entry(project, None, None, "empty", "the repository is empty")
        ci_path = str(info.get("ci_config_path") or ".gitlab-ci.yml")
        if "@" in ci_path or "://" in ci_path:
            return _entry(project, str(ref), None, "skipped",
                          f"the CI configuration is in another project or at a URL "
                          f"({ci_path})")
        main = self.fetcher.project_file(project, str(ref), ci_path)
        if main.content is None:
            status = "no-ci" if main.failure == "not-found" else "error"
            return _entry(project, str(ref), None, status, main.problem)
        settings = self._settings_files(project, main)
        with self._lint_lock:
            findings, urls, problem = self._lint(main, settings)
        if problem:
            return _entry(project, str(ref), main.sha, "error", problem)
        entry = _entry(project, str(ref), main.sha, "ok")
        entry["findings"] = findings
        entry["urls"] = urls
        return entry

    def _settings_files(self, project: str, main: FetchedFile) -> dict[str, bytes]:
        """The project's `cigen.toml` and `pyproject.toml` at the audited commit."""
        found = {}
        # One listing (kept for the commit) says which of them exist.
        present = self.fetcher.root_files(project, main.sha) if main.sha else None
        for name in CONFIG_FILES:
            if present is not None and name not in present:
                continue
            fetched = self.fetcher.project_file(project, main.sha or main.ref, name,
                                                shown_ref=main.ref)
            if fetched.content is not None:
                found[name] = fetched.content
        return found

    def _lint(self, main: FetchedFile, settings: dict[str, bytes]
              ) -> tuple[list[dict[str, Any]], dict[str, str], str]:
        """The findings (as `--format json` writes them), the address of each fetched
        file they are in (at the commit read), or why the project could not be linted."""
        from cigen.lint.engine import Linter, Target, UsageError
        from cigen.lint.report import RenderOptions
        from cigen.lint.report.json_format import render
        from cigen.lint.run import CommandError, ConfiguredOptions, LintRequest
        from cigen.lint.settings import find_config

        assert main.content is not None
        with tempfile.TemporaryDirectory(prefix="cigen-audit-") as scratch:
            os.mkdir(os.path.join(scratch, ".git"))  # the configuration search stops here
            for name, content in settings.items():
                with open(os.path.join(scratch, name), "wb") as handle:
                    handle.write(content)
            config = find_config(scratch)
            request = LintRequest(paths=[], config=config, isolated=config is None,
                                  no_cache=True)
            try:
                configured = ConfiguredOptions(request)
                options = configured.options(config)
            except CommandError as error:
                shown = str(error).replace(scratch + os.sep, "")
                return [], {}, f"its cigen configuration cannot be used: {shown}"
            options.remote = self.connection
            linter = Linter(options)
            linter.fetcher = self.fetcher
            linter.home = main
            linter.unsaved[main.display] = main.content.decode("utf-8", "surrogateescape")
            target = Target(main.display, os.path.join(scratch, main.path), "pipeline")
            try:
                report = linter.lint([target])
            except UsageError as error:
                return [], {}, str(error)
        findings: list[dict[str, Any]] = json.loads(render(report, RenderOptions()))["findings"]
        return findings, dict(sorted(report.web_urls.items())), ""


def _entry(project: str, ref: str | None, sha: str | None, status: str,
           message: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {"project": project, "ref": ref, "sha": sha, "status": status,
                             "findings": []}
    if message:
        entry["message"] = message
    return entry


class _progress:
    """A progress bar on a terminal; nothing in CI logs."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._progress: Any = None
        self._task: Any = None
        self._lock = threading.Lock()

    def __enter__(self) -> Callable[[], None]:
        if sys.stderr.isatty() and self.total:
            from rich.progress import Progress

            self._progress = Progress(transient=True)
            self._progress.start()
            self._task = self._progress.add_task("Auditing", total=self.total)
        return self.advance

    def advance(self) -> None:
        if self._progress is not None:
            with self._lock:
                self._progress.advance(self._task)

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _error_line(line: str) -> None:
    print(line, file=sys.stderr)
