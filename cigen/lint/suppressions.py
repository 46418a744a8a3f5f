"""Inline suppressions written as comments in the linted files.

``# cigen: ignore[rule-a,rule-b] reason`` on the offending line, or alone on
the line above it, silences those rules there; ``# cigen:
ignore-file[rule] reason`` anywhere in a file silences the rule in the whole
file. Rules are named by name or code. The same syntax works in YAML and in
runner ``config.toml`` files, and in included files.
"""

from __future__ import annotations

import re

from cigen.lint.findings import Finding
from cigen.lint.fix import Edit
from cigen.source.positions import Span
from cigen.source.text import SourceText

DIRECTIVE = re.compile(
    r"#\s*cigen:\s*(?P<kind>ignore-file|ignore)\[(?P<rules>[^\]]*)\](?P<reason>[^#\n]*)")


class Suppression:
    __slots__ = ("last_line", "line", "path", "reason", "rules", "used", "whole_file")

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

    def __init__(self, path: str, line: int, rules: frozenset[str], reason: str, whole_file: bool,
                 last_line: int, used: bool = False) -> None:
        self.path = path
        self.line = line
        self.rules = rules
        self.reason = reason
        self.whole_file = whole_file
        self.last_line = last_line
        self.used = used

    def covers(self, finding: Finding) -> bool:
        if finding.rule not in self.rules and finding.code not in self.rules:
            return False
        return self.whole_file or self.line <= finding.span.line <= self.last_line


class SuppressionIndex:
    __slots__ = ("by_path",)

    by_path: dict[str, list[Suppression]]

    def __init__(self, by_path: dict[str, list[Suppression]] | None = None) -> None:
        self.by_path = {} if by_path is None else by_path

    def add_source(self, source: SourceText) -> None:
        if source.path in self.by_path or "cigen:" not in source.text:
            self.by_path.setdefault(source.path, [])
            return
        found = []
        lines = source.text.split("\n")
        for number, line in enumerate(lines, start=1):
            if "cigen:" not in line:
                continue
            match = DIRECTIVE.search(line)
            if match is None:
                continue
            rules = frozenset(rule.strip() for rule in match.group("rules").split(",")
                              if rule.strip())
            standalone = line[:match.start()].strip() == ""
            found.append(Suppression(
                source.path, number, rules, match.group("reason").strip(),
                match.group("kind") == "ignore-file",
                _entry_end(lines, number) if standalone else number))
        self.by_path[source.path] = found

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


def _entry_end(lines: list[str], comment_line: int) -> int:
    """The last line of the entry after a standalone comment on ``comment_line``
    (1-based): the next non-comment line and the lines indented deeper below it."""
    index = comment_line  # 0-based index of the line after the comment
    while index < len(lines) and (not lines[index].strip()
                                  or lines[index].lstrip().startswith("#")):
        index += 1
    if index >= len(lines):
        return comment_line + 1
    start = lines[index]
    indent = len(start) - len(start.lstrip())
    # A list item's own content is indented past its dash.
    if start.lstrip().startswith("- "):
        indent += 1
    end = index
    for following in range(index + 1, len(lines)):
        text = lines[following]
        if not text.strip():
            continue
        if len(text) - len(text.lstrip()) <= indent or text.lstrip().startswith("#"):
            break
        end = following
    return end + 1


def removal(suppression: Suppression, source: SourceText) -> Edit:
    """The edit that deletes a suppression comment: its whole line when it stands
    alone, else the comment and the blanks before it."""
    line_start = source.offset(suppression.line, 1)
    text = source.line_text(suppression.line)
    if suppression.last_line != suppression.line or text.lstrip().startswith("#"):
        end = line_start + len(text) + (1 if line_start + len(text) < len(source.text) else 0)
        return Edit(source.path, line_start, end, "")
    comment = directive_span(suppression, source).column - 1
    code_end = len(text[:comment].rstrip())
    return Edit(source.path, line_start + code_end, line_start + len(text.rstrip("\r")), "")


def directive_span(suppression: Suppression, source: SourceText) -> Span:
    line = source.line_text(suppression.line)
    column = line.find("cigen:")
    column = line.rfind("#", 0, column) + 1 if column != -1 else 1
    return Span(suppression.path, suppression.line, column, suppression.line, len(line) + 1)
