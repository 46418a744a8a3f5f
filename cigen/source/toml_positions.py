"""Line numbers for the keys of a TOML file.

:mod:`tomllib`, the standard library's TOML parser, keeps no positions. One
pass over the text finds them: it tracks table headers (``[[runners]]``,
``[runners.docker]``, nested arrays of tables, ``[tool.cigen]``) and
``key = value`` lines (dotted keys included), skipping multi-line strings and
arrays. That is all the structure runner and configuration files use, and it
avoids a second TOML library whose only job would be line numbers. A key
inside an inline table gets the line of the key that holds the table.
"""

from __future__ import annotations

import re

from cigen.source.positions import Span
from cigen.source.text import SourceText

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*(\]\]?)\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=\s*(.*)$""")

TablePath = tuple[str | int, ...]

_ERROR_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse_error(error: Exception) -> tuple[tuple[int, int] | None, str]:
    """The (line, column) a :mod:`tomllib` error names, if any, and its message
    without that position."""
    message = str(error)
    found = _ERROR_POSITION.search(message)
    position = (int(found.group(1)), int(found.group(2))) if found else None
    return position, _ERROR_POSITION.sub("", message).strip()


def nearest_span(positions: dict[TablePath, Span], path: TablePath) -> Span | None:
    """The span of ``path``, else of its nearest enclosing key or table."""
    while path:
        span = positions.get(path)
        if span is not None:
            return span
        path = path[:-1]
    return None


def _split_dotted(text: str) -> list[str]:
    parts = re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', text)
    return [part.strip().strip("\"'") for part in parts]


def key_positions(source: SourceText) -> dict[TablePath, Span]:
    """The span of every table header and ``key = value`` line, by the key's path
    (array-of-tables elements numbered from 0, as :mod:`tomllib` lists them)."""
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
