"""Inline suppressions written as comments in the linted files.

``# cigen: ignore[rule-a,rule-b] reason`` on the offending line, or alone on
the line above it, silences those rules there; ``# cigen:
ignore-file[rule] reason`` anywhere in a file silences the rule in the whole
file. Rules are named by name or code. The same syntax works in YAML and in
runner ``config.toml`` files, and in included files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cigen.findings import Finding
from cigen.positions import Span
from cigen.source import SourceText

DIRECTIVE = re.compile(
    r"#\s*cigen:\s*(?P<kind>ignore-file|ignore)\[(?P<rules>[^\]]*)\](?P<reason>[^#\n]*)")


@dataclass(slots=True)
class Suppression:
    path: str
    line: int
    """The line the directive is on."""
    rules: frozenset[str]
    reason: str
    whole_file: bool
    standalone: bool
    """The comment is alone on its line, so it covers the next line."""
    used: bool = False

    def covers(self, finding: Finding) -> bool:
        if finding.rule not in self.rules and finding.code not in self.rules:
            return False
        if self.whole_file:
            return True
        line = finding.span.line
        return line == self.line or (self.standalone and line == self.line + 1)


@dataclass(slots=True)
class SuppressionIndex:
    by_path: dict[str, list[Suppression]] = field(default_factory=dict)

    def add_source(self, source: SourceText) -> None:
        if source.path in self.by_path or "cigen:" not in source.text:
            self.by_path.setdefault(source.path, [])
            return
        found = []
        for number, line in enumerate(source.text.split("\n"), start=1):
            if "cigen:" not in line:
                continue
            match = DIRECTIVE.search(line)
            if match is None:
                continue
            rules = frozenset(rule.strip() for rule in match.group("rules").split(",")
                              if rule.strip())
            found.append(Suppression(
                source.path, number, rules, match.group("reason").strip(),
                match.group("kind") == "ignore-file",
                standalone=line[:match.start()].strip() == ""))
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


def directive_span(suppression: Suppression, source: SourceText) -> Span:
    line = source.line_text(suppression.line)
    column = line.find("cigen:")
    column = line.rfind("#", 0, column) + 1 if column != -1 else 1
    return Span(suppression.path, suppression.line, column, suppression.line, len(line) + 1)
