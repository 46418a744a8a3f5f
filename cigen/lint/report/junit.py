"""``--format junit``: JUnit XML for GitLab's test report widget and other CI dashboards.

One ``<testsuite>`` per file and, inside it, one ``<testcase>`` per rule that
reported something in that file, named ``CODE rule``. A test case fails when
any of its findings is at or above the ``--fail-on`` threshold, so the widget
agrees with the job's exit code; the findings below it are listed in the
case's ``<system-out>`` and the case passes. A file without findings is one
passing ``lint`` case, so the widget counts every checked file.

Paths in attributes keep what the file system holds, except the characters
XML 1.0 cannot carry at all (see :func:`~cigen.lint.report.escaping.xml_text`),
so the widget can still link a case to its file; controls and bidirectional
marks XML does allow are written as character references, so the document
printed to a terminal or a job log cannot drive it. The messages are the lines
of ``--format text``, escaped for display in the same way.

Written with the standard library's ElementTree: the document is three element
types deep, and a JUnit library would be a runtime dependency of every
installation (pre-commit hooks included) for one optional format.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from cigen.lint.engine import LintReport
from cigen.lint.findings import Finding
from cigen.lint.report.escaping import visible, xml_references, xml_text
from cigen.lint.report.locations import report_path
from cigen.lint.report.text import format_finding

if TYPE_CHECKING:
    from cigen.lint.report import RenderOptions

CLEAN_CASE = "lint"


def _file_order(report: LintReport) -> list[str]:
    """Checked files in command-line order, then files only reached through includes."""
    paths = list(dict.fromkeys(report_path(path) for path in report.files))
    included = {report_path(finding.span.path) for finding in report.findings} - set(paths)
    return paths + sorted(included)


def _case(suite: ElementTree.Element, path: str, name: str) -> ElementTree.Element:
    shown = xml_text(path)
    return ElementTree.SubElement(suite, "testcase",
                                  {"classname": shown, "name": name, "file": shown, "time": "0"})


def render(report: LintReport, options: RenderOptions) -> str:
    by_file: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in report.findings:
        by_file[report_path(finding.span.path)][f"{finding.code} {finding.rule}"].append(finding)

    root = ElementTree.Element("testsuites", {"name": "cigen lint"})
    total_cases = total_failures = 0
    for path in _file_order(report):
        suite = ElementTree.SubElement(root, "testsuite", {"name": xml_text(path)})
        cases = by_file.get(path, {})
        failures = 0
        for name in sorted(cases):
            case = _case(suite, path, name)
            failing = [finding for finding in cases[name] if finding.severity >= options.fail_on]
            passing = [finding for finding in cases[name] if finding.severity < options.fail_on]
            if failing:
                failures += 1
                count = len(failing)
                message = (failing[0].message if count == 1
                           else f"{count} findings of {failing[0].rule}")
                failure = ElementTree.SubElement(
                    case, "failure",
                    {"type": str(failing[0].severity), "message": visible(message)})
                failure.text = "\n".join(format_finding(finding, False) for finding in failing)
            if passing:
                output = ElementTree.SubElement(case, "system-out")
                output.text = "\n".join(format_finding(finding, False) for finding in passing)
        if not cases:
            _case(suite, path, CLEAN_CASE)
        tests = max(len(cases), 1)
        suite.attrib.update({"tests": str(tests), "failures": str(failures), "errors": "0",
                             "skipped": "0", "time": "0"})
        total_cases += tests
        total_failures += failures
    root.attrib.update({"tests": str(total_cases), "failures": str(total_failures),
                        "errors": "0", "time": "0"})
    ElementTree.indent(root)
    body = xml_references(ElementTree.tostring(root, encoding="unicode"))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
