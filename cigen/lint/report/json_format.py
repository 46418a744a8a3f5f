"""``--format json``: the documented, versioned machine-readable contract.

``{"version": 1, "findings": [{"code", "rule", "severity", "message", "path",
"line", "column", "end_line", "end_column", "jobs", "fixable"}]}``, sorted by
path and line; ``path`` is as given on the command line.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cigen.lint.engine import LintReport

if TYPE_CHECKING:
    from cigen.lint.report import RenderOptions

VERSION = 1


def render(report: LintReport, options: RenderOptions) -> str:
    findings = [
        {
            "code": finding.code,
            "rule": finding.rule,
            "severity": str(finding.severity),
            "message": finding.message,
            "path": finding.span.path,
            "line": finding.span.line,
            "column": finding.span.column,
            "end_line": finding.span.end_line,
            "end_column": finding.span.end_column,
            "jobs": finding.jobs,
            "fixable": finding.fixable,
        }
        for finding in report.findings
    ]
    return json.dumps({"version": VERSION, "findings": findings}, indent=2) + "\n"
