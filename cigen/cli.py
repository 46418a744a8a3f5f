"""The command line: ``cigen lint``, ``rules``, ``explain``, ``expand`` and ``init``.

Thin on purpose: options are parsed here and handed over as a request to
:mod:`cigen.lint_command` (possibly in the process that loaded the lint
engine meanwhile, see :mod:`cigen.launcher`) or :mod:`cigen.init_command`.
Exit codes: 0 nothing at or above the failure threshold, 1 findings at or
above it, 2 usage or I/O errors.
"""

import os
import sys
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
)


class OutputFormat(StrEnum):
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


@app.command()
def lint(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Files or directories to check; '-' reads standard input. "
             "Default: .gitlab-ci.yml in the current directory.")] = None,
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", help="Output format.")] = OutputFormat.text,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write the report to this file (replaced atomically) instead of standard output.")
    ] = None,
    fail_on: Annotated[Threshold | None, typer.Option(
        "--fail-on", help="Lowest severity that makes the exit code 1 [default: warning].")
    ] = None,
    root_dir: Annotated[str | None, typer.Option(
        "--root", help="Repository root for local includes (default: the git top level).")
    ] = None,
    select: Annotated[list[str] | None, typer.Option(
        "--select", help="Only these rules (names or codes, comma-separated).")] = None,
    extend_select: Annotated[list[str] | None, typer.Option(
        "--extend-select", help="Rules added to the selection.")] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", help="Skip these rules (names or codes, comma-separated).")] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", help="Skip files matching this glob pattern.")] = None,
    fix: Annotated[bool, typer.Option(
        "--fix", help="Apply safe fixes in place.")] = False,
    diff: Annotated[bool, typer.Option(
        "--diff", help="Print the fixes as a unified diff; write nothing.")] = False,
    unsafe_fixes: Annotated[bool, typer.Option(
        "--unsafe-fixes", help="Also apply fixes that change behaviour.")] = False,
    no_ignores: Annotated[bool, typer.Option(
        "--no-ignores", help="Ignore inline `# cigen: ignore[...]` comments.")] = False,
    require_reason: Annotated[bool, typer.Option(
        "--require-reason", help="Suppression comments without a reason are errors.")] = False,
    config: Annotated[str | None, typer.Option(
        "--config", help="Configuration file (default: cigen.toml or pyproject.toml with "
                         "[tool.cigen], looked for upward from the linted file).")] = None,
    isolated: Annotated[bool, typer.Option(
        "--isolated", help="Ignore configuration files.")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Print findings only, no summary.")] = False,
    stdin_filename: Annotated[str | None, typer.Option(
        "--stdin-filename", help="Name to report for standard input.")] = None,
) -> None:
    """Check GitLab CI files and runner config.toml files."""
    from cigen.launcher import hand_over
    from cigen.lint_command import LintRequest, run_lint

    request = LintRequest(
        paths=paths or [], output_format=output_format.value, output=output,
        fail_on=fail_on.value if fail_on is not None else None, root=root_dir, select=select,
        extend_select=extend_select, ignore=ignore, exclude=exclude, fix=fix, diff=diff,
        unsafe_fixes=unsafe_fixes, no_ignores=no_ignores, require_reason=require_reason,
        config=config, isolated=isolated, quiet=quiet, stdin_filename=stdin_filename)
    code = hand_over(request)
    if code is None:
        code = run_lint(request)
    if code:
        raise typer.Exit(code)


@app.command()
def rules(
    output_format: Annotated[RulesFormat, typer.Option(
        "--format", help="Output format; markdown is the README's rules table.")
    ] = RulesFormat.text,
) -> None:
    """List every rule: code, name, severity, fixable, summary."""
    import json

    from cigen.rules import all_rules

    if output_format is RulesFormat.markdown:
        from cigen.report.rules_table import render_rules_table

        sys.stdout.write(render_rules_table(all_rules()))
        return
    if output_format is RulesFormat.json:
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


@app.command()
def expand(
    path: Annotated[str, typer.Argument(help="Pipeline file; '-' reads standard input.")
                    ] = ".gitlab-ci.yml",
    output_format: Annotated[str, typer.Option(
        "--format", help="yaml or json.")] = "yaml",
    keep_hidden: Annotated[bool, typer.Option(
        "--keep-hidden", help="Also print hidden jobs (.name), after extends.")] = False,
    root_dir: Annotated[str | None, typer.Option(
        "--root", help="Repository root for local includes (default: the git top level).")
    ] = None,
) -> None:
    """Print the fully merged configuration: includes, anchors, !reference, extends and
    default: applied. Problems that stop resolution go to standard error (exit 1)."""
    from cigen.expand import ExpandError, expanded_config, load, render

    if output_format not in ("yaml", "json"):
        raise _fail(f"--format: expected yaml or json, not '{output_format}'")
    if root_dir is not None and not os.path.isdir(root_dir):
        raise _fail(f"--root {root_dir}: not a directory")
    try:
        pipeline, problems = load(path, root_dir)
    except ExpandError as error:
        raise _fail(str(error)) from None
    for problem in problems:
        typer.echo(f"{problem.span.path}:{problem.span.line}:{problem.span.column}: "
                   f"{problem.rule}: {problem.message}", err=True)
    if pipeline is not None:
        sys.stdout.write(render(expanded_config(pipeline, keep_hidden), output_format))
    if problems or pipeline is None:
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def init(
    strategy: Annotated[str | None, typer.Option(
        "--strategy", metavar="[shell|dind|socket|depot|buildkit|buildah]",
        help="How the image is built (default: buildkit).", show_default=False)] = None,
    image: Annotated[str | None, typer.Option(
        "--image", help="Repository to push to, without a tag (default: $CI_REGISTRY_IMAGE).",
        show_default=False)] = None,
    dockerfile: Annotated[str | None, typer.Option(
        "--dockerfile", help="Dockerfile path (default: Dockerfile).", show_default=False)
    ] = None,
    context: Annotated[str | None, typer.Option(
        "--context", help="Build context directory (default: .).", show_default=False)] = None,
    platform: Annotated[list[str] | None, typer.Option(
        "--platform", help="Target platform as os/arch; repeat for several.",
        show_default=False)] = None,
    cache: Annotated[bool | None, typer.Option(
        "--cache/--no-cache", help="Keep a layer cache between pipelines (default: on).",
        show_default=False)] = None,
    test_command: Annotated[str | None, typer.Option(
        "--test-command", help="Add a test job that runs this command in the built image.",
        show_default=False)] = None,
    release_latest: Annotated[bool | None, typer.Option(
        "--release-latest/--no-release-latest",
        help="Move :latest to the tested image on the default branch (default: on).",
        show_default=False)] = None,
    sbom: Annotated[bool | None, typer.Option(
        "--sbom/--no-sbom", help="Attach an SBOM attestation (dind, buildkit, depot).",
        show_default=False)] = None,
    provenance: Annotated[bool | None, typer.Option(
        "--provenance/--no-provenance",
        help="Attach a provenance attestation (dind, buildkit, depot).", show_default=False)
    ] = None,
    output: Annotated[str, typer.Option(
        "--output", "-o", help="Where to write the pipeline; '-' prints it.")
    ] = ".gitlab-ci.yml",
    runner_config: Annotated[str | None, typer.Option(
        "--runner-config", metavar="PATH",
        help="Also write the GitLab Runner config.toml settings the pipeline needs.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Write a .gitlab-ci.yml that builds, tests and pushes the repository's image.

    Options not given come from the tool.cigen.init table of pyproject.toml or the
    init table of cigen.toml; on a terminal with neither, cigen asks.
    """
    from pathlib import Path

    from cigen.init_command import InitError, InitRequest, InternalError, run_init

    given = {"strategy": strategy, "image": image, "dockerfile": dockerfile,
             "context": context, "platforms": platform, "cache": cache,
             "test_command": test_command, "release_latest": release_latest, "sbom": sbom,
             "provenance": provenance}
    request = InitRequest(
        options={name: value for name, value in given.items() if value is not None},
        output=output, runner_config=runner_config, force=force,
        may_ask=sys.stdin.isatty() and sys.stdout.isatty())
    try:
        notes = run_init(request, Path.cwd())
    except InitError as error:
        raise _fail(str(error)) from None
    except InternalError as error:
        typer.echo(f"cigen: internal error: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    for note in notes:
        typer.echo(f"cigen: {note}", err=True)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
