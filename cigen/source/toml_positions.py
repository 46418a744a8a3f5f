"""Where the keys and values of a TOML file are written, and TOML read with a line.

:mod:`tomllib`, the standard library's TOML parser, keeps no positions. One
pass over the text, following the TOML 1.0 grammar, finds them: table headers
(``[[runners]]``, ``[runners.docker]``, nested arrays of tables), bare, quoted
and dotted keys, the four kinds of strings (so text that only looks like
``key = value`` inside a string is never taken for a key), comments, and arrays
and inline tables spread over several lines, down to every array item and
inline-table key. Each written key gets the offsets of its value, so an edit
lands on the value as written. The pass keeps its own stack rather than
recursing, so deep nesting cannot exhaust Python's.

:func:`read_toml` runs the pass before :mod:`tomllib`, which recurses once per
nesting level and takes time growing with the square of a dotted key's parts:
text nested or dotted past sane limits is refused at its line before it gets
there. The pass also says where :mod:`tomllib` failed when it does not say so
itself (a plain ``ValueError`` for an integer with more digits than Python
converts), and finds integers past 64 bits, which TOML forbids but
:mod:`tomllib` accepts. Every failure becomes a :class:`TomlError` with a line.
Lines are TOML lines: only LF (and so CRLF) ends one, whatever other characters
a YAML reader counts.
"""

from __future__ import annotations

import contextlib
import re
import sys
from typing import Any, NoReturn

from cigen.source.positions import Span
from cigen.source.text import SourceText

TablePath = tuple[str | int, ...]

MAX_NESTING = 100
"""Arrays and inline tables nested deeper are refused before :mod:`tomllib` sees
them: it recurses, and runs out of Python's stack somewhere past this."""

MAX_KEY_PARTS = 32
"""Dotted keys and headers with more parts are refused before :mod:`tomllib` sees
them: its time grows with the square of the parts (a minute for 50,000)."""

INT64 = range(-(2 ** 63), 2 ** 63)
"""TOML 1.0 integers are 64-bit: a parser must refuse what does not fit."""

INTEGER_OUT_OF_RANGE = "integer out of range: TOML integers are 64-bit"

_ERROR_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_GAP = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*+")
_SPACES = re.compile(r"[ \t]*+")
_LINE_REST = re.compile(r"[ \t]*+(?:#[^\n]*)?")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]++")
_BASIC = re.compile(r'"(?:[^"\\\n]|\\.)*+"')
_LITERAL = re.compile(r"'[^'\n]*+'")
_MULTILINE_BASIC = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*+"""(?:"{1,2}+)?', re.S)
_MULTILINE_LITERAL = re.compile(r"'''(?:[^']|'(?!''))*+'''(?:'{1,2}+)?")
_SCALAR = re.compile(r"[0-9A-Za-z_.:+-]++")
_TIME_AFTER_DATE = re.compile(r" [0-9]{2}:[0-9A-Za-z_.:+-]*+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_DECIMAL = re.compile(r"[+-]?(?:0|[1-9](?:_?[0-9])*+)\Z")
_PREFIXED = re.compile(r"0(?:x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*+|o[0-7](?:_?[0-7])*+"
                       r"|b[01](?:_?[01])*+)\Z")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)
_ESCAPED = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


class TomlError(Exception):
    """A TOML text :mod:`tomllib` refused, with the 1-based line and column of the
    problem when one can be found."""

    def __init__(self, message: str, position: tuple[int, int] | None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class TomlEntry:
    """One written key (or table header, or array item) and its value's offsets."""

    __slots__ = ("key_end", "start", "table", "value_end", "value_start")

    start: int
    """Offset of the key as written (of the ``[`` of a header; of an array item itself)."""
    key_end: int
    value_start: int
    value_end: int
    table: TablePath | None
    """The table whose header the ``key = value`` line stands under; ``None`` for
    headers and for what is written inside an array or inline table."""

    def __init__(self, start: int, key_end: int, value_start: int, value_end: int,
                 table: TablePath | None) -> None:
        self.start = start
        self.key_end = key_end
        self.value_start = value_start
        self.value_end = value_end
        self.table = table


class TomlLayout:
    """Every key of a TOML text with where it is written, by its path (array
    items and array-of-tables elements numbered from 0, as :mod:`tomllib` lists
    them); plus what the scan noticed that :mod:`tomllib` may not refuse."""

    __slots__ = ("_lines", "entries", "long_integer", "out_of_range", "path", "refused",
                 "text")

    path: str
    text: str
    entries: dict[TablePath, TomlEntry]
    refused: tuple[int, str] | None
    """Where and why the scan stopped at something too deep or too long to read."""
    out_of_range: int | None
    """Offset of the first integer outside 64 bits."""
    long_integer: int | None
    """Offset of the first integer with more digits than Python converts to a number."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.entries = {}
        self.refused = None
        self.out_of_range = None
        self.long_integer = None
        self._lines = SourceText(path, text, toml=True)

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of a character offset, counting TOML lines."""
        return self._lines.position(offset)

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(max(end, start))
        return Span(self.path, line, column, end_line, end_column)

    def key_span(self, path: TablePath) -> Span | None:
        """From the key (or header) at ``path`` to the end of its value."""
        entry = self.entries.get(path)
        return None if entry is None else self.span(entry.start, entry.value_end)

    def nearest_span(self, path: TablePath) -> Span | None:
        """The span of ``path``, else of its nearest enclosing key or table."""
        while path:
            span = self.key_span(path)
            if span is not None:
                return span
            path = path[:-1]
        return None

    def string_span(self, path: TablePath) -> Span | None:
        """The text inside the quotes of the string value at ``path``."""
        entry = self.entries.get(path)
        if entry is None:
            return None
        start, end = entry.value_start, entry.value_end
        quote = self.text[start:start + 3]
        width = 3 if quote in ('"""', "'''") else 1 if quote[:1] in ("'", '"') else 0
        if width == 0:
            return None
        return self.span(start + width, end - width)


def parse_error(error: Exception) -> tuple[tuple[int, int] | None, str]:
    """The (line, column) a :mod:`tomllib` error names, if any, and its message
    without that position."""
    message = str(error)
    found = _ERROR_POSITION.search(message)
    position = (int(found.group(1)), int(found.group(2))) if found else None
    return position, _ERROR_POSITION.sub("", message).strip()


def read_toml(text: str, path: str = "") -> tuple[dict[str, Any], TomlLayout]:
    """``text`` parsed by :mod:`tomllib`, and where its keys are written; raises
    :class:`TomlError` for anything :mod:`tomllib` refuses (including what it
    refuses without a ``TOMLDecodeError``) and for what would make it recurse too
    deep or take minutes."""
    import tomllib

    layout = scan(path, text)
    if layout.refused is not None:
        offset, message = layout.refused
        raise TomlError(message, layout.position(offset))
    try:
        return tomllib.loads(text), layout
    except tomllib.TOMLDecodeError as error:
        position, message = parse_error(error)
        raise TomlError(message, position) from None
    except RecursionError:
        raise TomlError("arrays or inline tables nested too deeply", None) from None
    except ValueError as error:  # Python's limit on the digits of an int
        if layout.long_integer is None:
            raise TomlError(str(error), None) from None
        raise TomlError(INTEGER_OUT_OF_RANGE, layout.position(layout.long_integer)) from None


def scan(path: str, text: str) -> TomlLayout:
    """Where every key and value of ``text`` is written. Any text will do: where
    it is not TOML the scan stops, keeping what it found before."""
    layout = TomlLayout(path, text)
    with contextlib.suppress(_Stop):
        _Scanner(layout).document()
    return layout


class _Stop(Exception):
    """The text is not TOML the scan can follow."""


class _Open:
    """An array or inline table whose closing bracket is still ahead."""

    __slots__ = ("entry", "items", "kind", "path")

    def __init__(self, kind: str, path: TablePath, entry: TomlEntry) -> None:
        self.kind = kind
        self.path = path
        self.entry = entry
        self.items = 0


class _Scanner:
    def __init__(self, layout: TomlLayout) -> None:
        self.layout = layout
        self.text = layout.text
        self.entries = layout.entries
        self.digit_limit = sys.get_int_max_str_digits()

    def document(self) -> None:
        text = self.text
        table: TablePath = ()
        # The number of elements so far of each array of tables, by its resolved path.
        arrays: dict[TablePath, int] = {}
        implicit: set[TablePath] = set()
        pos = 0
        while True:
            pos = _skip(_GAP, text, pos)
            if pos >= len(text):
                return
            if text[pos] == "[":
                start = pos
                double = text.startswith("[[", pos)
                names, _, pos = self.key(_skip(_SPACES, text, pos + (2 if double else 1)))
                pos = _skip(_SPACES, text, pos)
                closing = "]]" if double else "]"
                if not text.startswith(closing, pos):
                    raise _Stop
                pos += len(closing)
                table = self.resolve(names, arrays)
                if double:
                    arrays[table] = arrays.get(table, 0) + 1
                    table = (*table, arrays[table] - 1)
                header = TomlEntry(start, pos, pos, pos, None)
                if table not in self.entries or table in implicit:
                    self.entries[table] = header
                    implicit.discard(table)
                for length in range(1, len(table)):
                    # A header is the nearest written place of the tables it opens.
                    if table[:length] not in self.entries:
                        self.entries[table[:length]] = header
                        implicit.add(table[:length])
            else:
                pos = self.value(*self.key_value(pos, table, table))
            pos = _skip(_LINE_REST, text, pos)
            if pos < len(text) and not text.startswith(("\n", "\r\n"), pos):
                raise _Stop

    def resolve(self, names: list[str], arrays: dict[TablePath, int]) -> TablePath:
        """A header's names as a path: each array of tables on the way stands for
        its latest element (``runners.docker`` -> ``("runners", 2, "docker")``)."""
        path: TablePath = ()
        for index, name in enumerate(names):
            path = (*path, name)
            if index < len(names) - 1 and path in arrays:
                path = (*path, arrays[path] - 1)
        return path

    def key(self, pos: int) -> tuple[list[str], int, int]:
        """The parts of the (dotted) key at ``pos``, where it ends, and the offset
        after it."""
        text = self.text
        start = pos
        names: list[str] = []
        while True:
            bare = _BARE_KEY.match(text, pos)
            if bare:
                names.append(bare.group())
                pos = bare.end()
            elif text.startswith('"', pos):
                quoted = _BASIC.match(text, pos)
                if quoted is None:
                    raise _Stop
                names.append(_unescape(quoted.group()[1:-1]))
                pos = quoted.end()
            elif text.startswith("'", pos):
                quoted = _LITERAL.match(text, pos)
                if quoted is None:
                    raise _Stop
                names.append(quoted.group()[1:-1])
                pos = quoted.end()
            else:
                raise _Stop
            end = pos
            after = _skip(_SPACES, text, pos)
            if not text.startswith(".", after):
                return names, end, end
            if len(names) >= MAX_KEY_PARTS:
                self.refuse(start, f"key with more than {MAX_KEY_PARTS} dotted parts")
            pos = _skip(_SPACES, text, after + 1)

    def key_value(self, pos: int, parent: TablePath, table: TablePath | None
                  ) -> tuple[TablePath, TomlEntry, int]:
        """Record the ``key =`` at ``pos`` below ``parent``: the key's path, its
        entry, and where its value starts."""
        text = self.text
        start = pos
        names, key_end, pos = self.key(pos)
        pos = _skip(_SPACES, text, pos)
        if not text.startswith("=", pos):
            raise _Stop
        pos = _skip(_SPACES, text, pos + 1)
        path = (*parent, *names)
        entry = TomlEntry(start, key_end, pos, pos, table)
        for length in range(len(parent) + 1, len(path)):
            # A dotted key is the nearest written place of the tables it opens.
            self.entries.setdefault(path[:length], entry)
        self.entries[path] = entry
        return path, entry, pos

    def value(self, path: TablePath, entry: TomlEntry, pos: int) -> int:
        """Scan the value of ``path`` at ``pos``, setting the ``value_end`` of its
        entry and of every entry inside it; the offset after it. Arrays and inline
        tables open and close on a stack of their own."""
        text = self.text
        stack: list[_Open] = []
        while True:
            # A value starts at ``pos``; it belongs to ``path`` and ``entry``.
            opening = text[pos:pos + 1]
            if opening in ("[", "{"):
                if len(stack) >= MAX_NESTING:
                    self.refuse(pos, f"arrays or inline tables nested more than {MAX_NESTING} "
                                     "deep")
                stack.append(_Open(opening, path, entry))
                pos += 1
                pos = self.gap(pos, opening)
                if text.startswith("]" if opening == "[" else "}", pos):
                    pos += 1
                    entry.value_end = pos
                    stack.pop()
                else:
                    path, entry, pos = self.next_item(pos, stack[-1])
                    continue
            else:
                pos = self.scalar(pos)
                entry.value_end = pos
            # Close what ends here; stop at the next item of an array or inline table.
            while stack:
                current = stack[-1]
                kind = current.kind
                pos = self.gap(pos, kind)
                closing = "]" if kind == "[" else "}"
                if text.startswith(",", pos):
                    pos = self.gap(pos + 1, kind)
                    if kind == "[" and text.startswith("]", pos):
                        pos += 1  # a trailing comma
                    else:
                        current.items += 1
                        path, entry, pos = self.next_item(pos, current)
                        break
                elif text.startswith(closing, pos):
                    pos += 1
                else:
                    raise _Stop
                current.entry.value_end = pos
                stack.pop()
            else:
                return pos

    def next_item(self, pos: int, current: _Open) -> tuple[TablePath, TomlEntry, int]:
        """The path and entry of the array item or inline-table key at ``pos``,
        and where its value starts."""
        if current.kind == "{":
            return self.key_value(pos, current.path, None)
        path = (*current.path, current.items)
        entry = TomlEntry(pos, pos, pos, pos, None)
        self.entries[path] = entry
        return path, entry, pos

    def gap(self, pos: int, kind: str) -> int:
        """Skip what may separate items: in an array, spaces, line breaks and
        comments; in an inline table, spaces only."""
        return _skip(_GAP if kind == "[" else _SPACES, self.text, pos)

    def scalar(self, pos: int) -> int:
        """The offset after the string, number, boolean or date at ``pos``."""
        text = self.text
        if text.startswith(('"', "'"), pos):
            quote = text[pos]
            if text.startswith(quote * 3, pos):
                found = (_MULTILINE_BASIC if quote == '"' else _MULTILINE_LITERAL).match(text, pos)
            else:
                found = (_BASIC if quote == '"' else _LITERAL).match(text, pos)
            if found is None:
                raise _Stop
            return found.end()
        token = _SCALAR.match(text, pos)
        if token is None:
            raise _Stop
        end = token.end()
        if _DATE.match(token.group()):
            time = _TIME_AFTER_DATE.match(text, end)
            if time:
                end = time.end()
        elif end - pos >= 18:  # shorter integers (0x and 16 digits is 18) fit in 64 bits
            self.check_integer(token.group(), pos)
        return end

    def refuse(self, pos: int, reason: str) -> NoReturn:
        self.layout.refused = (pos, reason)
        raise _Stop

    def check_integer(self, token: str, pos: int) -> None:
        layout = self.layout
        if _DECIMAL.match(token):
            digits = len(token) - token.count("_") - token.startswith(("+", "-"))
            if self.digit_limit and digits > self.digit_limit and layout.long_integer is None:
                layout.long_integer = pos
            # 20 digits are past 2**63 whatever they are; fewer are converted cheaply.
            if layout.out_of_range is None and (
                    digits > 19 or int(token.replace("_", "")) not in INT64):
                layout.out_of_range = pos
        elif (layout.out_of_range is None and _PREFIXED.match(token)
              and int(token, 0) not in INT64):
            layout.out_of_range = pos


_STRING_OR_COMMENT = re.compile("|".join(
    f"(?:{pattern.pattern})" for pattern in (_MULTILINE_BASIC, _MULTILINE_LITERAL, _BASIC,
                                             _LITERAL)) + r"|(?P<comment>#[^\n]*)", re.S)


def comments(text: str) -> list[tuple[int, int]]:
    """The start and end offset of every comment of a TOML text (never a ``#``
    inside a string), without the CR of a CRLF line break."""
    found = []
    for match in _STRING_OR_COMMENT.finditer(text):
        if match.group("comment") is not None:
            start, end = match.span()
            found.append((start, end - 1 if text.endswith("\r", start, end) else end))
    return found


def _skip(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """The offset after what ``pattern`` (which may match nothing) matches at ``pos``."""
    found = pattern.match(text, pos)
    return pos if found is None else found.end()


def _unescape(body: str) -> str:
    """The text of a basic string's body with its escapes resolved."""
    if "\\" not in body:
        return body

    def replace(found: re.Match[str]) -> str:
        code = found.group(1) or found.group(2)
        if code:
            if int(code, 16) > sys.maxunicode:
                raise _Stop  # not a character: tomllib refuses it, at its own position
            return chr(int(code, 16))
        return _ESCAPED.get(found.group(3), found.group())

    return _ESCAPE.sub(replace, body)
