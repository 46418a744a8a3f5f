"""What `cigen lint` does once its options are parsed.

The command line hands over a :class:`LintRequest` (the options exactly as
given); this module merges them over the configuration file, runs the linter
or the fixer, prints the report (then one ``cigen: error:`` line for each file
that could not be read or written) and returns the exit code. It never imports
the command-line library: everything a lint run does can be driven (and
tested) without it.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cigen.lint.engine import LintOptions

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A usage or I/O problem, printed as one line (exit 2)."""


class LintRequest:
    """The options of one `cigen lint` call, as given on the command line."""

    __slots__ = ("config", "diff", "exclude", "extend_select", "fail_on", "fix", "ignore",
                 "isolated", "no_ignores", "output", "output_format", "paths", "quiet",
                 "require_reason", "root", "select", "stdin_filename", "unsafe_fixes")

    paths: list[str]
    output_format: str
    output: str | None
    fail_on: str | None
    root: str | None
    select: list[str] | None
    extend_select: list[str] | None
    ignore: list[str] | None
    exclude: list[str] | None
    fix: bool
    diff: bool
    unsafe_fixes: bool
    no_ignores: bool
    require_reason: bool
    config: str | None
    isolated: bool
    quiet: bool
    stdin_filename: str | None

    def __init__(self, paths: list[str], output_format: str = "text", output: str | None = None,
                 fail_on: str | None = None, root: str | None = None,
                 select: list[str] | None = None, extend_select: list[str] | None = None,
                 ignore: list[str] | None = None, exclude: list[str] | None = None,
                 fix: bool = False, diff: bool = False, unsafe_fixes: bool = False,
                 no_ignores: bool = False, require_reason: bool = False, config: str | None = None,
                 isolated: bool = False, quiet: bool = False,
                 stdin_filename: str | None = None) -> None:
        self.paths = paths
        self.output_format = output_format
        self.output = output
        self.fail_on = fail_on
        self.root = root
        self.select = select
        self.extend_select = extend_select
        self.ignore = ignore
        self.exclude = exclude
        self.fix = fix
        self.diff = diff
        self.unsafe_fixes = unsafe_fixes
        self.no_ignores = no_ignores
        self.require_reason = require_reason
        self.config = config
        self.isolated = isolated
        self.quiet = quiet
        self.stdin_filename = stdin_filename


def run_lint(request: LintRequest) -> int:
    """Run the command; problems with the options or files are printed, not raised."""
    try:
        return _run(request)
    except CommandError as error:
        _error_line(f"cigen: error: {error}")
        return EXIT_USAGE


def _run(request: LintRequest) -> int:
    from cigen.lint.engine import DEFAULT_PIPELINE, UsageError, fix_paths, lint_paths
    from cigen.lint.findings import Severity
    from cigen.lint.report import RenderOptions, renderer
    from cigen.lint.report.output import write_report

    if request.root is not None and not os.path.isdir(request.root):
        raise CommandError(f"--root {request.root}: not a directory")
    if request.config is not None and request.isolated:
        raise CommandError("--config and --isolated cannot be used together")
    targets = request.paths or [DEFAULT_PIPELINE]
    options, configured_fail_on = lint_options(targets, request)
    threshold = Severity.parse(request.fail_on or configured_fail_on or "warning")
    fixed = 0
    try:
        if request.diff or request.fix:
            from cigen.lint.fix import unified_diff

            outcome = fix_paths(targets, options, write=request.fix and not request.diff)
            for path in outcome.refused:
                _error_line(f"cigen: warning: {path}: not fixed, the result would not parse")
            if request.diff:
                # Paths from the repository root, as `git apply` at the top reads them:
                # relative to a subdirectory, an included file would be `../ci/x.yml`.
                sys.stdout.write("".join(
                    unified_diff(_from_root(path, options), before, after)
                    for path, (before, after) in sorted(outcome.changes.items())))
                if _print_file_errors(outcome.report.file_errors):
                    return EXIT_USAGE
                return EXIT_FINDINGS if outcome.changes else EXIT_OK
            report, fixed = outcome.report, outcome.fixed
        else:
            report = lint_paths(targets, options)
    except UsageError as error:
        raise CommandError(str(error)) from None
    colour = (request.output is None and sys.stdout.isatty()
              and not os.environ.get("NO_COLOR"))
    render_options = RenderOptions(colour=colour, summary=not request.quiet, fail_on=threshold)
    text = renderer(request.output_format)(report, render_options)
    try:
        write_report(text, request.output)
    except OSError as error:
        raise CommandError(f"--output {request.output}: cannot write: {error.strerror}"
                           ) from None
    if fixed:
        message = f"Fixed {fixed} problem{'s' if fixed != 1 else ''}."
        to_stderr = request.output_format != "text" or request.output is not None
        print(message, file=sys.stderr if to_stderr else sys.stdout)
    unreadable = _print_file_errors(report.file_errors)
    for message in report.internal_errors:
        _error_line(f"cigen: internal error: {message}")
    if report.internal_errors or unreadable:
        return EXIT_USAGE
    return EXIT_FINDINGS if report.fails(threshold) else EXIT_OK


def _from_root(path: str, options: LintOptions) -> str:
    from cigen.lint.engine import repository_root_of

    root = os.path.abspath(repository_root_of(path, options))
    return os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")


def _print_file_errors(errors: list[str]) -> bool:
    """Print one line per file that could not be read or written; whether there was one."""
    for message in errors:
        _error_line(f"cigen: error: {message}")
    return bool(errors)


def _error_line(line: str) -> None:
    """One line on standard error; paths and names in it come from the user's files
    and may hold control characters, which are shown escaped."""
    from cigen.lint.report.escaping import visible

    print(visible(line), file=sys.stderr)


def rule_keys(values: list[str] | None, option: str) -> frozenset[str]:
    """Rule names for a list of comma-separated names or codes; unknown ones are errors."""
    from cigen.lint.rules import find_rules

    keys: set[str] = set()
    for value in values or []:
        for key in value.split(","):
            key = key.strip()
            if not key:
                continue
            rules = find_rules(key)
            if not rules:
                raise CommandError(f"{option}: unknown rule '{key}' (see `cigen rules`)")
            keys.update(rule.name for rule in rules)
    return frozenset(keys)


def lint_options(targets: list[str], request: LintRequest) -> tuple[LintOptions, str | None]:
    """The options in force: the configuration file's keys, with the flags on top."""
    from cigen.lint.engine import LintOptions
    from cigen.lint.findings import Severity
    from cigen.lint.settings import ConfigError, Settings, find_config, load_settings

    settings = Settings()
    if not request.isolated:
        start = next((target for target in targets if target != "-"), ".")
        path = request.config or find_config(start)
        if request.config is not None and not os.path.isfile(request.config):
            raise CommandError(f"--config {request.config}: no such file")
        if path is not None:
            try:
                settings = load_settings(path)
            except ConfigError as error:
                raise CommandError(str(error)) from None

    def rules_from_config(values: frozenset[str] | list[str], key: str) -> frozenset[str]:
        return rule_keys(sorted(values), f"{settings.path}: {key}")

    selected = (rule_keys(request.select, "--select") if request.select else
                rules_from_config(settings.select, "select") if settings.select is not None
                else None)
    options = LintOptions(
        root=request.root,
        select=selected,
        extend_select=rules_from_config(settings.extend_select, "extend-select")
        | rule_keys(request.extend_select, "--extend-select"),
        ignore=rules_from_config(settings.ignore, "ignore")
        | rule_keys(request.ignore, "--ignore"),
        no_ignores=request.no_ignores,
        stdin_filename=request.stdin_filename,
        unsafe_fixes=request.unsafe_fixes or settings.unsafe_fixes,
        require_reason=request.require_reason or settings.require_reason,
        severity={next(iter(rules_from_config([name], f"severity.{name}"))):
                  Severity.parse(value) for name, value in settings.severity.items()},
        exclude=(*settings.exclude, *(request.exclude or [])),
        per_file_ignores={pattern: rules_from_config(rules, f"per-file-ignores.{pattern}")
                          for pattern, rules in settings.per_file_ignores.items()},
        patterns_base=os.path.dirname(settings.path) if settings.path else ".",
        rule_options=settings.rule_options,
    )
    return options, settings.fail_on
