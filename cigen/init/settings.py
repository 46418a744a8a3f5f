"""Where `cigen init` finds its settings: ``cigen.toml`` or ``pyproject.toml``.

``cigen.toml`` (table ``[init]``) wins over ``pyproject.toml`` (table
``[tool.cigen.init]``) when both exist, as a tool's own file usually does, even
when it holds only ``cigen lint`` settings; only the current directory is read.
The table is returned as written, with the label messages use to name it;
:mod:`cigen.init.spec` validates its contents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cigen.source.toml_positions import TomlError, read_toml


class SettingsError(Exception):
    """A settings file that cannot be read or has the wrong shape."""


@dataclass(frozen=True, slots=True)
class Settings:
    values: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    """``cigen.toml [init]`` or ``pyproject.toml [tool.cigen.init]``; None without a file."""
    file: str | None = None
    keys: tuple[str, ...] = ()
    """The table's keys in the file (``("tool", "cigen", "init")``)."""
    lines: dict[str, int] = field(default_factory=dict)
    """The line of each key of the table."""


CANDIDATES = (("cigen.toml", ("init",)), ("pyproject.toml", ("tool", "cigen", "init")))


def load_settings(directory: Path) -> Settings:
    for name, keys in CANDIDATES:
        path = directory / name
        if not path.is_file():
            continue
        try:
            document, layout = read_toml(path.read_bytes().decode("utf-8"), name)
        except (OSError, UnicodeDecodeError) as error:
            raise SettingsError(f"{name}: cannot read: {error}") from None
        except TomlError as error:
            where = f" (at line {error.position[0]}, column {error.position[1]})" \
                if error.position else ""
            raise SettingsError(f"{name}: invalid TOML: {error.message}{where}") from None
        label = f"{name} [{'.'.join(keys)}]"
        table: Any = document
        for key in keys:
            table = table.get(key) if isinstance(table, dict) else None
        if table is None:
            if name == "cigen.toml":  # the project's own cigen file, with no init settings
                return Settings()
            continue
        if not isinstance(table, dict):
            raise SettingsError(f"{label}: expected a table")
        lines = {}
        for key in table:
            span = layout.nearest_span((*keys, key))
            if span is not None:
                lines[str(key)] = span.line
        return Settings(dict(table), label, name, keys, lines)
    return Settings()
