"""gitlab-runner Helm chart values: the runner ``config.toml`` they carry, read in place.

The chart takes the runner's configuration as a string, ``runners.config``,
usually a literal block scalar (``config: |``) in ``values.yaml``, at the top
level or under the subchart's key in an umbrella chart. That TOML is read
where it is written: every character of the file outside the block is
blanked (line breaks kept), which TOML, indifferent to indentation, reads as
the same settings, so every position, suppression comment and fix of the
embedded configuration is a position in the values file itself, and an edit
keeps the block's indentation. Older charts also take ``runners.privileged``
as a value of its own; it is returned beside the embedded configuration.

A ``config`` string written in another style (quoted or folded) is read as
its value, with every setting placed at the ``config`` key. A string the
chart renders as a template (``{{ ... }}`` outside TOML strings) may not be
TOML until Helm has run, so it is left unchecked rather than reported.
"""

from __future__ import annotations

import re
from typing import Any

from cigen.runner.config import RunnerConfig, load_runner_config
from cigen.source.positions import Span, YMap
from cigen.source.text import LoadError, SourceText

CONFIG_KEY = re.compile(r"^[ \t]*config[ \t]*:", re.M)
RUNNERS_TABLE = re.compile(r"\[\[\s*runners\s*\]\]")
RUNNERS_KEY = re.compile(r"^[ \t]*runners[ \t]*:", re.M)
# Deeper than any chart's values: an umbrella chart nests the subchart once or twice.
MAX_DEPTH = 6


def looks_like_helm_values(text: str, name: str = "") -> bool:
    """A YAML text with a ``config:`` key and a ``[[runners]]`` table (in a block
    scalar, or inside a quoted string); for a file named ``values*.yaml``, a
    ``runners:`` key with a ``config:`` is enough (its TOML may be broken)."""
    if CONFIG_KEY.search(text) is None:
        return False
    if RUNNERS_TABLE.search(text) is not None:
        return True
    return name.startswith("values") and RUNNERS_KEY.search(text) is not None


class ChartSetting:
    """A chart value that configures the runner directly (``runners.privileged``)."""

    __slots__ = ("name", "span", "value")

    def __init__(self, name: str, value: Any, span: Span) -> None:
        self.name = name
        self.value = value
        self.span = span


class HelmValues:
    __slots__ = ("configs", "placed_at", "problems", "settings", "sources")

    configs: list[RunnerConfig]
    """One per ``runners.config`` string holding a runner configuration."""
    settings: list[ChartSetting]
    sources: list[SourceText]
    """The embedded configurations as TOML texts of the file's length (for comments)."""
    problems: list[LoadError]
    placed_at: list[Span | None]
    """For each configuration: ``None`` when its positions are those of the file,
    else the span of its ``config`` key, where all its findings are placed."""

    def __init__(self) -> None:
        self.placed_at = []
        self.configs = []
        self.settings = []
        self.sources = []
        self.problems = []


def _runner_tables(data: Any) -> list[YMap]:
    """Every ``runners:`` mapping, at the top level or nested in an umbrella chart."""
    found: list[YMap] = []
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if not isinstance(value, YMap) or depth > MAX_DEPTH:
            continue
        runners = value.get("runners")
        if isinstance(runners, YMap):
            found.append(runners)
        pending.extend((item, depth + 1) for key, item in value.items() if key != "runners")
    return found


def _blanked(text: str, start: int, end: int) -> str:
    """``text`` with everything outside ``[start, end)`` turned into spaces, line
    breaks kept, so offsets and line numbers stay those of ``text``."""
    def blank(part: str) -> str:
        return re.sub(r"[^\r\n]", " ", part)

    return blank(text[:start]) + text[start:end] + blank(text[end:])


def _templated(text: str) -> bool:
    return "{{" in text


def read_helm_values(source: SourceText, data: Any) -> HelmValues:
    """The runner configurations and chart settings in loaded values ``data``."""
    values = HelmValues()
    for runners in _runner_tables(data):
        privileged = runners.get("privileged")
        if isinstance(privileged, bool):
            values.settings.append(ChartSetting("privileged", privileged,
                                                runners.span_of("privileged")
                                                or Span(source.path, 1, 1, 1, 1)))
        config = runners.get("config")
        span = runners.span_of("config")
        # The chart hands `runners.config` to the runner as its config.toml: any
        # string there is read as one (and reported if it is not TOML).
        if not isinstance(config, str) or not config.strip() or span is None:
            continue
        if span.style == "|":
            start = source.offset(span.line + 1, 1)
            end = source.offset(span.end_line, span.end_column)
            embedded = SourceText(source.path, _blanked(source.text, start, end), toml=True)
            located: Span | None = None
        else:
            # Positions inside a quoted or folded string are not worth guessing:
            # the caller places every setting on the `config` key.
            embedded = SourceText(source.path, config, toml=True)
            located = span
        try:
            values.configs.append(load_runner_config(embedded))
        except LoadError as error:
            if not _templated(config):
                problem = error.problem
                if located is not None:
                    problem.span = located
                values.problems.append(error)
            continue
        values.sources.append(embedded)
        values.placed_at.append(located)
    return values
