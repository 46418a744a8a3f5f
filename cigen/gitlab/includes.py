"""``include:`` resolution: local files, globs, nesting, limits and the repository root.

Local includes are read relative to the repository root, as GitLab does, and
nothing outside that root is ever opened. ``project:``, ``remote:``,
``template:`` and ``component:`` includes need the network: offline they are
recorded as unresolved; given a :class:`RemoteFetcher` (``--remote``, which
:mod:`cigen.remote` implements) they are fetched and read like local files,
named ``group/project@ref:path`` (``template:NAME`` for templates, the URL for
`remote:`), and a local include inside such a file is read from the same
project at the same commit. A file that cannot be fetched is recorded as
unresolved, with the reason. Included files are merged first and the including
file's own keys override them (deep merge), so the result is one top-level
mapping whose every value still points at the file it was written in.

Files are read through :mod:`cigen.source.files` (regular files only, within
the size limit); a pipeline that is a symbolic link resolves its includes from
the repository root, not from its target's directory.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable
from typing import Any, Protocol

from cigen.gitlab.expressions import UNKNOWN, Value, Verdict, all_of, evaluate
from cigen.gitlab.merge import merge_all, without_keys
from cigen.source.files import UnreadableFile, glob_regex, is_inside, read_regular_file
from cigen.source.positions import Span, YMap, YSeq
from cigen.source.text import LoadError, Problem, SourceText, decode_source
from cigen.source.yaml_reader import parse_yaml

MAX_INCLUDES = 150


class RemoteFile(Protocol):
    """A file a :class:`RemoteFetcher` fetched, or why it could not."""

    @property
    def display(self) -> str:
        """The name findings in it show: ``group/project@ref:path``."""
    @property
    def content(self) -> bytes | None:
        """``None`` when it could not be fetched (see :attr:`problem`)."""
    @property
    def problem(self) -> str: ...
    @property
    def project(self) -> str | None:
        """The project that holds it; ``None`` for templates and URLs."""
    @property
    def ref(self) -> str | None: ...
    @property
    def sha(self) -> str | None:
        """The commit it was read at, when known."""


class RemoteFetcher(Protocol):
    """Reads what `project:`, `component:`, `template:` and `remote:` name."""

    @property
    def host(self) -> str:
        """The instance's host (and port), which ``$CI_SERVER_FQDN`` stands for."""
    def project_file(self, project: str, ref: str | None, path: str,
                     shown_ref: str | None = None) -> RemoteFile: ...
    def project_tree(self, project: str, sha: str) -> list[str] | None: ...
    def component(self, address: str) -> RemoteFile: ...
    def template(self, name: str) -> RemoteFile: ...
    def remote(self, url: str) -> RemoteFile: ...
    def fetched(self, display: str) -> bool:
        """Whether ``display`` names a file this fetcher fetched (not one on disk)."""
    def web_url(self, display: str) -> str | None:
        """Where a fetched file can be browsed (at its commit), when known."""


class IncludeResult:
    __slots__ = ("config", "files", "needs_resolution", "problems", "reads_tree", "sources",
                 "unresolved")

    config: YMap
    sources: dict[str, SourceText]
    problems: list[Problem]
    unresolved: bool
    """True when some include could not be read, so names may be defined elsewhere."""
    files: list[str]
    """Display paths of every file that was read, the main file first."""
    needs_resolution: bool
    """Some file has `!reference` tags or nested lists to rewrite."""
    reads_tree: bool
    """Some include depends on which files the repository holds (a glob, `exists:`, a
    local file that is not there)."""

    def __init__(self, config: YMap, sources: dict[str, SourceText] | None = None,
                 problems: list[Problem] | None = None, unresolved: bool = False,
                 files: list[str] | None = None, needs_resolution: bool = False) -> None:
        self.config = config
        self.sources = {} if sources is None else sources
        self.problems = [] if problems is None else problems
        self.unresolved = unresolved
        self.files = [] if files is None else files
        self.needs_resolution = needs_resolution
        self.reads_tree = False


class IncludeResolver:
    """Loads a pipeline file and everything it includes (locally, or through a fetcher)."""

    def __init__(self, root: str, display_base: str | None,
                 fetcher: RemoteFetcher | None = None, home: RemoteFile | None = None) -> None:
        self.root = os.path.realpath(root)
        self.display_base = display_base
        self.fetcher = fetcher
        self.home = home
        """The project the main file itself lives in, when it was fetched (an audit)."""
        self._within: RemoteFile | None = home
        """The fetched file being read: its local includes come from its project."""
        self.result = IncludeResult(YMap())
        self.count = 0
        self._loaded: set[str] = set()
        self._configs: dict[str, YMap] = {}
        self._names: dict[str, str] = {}
        self._files: list[tuple[str, int, str]] | None = None

    def display(self, real_path: str) -> str:
        if self.display_base is None:
            return real_path
        return os.path.relpath(real_path, self.display_base)

    def load_main(self, real_path: str, text_source: SourceText) -> YMap | None:
        """Load the main file (already read) and its includes."""
        self.result.files.append(text_source.path)
        self.result.sources[text_source.path] = text_source
        self._loaded.add(real_path)
        self._names[real_path] = text_source.path
        config = self._load_document(text_source, chain=(real_path,), include_span=None)
        if config is not None:
            self.result.config = config
        return config

    def _load_document(self, source: SourceText, chain: tuple[str, ...],
                       include_span: Span | None, inputs: Any = None,
                       inputs_span: Span | None = None) -> YMap | None:
        try:
            loaded = parse_yaml(source)
        except LoadError as error:
            self.result.problems.append(error.problem)
            return None
        self.result.problems.extend(loaded.problems)
        self.result.needs_resolution |= loaded.needs_resolution
        data = self._interpolated(loaded.data, loaded.header, source.path, inputs,
                                  inputs_span or include_span)
        if data is None:
            if include_span is not None:
                self.result.problems.append(Problem(
                    "include-error", f"included file `{source.path}` is empty", include_span))
            else:
                self.result.problems.append(Problem(
                    "invalid-syntax", "the file is empty; GitLab needs at least one job",
                    Span(source.path, 1, 1, 1, 1)))
            return None
        if not isinstance(data, YMap):
            what = "a list" if isinstance(data, YSeq) else "a single value"
            where = data.span if isinstance(data, YSeq) else None
            self.result.problems.append(Problem(
                "invalid-syntax",
                f"the top level is {what}; a GitLab CI configuration must be a mapping of keys",
                where or loaded.document_span or Span(source.path, 1, 1, 1, 1)))
            return None
        include = data.get("include")
        if include is None:
            return data
        parts = []
        for entry, span in _include_entries(include, data.span_of("include")):
            included = self._include(entry, span, chain, data.get("variables"))
            if included is not None:
                parts.append(included)
        return merge_all([*parts, without_keys(data, "include")])

    def _interpolated(self, data: Any, header: YMap | None, path: str, inputs: Any,
                      inputs_span: Span | None) -> Any:
        """``data`` with its `$[[ inputs.NAME ]]` blocks interpolated (see :mod:`.inputs`)."""
        if inputs is not None and not isinstance(inputs, YMap):
            self.result.problems.append(Problem(
                "input-error", "`inputs:` must be a mapping of input names to values",
                inputs_span or Span(path, 1, 1, 1, 1)))
            inputs = None
        if header is None:
            if inputs:
                self.result.problems.append(Problem(
                    "input-error", f"`{path}` declares no inputs (it has no `spec:` header), "
                    "but the include gives some", inputs_span or Span(path, 1, 1, 1, 1)))
            return data
        # Only files with a `spec:` header need it: not loaded on every run.
        from cigen.gitlab.inputs import Interpolation, declared_inputs

        declared = declared_inputs(header, path, self.result.problems)
        # ``inputs_span`` is where the including file gives the values; None for a
        # file linted on its own, whose required inputs are then unknown, not missing.
        interpolation = Interpolation(path, declared, inputs, inputs_span, self.result.problems)
        return interpolation.apply(data)

    def _include(self, entry: Any, span: Span, chain: tuple[str, ...],
                 variables: Any = None) -> YMap | None:
        if isinstance(entry, YMap) and "rules" in entry:
            verdict, unknown = self._rules_verdict(entry["rules"], variables)
            if verdict is False:
                return None
            if verdict is UNKNOWN:
                target = next((entry[kind] for kind in INCLUDE_KINDS if kind in entry), "")
                self.result.problems.append(Problem(
                    "include-unresolved",
                    f"`{target}` is included only when its `rules:` match, and {unknown} "
                    "cannot be known before the pipeline runs; cigen checks it as included",
                    entry.key_spans.get("rules") or entry.span_of("rules") or span))
        if isinstance(entry, str):
            if re.match(r"^https?://", entry):
                if self.fetcher is None:
                    self._unresolved("remote", entry, span)
                    return None
                return self._include_remote("remote", entry, YMap(), span, chain)
            return self._include_local(entry, span, chain)
        if not isinstance(entry, YMap):
            self.result.problems.append(Problem(
                "include-error", "an include entry must be a path or a mapping", span))
            return None
        for kind in ("project", "remote", "template", "component"):
            if kind in entry:
                if self.fetcher is None:
                    self._unresolved(kind, entry[kind], entry.span_of(kind) or span)
                    return None
                return self._include_remote(kind, entry[kind], entry,
                                            entry.span_of(kind) or span, chain)
        local = entry.get("local")
        if isinstance(local, str):
            return self._include_local(local, entry.span_of("local") or span, chain,
                                       entry.get("inputs"), entry.key_spans.get("inputs"))
        self.result.problems.append(Problem(
            "include-error",
            "unknown include: expected one of local, project, remote, template, component",
            span))
        return None

    def _rules_verdict(self, rules: Any, variables: Any) -> tuple[Verdict, str]:
        """Whether an include's ``rules:`` include it (docs: ci/yaml, `include:rules`):
        the first rule whose clauses all hold decides, by its ``when``; no rule
        holding means not included. The second value names what was not known."""
        if not isinstance(rules, YSeq):
            return UNKNOWN, "`rules:` that is not a list"
        lookup = _file_variables(variables)
        for rule in rules:
            if not isinstance(rule, YMap):
                return UNKNOWN, "a rule that is not a mapping"
            clauses: list[tuple[Verdict, str]] = []
            if "if" in rule:
                condition = rule["if"]
                clauses.append((evaluate(condition, lookup) if isinstance(condition, str)
                                else UNKNOWN, f"`if: {condition}`"))
            if "exists" in rule:
                clauses.append((self._exists(rule["exists"]), "`exists:`"))
            if "changes" in rule:
                clauses.append((UNKNOWN, "`changes:`"))
            verdict = all_of(*(clause for clause, _ in clauses))
            if verdict is False:
                continue
            if verdict is UNKNOWN:
                return UNKNOWN, next(what for clause, what in clauses if clause is UNKNOWN)
            return rule.get("when", "always") != "never", ""
        return False, ""

    def _exists(self, exists: Any) -> Verdict:
        """Whether a file matching one of the ``exists:`` patterns is in the repository."""
        if self._within is not None:
            return UNKNOWN  # the repository is on a server, not below the root
        if isinstance(exists, YMap):
            if "project" in exists:
                return UNKNOWN  # another project's files
            exists = exists.get("paths")
        patterns = [exists] if isinstance(exists, str) else exists
        if not isinstance(patterns, YSeq | list) or \
                not all(isinstance(pattern, str) and "$" not in pattern for pattern in patterns):
            return UNKNOWN
        files = self._repository_files()
        for pattern in patterns:
            regex = glob_regex(pattern.strip().lstrip("/"))
            if any(regex.match(relative) for relative, _, _ in files):
                return True
        return False

    def _admit(self, key: str, display: str, chain: tuple[str, ...], span: Span) -> bool:
        """Whether the file ``key`` may be included here: not in a cycle, and within
        GitLab's limit on includes (each counts, every time it is included)."""
        if key in chain:
            names = [self._names.get(item, item) for item in chain[chain.index(key):]]
            self.result.problems.append(Problem(
                "include-error", f"include cycle: {' -> '.join((*names, display))}", span))
            return False
        self.count += 1
        if self.count > MAX_INCLUDES:
            if self.count == MAX_INCLUDES + 1:
                self.result.problems.append(Problem(
                    "include-error",
                    f"more than {MAX_INCLUDES} includes; GitLab stops at {MAX_INCLUDES}", span))
            self.result.unresolved = True
            return False
        return True

    def _unresolved(self, kind: str, target: Any, span: Span,
                    why: str = "is not checked (it needs the network; `--remote` reads it)"
                    ) -> None:
        """An include cigen did not read, and why: what it defines is unknown."""
        self.result.unresolved = True
        self.result.problems.append(Problem(
            "include-unresolved",
            f"{kind} include `{target}` {why}; jobs and templates it defines are unknown "
            "to cigen", span))

    def _include_remote(self, kind: str, target: Any, entry: YMap, span: Span,
                        chain: tuple[str, ...]) -> YMap | None:
        """A `project:`, `component:`, `template:` or `remote:` include, through the fetcher."""
        assert self.fetcher is not None
        self.result.reads_tree = True  # what a server holds: no result cache may keep it
        inputs, inputs_span = entry.get("inputs"), entry.key_spans.get("inputs")
        if kind == "project":
            return self._include_project(entry, span, chain, inputs, inputs_span)
        if not isinstance(target, str) or not target.strip():
            self.result.problems.append(Problem(
                "include-error", f"`{kind}:` must be a non-empty string", span))
            return None
        if kind != "component" and "$" in target:
            self._unknowable(kind, target, span)
            return None
        if kind == "component":
            fetched = self.fetcher.component(target)
        elif kind == "template":
            fetched = self.fetcher.template(target)
        else:
            fetched = self.fetcher.remote(target)
        return self._read_remote(fetched, kind, target, span, chain, inputs, inputs_span)

    def _include_project(self, entry: YMap, span: Span, chain: tuple[str, ...],
                         inputs: Any, inputs_span: Span | None) -> YMap | None:
        assert self.fetcher is not None
        project, ref, files = entry.get("project"), entry.get("ref"), entry.get("file")
        if not isinstance(project, str) or not project.strip():
            self.result.problems.append(Problem(
                "include-error", "`project:` must be a project path", span))
            return None
        if ref is not None and not isinstance(ref, str | int | float):
            self.result.problems.append(Problem(
                "include-error", "`ref:` must be a branch, tag or commit",
                entry.span_of("ref") or span))
            return None
        paths = [files] if isinstance(files, str) else list(files) \
            if isinstance(files, YSeq) else None
        if not paths or not all(isinstance(path, str) and path.strip() for path in paths):
            self.result.problems.append(Problem(
                "include-error", f"project include `{project}` needs `file:`, a path or a "
                "list of paths", entry.span_of("file") or span))
            return None
        ref_text = None if ref is None else str(ref)
        if "$" in project or "$" in (ref_text or ""):
            self._unknowable("project", project, span)
            return None
        parts = []
        for index, path in enumerate(paths):
            where = files.span_at(index) if isinstance(files, YSeq) else None
            where = where or entry.span_of("file") or span
            if "$" in path:
                self._unknowable("project", f"{project}:{path}", where)
                continue
            fetched = self.fetcher.project_file(project.strip(), ref_text, path)
            included = self._read_remote(fetched, "project", f"{project}:{path}", where, chain,
                                         inputs, inputs_span)
            if included is not None:
                parts.append(included)
        if len(parts) < 2:
            return parts[0] if parts else None
        return merge_all(parts)

    def _unknowable(self, kind: str, target: str, span: Span) -> None:
        self._unresolved(kind, target, span, "names a CI/CD variable, whose value is known "
                         "only when the pipeline runs")

    def _read_remote(self, fetched: RemoteFile, kind: str, target: str, span: Span,
                     chain: tuple[str, ...], inputs: Any = None,
                     inputs_span: Span | None = None) -> YMap | None:
        display = fetched.display
        if fetched.content is None:
            self._unresolved(kind, target, span, f"could not be read: {fetched.problem}")
            return None
        if not self._admit(display, display, chain, span):
            return None
        if display in self._loaded and inputs is None:
            return self._configs.get(display)
        try:
            source = decode_source(fetched.content, display)
        except LoadError as error:
            self.result.unresolved = True
            self.result.problems.append(error.problem)
            return None
        if display not in self._loaded:
            self._loaded.add(display)
            self._names[display] = display
            self.result.files.append(display)
            self.result.sources[display] = source
        outer, self._within = self._within, fetched
        try:
            config = self._load_document(source, (*chain, display), span, inputs, inputs_span)
        finally:
            self._within = outer
        if config is None:
            self.result.unresolved = True
        else:
            self._configs[display] = config
        return config

    def _include_fetched_local(self, within: RemoteFile, pattern: str, span: Span,
                               chain: tuple[str, ...], inputs: Any,
                               inputs_span: Span | None) -> YMap | None:
        """A local include written in a fetched file: a file of that file's project,
        at the same commit."""
        assert self.fetcher is not None and within.project is not None
        relative = pattern.strip().lstrip("/")
        at = within.sha or within.ref
        if "*" in relative:
            tree = self.fetcher.project_tree(within.project, within.sha) \
                if within.sha else None
            if tree is None:
                self.result.unresolved = True
                self.result.problems.append(Problem(
                    "include-unresolved", f"local include `{pattern}` of {within.display}: the "
                    f"files of {within.project} could not be listed", span))
                return None
            regex = glob_regex(relative)
            paths = [path for path in tree if regex.match(path)]
            if not paths:
                self.result.unresolved = True
                self.result.problems.append(Problem(
                    "include-error", f"local include `{pattern}` matches no file in "
                    f"{within.project}", span))
                return None
        else:
            paths = [relative]
        parts = []
        for path in paths:
            fetched = self.fetcher.project_file(within.project, at, path, shown_ref=within.ref)
            included = self._read_remote(fetched, "local", pattern, span, chain, inputs,
                                         inputs_span)
            if included is not None:
                parts.append(included)
        if len(parts) < 2:
            return parts[0] if parts else None
        return merge_all(parts)

    def _include_local(self, pattern: str, span: Span, chain: tuple[str, ...],
                       inputs: Any = None, inputs_span: Span | None = None) -> YMap | None:
        within = self._within
        if within is not None and within.project is None:
            within = self.home  # a template or URL: its local includes are the pipeline's own
        if within is not None and within.project is not None and self.fetcher is not None:
            return self._include_fetched_local(within, pattern, span, chain, inputs,
                                               inputs_span)
        relative = pattern.strip().lstrip("/")
        if "\0" in relative:
            shown = pattern.replace("\0", "\\0")
            self.result.unresolved = True
            self.result.problems.append(Problem(
                "include-error", f"local include `{shown}` contains a NUL character; "
                "no file can have that name", span))
            return None
        if "*" in relative:
            paths = self._glob(relative)
            if not paths:
                self.result.unresolved = True
                self.result.problems.append(Problem(
                    "include-error", f"local include `{pattern}` matches no file", span))
                return None
        else:
            paths = [os.path.join(self.root, relative)]
        parts = [included for path in paths
                 if (included := self._read_local(path, pattern, span, chain, inputs,
                                                  inputs_span)) is not None]
        if len(parts) < 2:
            return parts[0] if parts else None
        return merge_all(parts)

    def _glob(self, relative: str) -> list[str]:
        regex = glob_regex(relative)
        files = self._repository_files()
        # Only paths that start with the pattern's fixed part can match: a pipeline
        # with thousands of globs reads the tree once and searches it, not walks it.
        prefix = re.split(r"[*?]", relative, maxsplit=1)[0]
        found = []
        for candidate, order, full in files[bisect.bisect_left(files, (prefix,)):]:
            if not candidate.startswith(prefix):
                break
            if regex.match(candidate):
                found.append((order, full))
        return [full for _, full in sorted(found)]

    def _repository_files(self) -> list[tuple[str, int, str]]:
        self.result.reads_tree = True
        """Every file below the root (``.git`` aside), read once: its relative path
        with ``/``, its place in a walk of the tree (a directory's files, sorted,
        before its subdirectories, sorted) and its full path; sorted by path."""
        if self._files is None:
            files: list[tuple[str, int, str]] = []
            for directory, subdirs, names in os.walk(self.root):
                subdirs[:] = sorted(name for name in subdirs if name != ".git")
                for name in sorted(names):
                    full = os.path.join(directory, name)
                    relative = os.path.relpath(full, self.root).replace(os.sep, "/")
                    files.append((relative, len(files), full))
            self._files = sorted(files)
        return self._files

    def _read_local(self, path: str, pattern: str, span: Span, chain: tuple[str, ...],
                    inputs: Any = None, inputs_span: Span | None = None) -> YMap | None:
        real = os.path.realpath(path)
        if not is_inside(real, self.root):
            self.result.unresolved = True
            self.result.problems.append(Problem(
                "include-error",
                f"local include `{pattern}` points outside the repository root; not read",
                span))
            return None
        display = self.display(real)
        if not self._admit(real, display, chain, span):
            return None
        if real in self._loaded and inputs is None:
            # Included again: GitLab merges it again, at this later place, so what it
            # defines overrides what the files included in between defined.
            return self._configs.get(real)
        if not os.path.exists(real):
            self.result.unresolved = True
            self.result.reads_tree = True  # the file may appear: the answer depends on it
            self.result.problems.append(Problem(
                "include-error", f"local include `{pattern}` not found: no file at "
                f"`{os.path.relpath(real, self.root)}` below the repository root", span))
            return None
        try:
            source = decode_source(read_regular_file(real), display)
        except LoadError as error:
            self.result.unresolved = True
            self.result.problems.append(error.problem)
            return None
        except UnreadableFile as error:
            self.result.unresolved = True
            self.result.problems.append(Problem(
                "include-error", f"cannot read local include `{pattern}`: {error}", span))
            return None
        if real not in self._loaded:  # not a second inclusion with other inputs
            self._loaded.add(real)
            self._names[real] = display
            self.result.files.append(display)
            self.result.sources[display] = source
        config = self._load_document(source, (*chain, real), span, inputs, inputs_span)
        if config is None:
            self.result.unresolved = True
        else:
            self._configs[real] = config
        return config


INCLUDE_KINDS = ("local", "project", "remote", "template", "component")


def _file_variables(variables: Any) -> Callable[[str], Value]:
    """Values of the variables a file defines at its top level, for `rules: if:`.

    Anything else (predefined variables, project and group settings) is unknown
    offline, and so is a value that refers to other variables or is not text.
    """
    def lookup(name: str) -> Value:
        value = variables.get(name) if isinstance(variables, YMap) else None
        if isinstance(value, YMap):
            value = value.get("value")
        if isinstance(value, bool) or value is None:
            return UNKNOWN
        text = str(value)
        return UNKNOWN if "$" in text else text

    return lookup


def _include_entries(include: Any, span: Span | None) -> list[tuple[Any, Span]]:
    fallback = span or Span("", 1, 1, 1, 1)
    if isinstance(include, YSeq):
        return [(item, include.span_at(index) or fallback) for index, item in enumerate(include)]
    return [(include, fallback)]
