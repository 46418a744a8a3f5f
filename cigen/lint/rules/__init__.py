"""The rule registry: every rule is one module in this package.

A rule module's docstring is its documentation (what it does, why, a bad and a
good example, fix safety) and declares ``CODE``, ``NAME``, ``SEVERITY``,
``SUMMARY`` and ``FIXABLE``. Pipeline rules define ``check(context)``, runner
rules ``check_runner(config)`` (also run on the configuration a Helm values file
embeds) and, for the chart's own values, ``check_chart(values)``; all yield
:class:`Hit`. Rules without either
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
    from cigen.runner.helm import HelmValues

HOMEPAGE = "https://gitlab.com/cigen/cigen"
RULES_DOCUMENT = f"{HOMEPAGE}/-/blob/main/docs/rules.md"
"""``docs/rules.md``: every rule's documentation under a heading of its own,
generated from the rule modules (``cigen rules --format docs``)."""

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
    "shellcheck",
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

    __slots__ = ("code", "fix", "group", "jobs", "message", "severity", "span")

    span: Span
    message: str
    jobs: list[str]
    fix: Fix | None
    code: str | None
    """The code of a finding another tool made (``SC2086``), instead of the rule's."""
    severity: Severity | None
    """That tool's severity for it, instead of the rule's default."""
    group: str
    """Hits whose fixes must be applied together or not at all (the build and the push
    of one tag) share a group; the engine drops every fix of a group when one of its
    findings is suppressed, ignored or has none."""

    def __init__(self, span: Span, message: str, jobs: list[str] | None = None,
                 fix: Fix | None = None, *, code: str | None = None,
                 severity: Severity | None = None, group: str = "") -> None:
        self.span = span
        self.message = message
        self.jobs = [] if jobs is None else jobs
        self.fix = fix
        self.code = code
        self.severity = severity
        self.group = group


class RuleCannotRun(Exception):
    """A selected rule needs something this machine lacks (a program); the run
    stops with a usage error (exit 2) rather than report less than was asked."""


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
    __slots__ = ("check", "check_chart", "check_gathered", "check_runner", "code",
                 "default_enabled", "doc", "example_args", "fixable", "gather", "name",
                 "severity", "summary")

    code: str
    name: str
    severity: Severity
    summary: str
    fixable: bool
    doc: str
    check: Callable[[PipelineContext], Iterable[Hit]] | None
    check_runner: Callable[[RunnerConfig], Iterable[Hit]] | None
    check_chart: Callable[[HelmValues], Iterable[Hit]] | None
    gather: Callable[[PipelineContext], Iterable[Any]] | None
    """Collects work from each pipeline for :attr:`check_gathered` to do for a whole
    run at once (an external program that is slow to start)."""
    check_gathered: Callable[[list[Any]], Iterable[Hit]] | None
    default_enabled: bool
    """Off unless selected by name (a rule that needs an optional program)."""
    example_args: tuple[str, ...]
    """Flags its documented examples are linted with."""

    def __init__(self, code: str, name: str, severity: Severity, summary: str, fixable: bool,
                 doc: str, check: Callable[[PipelineContext], Iterable[Hit]] | None,
                 check_runner: Callable[[RunnerConfig], Iterable[Hit]] | None,
                 example_args: tuple[str, ...] = (),
                 check_chart: Callable[[HelmValues], Iterable[Hit]] | None = None,
                 gather: Callable[[PipelineContext], Iterable[Any]] | None = None,
                 check_gathered: Callable[[list[Any]], Iterable[Hit]] | None = None,
                 default_enabled: bool = True) -> None:
        self.code = code
        self.name = name
        self.severity = severity
        self.summary = summary
        self.fixable = fixable
        self.doc = doc
        self.check = check
        self.check_runner = check_runner
        self.check_chart = check_chart
        self.gather = gather
        self.check_gathered = check_gathered
        self.default_enabled = default_enabled
        self.example_args = example_args

    @property
    def anchor(self) -> str:
        """The heading anchor of the rule in ``docs/rules.md``, as GitLab makes it."""
        return f"{self.code.lower()}-{self.name}"

    @property
    def url(self) -> str:
        """The rule's stable documentation address."""
        return f"{RULES_DOCUMENT}#{self.anchor}"


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
            check_chart=getattr(module, "check_chart", None),
            gather=getattr(module, "gather", None),
            check_gathered=getattr(module, "check_gathered", None),
            default_enabled=getattr(module, "DEFAULT_ENABLED", True),
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
        # A prefix names the rules that are on by default; the others by name only.
        return [rule for rule in all_rules()
                if rule.code.startswith(prefix) and rule.default_enabled]
    return []


def find_rule(key: str) -> Rule | None:
    """A rule by name or code (case-insensitive for codes)."""
    by_name = rules_by_name()
    if key in by_name:
        return by_name[key]
    return next((rule for rule in all_rules() if rule.code.lower() == key.lower()), None)
