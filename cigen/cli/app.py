"""The ``cigen`` application object, its global options and what commands share.

Each command lives in a module of its own beside this one and registers
itself on :data:`app` when imported (:func:`cigen.cli.main` imports them).
Exit codes: 0 nothing at or above the failure threshold, 1 findings at or
above it, 2 usage or I/O errors.
"""

from enum import StrEnum
from typing import Annotated

import typer

from cigen import __version__

EXIT_FINDINGS = 1
EXIT_USAGE = 2

app = typer.Typer(
    name="cigen",
    help="Generate and lint GitLab CI pipelines that build container images.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help texts are plain: with rich markup on, "[tool.cigen]" or "[default: warning]"
    # in a help string would be read as a markup tag and vanish from the output.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(StrEnum):
    full = "full"
    concise = "concise"
    text = "text"
    json = "json"
    codequality = "codequality"
    sarif = "sarif"
    junit = "junit"
    github = "github"


class RulesFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    docs = "docs"


class Colour(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


class Threshold(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"


def complete_rule(incomplete: str) -> list[str]:
    """Rule names (and codes) for shell completion; the last of a comma-separated list."""
    from cigen.lint.rules import all_rules

    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    return [prefix + key for rule in all_rules() for key in (rule.name, rule.code)
            if key.lower().startswith(last.lower())]


def fail(message: str) -> typer.Exit:
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
