"""``cigen rules --format markdown``: the rule catalogue as a Markdown table.

The README's rules table is this output, pasted between its
``<!-- rules:start -->`` markers; the test suite keeps the two identical.
"""

from __future__ import annotations

from collections.abc import Iterable

from cigen.lint.rules import Rule


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_rules_table(rules: Iterable[Rule]) -> str:
    rows = ["| code | name | severity | summary |", "|---|---|---|---|"]
    for rule in rules:
        rows.append(f"| {rule.code} | `{rule.name}` | {rule.severity} | {_cell(rule.summary)} |")
    return "".join(row + "\n" for row in rows)
