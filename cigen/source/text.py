"""Files as text: size and encoding checks, and the line index every position uses.

This module owns the step from bytes to text. It refuses what GitLab would
refuse before parsing (more than 2 MiB, NUL bytes, invalid UTF-8) with a
:class:`Problem` at the right line, keeps whether the file had a byte-order
mark (so a rewrite can keep it), and maps offsets to lines and columns.
"""

from __future__ import annotations

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


class SourceText:
    """The text of one file, with a line index for offset lookups."""

    __slots__ = ("_line_starts", "bom", "path", "text")

    path: str
    text: str
    _line_starts: list[int]
    bom: bool
    """The file started with a UTF-8 byte-order mark (kept when the file is rewritten)."""

    def __init__(self, path: str, text: str, bom: bool = False) -> None:
        self.path = path
        self.text = text
        self._line_starts = []
        self.bom = bom

    def line_starts(self) -> list[int]:
        if not self._line_starts:
            starts = [0]
            find = self.text.find
            pos = find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
            self._line_starts = starts
        return self._line_starts

    def offset(self, line: int, column: int) -> int:
        """Character offset of a 1-based line and column."""
        starts = self.line_starts()
        if line - 1 >= len(starts):
            return len(self.text)
        return starts[line - 1] + column - 1

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        import bisect

        starts = self.line_starts()
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def line_text(self, line: int) -> str:
        starts = self.line_starts()
        if not 1 <= line <= len(starts):
            return ""
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[starts[line - 1]:end]


def decode_source(raw: bytes, path: str) -> SourceText:
    """Check size and encoding of raw file bytes and return the text."""
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError(Problem(
            "invalid-syntax",
            f"file is {len(raw) // 1024} KiB; GitLab accepts at most 2 MiB per file",
            Span(path, 1, 1, 1, 1)))
    nul = raw.find(b"\0")
    if nul != -1:
        line = raw.count(b"\n", 0, nul) + 1
        raise LoadError(Problem("invalid-syntax", "binary file (contains a NUL byte), not YAML",
                                Span(path, line, 1, line, 1)))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise LoadError(Problem(
            "invalid-syntax", f"not valid UTF-8 (byte 0x{raw[error.start]:02x})",
            Span(path, line, column, line, column))) from None
    return SourceText(path, text, bom=raw.startswith(b"\xef\xbb\xbf"))
