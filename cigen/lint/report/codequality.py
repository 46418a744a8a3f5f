"""``--format codequality``: GitLab's Code Quality report (a Code Climate subset).

A JSON array with one issue per finding, which GitLab shows in the merge
request widget and the diff when a job publishes it as
``artifacts: reports: codequality``. Severities map as error → ``critical``
(the pipeline is broken or exposes the runner host), warning → ``minor`` and
info → ``info``; ``major`` and ``blocker`` are left unused so that cigen's three
levels stay three distinct levels in GitLab's ordering. Text keeps what the
checked file wrote, as in ``--format json``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cigen.lint.engine import LintReport
from cigen.lint.findings import Severity
from cigen.lint.report.escaping import json_text
from cigen.lint.report.fingerprints import fingerprints
from cigen.lint.report.locations import report_path
from cigen.lint.report.text import describe

if TYPE_CHECKING:
    from cigen.lint.report import RenderOptions

SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(report: LintReport, options: RenderOptions) -> str:
    issues: list[dict[str, Any]] = []
    for finding, fingerprint in zip(report.findings, fingerprints(report.findings),
                                    strict=True):
        issues.append({
            "type": "issue",
            "engine_name": "cigen",
            "check_name": finding.rule,
            "description": json_text(f"{finding.code} {describe(finding)}"),
            "severity": SEVERITIES[finding.severity],
            "fingerprint": fingerprint,
            "location": {
                # A file fetched from GitLab is named by its address at the commit read.
                "path": json_text(f"{report.web_urls[finding.span.path]}#L{finding.span.line}"
                                  if finding.span.path in report.web_urls
                                  else report_path(finding.span.path)),
                "lines": {"begin": finding.span.line, "end": finding.span.end_line},
            },
        })
    return json.dumps(issues, indent=2) + "\n"
