"""The rule registry: every rule is one module in this package.

A rule module's docstring is its documentation (what it does, why, a bad and a
good example, fix safety) and declares ``CODE``, ``NAME``, ``SEVERITY``,
``SUMMARY`` and ``FIXABLE``. Pipeline rules define ``check(context)``, runner
rules ``check_runner(config)``; both yield :class:`Hit`. Rules without either
document problems the loader and resolver report themselves (broken YAML, a
missing include, a circular ``extends``). Adding a rule means adding a module
and naming it in ``RULE_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from cigen.lint.findings import Severity
from cigen.lint.fix import Fix
from cigen.source.positions import Span

if TYPE_CHECKING:
    from cigen.gitlab.pipeline import Pipeline
    from cigen.jobs.facts import JobFacts
    from cigen.jobs.images import ImageRef
    from cigen.runner.config import RunnerConfig

RULE_MODULES = (
    "invalid_syntax",
    "duplicate_key",
    "include_error",
    "include_unresolved",
    "extends_error",
    "reference_error",
    "unused_suppression",
    "missing_suppression_reason",
    "input_error",
    "input_unset",
    "privileged_dind",
    "docker_socket_mount",
    "dind_tls_disabled",
    "vfs_storage_driver",
    "missing_cache_from",
    "ineffective_cache_from",
    "ref_name_tag",
    "unconditional_latest",
    "registry_password_argv",
    "unpinned_docker_image",
    "docker_version_mismatch",
    "privileged_runner",
    "runner_dind_certs_volume",
    "unknown_keyword",
    "invalid_value",
    "missing_keyword",
    "script_line_is_mapping",
    "undefined_stage",
    "undefined_need",
    "job_without_script",
)


class Hit:
    """One occurrence a rule found: where, what, and which jobs it affects."""

    __slots__ = ("fix", "jobs", "message", "span")

    span: Span
    message: str
    jobs: list[str]
    fix: Fix | None

    def __init__(self, span: Span, message: str, jobs: list[str] | None = None,
                 fix: Fix | None = None) -> None:
        self.span = span
        self.message = message
        self.jobs = [] if jobs is None else jobs
        self.fix = fix


class PipelineContext:
    __slots__ = ("jobs", "options", "pipeline")

    pipeline: Pipeline
    jobs: list[JobFacts]
    options: dict[str, dict[str, Any]]
    """Rule options from the configuration, by rule name."""

    def __init__(self, pipeline: Pipeline, jobs: list[JobFacts],
                 options: dict[str, dict[str, Any]] | None = None) -> None:
        self.pipeline = pipeline
        self.jobs = jobs
        self.options = {} if options is None else options

    def option(self, rule: str, key: str, default: Any = None) -> Any:
        return self.options.get(rule, {}).get(key, default)

    def images(self) -> Iterator[tuple[ImageRef, list[str]]]:
        """Every image and service with the jobs using it, plus top-level and
        ``default:`` ones that no job uses (they are still written in the file)."""
        from cigen.jobs.images import global_images

        for facts in self.jobs:
            if facts.image is not None:
                yield facts.image, [facts.name]
            for service in facts.services:
                yield service, [facts.name]
        yield from ((image, []) for image in global_images(self.pipeline))


class Rule:
    __slots__ = ("check", "check_runner", "code", "doc", "example_args", "fixable", "name",
                 "severity", "summary")

    code: str
    name: str
    severity: Severity
    summary: str
    fixable: bool
    doc: str
    check: Callable[[PipelineContext], Iterable[Hit]] | None
    check_runner: Callable[[RunnerConfig], Iterable[Hit]] | None
    example_args: tuple[str, ...]
    """Flags its documented examples are linted with."""

    def __init__(self, code: str, name: str, severity: Severity, summary: str, fixable: bool,
                 doc: str, check: Callable[[PipelineContext], Iterable[Hit]] | None,
                 check_runner: Callable[[RunnerConfig], Iterable[Hit]] | None,
                 example_args: tuple[str, ...] = ()) -> None:
        self.code = code
        self.name = name
        self.severity = severity
        self.summary = summary
        self.fixable = fixable
        self.doc = doc
        self.check = check
        self.check_runner = check_runner
        self.example_args = example_args


@cache
def all_rules() -> tuple[Rule, ...]:
    rules = []
    for module_name in RULE_MODULES:
        module = importlib.import_module(f"cigen.lint.rules.{module_name}")
        rules.append(Rule(
            code=module.CODE,
            name=module.NAME,
            severity=module.SEVERITY,
            summary=module.SUMMARY,
            fixable=getattr(module, "FIXABLE", False),
            doc=(module.__doc__ or "").strip(),
            check=getattr(module, "check", None),
            check_runner=getattr(module, "check_runner", None),
            example_args=getattr(module, "EXAMPLE_ARGS", ()),
        ))
    return tuple(rules)


@cache
def rules_by_name() -> dict[str, Rule]:
    return {rule.name: rule for rule in all_rules()}


def find_rules(key: str) -> list[Rule]:
    """Rules named by ``key``: a name, a code, or a code prefix (``CG1`` = CG100-CG199)."""
    rule = find_rule(key)
    if rule is not None:
        return [rule]
    prefix = key.upper()
    if len(prefix) > 2 and prefix.startswith("CG") and prefix[2:].isdigit():
        return [rule for rule in all_rules() if rule.code.startswith(prefix)]
    return []


def find_rule(key: str) -> Rule | None:
    """A rule by name or code (case-insensitive for codes)."""
    by_name = rules_by_name()
    if key in by_name:
        return by_name[key]
    return next((rule for rule in all_rules() if rule.code.lower() == key.lower()), None)
