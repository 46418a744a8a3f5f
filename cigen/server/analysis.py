"""What the language server tells an editor about one buffer, free of any protocol.

An :class:`Analysis` lints the buffer's text as the file it is, each file under
its own configuration as `cigen lint` does, with the files it includes read
from the editor's other open buffers where it has them (unsaved changes
count) and from disk otherwise. It answers in the editor's terms: the
Language Server Protocol counts lines ended by LF, CRLF or CR only (not NEL,
LS or PS, which YAML also breaks lines at) and columns in UTF-16 code units,
so every position goes through a character offset (:class:`EditorLines`). It
gives the findings in the buffer, the fixes that touch a range (safe ones
first, unsafe ones marked), and a rule's documentation at a position.
:func:`definition` finds where the job or template named under the cursor
(`extends:`, `!reference`, `needs:`) is defined, across included files.
"""

from __future__ import annotations

import bisect
import os
import re
from typing import NamedTuple

from cigen.lint.engine import LintReport, UsageError, lint_buffer
from cigen.lint.findings import Finding
from cigen.lint.fix import Fix
from cigen.lint.rules import find_rule
from cigen.source.files import reading_unsaved
from cigen.source.positions import Span
from cigen.source.text import SourceText


class Position(NamedTuple):
    line: int
    """0-based, counting LF, CRLF and CR as line ends."""
    character: int
    """UTF-16 code units from the start of the line."""


class Range(NamedTuple):
    start: Position
    end: Position


class TextEdit(NamedTuple):
    path: str
    range: Range
    text: str


class Action(NamedTuple):
    title: str
    safe: bool
    edits: list[TextEdit]
    finding: Finding


_EDITOR_BREAK = re.compile(r"\r\n?|\n")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class EditorLines:
    """A text's lines as the protocol counts them, for offsets to and from positions."""

    __slots__ = ("starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(found.end() for found in _EDITOR_BREAK.finditer(text))]

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        return Position(line, _utf16_length(self.text[self.starts[line]:offset]))

    def offset(self, position: Position) -> int:
        """The character offset of ``position``; past a line's end, its end."""
        if position.line >= len(self.starts):
            return len(self.text)
        start = self.starts[max(position.line, 0)]
        end = self.starts[position.line + 1] if position.line + 1 < len(self.starts) \
            else len(self.text)
        while end > start and self.text[end - 1] in "\r\n":
            end -= 1
        units = 0
        for index in range(start, end):
            if units >= position.character:
                return index
            units += 2 if ord(self.text[index]) > 0xFFFF else 1
        return end


def span_range(source: SourceText, span: Span, lines: EditorLines | None = None) -> Range:
    lines = lines or EditorLines(source.text)
    return Range(lines.position(source.offset(span.line, span.column)),
                 lines.position(source.offset(span.end_line, span.end_column)))


class Analysis:
    """The findings of one buffer, and what an editor can ask about them."""

    def __init__(self, path: str, text: str, unsaved: dict[str, str] | None = None) -> None:
        """``unsaved``: the editor's other open buffers, by path; the files the
        buffer includes are read from them where they are there."""
        from cigen.lint.run import CommandError, LintRequest, lint_options

        self.path = os.path.abspath(path)
        self.report: LintReport
        self.sources: dict[str, SourceText]
        try:
            options, _ = lint_options([self.path], LintRequest(paths=[self.path]))
            with reading_unsaved(unsaved or {}):
                self.report, self.sources = lint_buffer(self.path, text, options)
        except (CommandError, UsageError) as error:  # what stops `cigen lint` (exit 2)
            self.report, self.sources = LintReport(), {}
            self.report.file_errors.append(str(error))
        self.source = self.sources.get(self.path) or SourceText(self.path, text)
        self._lines: dict[str, EditorLines] = {}
        self.read = {os.path.realpath(name) for name in self.sources}
        """Every file the findings were taken from (the buffer and what it includes)."""

    def lines(self, source: SourceText) -> EditorLines:
        found = self._lines.get(source.path)
        if found is None or found.text is not source.text:
            found = self._lines[source.path] = EditorLines(source.text)
        return found

    def depends_on(self, path: str) -> bool:
        """Whether a change to the file at ``path`` can change these findings."""
        return os.path.realpath(path) in self.read

    def findings(self) -> list[Finding]:
        """The findings written in this buffer (not those in files it includes)."""
        return [finding for finding in self.report.findings
                if os.path.abspath(finding.span.path) == self.path]

    def problems(self) -> list[str]:
        """Why the buffer could not be checked at all, if it could not."""
        return self.report.file_errors + self.report.internal_errors

    def range_of(self, finding: Finding) -> Range:
        return span_range(self.source, finding.span, self.lines(self.source))

    def actions(self, wanted: Range) -> list[Action]:
        """The fixes of the findings overlapping ``wanted``, safe ones first."""
        found = []
        for finding in self.findings():
            fix = finding.fix
            place = self.range_of(finding)
            if fix is None or place.end < wanted.start or wanted.end < place.start:
                continue
            edits = self._edits(fix)
            if edits:
                title = fix.description[:1].upper() + fix.description[1:]
                found.append(Action(title if fix.safe else f"{title} (unsafe)", fix.safe, edits,
                                    finding))
        found.sort(key=lambda action: not action.safe)
        return found

    def _edits(self, fix: Fix) -> list[TextEdit]:
        edits = []
        for edit in fix.edits:
            source = self.sources.get(edit.path)
            if source is None:
                return []
            lines = self.lines(source)
            edits.append(TextEdit(os.path.abspath(edit.path),
                                  Range(lines.position(edit.start), lines.position(edit.end)),
                                  edit.text))
        return edits

    def documentation(self, position: Position) -> str | None:
        """The documentation of the rule of a finding at ``position``, as Markdown."""
        for finding in self.findings():
            place = self.range_of(finding)
            if place.start <= position <= place.end:
                rule = find_rule(finding.rule)
                if rule is not None:
                    return (f"**{finding.code} {rule.name}** — {finding.message}\n\n"
                            f"{rule.doc}\n\n[Documentation]({rule.url})")
        return None


NAME_AT = re.compile(r"[\w.\-/ ]")


def definition(path: str, text: str, position: Position,
               unsaved: dict[str, str] | None = None) -> tuple[str, Range] | None:
    """Where the job or template named at ``position`` is defined: the key in the
    file that defines it (this one or one it includes, read from ``unsaved``
    buffers where they are there)."""
    from cigen.gitlab.pipeline import load_pipeline
    from cigen.source.files import find_repository_root

    path = os.path.abspath(path)
    source = SourceText(path, text)
    line, column = source.position(EditorLines(text).offset(position))
    line_text = source.line_text(line)
    column -= 1
    start = column
    while start > 0 and NAME_AT.match(line_text[start - 1]):
        start -= 1
    end = column
    while end < len(line_text) and NAME_AT.match(line_text[end]):
        end += 1
    candidates = {line_text[start:end].strip(" -"), line_text[start:end].strip()}
    # The words around the cursor, without what YAML puts around a name.
    word = re.split(r"[\s\[\],:'\"]+", line_text[:end])[-1] if end else ""
    candidates.add(word.strip("-"))
    try:
        with reading_unsaved(unsaved or {}):
            pipeline = load_pipeline(path, source, find_repository_root(path), None)
    except Exception:
        return None
    config = pipeline.config
    for name in sorted(candidates, key=len, reverse=True):
        span = config.key_spans.get(name) if name else None
        if span is None:
            continue
        target = pipeline.sources.get(span.path) or (source if span.path == path else None)
        if target is None:
            continue
        return os.path.abspath(span.path), span_range(target, span)
    return None
