"""Fixes as text edits, and applying them without damaging a file.

A rule proposes a :class:`Fix`: edits at character offsets of the source text
it was read from, marked safe (behaviour kept) or unsafe (behaviour changed).
Editing the text at positions the loader recorded, rather than re-serialising
a YAML document, is what keeps every other byte — comments, quoting,
indentation, blank lines, key order, anchors — exactly as it was. An edit in
a scalar is placed by decoding the scalar again with the source position of
every character, and only proposed when the edited scalar reads back as the
intended value: a part written as an escape or a folded line break, or new
text that would need quoting there, yields no fix instead of a wrong one.
"""

from __future__ import annotations

from collections.abc import Iterable

from cigen.shell.locator import Locator
from cigen.shell.words import Command, Word
from cigen.source.positions import Span
from cigen.source.text import SourceText


class Edit:
    __slots__ = ("end", "path", "start", "text")

    path: str
    start: int
    """Character offset in the file's text where the replaced text starts."""
    end: int
    text: str

    def __init__(self, path: str, start: int, end: int, text: str) -> None:
        self.path = path
        self.start = start
        self.end = end
        self.text = text


class Fix:
    __slots__ = ("description", "edits", "safe")

    edits: tuple[Edit, ...]
    safe: bool
    description: str

    def __init__(self, edits: tuple[Edit, ...], safe: bool, description: str) -> None:
        self.edits = edits
        self.safe = safe
        self.description = description


def span_offsets(source: SourceText, span: Span) -> tuple[int, int]:
    return (source.offset(span.line, span.column),
            source.offset(span.end_line, span.end_column))


def replace_in_span(source: SourceText, span: Span, old: str, new: str) -> Edit | None:
    """Replace ``old`` written inside ``span`` when it is written there exactly once.

    Twice and it could be either (an anchor's name, a label before the tag, a
    comment): ``None``. Prefer :func:`value_edit`, which knows the position.
    """
    start, end = span_offsets(source, span)
    found = source.text.find(old, start, end)
    if found == -1 or source.text.find(old, found + 1, end) != -1:
        return None
    return Edit(source.path, found, found + len(old), new)


def value_edit(source: SourceText | None, span: Span | None, value: str, start: int, end: int,
               new: str) -> Edit | None:
    """Replace ``value[start:end]`` of the YAML scalar ``value`` written at ``span``.

    The scalar is decoded again from the file, so the edit lands on the very
    characters that hold that part of the value, whatever the quoting; ``None``
    when they are not written as themselves (an escape, a folded line break) or
    ``new`` would not read back as itself there, and for an anchored value: an
    alias elsewhere reads it too, for a purpose this edit knows nothing of.
    """
    if source is None or span is None or span.path != source.path:
        return None
    start_offset = source.offset(span.line, span.column)
    if source.text[start_offset:start_offset + 1] == "&":
        return None
    where = Locator(value, span, source).replace(start, end - start, new)
    return None if where is None else Edit(source.path, where[0], where[1], new)


def replace_exact(source: SourceText, span: Span, expected: str, new: str) -> Edit | None:
    """Replace ``expected`` written exactly at the start of ``span``."""
    start = source.offset(span.line, span.column)
    if source.text[start:start + len(expected)] != expected:
        return None
    return Edit(source.path, start, start + len(expected), new)


def apply_fixes(text: str, fixes: Iterable[Fix]) -> tuple[str, list[Fix]]:
    """``text`` with whole fixes applied, in order; a fix whose edits overlap one
    already taken is left for the next round (never applied in part).

    Returns the new text and the fixes that were applied.
    """
    taken: list[Edit] = []
    applied: list[Fix] = []
    for fix in fixes:
        if any((edit.start < other.end and other.start < edit.end)
               or edit.start == other.start for edit in fix.edits for other in taken):
            continue
        taken.extend(fix.edits)
        applied.append(fix)
    for edit in sorted(taken, key=lambda item: (item.start, item.end), reverse=True):
        text = text[:edit.start] + edit.text + text[edit.end:]
    return text, applied


def unified_diff(path: str, before: str, after: str) -> str:
    import difflib

    # Lines as git and patch see them: ended by LF only (str.splitlines would also
    # split at a form feed or U+2028 inside a line, and the patch would not apply).
    return "".join(difflib.unified_diff(_lines(before), _lines(after),
                                        fromfile=f"a/{path}", tofile=f"b/{path}"))


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    last = lines.pop()
    return [line + "\n" for line in lines] + ([last] if last else [])


def word_edit(command: Command, word: Word, new: str, start: int = 0,
              end: int | None = None) -> Edit | None:
    """Replace ``word`` of ``command`` (or the part ``word.raw[start:end]`` of it)."""
    stop = len(word.raw) if end is None else end
    if not _written_at(command, word) or not 0 <= start <= stop <= len(word.raw):
        return None
    return _script_edit(command, word.offset + start, stop - start, new)


def insert_at(command: Command, word: Word, text: str, *, after: bool) -> Edit | None:
    """Insert ``text`` right before or right after ``word`` of ``command``."""
    if not _written_at(command, word):
        return None
    return _script_edit(command, word.offset + (len(word.raw) if after else 0), 0, text,
                        after=after)


def words_edit(command: Command, first: Word, last: Word, new: str) -> Edit | None:
    """Replace the words of ``command`` from ``first`` to ``last`` and what
    separates them (blanks, line continuations) with ``new``."""
    if not _written_at(command, first) or not _written_at(command, last) \
            or last.offset < first.offset:
        return None
    return _script_edit(command, first.offset, last.offset + len(last.raw) - first.offset, new,
                        spanning=True)


def _written_at(command: Command, word: Word) -> bool:
    return command.locator.value[word.offset:word.offset + len(word.raw)] == word.raw


def _script_edit(command: Command, offset: int, length: int, new: str, *,
                 after: bool = False, spanning: bool = False) -> Edit | None:
    locator = command.locator
    if locator.source is None:
        return None
    where = locator.replace(offset, length, new, after=after, spanning=spanning)
    return None if where is None else Edit(locator.source.path, where[0], where[1], new)


def fix_of(description: str, safe: bool, *edits: Edit | None) -> Fix | None:
    """A fix when every edit it needs could be placed, else ``None``."""
    if not edits or any(edit is None for edit in edits):
        return None
    return Fix(tuple(edit for edit in edits if edit is not None), safe, description)
