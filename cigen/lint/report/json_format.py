"""``--format json``: the documented, versioned machine-readable contract.

``{"version": 1, "findings": [{"code", "rule", "severity", "message", "path",
"line", "column", "end_line", "end_column", "jobs", "fixable"}]}``, sorted by
path and line; ``path`` is as given on the command line. Strings keep the
exact text, control characters included (JSON escapes them), except lone
surrogates from a file name that is not UTF-8, which no UTF-8 reader accepts.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cigen.lint.engine import LintReport
from cigen.lint.report.escaping import json_text

if TYPE_CHECKING:
    from cigen.lint.report import RenderOptions

VERSION = 1


def render(report: LintReport, options: RenderOptions) -> str:
    findings = [
        {
            "code": finding.code,
            "rule": finding.rule,
            "severity": str(finding.severity),
            "message": json_text(finding.message),
            "path": json_text(finding.span.path),
            "line": finding.span.line,
            "column": finding.span.column,
            "end_line": finding.span.end_line,
            "end_column": finding.span.end_column,
            "jobs": [json_text(job) for job in finding.jobs],
            "fixable": finding.fixable,
        }
        for finding in report.findings
    ]
    return json.dumps({"version": VERSION, "findings": findings}, indent=2) + "\n"
