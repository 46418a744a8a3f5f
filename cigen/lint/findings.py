"""Findings: what a rule reports, and how findings are ordered and merged.

A finding is tied to one :class:`~cigen.source.positions.Span` (where the offending
text was written) and lists the jobs it affects. Several jobs that inherit the
same problem from one template produce one finding with all their names.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from cigen.lint.fix import Fix
from cigen.source.positions import Span


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r} (expected error, warning or info)") from None

    def __str__(self) -> str:
        return self.name.lower()


class Finding:
    __slots__ = ("code", "fix", "fixable", "group", "jobs", "line_text", "message", "origin",
                 "rule", "severity", "span")

    code: str
    rule: str
    severity: Severity
    message: str
    span: Span
    jobs: list[str]
    fixable: bool
    line_text: str
    """The source line the finding points at, as written (for excerpts)."""
    origin: str
    """How the offending value reaches the jobs when they did not write it
    (``extends .docker-base at ci/templates.yml:4``), or nothing."""
    fix: Fix | None
    group: str
    """Findings fixed together or not at all (see ``Hit.group``); empty for most."""

    def __init__(self, code: str, rule: str, severity: Severity, message: str, span: Span,
                 jobs: list[str] | None = None, fixable: bool = False, line_text: str = "",
                 fix: Fix | None = None) -> None:
        self.code = code
        self.rule = rule
        self.severity = severity
        self.message = message
        self.span = span
        self.jobs = [] if jobs is None else jobs
        self.fixable = fixable
        self.line_text = line_text
        self.origin = ""
        self.fix = fix
        self.group = ""

    @property
    def snippet(self) -> str:
        """The source line without surrounding white space (fingerprints read it)."""
        return self.line_text.strip()

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.span.path, self.span.line, self.span.column, self.code, self.message)


def merge_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Collapse findings of one rule at one place into one, uniting their jobs.

    Hidden jobs (``.name``) are listed only when no visible job is affected.
    """
    merged: dict[tuple[str, str, int, int, str], Finding] = {}
    for finding in findings:
        key = (finding.rule, finding.span.path, finding.span.line, finding.span.column,
               finding.message)
        existing = merged.get(key)
        if existing is None:
            merged[key] = Finding(finding.code, finding.rule, finding.severity, finding.message,
                                  finding.span, list(finding.jobs), finding.fixable,
                                  finding.line_text, finding.fix)
            merged[key].origin = finding.origin
        else:
            for job in finding.jobs:
                if job not in existing.jobs:
                    existing.jobs.append(job)
    result = []
    for finding in merged.values():
        visible = [job for job in finding.jobs if not job.startswith(".")]
        finding.jobs = sorted(visible or finding.jobs)
        result.append(finding)
    result.sort(key=Finding.sort_key)
    return result
