"""GitLab Runner ``config.toml`` files, with the line of every setting.

Values come from :mod:`tomllib` (the standard library's TOML parser), which
keeps no positions; the positions come from one pass over the text that tracks
table headers (``[[runners]]``, ``[runners.docker]``, nested arrays of tables)
and ``key = value`` lines, skipping multi-line strings and arrays. That is all
the structure runner files use, and it avoids a second TOML library whose only
job would be line numbers.
"""

from __future__ import annotations

import re
from typing import Any

from cigen.positions import Span
from cigen.source import LoadError, Problem, SourceText

RUNNERS_HEADER = re.compile(r"^\s*\[\[\s*runners\s*\]\]", re.M)
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*(\]\]?)\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=\s*(.*)$""")
_TOML_ERROR_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")

TablePath = tuple[str | int, ...]


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
        while path:
            span = self.positions.get(path)
            if span is not None:
                return span
            path = path[:-1]
        return Span(self.path, 1, 1, 1, 1)

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
        message = str(error)
        match = _TOML_ERROR_POSITION.search(message)
        line, column = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        message = _TOML_ERROR_POSITION.sub("", message).strip()
        raise LoadError(Problem("invalid-syntax", f"invalid TOML: {message}",
                                Span(source.path, line, column, line, column))) from None
    config = RunnerConfig(source.path, source, data, _index_positions(source))
    runners = data.get("runners")
    if isinstance(runners, list):
        config.runners = [Runner(index, entry, config) for index, entry in enumerate(runners)
                          if isinstance(entry, dict)]
    return config


def _split_dotted(text: str) -> list[str]:
    parts = re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', text)
    return [part.strip().strip("\"'") for part in parts]


def _index_positions(source: SourceText) -> dict[TablePath, Span]:
    positions: dict[TablePath, Span] = {}
    array_counts: dict[tuple[str, ...], int] = {}
    current: TablePath = ()
    # Maps a plain dotted name prefix to its position with array indices filled in.
    resolved_prefix: dict[tuple[str, ...], TablePath] = {}
    multiline_quote = ""
    bracket_depth = 0
    for number, line in enumerate(source.text.split("\n"), start=1):
        stripped = line.strip()
        if multiline_quote:
            if multiline_quote in stripped:
                multiline_quote = ""
            continue
        if bracket_depth > 0:
            bracket_depth = max(bracket_depth + _bracket_balance(stripped), 0)
            continue
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header and stripped.startswith("["):
            names = _split_dotted(header.group(2))
            path = _resolve_table(names, resolved_prefix)
            if header.group(1) == "[[":
                key = tuple(names)
                index = array_counts.get(key, -1) + 1
                array_counts[key] = index
                # A new element resets the counts of arrays nested below it.
                for other in list(array_counts):
                    if len(other) > len(key) and other[:len(key)] == key:
                        del array_counts[other]
                path = (*path, index)
                resolved_prefix[key] = path
            else:
                resolved_prefix[tuple(names)] = path
            current = path
            column = len(line) - len(line.lstrip()) + 1
            positions.setdefault(current, Span(source.path, number, column, number,
                                               len(line) + 1))
            continue
        match = _KEY.match(line)
        if match:
            key_path = (*current, *_split_dotted(match.group(1)))
            column = len(line) - len(line.lstrip()) + 1
            positions[key_path] = Span(source.path, number, column, number, len(line) + 1)
            value = match.group(2)
            for quote in ('"""', "'''"):
                if value.startswith(quote) and value.count(quote) == 1:
                    multiline_quote = quote
            bracket_depth = max(_bracket_balance(value), 0)
    return positions


def _resolve_table(names: list[str], resolved: dict[tuple[str, ...], TablePath]) -> TablePath:
    """``runners.docker`` -> ``("runners", 3, "docker")`` for the latest ``[[runners]]``."""
    for length in range(len(names), 0, -1):
        prefix = tuple(names[:length])
        if prefix in resolved and length < len(names):
            return (*resolved[prefix], *names[length:])
    for length in range(len(names) - 1, 0, -1):
        prefix = tuple(names[:length])
        if prefix in resolved:
            return (*resolved[prefix], *names[length:])
    return tuple(names)


def _bracket_balance(text: str) -> int:
    """Opening minus closing brackets outside strings and comments."""
    code = re.sub(r'"(?:\\.|[^"\\])*"|\'[^\']*\'', "", text).split("#", 1)[0]
    return code.count("[") - code.count("]")
