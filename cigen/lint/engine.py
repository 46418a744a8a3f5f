"""The lint run: from command-line paths to the final list of findings.

This module finds the files to check (``.gitlab-ci.yml``, ``*.gitlab-ci.yml``
and runner ``config.toml`` files below a directory, or ``-`` for standard
input), loads each one once, runs every selected rule on the resolved model,
turns loader and resolver problems into findings, applies inline
suppressions, configuration and severity overrides, and merges findings that
several jobs share. Large batches are split across forked processes. With
`--fix` it applies the rules' fixes round by round (:func:`fix_paths`); that
is the only path that writes, through
:func:`cigen.source.files.write_atomically`.

Only regular files are read (see :func:`cigen.source.files.read_regular_file`).
A file that is a symbolic link is linted as its target only when the target is
inside the repository root, and `--fix` then edits the target and keeps the
link. A directory scan does not descend into the linked directories it meets.
Standard input is read up to the same size limit as a file. A file that
cannot be read — a named pipe, a device, a broken or looping link, a link out
of the root — costs only itself: it becomes one line of
:attr:`LintReport.file_errors` and every other file is still linted.
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from cigen.gitlab.includes import RemoteFetcher, RemoteFile
from cigen.gitlab.pipeline import Pipeline, load_pipeline
from cigen.jobs.facts import job_facts
from cigen.lint.findings import Finding, Severity, merge_findings
from cigen.lint.fix import Fix, apply_fixes
from cigen.lint.rules import Hit, PipelineContext, Rule, RuleCannotRun, all_rules, rules_by_name
from cigen.lint.suppressions import SuppressionIndex, directive_span, removal
from cigen.source.files import (
    UnreadableFile,
    check_link,
    find_repository_root,
    glob_regex,
    read_regular_file,
    write_atomically,
)
from cigen.source.positions import Span
from cigen.source.text import MAX_FILE_BYTES, LoadError, Problem, SourceText, decode_source
from cigen.source.yaml_reader import parse_yaml

if TYPE_CHECKING:
    from cigen.remote.client import Connection

PIPELINE_SUFFIXES = (".gitlab-ci.yml", ".gitlab-ci.yaml")
SKIPPED_DIRECTORIES = frozenset({".git", "node_modules", ".venv", "venv", ".tox", "__pycache__",
                                 ".mypy_cache", ".ruff_cache", ".pytest_cache", ".cigen_cache"})
STDIN = "-"
DEFAULT_PIPELINE = ".gitlab-ci.yml"
SCHEMA_RULES = frozenset({"unknown-keyword", "invalid-value", "missing-keyword"})


class UsageError(Exception):
    """A problem with how cigen was called or with reading a path (exit 2)."""


class Target:
    __slots__ = ("display", "kind", "real")

    display: str
    real: str
    kind: str
    """``pipeline`` or ``runner``."""

    def __init__(self, display: str, real: str, kind: str) -> None:
        self.display = display
        self.real = real
        self.kind = kind


class LintOptions:
    """What to check and how, from the flags and the configuration file.

    One run may see several configuration files (each file is checked under
    the nearest one above it); :meth:`for_file` gives the options in force for
    a path, through the ``resolver`` the caller supplies.
    """

    __slots__ = ("cache_dir", "exclude", "extend_select", "flag_exclude", "ignore",
                 "no_ignores", "patterns_base", "per_file_ignores", "remote", "require_reason",
                 "resolver", "root", "rule_options", "select", "severity", "stdin_filename",
                 "unsafe_fixes")

    root: str | None
    select: frozenset[str] | None
    extend_select: frozenset[str]
    ignore: frozenset[str]
    no_ignores: bool
    stdin_filename: str | None
    unsafe_fixes: bool
    require_reason: bool
    severity: dict[str, Severity]
    """Severity overrides by rule name."""
    exclude: tuple[str, ...]
    """Patterns relative to :attr:`patterns_base` (from the configuration file)."""
    flag_exclude: tuple[str, ...]
    """Patterns relative to the current directory (from ``--exclude``)."""
    per_file_ignores: dict[str, frozenset[str]]
    patterns_base: str
    """The directory `exclude` and `per-file-ignores` patterns are relative to."""
    rule_options: dict[str, dict[str, Any]]
    resolver: Callable[[str], LintOptions] | None
    """The options for another path, when they may differ from these."""
    cache_dir: str | None
    """Where a lint run keeps its findings between runs; ``None``: no cache."""
    remote: Connection | None
    """The GitLab instance remote includes are read from (``--remote``); ``None``:
    offline, and no network access at all."""

    def __init__(self, root: str | None = None, select: frozenset[str] | None = None,
                 extend_select: frozenset[str] = frozenset(), ignore: frozenset[str] = frozenset(),
                 no_ignores: bool = False, stdin_filename: str | None = None,
                 unsafe_fixes: bool = False, require_reason: bool = False,
                 severity: dict[str, Severity] | None = None, exclude: tuple[str, ...] = (),
                 per_file_ignores: dict[str, frozenset[str]] | None = None,
                 patterns_base: str = ".",
                 rule_options: dict[str, dict[str, Any]] | None = None,
                 flag_exclude: tuple[str, ...] = (),
                 resolver: Callable[[str], LintOptions] | None = None,
                 cache_dir: str | None = None, remote: Connection | None = None) -> None:
        self.root = root
        self.select = select
        self.extend_select = extend_select
        self.ignore = ignore
        self.no_ignores = no_ignores
        self.stdin_filename = stdin_filename
        self.unsafe_fixes = unsafe_fixes
        self.require_reason = require_reason
        self.severity = {} if severity is None else severity
        self.exclude = exclude
        self.flag_exclude = flag_exclude
        self.per_file_ignores = {} if per_file_ignores is None else per_file_ignores
        self.patterns_base = patterns_base
        self.rule_options = {} if rule_options is None else rule_options
        self.resolver = resolver
        self.cache_dir = cache_dir
        self.remote = remote

    def fingerprint(self) -> str:
        """Everything in these options that can change what is found in a file."""
        import hashlib
        import json

        fields = {
            "root": self.root, "select": None if self.select is None else sorted(self.select),
            "extend_select": sorted(self.extend_select), "ignore": sorted(self.ignore),
            "no_ignores": self.no_ignores, "stdin_filename": self.stdin_filename,
            "unsafe_fixes": self.unsafe_fixes, "require_reason": self.require_reason,
            "severity": {name: str(value) for name, value in sorted(self.severity.items())},
            "exclude": list(self.exclude), "flag_exclude": list(self.flag_exclude),
            "per_file_ignores": {pattern: sorted(rules)
                                 for pattern, rules in sorted(self.per_file_ignores.items())},
            "patterns_base": os.path.abspath(self.patterns_base),
            "rule_options": self.rule_options,
            "remote": self.remote is not None,
        }
        return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()
                              ).hexdigest()

    def for_file(self, path: str) -> LintOptions:
        """The options in force for ``path``: those of its nearest configuration."""
        return self if self.resolver is None else self.resolver(path)

    def selects(self, rule: Rule) -> bool:
        keys = {rule.name, rule.code}
        if (self.select is not None or not rule.default_enabled) \
                and not keys & ((self.select or frozenset()) | self.extend_select):
            return False
        if rule.name == "missing-suppression-reason" and not self.require_reason:
            return False
        return not keys & self.ignore

    def excluded(self, path: str) -> bool:
        remote = self.remote is not None
        return any(_glob_match(pattern, path, self.patterns_base, remote)
                   for pattern in self.exclude) \
            or any(_glob_match(pattern, path, ".", remote) for pattern in self.flag_exclude)

    def ignored_in_file(self, finding: Finding) -> bool:
        return any(finding.rule in rules and _glob_match(pattern, finding.span.path,
                                                         self.patterns_base,
                                                         self.remote is not None)
                   for pattern, rules in self.per_file_ignores.items())


def _glob_match(pattern: str, path: str, base: str, remote: bool = False) -> bool:
    regex = glob_regex(pattern.strip("/"))
    if remote:
        from cigen.remote.names import pattern_names

        # A fetched file's path is in its own project, not below ``base``.
        names = pattern_names(path)
        if names is not None:
            return any(regex.match(name) is not None for name in names)
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(base)).replace(os.sep, "/")
    return regex.match(relative) is not None or \
        regex.match(os.path.basename(relative)) is not None

class LintReport:
    __slots__ = ("file_errors", "files", "findings", "internal_errors", "web_urls")

    findings: list[Finding]
    files: list[str]
    internal_errors: list[str]
    file_errors: list[str]
    """``path: reason`` for each file that could not be read or written (exit 2)."""
    web_urls: dict[str, str]
    """For findings in files fetched from GitLab (``--remote``): each such file's
    address, ``https://<server>/<project>/-/blob/<sha>/<path>``."""

    def __init__(self, findings: list[Finding] | None = None, files: list[str] | None = None,
                 internal_errors: list[str] | None = None,
                 file_errors: list[str] | None = None) -> None:
        self.findings = [] if findings is None else findings
        self.files = [] if files is None else files
        self.internal_errors = [] if internal_errors is None else internal_errors
        self.file_errors = [] if file_errors is None else file_errors
        self.web_urls: dict[str, str] = {}

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def fails(self, threshold: Severity) -> bool:
        return any(finding.severity >= threshold for finding in self.findings)


def _kind_of(path: str, text: str | None = None) -> str:
    """``runner``, ``helm`` or ``pipeline`` for a file named on the command line (or an
    editor's buffer, whose ``text`` is in hand; otherwise the file's head is read)."""
    name = os.path.basename(path)
    if name.endswith(".toml"):
        return "runner"
    if name != DEFAULT_PIPELINE and not name.endswith(PIPELINE_SUFFIXES) \
            and name.endswith((".yaml", ".yml")):
        from cigen.runner.helm import looks_like_helm_values

        if _looks_like(path, None, "helm") if text is None else \
                looks_like_helm_values(text, name):
            return "helm"
    return "pipeline"


def discover(paths: Iterable[str], options: LintOptions | None = None) -> list[Target]:
    """Files to lint, in a stable order, from the paths given on the command line."""
    targets: list[Target] = []
    seen: set[str] = set()

    def add(display: str, kind: str) -> None:
        real = os.path.realpath(display)
        if options is not None and options.for_file(display).excluded(display):
            return
        if real not in seen:
            seen.add(real)
            targets.append(Target(display, real, kind))

    for path in paths:
        if path == STDIN:
            targets.append(Target(STDIN, STDIN, "pipeline"))
        elif os.path.isdir(path) and path == DEFAULT_PIPELINE:
            raise UsageError(f"{path}: is a directory")
        elif os.path.isdir(path):
            for directory, subdirs, files in os.walk(path):
                subdirs[:] = sorted(name for name in subdirs if name not in SKIPPED_DIRECTORIES)
                for name in sorted(files):
                    full = os.path.normpath(os.path.join(directory, name))
                    if name == ".gitlab-ci.yml" or name.endswith(PIPELINE_SUFFIXES):
                        add(full, "pipeline")
                    elif name.endswith(".toml") and _looks_like(full, options, "runner"):
                        add(full, "runner")
                    elif name.endswith((".yaml", ".yml")) and _looks_like(full, options, "helm"):
                        add(full, "helm")
        elif os.path.lexists(path):  # a broken link too: reported with the other files
            add(path, _kind_of(path))
        else:
            raise UsageError(f"{path}: no such file or directory")
    return targets


def _looks_like(path: str, options: LintOptions | None, kind: str) -> bool:
    """Whether a TOML file is a runner configuration (``runner``), or a YAML file
    gitlab-runner Helm chart values (``helm``), by its text; a file that cannot be
    read has no such text, and is left out."""
    from cigen.runner.config import looks_like_runner_config
    from cigen.runner.helm import looks_like_helm_values

    try:
        check_link(path, repository_root_of(path, options))
        head = read_regular_file(path, 256 * 1024).decode("utf-8", "replace")
    except UnreadableFile:
        return False
    if kind == "runner":
        return looks_like_runner_config(head)
    return looks_like_helm_values(head, os.path.basename(path))


def repository_root_of(path: str, options: LintOptions | None) -> str:
    """The root local includes of ``path`` resolve from: ``--root``, else its git top level."""
    if options is not None and options.root:
        return options.root
    return find_repository_root(path)


def _read(target: Target, root: str) -> bytes:
    if target.display == STDIN:
        return sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    check_link(target.display, root)
    return read_regular_file(target.display)


class Linter:
    """Lints targets; each file (an included one too) is judged under its own options."""

    def __init__(self, options: LintOptions, *, use_cache: bool = False) -> None:
        from cigen.lint.result_cache import ResultCache

        self.options = options
        # Remote files may change on the server: a run that reads them is never cached.
        self.cache = ResultCache(options.cache_dir if use_cache and options.remote is None
                                 else None)
        self.fetcher: RemoteFetcher | None = None
        self.home: RemoteFile | None = None
        """Where the linted file itself was fetched from (an audit), if it was."""
        self.all_rules = all_rules()
        self.by_name = rules_by_name()
        self.report = LintReport()
        self.suppressions = SuppressionIndex()
        self.sources: dict[str, SourceText] = {}
        self._raw: list[Finding] = []
        self.unused_suppressions: list[Finding] = []
        self.unsaved: dict[str, str] = {}
        """Text to lint instead of a file's contents, by display path (an editor's buffer)."""
        self._gathered: dict[str, list[Any]] = {}
        """Work rules collect from each pipeline and do once for the whole run."""
        """`unused-suppression` findings for suppressions that suppressed nothing in
        this run; :meth:`lint` adds them to the report unless told to leave them out."""

    def _rules_for(self, paths: Iterable[str]) -> list[Rule]:
        """The rules some file among ``paths`` is checked with, in their usual order."""
        options = {id(found): found for found in map(self.options.for_file, paths)}
        return [rule for rule in self.all_rules
                if any(found.selects(rule) for found in options.values())]

    def _finding(self, rule: Rule, message: str, span: Span, jobs: list[str],
                 fix: Fix | None = None, code: str | None = None,
                 severity: Severity | None = None) -> Finding | None:
        """The finding, under the options of the file it is in; ``None`` when those
        options do not select the rule."""
        options = self.options.for_file(span.path)
        if not options.selects(rule):
            return None
        fixable = fix is not None and (fix.safe or options.unsafe_fixes)
        return Finding(code or rule.code, rule.name,
                       options.severity.get(rule.name, severity or rule.severity),
                       message, span, jobs, fixable, fix=fix)

    def add_problem(self, problem: Problem) -> None:
        """Record a loader or resolver problem as a finding of its rule, if selected."""
        finding = self._finding(self.by_name[problem.rule], problem.message, problem.span, [])
        if finding is not None:
            self._raw.append(finding)

    def lint(self, targets: list[Target], *, report_unused: bool = True) -> LintReport:
        """Lint ``targets``. With ``report_unused=False`` the findings on suppressions
        that suppressed nothing stay in :attr:`unused_suppressions` only, for a
        caller that judges them over several linters."""
        for target in targets:
            try:
                self.lint_target(target)
            except UnreadableFile as error:
                self.report.file_errors.append(f"{target.display}: {error}")
            except UsageError:
                raise
            except Exception:  # a bug must cost one file, not the whole run
                import traceback

                detail = traceback.format_exc(limit=-1).strip().splitlines()[-1]
                self.report.internal_errors.append(f"{target.display}: {detail}")
        for name, gathered in self._gathered.items():
            rule = self.by_name[name]
            if rule.check_gathered is not None and gathered:
                self._run_rule(rule, rule.check_gathered(gathered), name)
        findings = self._raw
        if not self.options.no_ignores:
            findings = self.suppressions.filter(findings) + self._suppression_findings()
        self.unused_suppressions = self._finished(self.unused_suppressions)
        findings = self._finished(findings)
        _keep_groups_whole(self._raw, findings)
        if report_unused:
            findings += self.unused_suppressions
        self.report.findings = merge_findings(findings)
        if self.fetcher is not None:
            for finding in self.report.findings:
                url = self.fetcher.web_url(finding.span.path)
                if url:
                    self.report.web_urls[finding.span.path] = url
        return self.report

    def _finished(self, findings: list[Finding]) -> list[Finding]:
        """The findings per-file ignores and excluded files leave, each with its source
        line. An excluded file reached through an include still feeds the jobs that
        include it; only what is written in it goes unreported (and unfixed)."""
        kept = []
        for finding in findings:
            options = self.options.for_file(finding.span.path)
            if not options.ignored_in_file(finding) and not (
                    (options.exclude or options.flag_exclude)
                    and options.excluded(finding.span.path)):
                kept.append(finding)
        findings = kept
        for finding in findings:
            source = self.sources.get(finding.span.path)
            if source is not None:
                finding.line_text = source.line_text(finding.span.line)
        return findings

    def _suppression_findings(self) -> list[Finding]:
        """Suppressions that suppress nothing, name no rule, or lack a required reason."""
        found = []
        known = {key for rule in self.all_rules for key in (rule.name, rule.code)}
        # ShellCheck's codes name its findings (`ignore[SC2086]`).
        known |= {key for suppression in self.suppressions.all() for key in suppression.rules
                  if re.fullmatch(r"SC\d{4}", key)}
        selected_by: dict[int, set[str]] = {}
        unused = self.by_name["unused-suppression"]
        missing_reason = self.by_name["missing-suppression-reason"]
        for suppression in self.suppressions.all():
            source = self.sources.get(suppression.path)
            if source is None:
                continue
            options = self.options.for_file(suppression.path)
            if id(options) not in selected_by:
                selected_by[id(options)] = {key for rule in self.all_rules if options.selects(rule)
                                            for key in (rule.name, rule.code)}
            selected = selected_by[id(options)]
            span = directive_span(suppression, source)
            listed = ", ".join(sorted(suppression.rules))
            finding: Finding | None = None
            if not suppression.reason:
                finding = self._finding(missing_reason, f"`ignore[{listed}]` gives no reason; "
                                        "say why the finding is accepted", span, [])
                if finding is not None:
                    found.append(finding)
            unknown = sorted(suppression.rules - known)
            if unknown:
                finding = self._finding(unused, f"no rule named {', '.join(unknown)} "
                                        "(see `cigen rules`)", span, [])
                if finding is not None:
                    found.append(finding)
            elif not suppression.used and suppression.rules <= selected:
                fix = Fix((removal(suppression, source),), True, "remove the comment")
                finding = self._finding(unused, f"`ignore[{listed}]` suppresses nothing here; "
                                        "remove it", span, [], fix)
                if finding is not None:
                    self.unused_suppressions.append(finding)
        return found

    def lint_target(self, target: Target) -> None:
        display = target.display
        if display == STDIN and self.options.stdin_filename:
            display = self.options.stdin_filename
        # Standard input stands for a file of its name in the current directory.
        location = (os.path.join(os.getcwd(), os.path.basename(display))
                    if target.real == STDIN else target.display)
        root = repository_root_of(location, self.options)
        unsaved = self.unsaved.get(target.display)
        raw = _read(target, root) if unsaved is None else unsaved.encode("utf-8", "surrogatepass")
        self.report.files.append(display)
        try:
            source = decode_source(raw, display)
        except LoadError as error:
            self.add_problem(error.problem)
            return
        kind = target.kind
        if target.display == STDIN:
            from cigen.runner.config import looks_like_runner_config
            from cigen.runner.helm import looks_like_helm_values

            if looks_like_helm_values(source.text):
                kind = "helm"
            elif looks_like_runner_config(source.text):
                kind = "runner"
        cached = self.cache.enabled and target.real != STDIN and unsaved is None \
            and kind in ("runner", "pipeline")
        key = self.cache.key(display, kind) if cached else ""
        if cached and self._from_cache(key, display, source, kind):
            return
        first, errors = len(self._raw), len(self.report.internal_errors)
        gathered = sum(len(items) for items in self._gathered.values())
        if kind == "runner":
            self._lint_runner(source)
            files = [source.path]
        elif kind == "helm":
            self._lint_helm(source)
            return
        else:
            real = location if target.real == STDIN else target.real
            pipeline = self._lint_pipeline(real, source, display, root)
            if pipeline.reads_tree:
                return  # depends on which files exist, which no hash can pin down
            files = pipeline.files or [display]
        if cached and len(self.report.internal_errors) == errors \
                and sum(len(items) for items in self._gathered.values()) == gathered:
            self._to_cache(key, files, self._raw[first:])

    def _from_cache(self, key: str, display: str, source: SourceText, kind: str) -> bool:
        """Take the findings of an unchanged file (and its includes) from the cache."""
        from cigen.lint.result_cache import content_hash

        entry = self.cache.load(key)
        if entry is None or next(iter(entry.dependencies), None) != display:
            return False
        sources = {}
        for path, (digest, fingerprint) in entry.dependencies.items():
            if path == display:
                found = source
            else:
                try:
                    if os.path.islink(path):
                        return False
                    found = decode_source(read_regular_file(path), path)
                except (UnreadableFile, LoadError):
                    return False
            if kind == "runner":
                found = found.as_toml()
            if content_hash(found.text) != digest \
                    or self.options.for_file(path).fingerprint() != fingerprint:
                return False
            sources[path] = found
        if any(rule.gather is not None for rule in self._rules_for(sources)):
            return False  # its findings come at the end of the run, from all files at once
        for path, found in sources.items():
            self.sources[path] = found
            self.suppressions.add_source(found)
        self._raw.extend(entry.findings)
        return True

    def _to_cache(self, key: str, files: list[str], findings: list[Finding]) -> None:
        from cigen.lint.result_cache import Entry, content_hash

        dependencies = {}
        for path in files:
            source = self.sources.get(path)
            if source is None or os.path.islink(path):
                return
            dependencies[path] = (content_hash(source.text),
                                  self.options.for_file(path).fingerprint())
        self.cache.store(key, Entry(dependencies, findings))

    def _run_rule(self, rule: Rule, hits: Iterable[Hit], where: str) -> None:
        try:
            for hit in hits:
                finding = self._finding(rule, hit.message, hit.span, list(hit.jobs), hit.fix,
                                        hit.code, hit.severity)
                if finding is not None:
                    finding.group = hit.group
                    self._raw.append(finding)
        except RuleCannotRun as error:
            raise UsageError(f"{rule.name}: {error}") from None
        except Exception:  # a rule bug must not hide the other findings
            import traceback

            detail = traceback.format_exc(limit=-1).strip().splitlines()[-1]
            self.report.internal_errors.append(f"{where}: rule {rule.name} failed: {detail}")

    def _lint_runner(self, source: SourceText) -> None:
        from cigen.runner.config import load_runner_config

        source = source.as_toml()
        self.sources[source.path] = source
        self.suppressions.add_source(source)
        try:
            config = load_runner_config(source)
        except LoadError as error:
            self.add_problem(error.problem)
            return
        for rule in self._rules_for([source.path]):
            if rule.check_runner is not None:
                self._run_rule(rule, rule.check_runner(config), source.path)

    def _lint_helm(self, source: SourceText) -> None:
        """Helm chart values: the runner configuration in ``runners.config``, checked
        where it is written, and the chart's own ``runners.privileged``."""
        from cigen.runner.helm import read_helm_values

        self.sources[source.path] = source
        self.suppressions.add_source(source)
        try:
            loaded = parse_yaml(source)
        except LoadError as error:
            self.add_problem(error.problem)
            return
        values = read_helm_values(source, loaded.data)
        for problem in values.problems:
            self.add_problem(problem.problem)
        for embedded, placed_at in zip(values.sources, values.placed_at, strict=True):
            if placed_at is None:
                self.suppressions.add_source(embedded, merge=True)
        rules = self._rules_for([source.path])
        for config, placed_at in zip(values.configs, values.placed_at, strict=True):
            for rule in rules:
                if rule.check_runner is None:
                    continue
                hits = rule.check_runner(config)
                if placed_at is not None:
                    hits = (Hit(placed_at, hit.message, hit.jobs) for hit in hits)
                self._run_rule(rule, hits, source.path)
        for rule in rules:
            if rule.check_chart is not None:
                self._run_rule(rule, rule.check_chart(values), source.path)

    def _lint_pipeline(self, real: str, source: SourceText, display: str, root: str
                       ) -> Pipeline:
        display_base = None if os.path.isabs(display) else os.getcwd()
        pipeline = load_pipeline(real, source, root, display_base, self._fetcher_for(display),
                                 self.home)
        for path in pipeline.files:
            self.sources[path] = pipeline.sources[path]
            self.suppressions.add_source(pipeline.sources[path])
        for problem in pipeline.problems:
            self.add_problem(problem)
        rules = self._rules_for(pipeline.files or [display])
        if pipeline.config and any(rule.name in SCHEMA_RULES for rule in rules):
            from cigen.gitlab.schema import validate

            for problem in validate(pipeline.config, display):
                self.add_problem(problem)
        from cigen.jobs.images import global_images

        # A file whose jobs all come from includes still runs what its `default:` names.
        if not pipeline.jobs and not (pipeline.config and global_images(pipeline)):
            return pipeline
        context = PipelineContext(pipeline, job_facts(pipeline),
                                  self.options.for_file(display).rule_options)
        first = len(self._raw)
        for rule in rules:
            if rule.check is not None:
                self._run_rule(rule, rule.check(context), display)
        for rule in rules:
            if rule.gather is not None:
                try:
                    self._gathered.setdefault(rule.name, []).extend(rule.gather(context))
                except Exception:  # a rule bug must not hide the other findings
                    import traceback

                    detail = traceback.format_exc(limit=-1).strip().splitlines()[-1]
                    self.report.internal_errors.append(
                        f"{display}: rule {rule.name} failed: {detail}")
        for finding in self._raw[first:]:
            finding.origin = _origin(pipeline, finding)
            if self.fetcher is not None and self.fetcher.fetched(finding.span.path):
                finding.fix, finding.fixable = None, False  # not a file cigen may write
        return pipeline


    def _fetcher_for(self, display: str) -> RemoteFetcher | None:
        """What reads remote includes for this file: ``None`` unless its options
        connect to GitLab (one fetcher, and so one cache, per run)."""
        connection = self.options.for_file(display).remote
        if connection is None:
            return None
        if self.fetcher is None:
            from cigen.remote.fetcher import GitLabFetcher

            self.fetcher = GitLabFetcher(connection)
        return self.fetcher


def _origin(pipeline: Pipeline, finding: Finding) -> str:
    """How a value written in another entry (a template, an anchor's owner) reaches
    the finding's jobs: ``extends .base at ci/base.yml:3``, or ``an anchor or
    !reference in .base at ...``; nothing when the jobs wrote it themselves."""
    span = finding.span
    if not finding.jobs:
        return ""
    for name, value in pipeline.config.items():
        written = getattr(value, "span", None)
        if not (isinstance(name, str) and isinstance(written, Span)
                and written.path == span.path and written.line <= span.line <= written.end_line):
            continue
        if name in finding.jobs:
            return ""
        key = pipeline.config.key_spans.get(name) or written
        place = f"{name} at {key.path}:{key.line}"
        jobs = [pipeline.jobs[job] for job in finding.jobs if job in pipeline.jobs]
        if jobs and all(name in job.ancestors for job in jobs):
            return f"extends {place}"
        return f"an anchor or !reference in {place}"
    return ""


def lint_buffer(path: str, text: str, options: LintOptions
                ) -> tuple[LintReport, dict[str, SourceText]]:
    """Lint ``text`` as the contents of the file ``path`` (an editor's unsaved
    buffer; the files it includes are read from disk). Returns the report and
    every source read, for mapping positions and edits."""
    linter = Linter(options)
    linter.unsaved[path] = text
    report = linter.lint([Target(path, os.path.realpath(path), _kind_of(path, text))])
    return report, linter.sources


# Below this many files a worker process costs more than it saves.
PARALLEL_MIN_FILES = 16


ChunkResult = tuple[list[Finding], list[Finding], list[str], list[str], list[str],
                    set[tuple[str, int]]]


def _lint_chunk(job: tuple[list[Target], LintOptions]) -> ChunkResult:
    """Lint one share of a batch: its findings, its findings on suppressions that
    suppressed nothing, its files, internal errors and unreadable files, and where
    the suppressions that did suppress something are (path, line)."""
    targets, options = job
    linter = Linter(options, use_cache=True)
    report = linter.lint(targets, report_unused=False)
    used = {(item.path, item.line) for item in linter.suppressions.all() if item.used}
    return (report.findings, linter.unused_suppressions, report.files, report.internal_errors,
            report.file_errors, used)


def _workers(targets: list[Target]) -> int:
    if len(targets) < PARALLEL_MIN_FILES or any(target.real == STDIN for target in targets):
        return 1
    from cigen.lint.parallel import forking_allowed, processors

    if not forking_allowed():
        return 1
    return min(processors(), 4, len(targets) // (PARALLEL_MIN_FILES // 2))


def _balanced(targets: list[Target], workers: int) -> list[list[Target]]:
    """Targets split into ``workers`` chunks of about the same total size
    (the work grows with the file), largest files placed first."""
    def size(target: Target) -> int:
        try:
            return os.path.getsize(target.real)
        except OSError:
            return 0

    chunks: list[list[Target]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for target in sorted(targets, key=size, reverse=True):
        lightest = loads.index(min(loads))
        chunks[lightest].append(target)
        loads[lightest] += size(target) + 2048  # a file costs something even when small
    return chunks


def _keep_groups_whole(raw: list[Finding], kept: list[Finding]) -> None:
    """Drop every fix of a fix group some of whose findings were suppressed, ignored or
    have no fix: half a group fixed (a build's tag without its push) is worse than none."""
    sizes = Counter(finding.group for finding in raw if finding.group)
    if not sizes:
        return
    fixed = Counter(finding.group for finding in kept
                    if finding.group and finding.fix is not None)
    for finding in kept:
        if finding.group and fixed[finding.group] != sizes[finding.group]:
            finding.fix, finding.fixable = None, False


def lint_paths(paths: list[str], options: LintOptions) -> LintReport:
    """Lint every file the paths name; large batches are split across processes.

    Files are independent (each resolves its own includes), so a batch is cut
    into chunks of similar size linted in forked processes, and the findings
    are merged as one run would have.
    """
    targets = discover(paths, options)
    # A remote run stays in one process: one connection and one cache for all files.
    workers = 1 if options.remote is not None else _workers(targets)
    if workers <= 1:
        return Linter(options, use_cache=True).lint(targets)
    from cigen.lint.parallel import map_in_forks

    chunks = [(chunk, options) for chunk in _balanced(targets, workers)]
    results = map_in_forks(_lint_chunk, chunks)
    report = LintReport()
    findings: list[Finding] = []
    unused: list[Finding] = []
    used: set[tuple[str, int]] = set()
    order = {target.display: index for index, target in enumerate(targets)}
    for chunk_findings, chunk_unused, files, errors, file_errors, chunk_used in results:
        findings.extend(chunk_findings)
        unused.extend(chunk_unused)
        report.files.extend(files)
        report.internal_errors.extend(errors)
        report.file_errors.extend(file_errors)
        used |= chunk_used
    report.files.sort(key=lambda name: order.get(name, 0))
    report.file_errors.sort(key=lambda line: min(
        (index for display, index in order.items() if line.startswith(f"{display}: ")),
        default=0))
    # A suppression in a file that several shares include suppressed nothing only
    # if it suppressed nothing in any of them.
    findings.extend(finding for finding in unused
                    if (finding.span.path, finding.span.line) not in used)
    report.findings = merge_findings(findings)
    return report


MAX_FIX_ROUNDS = 5


class FixOutcome:
    """What `--fix` (or `--diff`) did: the report of what remains, and each changed file."""

    __slots__ = ("changes", "fixed", "refused", "report", "unwritable")

    report: LintReport
    changes: dict[str, tuple[str, str]]
    """Display path -> (text before, text after)."""
    fixed: int
    refused: list[str]
    """Files whose fixed text would not parse; left untouched."""
    unwritable: list[str]
    """``path: reason`` for each file whose fixed text could not be written; the
    file is left as it was and its findings stay in the report."""

    def __init__(self, report: LintReport, changes: dict[str, tuple[str, str]] | None = None,
                 fixed: int = 0, refused: list[str] | None = None) -> None:
        self.report = report
        self.changes = {} if changes is None else changes
        self.fixed = fixed
        self.refused = [] if refused is None else refused
        self.unwritable = []


def _still_parses(path: str, text: str) -> bool:
    try:
        if path.endswith(".toml"):
            import tomllib

            tomllib.loads(text)
        else:
            parse_yaml(SourceText(path, text))
    except Exception:
        return False
    return True


def fix_paths(paths: list[str], options: LintOptions, write: bool) -> FixOutcome:
    """Apply the fixes the options allow, round after round until none is left.

    Each round lints, applies every non-overlapping edit to each file, checks
    that the result still parses and writes it atomically (with ``write``);
    without ``write`` one round is computed and nothing is written, for
    ``--diff``. Fixes inside included files edit those files. A file that is a
    symbolic link (read only when its target is inside the repository root) is
    fixed by rewriting its target; the link stays. A file that cannot be written
    is reported in the report's ``file_errors`` and the others are still fixed.
    """
    targets = discover(paths, options)
    if any(target.real == STDIN for target in targets):
        raise UsageError("--fix and --diff need files, not standard input")
    outcome = FixOutcome(LintReport())
    unwritable: set[str] = set()
    for _ in range(MAX_FIX_ROUNDS if write else 1):
        linter = Linter(options)
        report = linter.lint(targets)
        outcome.report = report
        by_path: dict[str, list[Fix]] = {}
        for finding in report.findings:
            if finding.fixable and finding.fix is not None and finding.fix not in \
                    by_path.get(finding.fix.edits[0].path, []):
                by_path.setdefault(finding.fix.edits[0].path, []).append(finding.fix)
        applied_this_round = 0
        for path, fixes in sorted(by_path.items()):
            source = linter.sources.get(path)
            if source is None or path in outcome.refused or path in unwritable:
                continue
            after, applied = apply_fixes(source.text, fixes)
            if after == source.text:
                continue
            if not _still_parses(path, after):
                outcome.refused.append(path)
                continue
            if write:
                try:
                    write_atomically(path, ("\ufeff" if source.bom else "") + after)
                except OSError as error:
                    unwritable.add(path)
                    outcome.unwritable.append(
                        f"{path}: cannot write the fixed file: {error.strerror or error}")
                    continue
            before = outcome.changes.get(path, (source.text, ""))[0]
            outcome.changes[path] = (before, after)
            applied_this_round += len(applied)
        outcome.fixed += applied_this_round
        if not applied_this_round:
            break
    if write and outcome.fixed:
        outcome.report = Linter(options).lint(targets)
    outcome.report.file_errors.extend(outcome.unwritable)
    return outcome
