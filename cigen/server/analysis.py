"""What the language server tells an editor about one buffer, free of any protocol.

An :class:`Analysis` lints the buffer's text as the file it is (its includes
come from disk, each file under its own configuration, as `cigen lint` does)
and answers in the editor's terms: 0-based lines and UTF-16 columns, as the
Language Server Protocol counts them. It gives the findings in the buffer, the
fixes that touch a range (safe ones first, unsafe ones marked), and a rule's
documentation at a position. :func:`definition` finds where the job or
template named under the cursor (`extends:`, `!reference`, `needs:`) is
defined, across included files.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from cigen.lint.engine import LintReport, lint_buffer
from cigen.lint.findings import Finding
from cigen.lint.fix import Fix
from cigen.lint.rules import find_rule
from cigen.source.positions import Span
from cigen.source.text import SourceText


class Position(NamedTuple):
    line: int
    """0-based."""
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


def _column_to_utf16(line_text: str, column: int) -> int:
    return len(line_text[:max(column - 1, 0)].encode("utf-16-le", "surrogatepass")) // 2


def utf16_to_column(line_text: str, character: int) -> int:
    """The 1-based code point column of a UTF-16 offset in a line."""
    units = 0
    for index, char in enumerate(line_text):
        if units >= character:
            return index + 1
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line_text) + 1


def to_position(source: SourceText, line: int, column: int) -> Position:
    return Position(line - 1, _column_to_utf16(source.line_text(line), column))


def span_range(source: SourceText, span: Span) -> Range:
    return Range(to_position(source, span.line, span.column),
                 to_position(source, span.end_line, span.end_column))


def offset_position(source: SourceText, offset: int) -> Position:
    return to_position(source, *source.position(offset))


class Analysis:
    """The findings of one buffer, and what an editor can ask about them."""

    def __init__(self, path: str, text: str) -> None:
        from cigen.lint.run import LintRequest, lint_options

        self.path = os.path.abspath(path)
        options, _ = lint_options([self.path], LintRequest(paths=[self.path]))
        self.report: LintReport
        self.report, self.sources = lint_buffer(self.path, text, options)
        self.source = self.sources.get(self.path) or SourceText(self.path, text)

    def findings(self) -> list[Finding]:
        """The findings written in this buffer (not those in files it includes)."""
        return [finding for finding in self.report.findings
                if os.path.abspath(finding.span.path) == self.path]

    def problems(self) -> list[str]:
        """Why the buffer could not be checked at all, if it could not."""
        return self.report.file_errors + self.report.internal_errors

    def range_of(self, finding: Finding) -> Range:
        return span_range(self.source, finding.span)

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
            edits.append(TextEdit(os.path.abspath(edit.path),
                                  Range(offset_position(source, edit.start),
                                        offset_position(source, edit.end)), edit.text))
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


def definition(path: str, text: str, position: Position) -> tuple[str, Range] | None:
    """Where the job or template named at ``position`` is defined: the key in the
    file that defines it (this one or one it includes)."""
    from cigen.gitlab.pipeline import load_pipeline
    from cigen.source.files import find_repository_root

    path = os.path.abspath(path)
    source = SourceText(path, text)
    line_text = source.line_text(position.line + 1)
    column = utf16_to_column(line_text, position.character) - 1
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
