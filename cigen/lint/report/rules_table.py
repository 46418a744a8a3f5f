"""The rule catalogue as Markdown: ``cigen rules --format markdown`` (a table)
and ``cigen rules --format docs`` (every rule's documentation).

The README's rules table is the first, pasted between its
``<!-- rules:start -->`` markers; ``docs/rules.md`` is the second, whose
headings give each rule the stable address SARIF and ``cigen explain`` link
to. The test suite keeps both identical to what cigen prints.
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


def render_rules_document(rules: Iterable[Rule]) -> str:
    """Every rule under a ``## CODE name`` heading, its module documentation below,
    the headings shifted one level down."""
    parts = ["# cigen rules\n\n",
             "Generated from the rule modules by `cigen rules --format docs`; "
             "`cigen explain RULE` prints the same text.\n"]
    for rule in rules:
        title, _, body = rule.doc.partition("\n")
        body = "\n".join(f"#{line}" if line.startswith("## ") else line
                         for line in body.splitlines())
        fixable = ", fixable" if rule.fixable else ""
        parts.append(f"\n## {rule.code} {rule.name}\n\n"
                     f"*{rule.severity}{fixable}* — {title}\n{body.rstrip()}\n")
    return "".join(parts)
