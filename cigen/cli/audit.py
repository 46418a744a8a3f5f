"""`cigen audit` and `cigen audit merge`: options parsed and handed to :mod:`cigen.audit.run`.
"""

import os
from typing import Annotated

import typer

from cigen.cli.app import app

audit_app = typer.Typer(
    help="Lint every project of a GitLab group and write one report (audit.json, audit.csv, "
         "audit.html).",
    no_args_is_help=False, rich_markup_mode=None)


@audit_app.callback(invoke_without_command=True)
def audit(
    context: typer.Context,
    group: Annotated[str | None, typer.Option(
        "--group", metavar="GROUP", help="The group whose projects are audited (its path).")
    ] = None,
    include_subgroups: Annotated[bool, typer.Option(
        "--include-subgroups", help="Also audit the projects of its subgroups.")] = False,
    archived: Annotated[bool, typer.Option(
        "--archived", help="Also audit archived projects.")] = False,
    output_dir: Annotated[str | None, typer.Option(
        "--output-dir", metavar="DIR", help="Where the report files are written.")] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Skip the projects already in DIR's report (an interrupted audit).")
    ] = False,
    jobs: Annotated[int, typer.Option(
        "--jobs", metavar="N", help="Projects fetched at once.")] = 4,
    shard: Annotated[str | None, typer.Option(
        "--shard", metavar="I/N",
        help="Audit the I-th of N shares of the projects [default: CI_NODE_INDEX/"
             "CI_NODE_TOTAL of a parallel: job, else all].")] = None,
    gitlab_url: Annotated[str | None, typer.Option(
        "--gitlab-url", metavar="URL",
        help="GitLab instance [default: CI_SERVER_URL, else https://gitlab.com].")] = None,
    cache_dir: Annotated[str | None, typer.Option(
        "--cache-dir", metavar="DIR", help="Keep fetched files in DIR/gitlab.")] = None,
) -> None:
    """Lint every project of a GitLab group at its default branch, includes resolved."""
    if context.invoked_subcommand is not None:
        return
    from cigen.cli.app import fail

    if group is None or output_dir is None:
        raise fail("cigen audit needs --group GROUP and --output-dir DIR")
    from cigen.audit.run import AuditRequest, run_audit
    from cigen.remote.cache import directory_for
    from cigen.remote.client import Connection

    kept = None if os.environ.get("CIGEN_NO_CACHE") else directory_for(cache_dir)
    connection = Connection.from_environment(gitlab_url, kept)
    code = run_audit(AuditRequest(group, output_dir, include_subgroups, archived, resume, jobs,
                                  shard), connection)
    if code:
        raise typer.Exit(code)


@audit_app.command()
def merge(
    shard_dirs: Annotated[list[str], typer.Argument(
        metavar="SHARD_DIR...", help="Output directories of the shards.")],
    output_dir: Annotated[str, typer.Option(
        "--output-dir", metavar="DIR", help="Where the merged report is written.")],
) -> None:
    """Join the reports of `cigen audit --shard` runs into one."""
    from cigen.audit.run import run_merge

    code = run_merge(output_dir, shard_dirs)
    if code:
        raise typer.Exit(code)


app.add_typer(audit_app, name="audit")
