"""The terminal formats: ``concise`` (one line per finding, also called ``text``)
and ``full`` (the line of the file with a caret under the offending span, the
jobs it affects and the fix on offer), each closed by a summary.

A concise line reads ``path:line:col: severity CODE [*] rule: message (job: x)``;
``[*]`` marks a finding ``--fix`` would fix. The summary counts findings by
severity and says how many are fixable, and how many more with
``--unsafe-fixes``. Colour is applied only when the caller asks for it.
Paths, job names, messages and quoted source lines are shown through
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
_BLUE = "\033[34m"
_DIM = "\033[2m"
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


def _paint(text: str, style: str, colour: bool) -> str:
    return f"{style}{text}{_RESET}" if colour else text


def _mark(finding: Finding) -> str:
    return " [*]" if finding.fixable else ""


def format_finding(finding: Finding, colour: bool) -> str:
    """One finding on one line (the ``concise`` format)."""
    span = finding.span
    location = _paint(f"{visible(span.path)}:{span.line}:{span.column}:", _BOLD, colour)
    severity = _paint(str(finding.severity), _COLOURS[finding.severity], colour)
    return (f"{location} {severity} {finding.code}{_mark(finding)} {finding.rule}: "
            f"{visible(describe(finding))}")


def format_full(finding: Finding, colour: bool) -> list[str]:
    """One finding as a block: the message, where it is, the line with a caret under
    the span, the jobs and the fix."""
    span = finding.span
    severity = _paint(f"{finding.severity}[{finding.code}]", _BOLD + _COLOURS[finding.severity],
                      colour)
    lines = [f"{severity}{_mark(finding)} {finding.rule}: {visible(finding.message)}"]
    number = str(span.line)
    gutter = " " * len(number)
    bar = _paint("|", _BLUE, colour)
    lines.append(f"{gutter}{_paint('-->', _BLUE, colour)} "
                 f"{visible(span.path)}:{span.line}:{span.column}")
    text = finding.line_text
    if text:
        start = min(max(span.column - 1, 0), len(text))
        end = span.end_column - 1 if span.end_line == span.line else len(text)
        end = min(max(end, start + 1), max(len(text), start + 1))
        indent = " " * len(visible(text[:start]))
        carets = "^" * max(len(visible(text[start:end])), 1)
        lines += [f"{gutter} {bar}",
                  f"{_paint(number, _BLUE, colour)} {bar} {visible(text)}",
                  f"{gutter} {bar} {indent}{_paint(carets, _COLOURS[finding.severity], colour)}"]
    if finding.jobs:
        label = "job" if len(finding.jobs) == 1 else "jobs"
        lines.append(f"{gutter} {_paint('=', _BLUE, colour)} {label}: "
                     f"{visible(', '.join(finding.jobs))}")
    if finding.origin:
        lines.append(f"{gutter} {_paint('=', _BLUE, colour)} via {visible(finding.origin)}")
    if finding.fix is not None:
        how = ("safe, applied by --fix" if finding.fix.safe else
               "unsafe, applied by --fix --unsafe-fixes")
        lines.append(f"{gutter} {_paint('=', _BLUE, colour)} fix: "
                     f"{visible(finding.fix.description)} ({how})")
    return lines


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
    unsafe = sum(1 for finding in report.findings
                 if finding.fix is not None and not finding.fixable)
    if fixable:
        line += f"; {fixable} fixable with --fix"
    if unsafe:
        line += (f" ({unsafe} more with --unsafe-fixes)" if fixable else
                 f"; {unsafe} fixable with --fix --unsafe-fixes")
    return line + "."


def render(report: LintReport, options: RenderOptions) -> str:
    """The ``concise`` format."""
    lines = [format_finding(finding, options.colour) for finding in report.findings]
    if options.summary:
        lines.append(summary(report))
    return "".join(line + "\n" for line in lines)


def render_full(report: LintReport, options: RenderOptions) -> str:
    """The ``full`` format: a block per finding, a blank line between blocks."""
    lines: list[str] = []
    for finding in report.findings:
        lines += format_full(finding, options.colour)
        lines.append("")
    if options.summary:
        lines.append(summary(report))
    return "".join(line + "\n" for line in lines)
