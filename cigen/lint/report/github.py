"""``--format github``: GitHub Actions workflow commands that annotate the diff.

One ``::error``/``::warning``/``::notice`` line per finding, with the file,
the region and ``CODE rule`` as the title. Values are escaped as the runner
expects, so a message with ``%``, ``:`` or ``,`` arrives intact. Text from the
checked files first goes through
:func:`~cigen.lint.report.escaping.visible`: a line break or a control
character in a job name or path is shown as ``\\n`` or ``\\x1b``, so it can
neither start a workflow command of its own nor colour the job log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cigen.lint.engine import LintReport
from cigen.lint.findings import Severity
from cigen.lint.report.escaping import visible
from cigen.lint.report.locations import report_path
from cigen.lint.report.text import describe

if TYPE_CHECKING:
    from cigen.lint.report import RenderOptions

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    # visible() leaves no line break behind, so only "%" still needs the runner's escape.
    return visible(text).replace("%", "%25")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: LintReport, options: RenderOptions) -> str:
    lines = []
    for finding in report.findings:
        span = finding.span
        properties = {
            "file": report_path(span.path),
            "line": str(span.line),
            "col": str(span.column),
            "endLine": str(span.end_line),
            "endColumn": str(span.end_column),
            "title": f"{finding.code} {finding.rule}",
        }
        joined = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
        lines.append(f"::{COMMANDS[finding.severity]} {joined}::{_escape_data(describe(finding))}")
    return "".join(line + "\n" for line in lines)
