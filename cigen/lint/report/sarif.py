"""``--format sarif``: a SARIF 2.1.0 log for code-scanning dashboards.

One run whose driver lists every rule — ``id`` is the rule code (``CG107``),
``name`` the rule name, the help text the rule's full documentation — and one
result per finding, pointing at the region where the problem was written.
Columns count Unicode code points, as cigen's positions do, and end columns
are exclusive, as SARIF's are. Each result also carries the finding's stable
fingerprint so uploads of later commits recognise it.

The log is built as plain dictionaries: the format is a fixed tree of a dozen
fields, and the SARIF object-model packages would add a dependency without
removing any of the code below. The test suite validates the output against
the official OASIS schema.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cigen import __version__
from cigen.lint.engine import LintReport
from cigen.lint.findings import Severity
from cigen.lint.report.escaping import json_text
from cigen.lint.report.fingerprints import SCHEME, fingerprints
from cigen.lint.report.locations import report_uri
from cigen.lint.report.text import describe
from cigen.lint.rules import HOMEPAGE, Rule, all_rules

if TYPE_CHECKING:
    from cigen.lint.report import RenderOptions

SCHEMA_URI = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
              "sarif-schema-2.1.0.json")
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _what_it_does(rule: Rule) -> str:
    """The doc's ``## What it does`` section as one paragraph, else its title line."""
    _, found, rest = rule.doc.partition("## What it does\n")
    if not found:
        return rule.doc.partition("\n")[0]
    section = rest.split("\n## ", 1)[0]
    return " ".join(section.split())


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _what_it_does(rule)},
        "help": {"text": rule.doc, "markdown": rule.doc},
        "helpUri": rule.url,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
    }


def render(report: LintReport, options: RenderOptions) -> str:
    rules = all_rules()
    index = {rule.name: position for position, rule in enumerate(rules)}
    results = []
    for finding, fingerprint in zip(report.findings, fingerprints(report.findings),
                                    strict=True):
        span = finding.span
        results.append({
            # Another tool's code (ShellCheck's SC2086) is a sub-rule of cigen's rule.
            "ruleId": finding.code if finding.code == rules[index[finding.rule]].code
            else f"{rules[index[finding.rule]].code}/{finding.code}",
            "ruleIndex": index[finding.rule],
            "level": LEVELS[finding.severity],
            "message": {"text": json_text(describe(finding))},
            "locations": [{
                "physicalLocation": {
                    # A file fetched from GitLab: its stable address at the commit read.
                    "artifactLocation": {"uri": f"{report.web_urls[span.path]}#L{span.line}"
                                         if span.path in report.web_urls
                                         else report_uri(span.path)},
                    "region": {
                        "startLine": span.line,
                        "startColumn": span.column,
                        "endLine": span.end_line,
                        "endColumn": span.end_column,
                    },
                },
            }],
            "partialFingerprints": {SCHEME: fingerprint},
            "properties": {"jobs": [json_text(job) for job in finding.jobs]},
        })
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cigen",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": HOMEPAGE,
                "rules": [_rule_descriptor(rule) for rule in rules],
            }},
            "invocations": [{"executionSuccessful": not report.internal_errors}],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"
