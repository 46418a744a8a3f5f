"""Files as text: size and encoding checks, and the line index every position uses.

This module owns the step from bytes to text. It refuses what GitLab would
refuse before parsing (more than 2 MiB, NUL bytes, invalid UTF-8) with a
:class:`Problem` at the right line, keeps whether the file had a byte-order
mark (so a rewrite can keep it), and maps offsets to lines and columns.

Lines end where the file's parser ends them, so that every position cigen
reports or edits is the one the parser reported: YAML (libyaml) breaks lines at
LF, CRLF, a lone CR, NEL (U+0085), LS (U+2028) and PS (U+2029); TOML only at
LF and CRLF. Other control characters (vertical tab, form feed, U+001C-U+001E,
which :meth:`str.splitlines` would split at) never end a line.
"""

from __future__ import annotations

import bisect
import re

from cigen.source.positions import Span

MAX_FILE_BYTES = 2 * 1024 * 1024


class Problem:
    """Something wrong with the input, reported as a finding of ``rule``."""

    __slots__ = ("message", "rule", "span")

    rule: str
    message: str
    span: Span

    def __init__(self, rule: str, message: str, span: Span) -> None:
        self.rule = rule
        self.message = message
        self.span = span


class LoadError(Exception):
    """The file cannot be turned into values at all."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


_YAML_BREAK = re.compile("\r\n?|[\n\x85\u2028\u2029]")
_BREAK_CHARACTERS = "\r\n\x85\u2028\u2029"


def _only_lf_breaks(text: str) -> bool:
    """Every line break of ``text`` ends at a LF (LF or CRLF), as in most files."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        return False
    return "\r" not in text or text.count("\r") == text.count("\r\n")


def line_starts(text: str, toml: bool = False) -> list[int]:
    """The offset of every line of ``text`` (the first is 0); a text ending in a
    line break has an empty last line after it."""
    if toml or _only_lf_breaks(text):
        # The common case, and TOML's: a line ends at each LF (CRLF ends at its LF).
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        return starts
    return [0, *(found.end() for found in _YAML_BREAK.finditer(text))]


def strip_line_breaks(text: str) -> str:
    """``text`` without the blanks and YAML line breaks it ends with."""
    return text.rstrip(" \t" + _BREAK_CHARACTERS)


class SourceText:
    """The text of one file, with a line index for offset lookups.

    ``toml`` selects TOML's line breaks instead of YAML's (see the module docs).
    """

    __slots__ = ("_line_starts", "bom", "path", "text", "toml")

    path: str
    text: str
    _line_starts: list[int]
    bom: bool
    """The file started with a UTF-8 byte-order mark (kept when the file is rewritten)."""
    toml: bool

    def __init__(self, path: str, text: str, bom: bool = False, *, toml: bool = False) -> None:
        self.path = path
        self.text = text
        self._line_starts = []
        self.bom = bom
        self.toml = toml

    def as_toml(self) -> SourceText:
        """The same file, with lines broken as TOML breaks them."""
        return self if self.toml else SourceText(self.path, self.text, self.bom, toml=True)

    def line_starts(self) -> list[int]:
        if not self._line_starts:
            self._line_starts = line_starts(self.text, self.toml)
        return self._line_starts

    def line_count(self) -> int:
        return len(self.line_starts())

    def offset(self, line: int, column: int) -> int:
        """Character offset of a 1-based line and column."""
        starts = self.line_starts()
        if line - 1 >= len(starts):
            return len(self.text)
        return starts[line - 1] + column - 1

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        starts = self.line_starts()
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def line_end(self, line: int) -> int:
        """The offset where the text of ``line`` ends (at its line break, if any)."""
        starts = self.line_starts()
        if line >= len(starts):
            return len(self.text)
        end = starts[line] - 1
        if end > starts[line - 1] and self.text[end] == "\n" and self.text[end - 1] == "\r":
            end -= 1
        return end

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its line break."""
        starts = self.line_starts()
        if not 1 <= line <= len(starts):
            return ""
        return self.text[starts[line - 1]:self.line_end(line)]

    def line_break(self, line: int) -> str:
        """The line break that ends ``line`` ("" for the last line)."""
        starts = self.line_starts()
        if not 1 <= line < len(starts):
            return ""
        return self.text[self.line_end(line):starts[line]]


_BOM = b"\xef\xbb\xbf"


def decode_source(raw: bytes, path: str) -> SourceText:
    """Check size and encoding of raw file bytes and return the text."""
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError(Problem(
            "invalid-syntax",
            "file is larger than 2 MiB; GitLab accepts at most 2 MiB per file",
            Span(path, 1, 1, 1, 1)))
    nul = raw.find(b"\0")
    if nul != -1:
        line, column = _end_position(raw[:nul])
        raise LoadError(Problem("invalid-syntax", "binary file (contains a NUL byte), not YAML",
                                Span(path, line, column, line, column)))
    bom = raw.startswith(_BOM)
    body = raw[len(_BOM):] if bom else raw
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _end_position(body[:error.start])
        raise LoadError(Problem(
            "invalid-syntax", f"not valid UTF-8 (byte 0x{body[error.start]:02x})",
            Span(path, line, column, line, column))) from None
    return SourceText(path, text, bom=bom)


def _end_position(head: bytes) -> tuple[int, int]:
    """The 1-based line and column just after ``head``, the start of a file."""
    text = SourceText("", head.decode("utf-8-sig", "replace"))
    return text.position(len(text.text))
