"""The default terminal format: ``path:line:col: CODE rule message (job: x)`` and a summary.

The summary counts findings by severity and, when any can be fixed
automatically, how many; colour is applied only when the caller asks for it.
Paths, job names and messages are shown through
:func:`~cigen.lint.report.escaping.visible`: a checked file must not be able
to drive the terminal or split one finding over several lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cigen.lint.engine import LintReport
from cigen.lint.findings import Finding, Severity
from cigen.lint.report.escaping import visible

if TYPE_CHECKING:
    from cigen.lint.report import RenderOptions

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD = "\033[1m"
_RESET = "\033[0m"
_JOBS_SHOWN = 5


def jobs_suffix(finding: Finding) -> str:
    """`` (job: build)`` / `` (jobs: a, b, +3 more)``, or nothing when no job is named."""
    if not finding.jobs:
        return ""
    label = "job" if len(finding.jobs) == 1 else "jobs"
    shown = finding.jobs[:_JOBS_SHOWN]
    hidden = len(finding.jobs) - len(shown)
    more = f", +{hidden} more" if hidden else ""
    return f" ({label}: {', '.join(shown)}{more})"


def describe(finding: Finding) -> str:
    """The finding's message with the jobs it affects, as every format shows it."""
    return finding.message + jobs_suffix(finding)


def format_finding(finding: Finding, colour: bool) -> str:
    span = finding.span
    location = f"{visible(span.path)}:{span.line}:{span.column}:"
    code = f"{finding.code} {finding.rule}"
    if colour:
        location = f"{_BOLD}{location}{_RESET}"
        code = f"{_COLOURS[finding.severity]}{code}{_RESET}"
    return f"{location} {code} {visible(describe(finding))}"


def _files(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''}"


def summary(report: LintReport) -> str:
    if not report.findings:
        return f"No problems found in {_files(len(report.files))}."
    # The files the findings are in, which includes reach: not the files named.
    with_findings = _files(len({finding.span.path for finding in report.findings}))
    parts = []
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        count = report.count(severity)
        if count:
            name = str(severity) if severity is Severity.INFO or count == 1 else f"{severity}s"
            parts.append(f"{count} {name}")
    total = len(report.findings)
    line = (f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(parts)}) "
            f"in {with_findings}")
    fixable = sum(1 for finding in report.findings if finding.fixable)
    if fixable:
        line += f"; {fixable} fixable with --fix"
    return line + "."


def render(report: LintReport, options: RenderOptions) -> str:
    lines = [format_finding(finding, options.colour) for finding in report.findings]
    if options.summary:
        lines.append(summary(report))
    return "".join(line + "\n" for line in lines)
