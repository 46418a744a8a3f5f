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
    from collections.abc import Callable

    from cigen.lint.engine import LintOptions
    from cigen.lint.settings import Settings
    from cigen.remote.client import Connection

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A usage or I/O problem, printed as one line (exit 2)."""


class LintRequest:
    """The options of one `cigen lint` call, as given on the command line."""

    __slots__ = (
        "add_ignore",
        "cache_dir",
        "colour",
        "config",
        "diff",
        "exclude",
        "exit_zero",
        "extend_select",
        "fail_on",
        "fix",
        "gitlab_url",
        "ignore",
        "isolated",
        "no_cache",
        "no_ignores",
        "output",
        "output_format",
        "paths",
        "quiet",
        "remote",
        "require_reason",
        "root",
        "select",
        "statistics",
        "stdin_filename",
        "unsafe_fixes",
    )

    paths: list[str]
    output_format: str | None
    """``None``: ``full`` on a terminal, ``concise`` otherwise."""
    colour: str
    """``auto``, ``always`` or ``never``."""
    exit_zero: bool
    statistics: bool
    add_ignore: bool
    no_cache: bool
    cache_dir: str | None
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
    remote: bool | None
    """Read remote includes from GitLab: ``--remote`` (True), ``--no-remote`` (False),
    else (``None``) as the configuration's ``remote`` says."""
    gitlab_url: str | None

    def __init__(self, paths: list[str], output_format: str | None = None,
                 output: str | None = None, colour: str = "auto", exit_zero: bool = False,
                 statistics: bool = False, add_ignore: bool = False, no_cache: bool = False,
                 cache_dir: str | None = None,
                 fail_on: str | None = None, root: str | None = None,
                 select: list[str] | None = None, extend_select: list[str] | None = None,
                 ignore: list[str] | None = None, exclude: list[str] | None = None,
                 fix: bool = False, diff: bool = False, unsafe_fixes: bool = False,
                 no_ignores: bool = False, require_reason: bool = False, config: str | None = None,
                 isolated: bool = False, quiet: bool = False,
                 stdin_filename: str | None = None, remote: bool | None = None,
                 gitlab_url: str | None = None) -> None:
        self.paths = paths
        self.output_format = output_format
        self.colour = colour
        self.exit_zero = exit_zero
        self.statistics = statistics
        self.add_ignore = add_ignore
        self.no_cache = no_cache
        self.cache_dir = cache_dir
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
        self.remote = remote
        self.gitlab_url = gitlab_url


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
    if request.add_ignore and (request.fix or request.diff):
        raise CommandError("--add-ignore cannot be combined with --fix or --diff")
    if request.remote and (request.fix or request.diff or request.add_ignore):
        # Those write files; a file fetched from GitLab is not one cigen may write.
        raise CommandError("--remote cannot be combined with --fix, --diff or --add-ignore")
    fixed = 0
    added = ""
    try:
        if request.add_ignore:
            from cigen.lint.add_ignore import add_ignore_paths

            added_outcome = add_ignore_paths(targets, options, write=True)
            assert added_outcome.report is not None
            report = added_outcome.report
            report.file_errors = added_outcome.file_errors
            added = (f"Added {added_outcome.added} suppression comment"
                     f"{'s' if added_outcome.added != 1 else ''} to "
                     f"{len(added_outcome.changes)} file"
                     f"{'s' if len(added_outcome.changes) != 1 else ''}"
                     + (f"; {added_outcome.left} finding"
                        f"{'s' if added_outcome.left != 1 else ''} could not take one"
                        if added_outcome.left else "") + ".")
        elif request.diff or request.fix:
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
    terminal = request.output is None and sys.stdout.isatty()
    output_format = request.output_format or ("full" if terminal else "concise")
    textual = output_format in ("full", "concise", "text")
    render_options = RenderOptions(colour=textual and use_colour(request.colour, terminal),
                                   summary=not request.quiet, fail_on=threshold)
    if request.statistics:
        from cigen.lint.report.statistics import render_statistics

        text = render_statistics(report, "json" if output_format == "json" else "text")
    else:
        text = renderer(output_format)(report, render_options)
    try:
        write_report(text, request.output)
    except OSError as error:
        raise CommandError(f"--output {request.output}: cannot write: {error.strerror}"
                           ) from None
    if request.output is not None and not request.quiet:
        # A CI job that writes its report to a file still explains itself in its log.
        log = renderer("concise")(report, RenderOptions(
            colour=use_colour(request.colour, sys.stderr.isatty()), fail_on=threshold))
        sys.stderr.write(log)
        _error_line(f"cigen: {output_format} report written to {request.output}")
    to_stderr = not textual or request.statistics or request.output is not None
    if fixed:
        message = f"Fixed {fixed} problem{'s' if fixed != 1 else ''}."
        print(message, file=sys.stderr if to_stderr else sys.stdout)
    if added:
        print(added, file=sys.stderr if to_stderr else sys.stdout)
    unreadable = _print_file_errors(report.file_errors)
    for message in report.internal_errors:
        _error_line(f"cigen: internal error: {message}")
    if report.internal_errors or unreadable:
        return EXIT_USAGE
    if request.exit_zero:
        return EXIT_OK
    return EXIT_FINDINGS if report.fails(threshold) else EXIT_OK


def use_colour(choice: str, terminal: bool) -> bool:
    """Whether to colour: ``always``/``never`` as given; ``auto`` colours a terminal,
    unless ``NO_COLOR`` is set (non-empty), or anything when ``FORCE_COLOR`` is."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or terminal


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


def rule_keys(values: list[str] | None, option: str,
              where: Callable[[int], str] | None = None) -> frozenset[str]:
    """Rule names for a list of comma-separated names or codes; unknown ones are errors,
    told the closest known name. ``where`` names the place of the n-th value."""
    from cigen.lint.rules import all_rules, find_rules
    from cigen.lint.settings import did_you_mean

    keys: set[str] = set()
    for index, value in enumerate(values or []):
        for key in value.split(","):
            key = key.strip()
            if not key:
                continue
            rules = find_rules(key)
            if not rules:
                hint = did_you_mean(key, [rule.name for rule in all_rules()])
                place = f"{where(index)}: " if where is not None else ""
                raise CommandError(f"{place}{option}: unknown rule '{key}'"
                                   f"{hint or ' (see `cigen rules`)'}")
            keys.update(rule.name for rule in rules)
    return frozenset(keys)


def lint_options(targets: list[str], request: LintRequest) -> tuple[LintOptions, str | None]:
    """The options in force for the run, and the configured ``fail-on``.

    With ``--config`` one file configures every path; with ``--isolated`` none
    does; otherwise each file is linted (and fixed) under the nearest
    configuration above it, as ruff does, and a file reached through an include
    under the one above the included file. The flags go on top of each. The
    returned options are those of the first target's configuration, whose
    ``fail-on`` (unless given as a flag) decides the exit code.
    """
    configured = ConfiguredOptions(request)
    start = next((target for target in targets if target != "-"), None)
    if start is None:
        start = os.path.join(".", request.stdin_filename or "-")
    options = configured.options(configured.config_for(start))
    # Configuration files are read up front, so a broken one is reported before any work.
    for target in targets:
        if target != "-" and os.path.exists(target):
            configured.options(configured.config_for(target))
    return options, configured.fail_on(configured.config_for(start))


class ConfiguredOptions:
    """The :class:`LintOptions` for each file: its configuration's keys, flags on top."""

    def __init__(self, request: LintRequest) -> None:
        from cigen.lint.result_cache import cache_directory

        if request.config is not None and not os.path.isfile(request.config):
            raise CommandError(f"--config {request.config}: no such file")
        self.request = request
        self.cache_dir = cache_directory(request.cache_dir, request.no_cache)
        self._by_config: dict[str | None, LintOptions] = {}
        self._settings: dict[str | None, Settings] = {}
        self._config_of_directory: dict[str, str | None] = {}
        self._options_of_path: dict[str, LintOptions] = {}
        self._remote: Connection | None = None

    def config_for(self, path: str) -> str | None:
        """The configuration file that applies to ``path``, if any."""
        from cigen.lint.settings import find_config

        if self.request.isolated:
            return None
        if self.request.config is not None:
            return self.request.config
        full = os.path.abspath(path)
        directory = full if os.path.isdir(full) else os.path.dirname(full)
        if directory not in self._config_of_directory:
            self._config_of_directory[directory] = find_config(directory)
        return self._config_of_directory[directory]

    def __call__(self, path: str) -> LintOptions:
        # Asked for every finding: a stat of the path's directory each time adds up.
        known = self._options_of_path.get(path)
        if known is not None:
            return known
        try:
            found = self._options_of_path[path] = self.options(self.config_for(path))
            return found
        except CommandError as error:
            from cigen.lint.engine import UsageError

            raise UsageError(str(error)) from None

    def settings(self, config: str | None) -> Settings:
        from cigen.lint.settings import ConfigError, Settings, load_settings

        if config not in self._settings:
            try:
                self._settings[config] = Settings() if config is None else load_settings(config)
            except ConfigError as error:
                raise CommandError(str(error)) from None
        return self._settings[config]

    def fail_on(self, config: str | None) -> str | None:
        return self.settings(config).fail_on

    def options(self, config: str | None) -> LintOptions:
        if config not in self._by_config:
            self._by_config[config] = self._build(self.settings(config))
        return self._by_config[config]

    def _build(self, settings: Settings) -> LintOptions:
        from cigen.lint.engine import LintOptions
        from cigen.lint.findings import Severity

        request = self.request

        def rules_from_config(values: frozenset[str] | list[str], key: str,
                              *located: str) -> frozenset[str]:
            names = sorted(values)
            return rule_keys(names, key,
                             lambda index: settings.where(*(located or (key,)), names[index]))

        selected = (rule_keys(request.select, "--select") if request.select else
                    rules_from_config(settings.select, "select") if settings.select is not None
                    else None)
        return LintOptions(
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
            severity={next(iter(rules_from_config([name], f"severity.{name}", "severity",
                                                  name))):
                      Severity.parse(value) for name, value in settings.severity.items()},
            exclude=settings.exclude,
            flag_exclude=tuple(request.exclude or ()),
            per_file_ignores={pattern: rules_from_config(
                rules, f"per-file-ignores.{pattern}", "per-file-ignores", pattern)
                              for pattern, rules in settings.per_file_ignores.items()},
            patterns_base=os.path.dirname(settings.path) if settings.path else ".",
            rule_options=settings.rule_options,
            resolver=self,
            cache_dir=self.cache_dir,
            remote=self._connection() if request.remote or (
                request.remote is None and settings.remote
                and not (request.fix or request.diff or request.add_ignore)) else None,
        )

    def _connection(self) -> Connection:
        """The GitLab connection of a `--remote` run (or of `remote = true`)."""
        from cigen.remote.cache import directory_for
        from cigen.remote.client import Connection

        if self._remote is None:
            request = self.request
            off = request.no_cache or bool(os.environ.get("CIGEN_NO_CACHE"))
            self._remote = Connection.from_environment(
                request.gitlab_url, None if off else directory_for(request.cache_dir))
        return self._remote
