"""`cigen rules` lists the rules; `cigen explain` prints one rule's documentation.
"""

import sys
from typing import Annotated

import typer

from cigen.cli.app import RulesFormat, app, complete_rule, fail


@app.command()
def rules(
    output_format: Annotated[RulesFormat, typer.Option(
        "--format", help="Output format; markdown is the README's rules table, docs the "
                         "whole documentation (docs/rules.md).")
    ] = RulesFormat.text,
) -> None:
    """List every rule: code, name, severity, fixable, summary."""
    import json

    from cigen.lint.rules import all_rules

    if output_format is RulesFormat.docs:
        from cigen.lint.report.rules_table import render_rules_document

        sys.stdout.write(render_rules_document(all_rules()))
        return
    if output_format is RulesFormat.markdown:
        from cigen.lint.report.rules_table import render_rules_table

        sys.stdout.write(render_rules_table(all_rules()))
        return
    if output_format is RulesFormat.json:
        typer.echo(json.dumps([
            {"code": rule.code, "name": rule.name, "severity": str(rule.severity),
             "fixable": rule.fixable, "summary": rule.summary, "url": rule.url}
            for rule in all_rules()], indent=2))
        return
    width = max(len(rule.name) for rule in all_rules())
    for rule in all_rules():
        fixable = "fix" if rule.fixable else "   "
        typer.echo(f"{rule.code}  {rule.name:<{width}}  {rule.severity!s:<7}  {fixable}  "
                   f"{rule.summary}")


@app.command()
def explain(rule: Annotated[str, typer.Argument(help="Rule name or code.",
                                                autocompletion=complete_rule)]) -> None:
    """Show a rule's documentation with its examples."""
    from cigen.lint.rules import find_rule

    found = find_rule(rule)
    if found is None:
        raise fail(f"unknown rule '{rule}' (see `cigen rules`)")
    typer.echo(f"{found.code} {found.name} ({found.severity}"
               f"{', fixable' if found.fixable else ''})\n")
    typer.echo(found.doc)
    typer.echo(f"\nDocumentation: {found.url}")


