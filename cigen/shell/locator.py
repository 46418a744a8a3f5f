"""Offsets in a script value mapped back to positions in the file it was read from.

A script item is a YAML scalar: a block, a folded or a quoted string. Rules
and fixes work on offsets in its loaded value; :class:`Locator` turns those
into file positions, and finds where an edit of the value must be written so
that the file reads back as the edited value.
"""

from __future__ import annotations

from cigen.source.positions import Span
from cigen.source.scalar_map import ScalarMap, in_flow_collection, map_scalar, plain_safe
from cigen.source.text import SourceText

# How many characters of context an edit is checked with, at least, on each side.
_WINDOW = 16


class Locator:
    """Maps character offsets inside one script value back to file positions.

    The scalar is decoded again from the file with the source run of every
    character (see :func:`map_scalar`), so a word is found exactly, across
    escapes, doubled quotes, folded lines and block indentation. Only if that
    decoding does not give the loaded value (a form it does not know) does it
    fall back to estimates: column arithmetic on one line, the same source line
    in a literal block, the n-th occurrence of the word elsewhere. Edits only
    ever use the exact mapping.
    """

    def __init__(self, value: str, span: Span, source: SourceText | None) -> None:
        self.value = value
        self.span = span
        self.source = source
        self._raw: str | None = None
        self._raw_start = 0
        self._map: ScalarMap | None = None
        self._mapped = False
        self._flow: bool | None = None

    def scalar_map(self) -> ScalarMap | None:
        """The exact mapping of the value, or ``None`` if it cannot be trusted."""
        if not self._mapped:
            self._mapped = True
            if self.source is not None:
                start, end = self._offsets()
                found = map_scalar(self.source.text, start, end, self.span.style)
                if found is not None and found.value == self.value:
                    self._map = found
        return self._map

    def _offsets(self) -> tuple[int, int]:
        assert self.source is not None
        return (self.source.offset(self.span.line, self.span.column),
                self.source.offset(self.span.end_line, self.span.end_column))

    def locate(self, offset: int, word: str) -> Span:
        mapped = self.scalar_map()
        if mapped is not None and word and offset >= 0 and offset + len(word) <= len(mapped.value):
            assert self.source is not None
            line, column = self.source.position(mapped.starts[offset])
            end_line, end_column = self.source.position(mapped.ends[offset + len(word) - 1])
            return Span(self.span.path, line, column, end_line, end_column, self.span.style)
        span = self.span
        block = span.style in ("|", ">")
        if self.source is None or (not block and span.end_line == span.line):
            shift = 1 if span.style in ("'", '"') else 0
            column = span.column + shift + offset
            return Span(span.path, span.line, column, span.line, column + len(word), span.style)
        if span.style == "|":
            return self._locate_literal(offset, word)
        return self._locate_by_search(offset, word)

    def replace(self, offset: int, length: int, new: str, *, after: bool = False,
                spanning: bool = False) -> tuple[int, int] | None:
        """Source offsets to write ``new`` at so that the value's characters
        ``[offset, offset + length)`` become ``new`` and nothing else changes.

        ``None`` when those characters are not written as themselves (an escape,
        a folded line break), or when ``new`` written there would read back as
        something else (a quote, an escape, ``: `` in a plain scalar...). For an
        insertion (``length`` 0), ``after`` places it right after the character
        before ``offset`` rather than right before the one at it. With
        ``spanning`` only the first and last characters must be written as
        themselves: what lies between (the blanks, continuations or folded
        lines separating two words) goes with them.
        """
        mapped = self.scalar_map()
        if mapped is None or self.source is None or "\n" in new or "\r" in new:
            return None
        value, text = mapped.value, self.source.text
        if offset < 0 or offset + length > len(value) or (not length and not value):
            return None
        starts, ends = mapped.starts, mapped.ends
        checked = (offset, offset + length - 1) if spanning and length else \
            range(offset, offset + length)
        for index in checked:
            copied = ends[index] == starts[index] + 1 and text[starts[index]] == value[index] \
                and value[index] not in "\r\n"
            if not copied or (not spanning and index > offset
                              and starts[index] != ends[index - 1]):
                return None
        if length:
            start, end = mapped.starts[offset], mapped.ends[offset + length - 1]
        elif after and offset > 0:
            start = end = mapped.ends[offset - 1]
            if text[start - 1] != value[offset - 1]:
                return None
        elif not after and offset < len(value):
            start = end = mapped.starts[offset]
            if text[start] != value[offset]:
                return None
        else:
            return None
        if self.span.style == "" and not plain_safe(self._in_flow(), new,
                                                      start == mapped.body):
            return None
        if (self.span.style == '"' and ('"' in new or "\\" in new)) \
                or (self.span.style == "'" and "'" in new):
            return None  # it would end the string or read as an escape
        return (start, end) if self._reads_back(mapped, offset, length, start, end, new, after) \
            else None

    def _in_flow(self) -> bool:
        assert self.source is not None
        if self._flow is None:
            self._flow = in_flow_collection(self.source.text, *self._offsets())
        return self._flow

    def _reads_back(self, mapped: ScalarMap, offset: int, length: int, start: int, end: int,
                    new: str, after: bool) -> bool:
        """Whether the scalar with ``text[start:end]`` (its characters ``[offset,
        offset + length)``) replaced by ``new`` reads as its value with the same
        characters replaced.

        New text holds no line break, so it can only change its own line and
        how that joins its neighbours. A window around the edit is decoded
        before and after it, in the same style (a quote or a block header
        stands in for what is left out), and compared: from a letter or digit
        a little before the edit on the same line, else from the line before,
        to a letter or digit a little after it, else to the end of the line
        after. That keeps the check cheap however long the script is.
        """
        assert self.source is not None
        text, style = self.source.text, self.span.style
        scalar_end = self._offsets()[1]
        block = style in ("|", ">")
        first = self._anchor(mapped, range(offset - _WINDOW, max(offset - 4 * _WINDOW, 0) - 1, -1),
                             start, before=True)
        # A block's indentation is found on its first line, and its chomping
        # applies at its end: a window that holds either keeps them as they are.
        indent = mapped.indent
        header_end = text.find("\n", mapped.body, scalar_end) + 1 if block else 0
        if first is not None:
            prefix = f"{style}+\n" + " " * indent if block else style
        else:
            first = text.rfind("\n", 0, max(text.rfind("\n", 0, start), 0)) + 1
            if block:
                if first <= header_end:
                    first, indent = header_end, 0
                prefix = f"{style}+\n"
            elif first <= mapped.body:
                first, prefix = mapped.body, ""
            else:
                while text[first] in " \t":
                    first += 1
                prefix = style
        last = self._anchor(mapped, range(offset + length + _WINDOW,
                                          min(offset + length + 4 * _WINDOW, len(mapped.value))),
                            end, before=False)
        if last is None:
            line_end = text.find("\n", end, scalar_end)
            last = -1 if line_end == -1 else text.find("\n", line_end + 1, scalar_end)
            last = scalar_end if last == -1 else last
        suffix = "" if block or last == scalar_end else style
        if block and last == scalar_end:
            chomping = text[mapped.body + 1:mapped.body + 2]
            prefix = prefix.replace("+", chomping if chomping in ("-", "+") else "", 1)
        if last - first > 64 * _WINDOW:
            return False  # lines this long around an edit are not worth decoding each time
        before_text = prefix + text[first:last] + suffix
        shift = len(prefix) - first
        after_text = prefix + text[first:start] + new + text[end:last] + suffix
        before = map_scalar(before_text, 0, len(before_text), style, indent)
        edited = map_scalar(after_text, 0, len(after_text), style, indent)
        if before is None or edited is None:
            return False
        if start == end:
            positions = before.ends if after else before.starts
            index = positions.index(start + shift) + after if start + shift in positions else -1
            stop = index
        else:
            index = before.starts.index(start + shift) if start + shift in before.starts else -1
            stop = before.ends.index(end + shift) + 1 if end + shift in before.ends else -1
        if index < 0 or stop < index:
            return False
        return edited.value == before.value[:index] + new + before.value[stop:]

    def _anchor(self, mapped: ScalarMap, indexes: range, edge: int, *, before: bool) -> int | None:
        """Source offset of a window boundary: just before (or after) a letter or
        digit written as itself on the same line as ``edge``, among ``indexes``."""
        assert self.source is not None
        text = self.source.text
        for index in indexes:
            at = mapped.starts[index]
            if mapped.ends[index] != at + 1 or not text[at].isalnum() \
                    or text[at] != mapped.value[index]:
                continue
            low, high = (at, edge) if before else (edge, at)
            if text.find("\n", low, high) != -1:
                return None
            return at if before else at + 1
        return None

    def _found(self, line: int, column: int, word: str) -> Span:
        return Span(self.span.path, line, column, line, column + len(word), self.span.style)

    def _locate_literal(self, offset: int, word: str) -> Span:
        assert self.source is not None
        line_start = self.value.rfind("\n", 0, offset) + 1
        # The block's content starts on the line after its `|` header.
        line = self.span.line + 1 + self.value.count("\n", 0, offset)
        text = self.source.line_text(line)
        occurrence = self.value.count(word, line_start, offset) if word else 0
        found = -1
        for _ in range(occurrence + 1):
            found = text.find(word, found + 1)
            if found == -1:
                return self._found(line, len(text) - len(text.lstrip()) + 1, word)
        return self._found(line, found + 1, word)

    def _locate_by_search(self, offset: int, word: str) -> Span:
        assert self.source is not None
        if self._raw is None:
            start_line, start_column = self.span.line, self.span.column
            if self.span.style == ">":  # skip the header (`>-  # comment`)
                start_line, start_column = start_line + 1, 1
            self._raw_start = self.source.offset(start_line, start_column)
            end = self.source.offset(self.span.end_line, self.span.end_column)
            self._raw = self.source.text[self._raw_start:end]
        if not word:
            return self.span
        occurrence = self.value.count(word, 0, offset)
        found = -1
        for _ in range(occurrence + 1):
            found = self._raw.find(word, found + 1)
            if found == -1:
                return self.span
        line, column = self.source.position(self._raw_start + found)
        return self._found(line, column, word)
