"""The lint run: from command-line paths to the final list of findings.

This module finds the files to check (``.gitlab-ci.yml``, ``*.gitlab-ci.yml``
and runner ``config.toml`` files below a directory, or ``-`` for standard
input), loads each one once, runs every selected rule on the resolved model,
turns loader and resolver problems into findings, applies inline
suppressions and merges findings that several jobs share. It never writes.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field

from cigen.findings import Finding, Severity, merge_findings
from cigen.includes import find_repository_root
from cigen.jobfacts import job_facts
from cigen.pipeline import load_pipeline
from cigen.rules import Hit, PipelineContext, Rule, all_rules, rules_by_name
from cigen.runner import load_runner_config, looks_like_runner_config
from cigen.source import LoadError, Problem, SourceText, decode_source
from cigen.suppressions import SuppressionIndex

PIPELINE_SUFFIXES = (".gitlab-ci.yml", ".gitlab-ci.yaml")
SKIPPED_DIRECTORIES = frozenset({".git", "node_modules", ".venv", "venv", ".tox", "__pycache__",
                                 ".mypy_cache", ".ruff_cache", ".pytest_cache"})
STDIN = "-"


class UsageError(Exception):
    """A problem with how cigen was called or with reading a path (exit 2)."""


@dataclass(slots=True)
class Target:
    display: str
    real: str
    kind: str
    """``pipeline`` or ``runner``."""


@dataclass(slots=True)
class LintOptions:
    root: str | None = None
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    no_ignores: bool = False
    stdin_filename: str | None = None


@dataclass(slots=True)
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def fails(self, threshold: Severity) -> bool:
        return any(finding.severity >= threshold for finding in self.findings)


def _kind_of(path: str) -> str:
    name = os.path.basename(path)
    return "runner" if name.endswith(".toml") else "pipeline"


def discover(paths: Iterable[str]) -> list[Target]:
    """Files to lint, in a stable order, from the paths given on the command line."""
    targets: list[Target] = []
    seen: set[str] = set()

    def add(display: str, kind: str) -> None:
        real = os.path.realpath(display)
        if real not in seen:
            seen.add(real)
            targets.append(Target(display, real, kind))

    for path in paths:
        if path == STDIN:
            targets.append(Target(STDIN, STDIN, "pipeline"))
        elif os.path.isdir(path):
            for directory, subdirs, files in os.walk(path):
                subdirs[:] = sorted(name for name in subdirs if name not in SKIPPED_DIRECTORIES)
                for name in sorted(files):
                    full = os.path.normpath(os.path.join(directory, name))
                    if name == ".gitlab-ci.yml" or name.endswith(PIPELINE_SUFFIXES):
                        add(full, "pipeline")
                    elif name.endswith(".toml") and _is_runner_file(full):
                        add(full, "runner")
        elif os.path.exists(path):
            add(path, _kind_of(path))
        else:
            raise UsageError(f"{path}: no such file or directory")
    return targets


def _is_runner_file(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(256 * 1024)
    except OSError:
        return False
    return looks_like_runner_config(head.decode("utf-8", "replace"))


def _read(target: Target, stdin_filename: str | None) -> bytes:
    if target.display == STDIN:
        return sys.stdin.buffer.read()
    try:
        with open(target.display, "rb") as handle:
            return handle.read()
    except IsADirectoryError:
        raise UsageError(f"{target.display}: is a directory") from None
    except OSError as error:
        raise UsageError(f"{target.display}: cannot read: {error.strerror}") from None


class Linter:
    def __init__(self, options: LintOptions) -> None:
        self.options = options
        self.rules = [rule for rule in all_rules() if self._selected(rule)]
        self.by_name = rules_by_name()
        self.report = LintReport()
        self.suppressions = SuppressionIndex()
        self._raw: list[Finding] = []

    def _selected(self, rule: Rule) -> bool:
        keys = {rule.name, rule.code}
        if self.options.select is not None and not keys & self.options.select:
            return False
        return not keys & self.options.ignore

    def finding(self, rule_name: str, message: str, hit_span: Problem | Hit,
                jobs: list[str] | None = None) -> Finding | None:
        rule = self.by_name[rule_name]
        if rule not in self.rules:
            return None
        return Finding(rule.code, rule.name, rule.severity, message, hit_span.span,
                       list(jobs or []), rule.fixable)

    def add_problem(self, problem: Problem) -> None:
        finding = self.finding(problem.rule, problem.message, problem)
        if finding is not None:
            self._raw.append(finding)

    def lint(self, targets: list[Target]) -> LintReport:
        for target in targets:
            self.lint_target(target)
        findings = self._raw
        if not self.options.no_ignores:
            findings = self.suppressions.filter(findings)
        self.report.findings = merge_findings(findings)
        return self.report

    def lint_target(self, target: Target) -> None:
        display = target.display
        if display == STDIN and self.options.stdin_filename:
            display = self.options.stdin_filename
        raw = _read(target, self.options.stdin_filename)
        self.report.files.append(display)
        try:
            source = decode_source(raw, display)
        except LoadError as error:
            self.add_problem(error.problem)
            return
        kind = target.kind
        if target.display == STDIN and looks_like_runner_config(source.text):
            kind = "runner"
        if kind == "runner":
            self._lint_runner(source)
        else:
            self._lint_pipeline(target, source, display)

    def _run_rule(self, rule: Rule, hits: Iterable[Hit], where: str) -> None:
        try:
            for hit in hits:
                self._raw.append(Finding(rule.code, rule.name, rule.severity, hit.message,
                                         hit.span, list(hit.jobs), rule.fixable))
        except Exception:  # a rule bug must not hide the other findings
            detail = traceback.format_exc(limit=-1).strip().splitlines()[-1]
            self.report.internal_errors.append(f"{where}: rule {rule.name} failed: {detail}")

    def _lint_runner(self, source: SourceText) -> None:
        self.suppressions.add_source(source)
        try:
            config = load_runner_config(source)
        except LoadError as error:
            self.add_problem(error.problem)
            return
        for rule in self.rules:
            if rule.check_runner is not None:
                self._run_rule(rule, rule.check_runner(config), source.path)

    def _lint_pipeline(self, target: Target, source: SourceText, display: str) -> None:
        if target.real == STDIN:
            base_path = os.path.join(os.getcwd(), os.path.basename(display))
        else:
            base_path = target.real
        root = self.options.root or find_repository_root(base_path)
        display_base = None if os.path.isabs(display) else os.getcwd()
        pipeline = load_pipeline(base_path, source, root, display_base)
        for path in pipeline.files:
            self.suppressions.add_source(pipeline.sources[path])
        for problem in pipeline.problems:
            self.add_problem(problem)
        if not pipeline.jobs:
            return
        context = PipelineContext(pipeline, job_facts(pipeline))
        for rule in self.rules:
            if rule.check is not None:
                self._run_rule(rule, rule.check(context), display)


# Below this many files a worker process costs more than it saves.
PARALLEL_MIN_FILES = 16


def _lint_chunk(job: tuple[list[Target], LintOptions]) -> tuple[list[Finding], list[str],
                                                                list[str]]:
    targets, options = job
    linter = Linter(options)
    report = linter.lint(targets)
    return report.findings, report.files, report.internal_errors


def _workers(targets: list[Target]) -> int:
    if len(targets) < PARALLEL_MIN_FILES or any(target.real == STDIN for target in targets):
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(os.cpu_count() or 1, 4, len(targets) // (PARALLEL_MIN_FILES // 2))


def lint_paths(paths: list[str], options: LintOptions) -> LintReport:
    """Lint every file the paths name; large batches are split across processes.

    Files are independent (each resolves its own includes), so a batch is cut
    into interleaved chunks linted by forked workers, which share the parent's
    imported modules, and the findings are merged as one run would have.
    """
    targets = discover(paths)
    workers = _workers(targets)
    if workers <= 1:
        return Linter(options).lint(targets)
    chunks = [(targets[index::workers], options) for index in range(workers)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.map(_lint_chunk, chunks)
    report = LintReport()
    findings: list[Finding] = []
    order = {target.display: index for index, target in enumerate(targets)}
    for chunk_findings, files, errors in results:
        findings.extend(chunk_findings)
        report.files.extend(files)
        report.internal_errors.extend(errors)
    report.files.sort(key=lambda name: order.get(name, 0))
    report.findings = merge_findings(findings)
    return report
