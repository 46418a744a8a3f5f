"""The command line: ``cigen lint``, ``cigen rules``, ``cigen explain``.

Thin on purpose: options are parsed here and handed to :mod:`cigen.lint` and
the report modules. Exit codes: 0 nothing at or above the failure threshold,
1 findings at or above it, 2 usage or I/O errors.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from typing import Annotated

import typer

from cigen import __version__

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

app = typer.Typer(
    name="cigen",
    help="Generate and lint GitLab CI pipelines that build container images.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class Threshold(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"cigen: error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cigen {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Generate and lint GitLab CI pipelines that build container images."""


def _rule_keys(values: list[str] | None, option: str) -> frozenset[str]:
    from cigen.rules import find_rule

    keys: set[str] = set()
    for value in values or []:
        for key in value.split(","):
            key = key.strip()
            if not key:
                continue
            rule = find_rule(key)
            if rule is None:
                raise _fail(f"{option}: unknown rule '{key}' (see `cigen rules`)")
            keys.add(rule.name)
    return frozenset(keys)


@app.command()
def lint(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Files or directories to check; '-' reads standard input. "
             "Default: .gitlab-ci.yml in the current directory.")] = None,
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", help="Output format.")] = OutputFormat.text,
    fail_on: Annotated[Threshold, typer.Option(
        "--fail-on", help="Lowest severity that makes the exit code 1.")] = Threshold.warning,
    root_dir: Annotated[str | None, typer.Option(
        "--root", help="Repository root for local includes (default: the git top level).")
    ] = None,
    select: Annotated[list[str] | None, typer.Option(
        "--select", help="Only these rules (names or codes, comma-separated).")] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", help="Skip these rules (names or codes, comma-separated).")] = None,
    no_ignores: Annotated[bool, typer.Option(
        "--no-ignores", help="Ignore inline `# cigen: ignore[...]` comments.")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Print findings only, no summary.")] = False,
    stdin_filename: Annotated[str | None, typer.Option(
        "--stdin-filename", help="Name to report for standard input.")] = None,
) -> None:
    """Check GitLab CI files and runner config.toml files."""
    from cigen.findings import Severity
    from cigen.lint import LintOptions, UsageError, lint_paths
    from cigen.report import renderer

    if root_dir is not None and not os.path.isdir(root_dir):
        raise _fail(f"--root {root_dir}: not a directory")
    targets = paths or [".gitlab-ci.yml"]
    options = LintOptions(
        root=root_dir,
        select=_rule_keys(select, "--select") if select else None,
        ignore=_rule_keys(ignore, "--ignore"),
        no_ignores=no_ignores,
        stdin_filename=stdin_filename,
    )
    try:
        report = lint_paths(targets, options)
    except UsageError as error:
        raise _fail(str(error)) from None
    colour = (output_format is OutputFormat.text and sys.stdout.isatty()
              and not os.environ.get("NO_COLOR"))
    text = renderer(output_format.value)(report, colour)
    if quiet and output_format is OutputFormat.text:
        text = "".join(line + "\n" for line in text.splitlines()[:-1])
    sys.stdout.write(text)
    for message in report.internal_errors:
        typer.echo(f"cigen: internal error: {message}", err=True)
    if report.internal_errors:
        raise typer.Exit(EXIT_USAGE)
    if report.fails(Severity.parse(fail_on.value)):
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def rules(
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", help="Output format.")] = OutputFormat.text,
) -> None:
    """List every rule: code, name, severity, fixable, summary."""
    import json

    from cigen.rules import all_rules

    if output_format is OutputFormat.json:
        typer.echo(json.dumps([
            {"code": rule.code, "name": rule.name, "severity": str(rule.severity),
             "fixable": rule.fixable, "summary": rule.summary}
            for rule in all_rules()], indent=2))
        return
    width = max(len(rule.name) for rule in all_rules())
    for rule in all_rules():
        fixable = "fix" if rule.fixable else "   "
        typer.echo(f"{rule.code}  {rule.name:<{width}}  {rule.severity!s:<7}  {fixable}  "
                   f"{rule.summary}")


@app.command()
def explain(rule: Annotated[str, typer.Argument(help="Rule name or code.")]) -> None:
    """Show a rule's documentation with its examples."""
    from cigen.rules import find_rule

    found = find_rule(rule)
    if found is None:
        raise _fail(f"unknown rule '{rule}' (see `cigen rules`)")
    typer.echo(f"{found.code} {found.name} ({found.severity}"
               f"{', fixable' if found.fixable else ''})\n")
    typer.echo(found.doc)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
