"""``--statistics``: how many findings each rule has, instead of the findings.

A table (count, code, ``[*]`` when every one of them is fixable, rule name,
severity), most frequent first, or the same as a JSON array with
``--format json``, for a team sizing what adopting cigen takes.
"""

from __future__ import annotations

import json
from typing import Any

from cigen.lint.engine import LintReport
from cigen.lint.findings import Finding


def _rows(report: LintReport) -> list[dict[str, Any]]:
    # By code as well: one rule reports the codes of another tool (ShellCheck's).
    by_rule: dict[tuple[str, str], list[Finding]] = {}
    for finding in report.findings:
        by_rule.setdefault((finding.rule, finding.code), []).append(finding)
    rows: list[dict[str, Any]] = [
        {"code": code, "rule": rule, "severity": str(found[0].severity),
         "count": len(found), "fixable": sum(1 for item in found if item.fixable)}
        for (rule, code), found in by_rule.items()]
    rows.sort(key=lambda row: (-row["count"], row["code"]))
    return rows


def render_statistics(report: LintReport, form: str) -> str:
    """The counts per rule as ``text`` or ``json``."""
    rows = _rows(report)
    if form == "json":
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return ""
    width = len(str(rows[0]["count"]))
    rule_width = max(len(row["rule"]) for row in rows)
    lines = []
    for row in rows:
        mark = "[*]" if row["fixable"] == row["count"] else \
            f"[{row['fixable']} fixable]" if row["fixable"] else ""
        lines.append(f"{row['count']:>{width}}  {row['code']}  {row['rule']:<{rule_width}}  "
                     f"{row['severity']:<7}  {mark}".rstrip())
    return "".join(line + "\n" for line in lines)
