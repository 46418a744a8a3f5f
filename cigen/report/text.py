"""The default terminal format: ``path:line:col: CODE rule message (job: x)`` and a summary."""

from __future__ import annotations

from cigen.findings import Finding, Severity
from cigen.lint import LintReport

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD = "\033[1m"
_RESET = "\033[0m"


def format_finding(finding: Finding, colour: bool) -> str:
    span = finding.span
    jobs = ""
    if finding.jobs:
        label = "job" if len(finding.jobs) == 1 else "jobs"
        shown = finding.jobs[:5]
        more = f", +{len(finding.jobs) - 5} more" if len(finding.jobs) > 5 else ""
        jobs = f" ({label}: {', '.join(shown)}{more})"
    location = f"{span.path}:{span.line}:{span.column}:"
    code = f"{finding.code} {finding.rule}"
    if colour:
        location = f"{_BOLD}{location}{_RESET}"
        code = f"{_COLOURS[finding.severity]}{code}{_RESET}"
    return f"{location} {code} {finding.message}{jobs}"


def summary(report: LintReport) -> str:
    files = len(report.files)
    checked = f"{files} file{'s' if files != 1 else ''}"
    if not report.findings:
        return f"No problems found in {checked}."
    parts = []
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        count = report.count(severity)
        if count:
            name = str(severity) if severity is Severity.INFO or count == 1 else f"{severity}s"
            parts.append(f"{count} {name}")
    total = len(report.findings)
    return f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(parts)}) in {checked}."


def render(report: LintReport, colour: bool) -> str:
    lines = [format_finding(finding, colour) for finding in report.findings]
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
