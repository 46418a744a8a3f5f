"""``include:`` resolution: local files, globs, nesting, limits and the repository root.

Local includes are read relative to the repository root, as GitLab does, and
nothing outside that root is ever opened. ``project:``, ``remote:``,
``template:`` and ``component:`` includes need the network and are recorded as
unresolved. Included files are merged first and the including file's own keys
override them (deep merge), so the result is one top-level mapping whose every
value still points at the file it was written in.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any

from cigen.gitlab.merge import deep_merge, without_keys
from cigen.source.positions import Span, YMap, YSeq
from cigen.source.text import LoadError, Problem, SourceText, decode_source
from cigen.source.yaml_reader import parse_yaml

MAX_INCLUDES = 150


class IncludeResult:
    __slots__ = ("config", "files", "needs_resolution", "problems", "sources", "unresolved")

    config: YMap
    sources: dict[str, SourceText]
    problems: list[Problem]
    unresolved: bool
    """True when some include could not be read, so names may be defined elsewhere."""
    files: list[str]
    """Display paths of every file that was read, the main file first."""
    needs_resolution: bool
    """Some file has `!reference` tags or nested lists to rewrite."""

    def __init__(self, config: YMap, sources: dict[str, SourceText] | None = None,
                 problems: list[Problem] | None = None, unresolved: bool = False,
                 files: list[str] | None = None, needs_resolution: bool = False) -> None:
        self.config = config
        self.sources = {} if sources is None else sources
        self.problems = [] if problems is None else problems
        self.unresolved = unresolved
        self.files = [] if files is None else files
        self.needs_resolution = needs_resolution


def find_repository_root(path: str) -> str:
    """The git top-level directory containing ``path``, else the file's directory."""
    return repository_root(os.path.dirname(os.path.abspath(path)))


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


class IncludeResolver:
    """Loads a pipeline file and everything it includes locally."""

    def __init__(self, root: str, display_base: str | None) -> None:
        self.root = os.path.realpath(root)
        self.display_base = display_base
        self.result = IncludeResult(YMap())
        self.count = 0
        self._loaded: set[str] = set()
        self._names: dict[str, str] = {}

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
                       include_span: Span | None) -> YMap | None:
        try:
            loaded = parse_yaml(source)
        except LoadError as error:
            self.result.problems.append(error.problem)
            return None
        self.result.problems.extend(loaded.problems)
        self.result.needs_resolution |= loaded.needs_resolution
        data = loaded.data
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
        merged = YMap(data.span)
        for entry, span in _include_entries(include, data.span_of("include")):
            included = self._include(entry, span, chain)
            if included is not None:
                merged = deep_merge(merged, included)
        return deep_merge(merged, without_keys(data, "include"))

    def _include(self, entry: Any, span: Span, chain: tuple[str, ...]) -> YMap | None:
        if isinstance(entry, str):
            if re.match(r"^https?://", entry):
                self._unresolved("remote", entry, span)
                return None
            return self._include_local(entry, span, chain)
        if not isinstance(entry, YMap):
            self.result.problems.append(Problem(
                "include-error", "an include entry must be a path or a mapping", span))
            return None
        for kind in ("project", "remote", "template", "component"):
            if kind in entry:
                self._unresolved(kind, entry[kind], entry.span_of(kind) or span)
                return None
        local = entry.get("local")
        if isinstance(local, str):
            return self._include_local(local, entry.span_of("local") or span, chain)
        self.result.problems.append(Problem(
            "include-error",
            "unknown include: expected one of local, project, remote, template, component",
            span))
        return None

    def _unresolved(self, kind: str, target: Any, span: Span) -> None:
        self.result.unresolved = True
        self.result.problems.append(Problem(
            "include-unresolved",
            f"{kind} include `{target}` is not checked (it needs the network); "
            "jobs and templates it defines are unknown to cigen", span))

    def _include_local(self, pattern: str, span: Span, chain: tuple[str, ...]) -> YMap | None:
        relative = pattern.strip().lstrip("/")
        if "*" in relative:
            paths = self._glob(relative)
            if not paths:
                self.result.unresolved = True
                self.result.problems.append(Problem(
                    "include-error", f"local include `{pattern}` matches no file", span))
                return None
        else:
            paths = [os.path.join(self.root, relative)]
        merged: YMap | None = None
        for path in paths:
            included = self._read_local(path, pattern, span, chain)
            if included is not None:
                merged = included if merged is None else deep_merge(merged, included)
        return merged

    def _glob(self, relative: str) -> list[str]:
        regex = glob_regex(relative)
        found = []
        for directory, subdirs, files in os.walk(self.root):
            subdirs[:] = sorted(d for d in subdirs if d != ".git")
            for name in sorted(files):
                full = os.path.join(directory, name)
                if regex.match(os.path.relpath(full, self.root).replace(os.sep, "/")):
                    found.append(full)
        return found

    def _read_local(self, path: str, pattern: str, span: Span,
                    chain: tuple[str, ...]) -> YMap | None:
        real = os.path.realpath(path)
        if os.path.commonpath([real, self.root]) != self.root:
            self.result.unresolved = True
            self.result.problems.append(Problem(
                "include-error",
                f"local include `{pattern}` points outside the repository root; not read",
                span))
            return None
        display = self.display(real)
        if real in chain:
            names = [self._names.get(item, item) for item in chain[chain.index(real):]]
            cycle = " -> ".join((*names, display))
            self.result.problems.append(Problem(
                "include-error", f"include cycle: {cycle}", span))
            return None
        if real in self._loaded:
            return None  # GitLab ignores a file included a second time.
        self.count += 1
        if self.count > MAX_INCLUDES:
            if self.count == MAX_INCLUDES + 1:
                self.result.problems.append(Problem(
                    "include-error",
                    f"more than {MAX_INCLUDES} includes; GitLab stops at {MAX_INCLUDES}", span))
            self.result.unresolved = True
            return None
        if not os.path.isfile(real):
            self.result.unresolved = True
            self.result.problems.append(Problem(
                "include-error", f"local include `{pattern}` not found: no file at "
                f"`{os.path.relpath(real, self.root)}` below the repository root", span))
            return None
        try:
            with open(real, "rb") as handle:
                raw = handle.read()
            source = decode_source(raw, display)
        except LoadError as error:
            self.result.unresolved = True
            self.result.problems.append(error.problem)
            return None
        except OSError as error:
            self.result.unresolved = True
            self.result.problems.append(Problem(
                "include-error", f"cannot read local include `{pattern}`: {error.strerror}",
                span))
            return None
        self._loaded.add(real)
        self._names[real] = display
        self.result.files.append(display)
        self.result.sources[display] = source
        config = self._load_document(source, (*chain, real), span)
        if config is None:
            self.result.unresolved = True
        return config


def _include_entries(include: Any, span: Span | None) -> list[tuple[Any, Span]]:
    fallback = span or Span("", 1, 1, 1, 1)
    if isinstance(include, YSeq):
        return [(item, include.span_at(index) or fallback) for index, item in enumerate(include)]
    return [(include, fallback)]
