"""`cigen lint`: options parsed into a :class:`cigen.lint.run.LintRequest`.

Everything the run does once the options are parsed is in :mod:`cigen.lint.run`.
"""

from typing import Annotated

import typer

from cigen.cli.app import Colour, OutputFormat, Threshold, app, complete_rule


@app.command()
def lint(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Files or directories to check; '-' reads standard input. "
             "Default: .gitlab-ci.yml in the current directory.")] = None,
    output_format: Annotated[OutputFormat | None, typer.Option(
        "--format", "--output-format",
        help="Output format [default: full on a terminal, concise otherwise; "
             "text is concise].")] = None,
    colour: Annotated[Colour, typer.Option(
        "--color", help="Colour the terminal formats: auto (a terminal, unless NO_COLOR is "
                        "set or FORCE_COLOR asks for it), always or never.")] = Colour.auto,
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
        "--select", help="Only these rules (names or codes, comma-separated).",
        autocompletion=complete_rule)] = None,
    extend_select: Annotated[list[str] | None, typer.Option(
        "--extend-select", help="Rules added to the selection.",
        autocompletion=complete_rule)] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", help="Skip these rules (names or codes, comma-separated).",
        autocompletion=complete_rule)] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", help="Skip files matching this glob pattern.")] = None,
    fix: Annotated[bool, typer.Option(
        "--fix", help="Apply safe fixes in place.")] = False,
    diff: Annotated[bool, typer.Option(
        "--diff", help="Print the fixes as a unified diff; write nothing.")] = False,
    add_ignore: Annotated[bool, typer.Option(
        "--add-ignore", help="Write a `# cigen: ignore[rule] TODO: ...` comment above every "
                             "current finding, to adopt cigen in one commit.")] = False,
    unsafe_fixes: Annotated[bool, typer.Option(
        "--unsafe-fixes", help="Also apply fixes that change behaviour.")] = False,
    no_ignores: Annotated[bool, typer.Option(
        "--no-ignores", help="Ignore inline `# cigen: ignore[...]` comments.")] = False,
    require_reason: Annotated[bool, typer.Option(
        "--require-reason", help="Suppression comments without a reason are errors.")] = False,
    config: Annotated[str | None, typer.Option(
        "--config", help="Configuration file for every linted file (default: for each file, "
                         "the nearest cigen.toml or pyproject.toml with [tool.cigen] above "
                         "it).")] = None,
    isolated: Annotated[bool, typer.Option(
        "--isolated", help="Ignore configuration files.")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Print findings only, no summary.")] = False,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Check every file afresh: neither read nor write the result "
                           "cache (.cigen_cache at the repository root).")] = False,
    cache_dir: Annotated[str | None, typer.Option(
        "--cache-dir", metavar="DIR",
        help="Keep the result cache in DIR (and, with --remote, fetched files in DIR/gitlab).")
    ] = None,
    exit_zero: Annotated[bool, typer.Option(
        "--exit-zero", help="Exit with 0 even when problems are found (2 still means cigen "
                            "could not run).")] = False,
    statistics: Annotated[bool, typer.Option(
        "--statistics", help="Print how many findings each rule has, and how many are "
                             "fixable, instead of the findings.")] = False,
    stdin_filename: Annotated[str | None, typer.Option(
        "--stdin-filename", help="Name to report for standard input.")] = None,
    remote: Annotated[bool | None, typer.Option(
        "--remote/--no-remote", show_default=False,
        help="Read project:, component:, template: and remote: includes from GitLab (token "
             "from CIGEN_GITLAB_TOKEN, GITLAB_TOKEN or CI_JOB_TOKEN); --no-remote never "
             "does, whatever `remote = true` in the configuration says. Unless asked, "
             "cigen never uses the network.")
    ] = None,
    gitlab_url: Annotated[str | None, typer.Option(
        "--gitlab-url", metavar="URL",
        help="GitLab instance for --remote [default: CI_SERVER_URL, else https://gitlab.com].")
    ] = None,
) -> None:
    """Check GitLab CI files and runner config.toml files."""
    from cigen.lint.run import LintRequest, run_lint

    request = LintRequest(
        paths=paths or [], output_format=output_format.value if output_format else None,
        output=output, colour=colour.value, exit_zero=exit_zero, statistics=statistics,
        add_ignore=add_ignore, no_cache=no_cache, cache_dir=cache_dir,
        fail_on=fail_on.value if fail_on is not None else None, root=root_dir, select=select,
        extend_select=extend_select, ignore=ignore, exclude=exclude, fix=fix, diff=diff,
        unsafe_fixes=unsafe_fixes, no_ignores=no_ignores, require_reason=require_reason,
        config=config, isolated=isolated, quiet=quiet, stdin_filename=stdin_filename,
        remote=remote, gitlab_url=gitlab_url)
    code = run_lint(request)
    if code:
        raise typer.Exit(code)
