"""`cigen expand` prints the merged pipeline that :mod:`cigen.gitlab.expand` builds.
"""

import os
import sys
from typing import Annotated

import typer

from cigen.cli.app import EXIT_FINDINGS, app, fail


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
    remote: Annotated[bool | None, typer.Option(
        "--remote/--no-remote", show_default=False,
        help="Read project:, component:, template: and remote: includes from GitLab; "
             "--no-remote never does, whatever `remote = true` in the configuration says. "
             "Unless asked, cigen never uses the network.")] = None,
    gitlab_url: Annotated[str | None, typer.Option(
        "--gitlab-url", metavar="URL",
        help="GitLab instance for --remote [default: CI_SERVER_URL, else https://gitlab.com].")
    ] = None,
    cache_dir: Annotated[str | None, typer.Option(
        "--cache-dir", metavar="DIR", help="With --remote, keep fetched files in DIR/gitlab.")
    ] = None,
) -> None:
    """Print the fully merged configuration: includes, anchors, !reference, extends and
    default: applied. Problems that stop resolution go to standard error (exit 1)."""
    from cigen.gitlab.expand import ExpandError, expanded_config, load, missing_notes, render
    from cigen.lint.report.escaping import visible

    if output_format not in ("yaml", "json"):
        raise fail(f"--format: expected yaml or json, not '{output_format}'")
    if root_dir is not None and not os.path.isdir(root_dir):
        raise fail(f"--root {root_dir}: not a directory")
    if remote is None:
        remote = _configured_remote(path)
    connection = None
    if remote:
        from cigen.remote.cache import directory_for
        from cigen.remote.client import Connection

        kept = None if os.environ.get("CIGEN_NO_CACHE") else directory_for(cache_dir)
        connection = Connection.from_environment(gitlab_url, kept)
    try:
        pipeline, problems = load(path, root_dir, connection)
    except ExpandError as error:
        raise fail(str(error)) from None
    for problem in problems:
        # Paths, job names and messages quote the file: shown escaped, one line each.
        typer.echo(visible(f"{problem.span.path}:{problem.span.line}:{problem.span.column}: "
                           f"{problem.rule}: {problem.message}"), err=True)
    if pipeline is not None:
        for note in missing_notes(pipeline, remote):
            typer.echo(visible(f"{note.span.path}:{note.span.line}:{note.span.column}: note: "
                               f"{note.message}"), err=True)
        sys.stdout.write(render(expanded_config(pipeline, keep_hidden), output_format))
    if problems or pipeline is None:
        raise typer.Exit(EXIT_FINDINGS)


def _configured_remote(path: str) -> bool:
    """``remote`` in the configuration `cigen lint` would use for ``path``: the nearest
    cigen.toml or pyproject.toml with [tool.cigen] above it. A configuration that
    cannot be used is an error, as it is for `cigen lint`."""
    from cigen.lint.settings import ConfigError, find_config, load_settings

    config = find_config(os.getcwd() if path == "-" else path)
    if config is None:
        return False
    try:
        return load_settings(config).remote
    except ConfigError as error:
        raise fail(str(error)) from None
