"""GitLab Runner ``config.toml`` files, with the line of every setting.

Values come from :mod:`tomllib` (the standard library's TOML parser), which
keeps no positions; the line of each key comes from
:mod:`cigen.source.toml_positions`.
"""

from __future__ import annotations

import re
from typing import Any

from cigen.source.positions import Span
from cigen.source.text import LoadError, Problem, SourceText
from cigen.source.toml_positions import TablePath, key_positions, nearest_span, parse_error

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
        key_span = self.span("docker", "volumes")
        return [(volume, self.config.find_in_value(key_span, volume))
                for volume in volumes if isinstance(volume, str)]

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
    __slots__ = ("data", "path", "positions", "runners", "source")

    path: str
    source: SourceText
    data: dict[str, Any]
    positions: dict[TablePath, Span]
    runners: list[Runner]

    def __init__(self, path: str, source: SourceText, data: dict[str, Any],
                 positions: dict[TablePath, Span] | None = None,
                 runners: list[Runner] | None = None) -> None:
        self.path = path
        self.source = source
        self.data = data
        self.positions = {} if positions is None else positions
        self.runners = [] if runners is None else runners

    def span_of(self, path: TablePath) -> Span:
        """The span of a key, else of its nearest enclosing table, else line 1."""
        return nearest_span(self.positions, path) or Span(self.path, 1, 1, 1, 1)

    def find_in_value(self, key_span: Span, text: str) -> Span:
        """Where ``text`` (an array item) is written, searching from its key's line."""
        start = self.source.offset(key_span.line, key_span.column)
        found = self.source.text.find(text, start)
        if found == -1:
            return key_span
        line, column = self.source.position(found)
        return Span(self.path, line, column, line, column + len(text))


def load_runner_config(source: SourceText) -> RunnerConfig:
    """Parse a runner ``config.toml``; raises :class:`LoadError` on invalid TOML."""
    import tomllib  # only runner files need it

    try:
        data = tomllib.loads(source.text)
    except tomllib.TOMLDecodeError as error:
        position, message = parse_error(error)
        line, column = position or (1, 1)
        raise LoadError(Problem("invalid-syntax", f"invalid TOML: {message}",
                                Span(source.path, line, column, line, column))) from None
    config = RunnerConfig(source.path, source, data, key_positions(source))
    runners = data.get("runners")
    if isinstance(runners, list):
        config.runners = [Runner(index, entry, config) for index, entry in enumerate(runners)
                          if isinstance(entry, dict)]
    return config
