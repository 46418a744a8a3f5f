"""The command line: ``cigen lint``, ``cigen rules``, ``cigen explain``.

Thin on purpose: options are parsed here and handed to :mod:`cigen.lint` and
the report modules. Exit codes: 0 nothing at or above the failure threshold,
1 findings at or above it, 2 usage or I/O errors.
"""

import os
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from cigen import __version__

if TYPE_CHECKING:
    from cigen.lint import LintOptions

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


def _rule_keys(values: list[str] | None, option: str) -> frozenset[str]:
    from cigen.rules import find_rules

    keys: set[str] = set()
    for value in values or []:
        for key in value.split(","):
            key = key.strip()
            if not key:
                continue
            rules = find_rules(key)
            if not rules:
                raise _fail(f"{option}: unknown rule '{key}' (see `cigen rules`)")
            keys.update(rule.name for rule in rules)
    return frozenset(keys)


def _lint_options(targets: list[str], config: str | None, isolated: bool, *,
                  root: str | None, select: list[str] | None, extend_select: list[str] | None,
                  ignore: list[str] | None, exclude: list[str] | None, no_ignores: bool,
                  stdin_filename: str | None, unsafe_fixes: bool, require_reason: bool,
                  ) -> tuple['LintOptions', str | None]:
    """The options in force: the configuration file's keys, with the flags on top."""
    from cigen.findings import Severity
    from cigen.lint import LintOptions
    from cigen.settings import ConfigError, Settings, find_config, load_settings

    settings = Settings()
    if not isolated:
        start = next((target for target in targets if target != "-"), ".")
        path = config or find_config(start)
        if config is not None and not os.path.isfile(config):
            raise _fail(f"--config {config}: no such file")
        if path is not None:
            try:
                settings = load_settings(path)
            except ConfigError as error:
                raise _fail(str(error)) from None

    def rules_from_config(values: frozenset[str] | list[str], key: str) -> frozenset[str]:
        return _rule_keys(sorted(values), f"{settings.path}: {key}")

    selected = (_rule_keys(select, "--select") if select else
                rules_from_config(settings.select, "select") if settings.select is not None
                else None)
    options = LintOptions(
        root=root,
        select=selected,
        extend_select=rules_from_config(settings.extend_select, "extend-select")
        | _rule_keys(extend_select, "--extend-select"),
        ignore=rules_from_config(settings.ignore, "ignore") | _rule_keys(ignore, "--ignore"),
        no_ignores=no_ignores,
        stdin_filename=stdin_filename,
        unsafe_fixes=unsafe_fixes or settings.unsafe_fixes,
        require_reason=require_reason or settings.require_reason,
        severity={next(iter(rules_from_config([name], f"severity.{name}"))):
                  Severity.parse(value) for name, value in settings.severity.items()},
        exclude=(*settings.exclude, *(exclude or [])),
        per_file_ignores={pattern: rules_from_config(rules, f"per-file-ignores.{pattern}")
                          for pattern, rules in settings.per_file_ignores.items()},
        patterns_base=os.path.dirname(settings.path) if settings.path else ".",
        rule_options=settings.rule_options,
    )
    return options, settings.fail_on


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
    from cigen.findings import Severity
    from cigen.lint import DEFAULT_PIPELINE, UsageError, fix_paths, lint_paths
    from cigen.report import RenderOptions, renderer
    from cigen.report.output import write_report

    if root_dir is not None and not os.path.isdir(root_dir):
        raise _fail(f"--root {root_dir}: not a directory")
    if config is not None and isolated:
        raise _fail("--config and --isolated cannot be used together")
    targets = paths or [DEFAULT_PIPELINE]
    options, configured_fail_on = _lint_options(
        targets, config, isolated, root=root_dir, select=select, extend_select=extend_select,
        ignore=ignore, exclude=exclude, no_ignores=no_ignores, stdin_filename=stdin_filename,
        unsafe_fixes=unsafe_fixes, require_reason=require_reason)
    threshold = Severity.parse(fail_on.value if fail_on is not None
                               else configured_fail_on or "warning")
    fixed = 0
    try:
        if diff or fix:
            from cigen.fix import unified_diff

            outcome = fix_paths(targets, options, write=fix and not diff)
            for path in outcome.refused:
                typer.echo(f"cigen: warning: {path}: not fixed, the result would not parse",
                           err=True)
            if diff:
                sys.stdout.write("".join(unified_diff(path, before, after) for path,
                                         (before, after) in sorted(outcome.changes.items())))
                raise typer.Exit(EXIT_FINDINGS if outcome.changes else EXIT_OK)
            report, fixed = outcome.report, outcome.fixed
        else:
            report = lint_paths(targets, options)
    except UsageError as error:
        raise _fail(str(error)) from None
    colour = (output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    render_options = RenderOptions(colour=colour, summary=not quiet, fail_on=threshold)
    text = renderer(output_format.value)(report, render_options)
    try:
        write_report(text, output)
    except OSError as error:
        raise _fail(f"--output {output}: cannot write: {error.strerror}") from None
    if fixed:
        message = f"Fixed {fixed} problem{'s' if fixed != 1 else ''}."
        typer.echo(message, err=output_format is not OutputFormat.text or output is not None)
    for message in report.internal_errors:
        typer.echo(f"cigen: internal error: {message}", err=True)
    if report.internal_errors:
        raise typer.Exit(EXIT_USAGE)
    if report.fails(threshold):
        raise typer.Exit(EXIT_FINDINGS)


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
