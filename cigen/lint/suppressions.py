"""Inline suppressions written as comments in the linted files.

``# cigen: ignore[rule-a,rule-b] reason`` on the offending line, or alone on
the line above it, silences those rules there; ``# cigen:
ignore-file[rule] reason`` anywhere in a file silences the rule in the whole
file. Rules are named by name or code. The same syntax works in YAML and in
runner ``config.toml`` files, and in included files.

Only real comments count: they are read from the YAML scanner's tokens (or
TOML's strings and comments), so a directive written inside a string, a block
scalar or a multi-line quoted value is data, never a suppression.
"""

from __future__ import annotations

import re

from cigen.lint.findings import Finding
from cigen.lint.fix import Edit
from cigen.source.positions import Span
from cigen.source.text import SourceText
from cigen.source.toml_positions import comments as toml_comments
from cigen.source.yaml_reader import yaml_comments

DIRECTIVE = re.compile(
    r"#\s*cigen:\s*(?P<kind>ignore-file|ignore)\[(?P<rules>[^\]]*)\](?P<reason>[^#\n]*)")

_BLANKS = " \t"


class Suppression:
    __slots__ = ("comment_start", "end", "last_line", "line", "path", "reason", "rules",
                 "start", "used", "whole_file")

    path: str
    line: int
    """The line the directive is on."""
    rules: frozenset[str]
    reason: str
    whole_file: bool
    last_line: int
    """The last line it covers: its own line, or, for a comment alone on its line,
    the whole next entry (a block scalar or continued command included)."""
    used: bool
    comment_start: int
    """Offset of the ``#`` that starts the comment holding the directive."""
    start: int
    """Offset of the directive's own ``#`` (after other words of the comment, if any)."""
    end: int
    """Offset where the directive and its reason end."""

    def __init__(self, path: str, line: int, rules: frozenset[str], reason: str, whole_file: bool,
                 last_line: int, used: bool = False, *, comment_start: int, start: int,
                 end: int) -> None:
        self.path = path
        self.line = line
        self.rules = rules
        self.reason = reason
        self.whole_file = whole_file
        self.last_line = last_line
        self.used = used
        self.comment_start = comment_start
        self.start = start
        self.end = end

    def covers(self, finding: Finding) -> bool:
        if finding.rule not in self.rules and finding.code not in self.rules:
            return False
        return self.whole_file or self.line <= finding.span.line <= self.last_line


class SuppressionIndex:
    __slots__ = ("by_path",)

    by_path: dict[str, list[Suppression]]

    def __init__(self, by_path: dict[str, list[Suppression]] | None = None) -> None:
        self.by_path = {} if by_path is None else by_path

    def add_source(self, source: SourceText, *, merge: bool = False) -> None:
        """Read the directives of ``source``. With ``merge`` they join those already
        read for its path: a Helm values file's embedded runner configuration is a
        second text (TOML, of the file's length) with comments of its own."""
        if (source.path in self.by_path and not merge) or "cigen:" not in source.text:
            self.by_path.setdefault(source.path, [])
            return
        text = source.text
        comments = toml_comments(text) if source.toml else yaml_comments(text)
        directives = [(comment_start, match) for comment_start, comment_end in comments
                      if (match := DIRECTIVE.search(text, comment_start, comment_end))]
        comment_lines = _comment_lines(source, comments) if directives else set()
        entries = _Entries(source, comment_lines)
        found = []
        for comment_start, match in directives:
            line = source.position(comment_start)[0]
            rules = frozenset(rule.strip() for rule in match.group("rules").split(",")
                              if rule.strip())
            found.append(Suppression(
                source.path, line, rules, match.group("reason").strip(),
                match.group("kind") == "ignore-file",
                entries.end_after(line) if line in comment_lines else line,
                comment_start=comment_start, start=match.start(), end=match.end()))
        self.by_path[source.path] = self.by_path.get(source.path, []) + found if merge else found

    def filter(self, findings: list[Finding]) -> list[Finding]:
        kept = []
        for finding in findings:
            suppressions = self.by_path.get(finding.span.path, ())
            matching = [item for item in suppressions if item.covers(finding)]
            for item in matching:
                item.used = True
            if not matching:
                kept.append(finding)
        return kept

    def all(self) -> list[Suppression]:
        return [item for items in self.by_path.values() for item in items]


def _comment_lines(source: SourceText, comments: list[tuple[int, int]]) -> set[int]:
    """The lines that hold nothing but a comment."""
    lines = set()
    for start, _ in comments:
        line = source.position(start)[0]
        if not source.text[source.offset(line, 1):start].strip(_BLANKS):
            lines.add(line)
    return lines


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(_BLANKS))


class _Entries:
    """Where the entry after a standalone comment ends: the next line that is not
    blank or a comment, and the lines indented deeper below it. Each answer is
    found once per file, so thousands of comments above one entry cost no more
    than one."""

    __slots__ = ("_ends", "_next_content", "comment_lines", "source")

    def __init__(self, source: SourceText, comment_lines: set[int]) -> None:
        self.source = source
        self.comment_lines = comment_lines
        self._next_content: list[int] = []
        self._ends: dict[int, int] = {}

    def _content(self, line: int) -> bool:
        return line not in self.comment_lines and bool(
            self.source.line_text(line).strip(_BLANKS))

    def end_after(self, comment_line: int) -> int:
        source = self.source
        last = source.line_count()
        if not self._next_content:
            # next_content[n]: the first line from n on holding something else than a
            # comment (last + 1 if none), filled from the end in one pass.
            following = [last + 1] * (last + 2)
            for line in range(last, 0, -1):
                following[line] = line if self._content(line) else following[line + 1]
            self._next_content = following
        line = self._next_content[min(comment_line + 1, last + 1)]
        if line > last:
            return comment_line + 1
        if line not in self._ends:
            self._ends[line] = self._entry_end(line, last)
        return self._ends[line]

    def _entry_end(self, line: int, last: int) -> int:
        start = self.source.line_text(line)
        indent = _indent(start)
        # A list item's own content is indented past its dash.
        if start.lstrip(_BLANKS).startswith("- "):
            indent += 1
        end = line
        for following in range(line + 1, last + 1):
            text = self.source.line_text(following)
            if not text.strip(_BLANKS):
                continue
            if _indent(text) <= indent or following in self.comment_lines:
                break
            end = following
        return end


def removal(suppression: Suppression, source: SourceText) -> Edit:
    """The edit that deletes a suppression: the whole line when its comment stands
    alone, else the comment and the blanks before it. A directive that follows
    other words of its comment, or is followed by another comment, goes alone."""
    text = source.text
    line_start = source.offset(suppression.line, 1)
    line_end = source.line_end(suppression.line)
    start, end = suppression.start, suppression.end
    if end < line_end:
        # Another `#` follows the directive (and its reason): it stays, where it was.
        return Edit(source.path, start, end, "")
    words_before = text[suppression.comment_start:start].rstrip(_BLANKS)
    if words_before.strip(_BLANKS + "#"):
        return Edit(source.path, suppression.comment_start + len(words_before), line_end, "")
    code = text[line_start:suppression.comment_start].rstrip(_BLANKS)
    if not code:
        next_line = source.offset(suppression.line + 1, 1)
        return Edit(source.path, line_start, next_line, "")
    return Edit(source.path, line_start + len(code), line_end, "")


def directive_span(suppression: Suppression, source: SourceText) -> Span:
    line, column = source.position(suppression.start)
    end_column = source.line_end(suppression.line) - source.offset(line, 1) + 1
    return Span(suppression.path, line, column, line, end_column)
