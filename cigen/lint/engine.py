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
import sys
from collections.abc import Iterable
from typing import Any

from cigen.gitlab.pipeline import load_pipeline
from cigen.jobs.facts import job_facts
from cigen.lint.findings import Finding, Severity, merge_findings
from cigen.lint.fix import Fix, apply_fixes
from cigen.lint.rules import Hit, PipelineContext, Rule, all_rules, rules_by_name
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

PIPELINE_SUFFIXES = (".gitlab-ci.yml", ".gitlab-ci.yaml")
SKIPPED_DIRECTORIES = frozenset({".git", "node_modules", ".venv", "venv", ".tox", "__pycache__",
                                 ".mypy_cache", ".ruff_cache", ".pytest_cache"})
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
    """What to check and how, from the flags and the configuration file."""

    __slots__ = ("exclude", "extend_select", "ignore", "no_ignores", "patterns_base",
                 "per_file_ignores", "require_reason", "root", "rule_options", "select", "severity",
                 "stdin_filename", "unsafe_fixes")

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
    per_file_ignores: dict[str, frozenset[str]]
    patterns_base: str
    """The directory `exclude` and `per-file-ignores` patterns are relative to."""
    rule_options: dict[str, dict[str, Any]]

    def __init__(self, root: str | None = None, select: frozenset[str] | None = None,
                 extend_select: frozenset[str] = frozenset(), ignore: frozenset[str] = frozenset(),
                 no_ignores: bool = False, stdin_filename: str | None = None,
                 unsafe_fixes: bool = False, require_reason: bool = False,
                 severity: dict[str, Severity] | None = None, exclude: tuple[str, ...] = (),
                 per_file_ignores: dict[str, frozenset[str]] | None = None,
                 patterns_base: str = ".",
                 rule_options: dict[str, dict[str, Any]] | None = None) -> None:
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
        self.per_file_ignores = {} if per_file_ignores is None else per_file_ignores
        self.patterns_base = patterns_base
        self.rule_options = {} if rule_options is None else rule_options

    def excluded(self, path: str) -> bool:
        return any(_glob_match(pattern, path, self.patterns_base) for pattern in self.exclude)

    def ignored_in_file(self, finding: Finding) -> bool:
        return any(finding.rule in rules and _glob_match(pattern, finding.span.path,
                                                         self.patterns_base)
                   for pattern, rules in self.per_file_ignores.items())


def _glob_match(pattern: str, path: str, base: str) -> bool:
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(base)).replace(os.sep, "/")
    regex = glob_regex(pattern.strip("/"))
    return regex.match(relative) is not None or \
        regex.match(os.path.basename(relative)) is not None

class LintReport:
    __slots__ = ("file_errors", "files", "findings", "internal_errors")

    findings: list[Finding]
    files: list[str]
    internal_errors: list[str]
    file_errors: list[str]
    """``path: reason`` for each file that could not be read or written (exit 2)."""

    def __init__(self, findings: list[Finding] | None = None, files: list[str] | None = None,
                 internal_errors: list[str] | None = None,
                 file_errors: list[str] | None = None) -> None:
        self.findings = [] if findings is None else findings
        self.files = [] if files is None else files
        self.internal_errors = [] if internal_errors is None else internal_errors
        self.file_errors = [] if file_errors is None else file_errors

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def fails(self, threshold: Severity) -> bool:
        return any(finding.severity >= threshold for finding in self.findings)


def _kind_of(path: str) -> str:
    name = os.path.basename(path)
    return "runner" if name.endswith(".toml") else "pipeline"


def discover(paths: Iterable[str], options: LintOptions | None = None) -> list[Target]:
    """Files to lint, in a stable order, from the paths given on the command line."""
    targets: list[Target] = []
    seen: set[str] = set()

    def add(display: str, kind: str) -> None:
        real = os.path.realpath(display)
        if options is not None and options.excluded(display):
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
                    elif name.endswith(".toml") and _is_runner_file(full, options):
                        add(full, "runner")
        elif os.path.lexists(path):  # a broken link too: reported with the other files
            add(path, _kind_of(path))
        else:
            raise UsageError(f"{path}: no such file or directory")
    return targets


def _is_runner_file(path: str, options: LintOptions | None) -> bool:
    """A TOML file found by a directory scan is linted when its text looks like a
    runner configuration; one that cannot be read has no such text, and is left out."""
    from cigen.runner.config import looks_like_runner_config

    try:
        check_link(path, repository_root_of(path, options))
        head = read_regular_file(path, 256 * 1024)
    except UnreadableFile:
        return False
    return looks_like_runner_config(head.decode("utf-8", "replace"))


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
    def __init__(self, options: LintOptions) -> None:
        self.options = options
        self.rules = [rule for rule in all_rules() if self._selected(rule)]
        self.by_name = rules_by_name()
        self.report = LintReport()
        self.suppressions = SuppressionIndex()
        self.sources: dict[str, SourceText] = {}
        self._raw: list[Finding] = []
        self.unused_suppressions: list[Finding] = []
        """`unused-suppression` findings for suppressions that suppressed nothing in
        this run; :meth:`lint` adds them to the report unless told to leave them out."""

    def _selected(self, rule: Rule) -> bool:
        keys = {rule.name, rule.code}
        options = self.options
        if options.select is not None and not keys & (options.select | options.extend_select):
            return False
        if rule.name == "missing-suppression-reason" and not options.require_reason:
            return False
        return not keys & options.ignore

    def _finding(self, rule: Rule, message: str, span: Span, jobs: list[str],
                 fix: Fix | None = None) -> Finding:
        fixable = fix is not None and (fix.safe or self.options.unsafe_fixes)
        return Finding(rule.code, rule.name, self.options.severity.get(rule.name, rule.severity),
                       message, span, jobs, fixable, fix=fix)

    def _schema_selected(self) -> bool:
        return any(rule.name in SCHEMA_RULES for rule in self.rules)

    def add_problem(self, problem: Problem) -> None:
        """Record a loader or resolver problem as a finding of its rule, if selected."""
        rule = self.by_name[problem.rule]
        if rule in self.rules:
            self._raw.append(self._finding(rule, problem.message, problem.span, []))

    def lint(self, targets: list[Target], *, report_unused: bool = True) -> LintReport:
        """Lint ``targets``. With ``report_unused=False`` the findings on suppressions
        that suppressed nothing stay in :attr:`unused_suppressions` only, for a
        caller that judges them over several linters."""
        for target in targets:
            try:
                self.lint_target(target)
            except UnreadableFile as error:
                self.report.file_errors.append(f"{target.display}: {error}")
            except Exception:  # a bug must cost one file, not the whole run
                import traceback

                detail = traceback.format_exc(limit=-1).strip().splitlines()[-1]
                self.report.internal_errors.append(f"{target.display}: {detail}")
        findings = self._raw
        if not self.options.no_ignores:
            findings = self.suppressions.filter(findings) + self._suppression_findings()
        self.unused_suppressions = self._finished(self.unused_suppressions)
        findings = self._finished(findings)
        if report_unused:
            findings += self.unused_suppressions
        self.report.findings = merge_findings(findings)
        return self.report

    def _finished(self, findings: list[Finding]) -> list[Finding]:
        """The findings per-file ignores and excluded files leave, each with its source
        line. An excluded file reached through an include still feeds the jobs that
        include it; only what is written in it goes unreported (and unfixed)."""
        findings = [finding for finding in findings if not self.options.ignored_in_file(finding)
                    and not (self.options.exclude and self.options.excluded(finding.span.path))]
        for finding in findings:
            source = self.sources.get(finding.span.path)
            if source is not None:
                finding.snippet = source.line_text(finding.span.line).strip()
        return findings

    def _suppression_findings(self) -> list[Finding]:
        """Suppressions that suppress nothing, name no rule, or lack a required reason."""
        found = []
        known = {key for rule in all_rules() for key in (rule.name, rule.code)}
        selected = {key for rule in self.rules for key in (rule.name, rule.code)}
        unused = self.by_name["unused-suppression"]
        missing_reason = self.by_name["missing-suppression-reason"]
        for suppression in self.suppressions.all():
            source = self.sources.get(suppression.path)
            if source is None:
                continue
            span = directive_span(suppression, source)
            listed = ", ".join(sorted(suppression.rules))
            if missing_reason in self.rules and not suppression.reason:
                found.append(self._finding(missing_reason, f"`ignore[{listed}]` gives no "
                                           "reason; say why the finding is accepted", span, []))
            if unused not in self.rules:
                continue
            unknown = sorted(suppression.rules - known)
            if unknown:
                found.append(self._finding(unused, f"no rule named {', '.join(unknown)} "
                                           "(see `cigen rules`)", span, []))
            elif not suppression.used and suppression.rules <= selected:
                fix = Fix((removal(suppression, source),), True, "remove the comment")
                self.unused_suppressions.append(self._finding(
                    unused, f"`ignore[{listed}]` suppresses nothing here; remove it", span, [],
                    fix))
        return found

    def lint_target(self, target: Target) -> None:
        display = target.display
        if display == STDIN and self.options.stdin_filename:
            display = self.options.stdin_filename
        # Standard input stands for a file of its name in the current directory.
        location = (os.path.join(os.getcwd(), os.path.basename(display))
                    if target.real == STDIN else target.display)
        root = repository_root_of(location, self.options)
        raw = _read(target, root)
        self.report.files.append(display)
        try:
            source = decode_source(raw, display)
        except LoadError as error:
            self.add_problem(error.problem)
            return
        kind = target.kind
        if target.display == STDIN:
            from cigen.runner.config import looks_like_runner_config

            if looks_like_runner_config(source.text):
                kind = "runner"
        if kind == "runner":
            self._lint_runner(source)
        else:
            real = location if target.real == STDIN else target.real
            self._lint_pipeline(real, source, display, root)

    def _run_rule(self, rule: Rule, hits: Iterable[Hit], where: str) -> None:
        try:
            for hit in hits:
                self._raw.append(self._finding(rule, hit.message, hit.span, list(hit.jobs),
                                               hit.fix))
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
        for rule in self.rules:
            if rule.check_runner is not None:
                self._run_rule(rule, rule.check_runner(config), source.path)

    def _lint_pipeline(self, real: str, source: SourceText, display: str, root: str) -> None:
        display_base = None if os.path.isabs(display) else os.getcwd()
        pipeline = load_pipeline(real, source, root, display_base)
        for path in pipeline.files:
            self.sources[path] = pipeline.sources[path]
            self.suppressions.add_source(pipeline.sources[path])
        for problem in pipeline.problems:
            self.add_problem(problem)
        if pipeline.config and self._schema_selected():
            from cigen.gitlab.schema import validate

            for problem in validate(pipeline.config, display):
                self.add_problem(problem)
        if not pipeline.jobs:
            return
        context = PipelineContext(pipeline, job_facts(pipeline), self.options.rule_options)
        for rule in self.rules:
            if rule.check is not None:
                self._run_rule(rule, rule.check(context), display)


# Below this many files a worker process costs more than it saves.
PARALLEL_MIN_FILES = 16


ChunkResult = tuple[list[Finding], list[Finding], list[str], list[str], list[str],
                    set[tuple[str, int]]]


def _lint_chunk(job: tuple[list[Target], LintOptions]) -> ChunkResult:
    """Lint one share of a batch: its findings, its findings on suppressions that
    suppressed nothing, its files, internal errors and unreadable files, and where
    the suppressions that did suppress something are (path, line)."""
    targets, options = job
    linter = Linter(options)
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


def lint_paths(paths: list[str], options: LintOptions) -> LintReport:
    """Lint every file the paths name; large batches are split across processes.

    Files are independent (each resolves its own includes), so a batch is cut
    into chunks of similar size linted in forked processes, and the findings
    are merged as one run would have.
    """
    targets = discover(paths, options)
    workers = _workers(targets)
    if workers <= 1:
        return Linter(options).lint(targets)
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
