"""`cigen lint`: options parsed into a :class:`cigen.lint.run.LintRequest`.

Everything the run does once the options are parsed is in :mod:`cigen.lint.run`.
"""

from typing import Annotated

import typer

from cigen.cli.app import OutputFormat, Threshold, app


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
    from cigen.lint.run import LintRequest, run_lint

    request = LintRequest(
        paths=paths or [], output_format=output_format.value, output=output,
        fail_on=fail_on.value if fail_on is not None else None, root=root_dir, select=select,
        extend_select=extend_select, ignore=ignore, exclude=exclude, fix=fix, diff=diff,
        unsafe_fixes=unsafe_fixes, no_ignores=no_ignores, require_reason=require_reason,
        config=config, isolated=isolated, quiet=quiet, stdin_filename=stdin_filename)
    code = run_lint(request)
    if code:
        raise typer.Exit(code)
