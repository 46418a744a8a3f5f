"""Fixes as text edits, and applying them without damaging a file.

A rule proposes a :class:`Fix`: edits at character offsets of the source text
it was read from, marked safe (behaviour kept) or unsafe (behaviour changed).
Editing the text at positions the loader recorded, rather than re-serialising
a YAML document, is what keeps every other byte — comments, quoting,
indentation, blank lines, key order, anchors — exactly as it was. An edit is
only proposed after checking that the text at its position is what the rule
expects, so a position that cannot be trusted (an escaped quoted scalar, say)
yields no fix instead of a wrong one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

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
    """Replace the first ``old`` written inside ``span`` (``None`` if it is not there)."""
    start, end = span_offsets(source, span)
    found = source.text.find(old, start, max(end, start + len(old)))
    if found == -1:
        return None
    return Edit(source.path, found, found + len(old), new)


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

    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        fromfile=f"a/{path}", tofile=f"b/{path}"))


def write_atomically(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` through a temporary file in the same directory,
    so a crash or a full disk leaves either the old file or the new one, whole."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else None
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".cigen-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as output:
            output.write(text)
            output.flush()
            os.fsync(output.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


# Scalar styles whose source text is the value itself, so that an edit at a
# word's position edits exactly that word: plain, literal and folded blocks, and
# quoted scalars as long as the new text brings no quote or escape of its own
# (every edit also checks that the text it replaces is really there).
EDITABLE_STYLES = ("", "|", ">", "'", '"')


def _editable(span: Span, text: str) -> bool:
    if span.style == "'":
        return "'" not in text
    if span.style == '"':
        return '"' not in text and "\\" not in text
    return span.style in EDITABLE_STYLES


def word_edit(source: SourceText | None, span: Span, raw: str, new: str) -> Edit | None:
    """Replace a word of a script, written as ``raw`` at ``span``."""
    if source is None or not _editable(span, new):
        return None
    return replace_exact(source, span, raw, new)


def insert_at(source: SourceText | None, span: Span, raw: str, text: str, *,
              after: bool) -> Edit | None:
    """Insert ``text`` before or after the word written as ``raw`` at ``span``."""
    if source is None or not _editable(span, text):
        return None
    start = source.offset(span.line, span.column)
    if source.text[start:start + len(raw)] != raw:
        return None
    position = start + len(raw) if after else start
    return Edit(source.path, position, position, text)


def fix_of(description: str, safe: bool, *edits: Edit | None) -> Fix | None:
    """A fix when every edit it needs could be placed, else ``None``."""
    if not edits or any(edit is None for edit in edits):
        return None
    return Fix(tuple(edit for edit in edits if edit is not None), safe, description)
