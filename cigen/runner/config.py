"""GitLab Runner ``config.toml`` files, with the line of every setting.

Values come from :mod:`tomllib` (the standard library's TOML parser), which
keeps no positions; where each key and value is written comes from
:mod:`cigen.source.toml_positions`. What GitLab Runner would refuse to load
(invalid TOML, an integer past 64 bits) is a :class:`LoadError`.
"""

from __future__ import annotations

import re
from typing import Any

from cigen.source.positions import Span
from cigen.source.text import LoadError, Problem, SourceText
from cigen.source.toml_positions import (
    INTEGER_OUT_OF_RANGE,
    TablePath,
    TomlError,
    TomlLayout,
    read_toml,
    scan,
)

RUNNERS_HEADER = re.compile(r"^\s*\[\[\s*runners\s*\]\]", re.M)


def looks_like_runner_config(text: str) -> bool:
    return RUNNERS_HEADER.search(text) is not None


class Runner:
    __slots__ = ("config", "index", "settings")

    index: int
    settings: dict[str, Any]
    config: RunnerConfig

    def __init__(self, index: int, settings: dict[str, Any], config: RunnerConfig) -> None:
        self.index = index
        self.settings = settings
        self.config = config

    @property
    def label(self) -> str:
        name = self.settings.get("name")
        return f"'{name}'" if isinstance(name, str) and name else f"#{self.index + 1}"

    @property
    def executor(self) -> str:
        value = self.settings.get("executor")
        return value if isinstance(value, str) else ""

    def uses(self, section: str) -> bool:
        """Whether the executor reads ``[runners.<section>]`` (``docker`` or
        ``kubernetes``): a shell runner ignores its ``[runners.docker]`` table. With
        no executor named, either may apply."""
        executor = self.executor
        if not executor:
            return True
        if section == "docker":
            return executor.startswith("docker")
        return executor == section

    def section(self, name: str) -> dict[str, Any]:
        value = self.settings.get(name)
        return value if isinstance(value, dict) else {}

    def span(self, *path: str | int) -> Span:
        """Where the setting at ``path`` (below this runner) was written."""
        return self.config.span_of(("runners", self.index, *path))

    def docker_volumes(self) -> list[tuple[str, Span]]:
        volumes = self.section("docker").get("volumes")
        if not isinstance(volumes, list):
            return []
        path = ("runners", self.index, "docker", "volumes")
        return [(volume, self.config.string_span((*path, index)))
                for index, volume in enumerate(volumes) if isinstance(volume, str)]

    def kubernetes_host_paths(self) -> list[tuple[str, Span]]:
        volumes = self.section("kubernetes").get("volumes")
        if not isinstance(volumes, dict):
            return []
        host_paths = volumes.get("host_path")
        if not isinstance(host_paths, list):
            return []
        found = []
        for index, entry in enumerate(host_paths):
            if isinstance(entry, dict) and isinstance(entry.get("host_path"), str):
                span = self.span("kubernetes", "volumes", "host_path", index, "host_path")
                found.append((entry["host_path"], span))
        return found


class RunnerConfig:
    __slots__ = ("data", "layout", "path", "runners", "source")

    path: str
    source: SourceText
    data: dict[str, Any]
    layout: TomlLayout
    runners: list[Runner]

    def __init__(self, path: str, source: SourceText, data: dict[str, Any],
                 layout: TomlLayout | None = None, runners: list[Runner] | None = None) -> None:
        self.path = path
        self.source = source
        self.data = data
        self.layout = scan(path, source.text) if layout is None else layout
        self.runners = [] if runners is None else runners

    def span_of(self, path: TablePath) -> Span:
        """The span of a key, else of its nearest enclosing table, else line 1."""
        return self.layout.nearest_span(path) or Span(self.path, 1, 1, 1, 1)

    def string_span(self, path: TablePath) -> Span:
        """The text between the quotes of the string at ``path``, else the nearest
        key's span."""
        return self.layout.string_span(path) or self.span_of(path)


def load_runner_config(source: SourceText) -> RunnerConfig:
    """Parse a runner ``config.toml``; raises :class:`LoadError` on invalid TOML."""
    try:
        data, layout = read_toml(source.text, source.path)
    except TomlError as error:
        line, column = error.position or (1, 1)
        raise LoadError(Problem("invalid-syntax", f"invalid TOML: {error.message}",
                                Span(source.path, line, column, line, column))) from None
    if layout.out_of_range is not None:
        line, column = layout.position(layout.out_of_range)
        raise LoadError(Problem("invalid-syntax", f"invalid TOML: {INTEGER_OUT_OF_RANGE}",
                                Span(source.path, line, column, line, column)))
    config = RunnerConfig(source.path, source, data, layout)
    runners = data.get("runners")
    if isinstance(runners, list):
        config.runners = [Runner(index, entry, config) for index, entry in enumerate(runners)
                          if isinstance(entry, dict)]
    return config
