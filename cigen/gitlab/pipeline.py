"""The resolved pipeline: jobs as GitLab sees them, with every value's source.

Resolution follows GitLab's order: includes are merged (``cigen.gitlab.includes``),
then ``extends`` chains are merged into each job, then ``!reference`` tags are
replaced, then ``default:`` (and the old top-level ``image``/``services``/…)
fills what a job leaves unset, honouring ``inherit:``. Global and job
``variables:`` become each job's effective variables. Problems GitLab would
reject (unknown or circular ``extends``, a ``!reference`` that leads nowhere)
are collected as :class:`~cigen.source.text.Problem` and resolution goes on.
Work is bounded whatever the input: each `!reference` path is resolved once,
and a value that would grow past a limit (GitLab's where it has one) is
reported once, where it is written, and treated as unknown.
Hidden jobs (``.name``) are resolved too, because templates are where
problems are usually written.
"""

from __future__ import annotations

import re
from typing import Any

from cigen.gitlab.includes import IncludeResolver, IncludeResult, RemoteFetcher, RemoteFile
from cigen.gitlab.merge import merge_all, without_keys
from cigen.source.positions import Reference, Span, YMap, YSeq
from cigen.source.text import Problem, SourceText
from cigen.source.yaml_reader import MAX_EXPANDED_NODES

RULE_KEYS = frozenset({"rules", "only", "except"})
"""The keys that decide the refs a job runs on."""
MAX_EXTENDS_LEVELS = 11
MAX_REFERENCE_DEPTH = 10
MAX_EXPANDED_VARIABLE = 10 * 1024 * 1024
"""GitLab stops expanding a job's variables once expansion adds 10 MiB."""
MAX_EXPANSION_DEPTH = 64
"""Deeper chains of variables naming variables are left as written (as the shell
expansion in `cigen.shell.parser` does)."""
VARIABLE_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
MAX_REFERENCED_VALUES = MAX_EXPANDED_NODES
"""GitLab has no such limit, but caps the size of the whole configuration;
a `!reference` that stands for more values than this is not resolved."""
MAX_REFERENCED_VALUES_IN_ALL = 4 * MAX_REFERENCED_VALUES
"""All `!reference` tags of a pipeline together stop copying values past this."""

GLOBAL_KEYWORDS = frozenset({
    "image", "services", "stages", "types", "before_script", "after_script", "variables",
    "cache", "include", "default", "workflow", "spec",
})
DEFAULT_KEYWORDS = frozenset({
    "image", "services", "before_script", "after_script", "tags", "cache", "artifacts",
    "retry", "timeout", "interruptible", "hooks", "id_tokens", "identity",
})
LEGACY_GLOBAL_DEFAULTS = ("image", "services", "before_script", "after_script", "cache")
# Lists GitLab flattens when `!reference` (or an anchor) nests one inside another:
# the script keys (Entry::Commands), `rules`, `needs` and `stages` (nested up to 10
# levels). Any other list keeps its nesting, and GitLab's schema judges it (nested
# `tags` are an error).
FLATTENED_LISTS = ("script", "before_script", "after_script", "rules", "needs", "stages")


class _Unresolved:
    """Stands for a `!reference` that failed (and was reported) until it is dropped."""

    __slots__ = ()


UNRESOLVED = _Unresolved()


class _Resolved:
    """A `!reference` once resolved, with how deep its own references nest and how
    many values it stands for (counting what those references stand for)."""

    __slots__ = ("copied", "failed", "height", "size", "span", "value")

    def __init__(self, value: Any, span: Span | None, failed: bool = False) -> None:
        self.value = value
        self.span = span
        self.height = 0
        self.size = 0
        self.copied = 0
        """Of ``size``, the values that `!reference` tags in it copy."""
        self.failed = failed
        """It is over a limit, or holds something that is: reported once, and every
        `!reference` to it is dropped."""


class Variable:
    __slots__ = ("expand", "name", "span", "value")

    name: str
    value: str
    span: Span | None
    expand: bool

    def __init__(self, name: str, value: str, span: Span | None, expand: bool = True) -> None:
        self.name = name
        self.value = value
        self.span = span
        self.expand = expand


class Job:
    """One job (or hidden template) after extends, references and defaults."""

    __slots__ = ("ancestors", "config", "incomplete", "name", "rules_unknown", "variables")

    name: str
    config: YMap
    variables: dict[str, Variable]
    ancestors: set[str]
    """Every job or template this one extends, directly or through others."""
    incomplete: bool
    """Some template it extends is not in the files cigen could read."""
    rules_unknown: bool
    """Its ``rules``/``only``/``except`` may come from such a template: no template
    merged after it, nor the job itself, sets them."""

    def __init__(self, name: str, config: YMap, variables: dict[str, Variable] | None = None,
                 ancestors: set[str] | None = None, incomplete: bool = False,
                 rules_unknown: bool | None = None) -> None:
        self.name = name
        self.config = config
        self.variables = {} if variables is None else variables
        self.ancestors = set() if ancestors is None else ancestors
        self.incomplete = incomplete
        self.rules_unknown = incomplete if rules_unknown is None else rules_unknown

    @property
    def hidden(self) -> bool:
        return self.name.startswith(".")

    def span(self) -> Span | None:
        return self.config.span


class Pipeline:
    __slots__ = ("config", "files", "jobs", "path", "problems", "reads_tree", "referenced",
                 "root", "sources", "unknown_targets", "unresolved_includes")

    path: str
    config: YMap
    jobs: dict[str, Job]
    sources: dict[str, SourceText]
    files: list[str]
    problems: list[Problem]
    unresolved_includes: bool
    referenced: set[str]
    """Top-level keys that some `!reference` reads."""
    reads_tree: bool
    """What it includes depends on which files the repository holds (a glob, `exists:`,
    a local file that is not there), or a job reads a file beside it (a compose file)."""
    root: str | None

    def __init__(self, path: str, config: YMap, jobs: dict[str, Job],
                 sources: dict[str, SourceText], files: list[str], problems: list[Problem],
                 unresolved_includes: bool, referenced: set[str] | None = None,
                 unknown_targets: list[Problem] | None = None) -> None:
        self.path = path
        self.config = config
        self.jobs = jobs
        self.sources = sources
        self.files = files
        self.problems = problems
        self.unresolved_includes = unresolved_includes
        self.referenced = set() if referenced is None else referenced
        self.unknown_targets = [] if unknown_targets is None else unknown_targets
        self.reads_tree = False
        self.root = None
        """The repository's root, where jobs start (``None`` for a text with no tree)."""

    def is_whole_pipeline(self) -> bool:
        """Whether this file looks like a pipeline's root rather than a fragment that
        another file includes: it is named `.gitlab-ci.yml`, or declares `stages:` or
        `workflow:`. Checks that need every job and stage (an undefined stage or need)
        are only meaningful there."""
        name = self.path.replace("\\", "/").rsplit("/", 1)[-1]
        return name == ".gitlab-ci.yml" or "stages" in self.config or "workflow" in self.config

    def templates_in_use(self) -> set[str]:
        """Hidden jobs that a visible job extends or that a `!reference` reads."""
        used = set(self.referenced)
        for job in self.jobs.values():
            if not job.hidden:
                used.update(job.ancestors)
        return used


def load_pipeline(real_path: str, source: SourceText, root: str,
                  display_base: str | None, fetcher: RemoteFetcher | None = None,
                  home: RemoteFile | None = None) -> Pipeline:
    """Load a pipeline file with its includes (remote ones through ``fetcher``, when
    given) and resolve every job."""
    resolver = IncludeResolver(root, display_base, fetcher, home)
    config = resolver.load_main(real_path, source)
    pipeline = resolve(source.path, config, resolver.result)
    pipeline.root = resolver.root
    return pipeline


def resolve(path: str, config: YMap | None, included: IncludeResult) -> Pipeline:
    problems = included.problems
    if config is None:
        pipeline = Pipeline(path, YMap(), {}, included.sources, included.files, problems,
                            included.unresolved)
    else:
        resolver = _Resolver(config, problems, included.unresolved, included.needs_resolution)
        jobs = resolver.resolve_jobs()
        pipeline = Pipeline(path, resolver.config, jobs, included.sources, included.files,
                            problems, included.unresolved, resolver.referenced,
                            resolver.unknown_targets)
    pipeline.reads_tree = included.reads_tree
    return pipeline


class _Resolver:
    def __init__(self, config: YMap, problems: list[Problem], unresolved: bool,
                 has_references: bool = True) -> None:
        self.has_references = has_references
        self.raw = config
        self.config = config
        self.problems = problems
        self.unresolved = unresolved
        self.extended: dict[str, YMap] = {}
        self.ancestors: dict[str, set[str]] = {}
        self.levels: dict[str, int] = {}
        """How many mappings each job's `extends` chain merges, itself included."""
        self.incomplete: set[str] = set()
        self.rules_open: set[str] = set()
        """Jobs whose rules may come from a template that could not be read."""
        self.referenced: set[str] = set()
        self.unknown_targets: list[Problem] = []
        """`extends` and `!reference` targets not found where includes could not be read:
        not errors (they may be in those includes), but what they hold is missing."""
        self._extending: list[str] = []
        self._followed: dict[tuple[str, ...], _Resolved] = {}
        self._following: list[tuple[str, ...]] = []
        self._measures: list[_Resolved] = []
        """The references being resolved, innermost last, measuring what they hold."""
        self._too_deep: set[tuple[str, ...]] = set()
        self._size_problems: set[tuple[str, Span]] = set()

    def job_names(self) -> list[str]:
        return [key for key, value in self.raw.items()
                if isinstance(key, str) and key not in GLOBAL_KEYWORDS and isinstance(value, YMap)]

    def resolve_jobs(self) -> dict[str, Job]:
        names = self.job_names()
        for name in names:
            self._extend(name, self.raw[name])
        # !reference reads jobs after extends, and any other top-level key as written.
        top = YMap(self.raw.span)
        for key in self.raw:
            if key in self.extended:
                top.copy_entry(self.raw, key, self.extended[key], use_value=True)
            else:
                top.copy_entry(self.raw, key)
        self.config = top
        resolved_top = self._resolve_top(top) if self.has_references else top
        self.config = resolved_top
        defaults = self._defaults()
        global_variables = self._variables(resolved_top.get("variables"), resolved_top,
                                           "variables")
        self._check_expanded_sizes(global_variables)
        jobs = {}
        for name in names:
            job_config = resolved_top.get(name)
            if not isinstance(job_config, YMap):
                continue
            job_config = self._apply_defaults(job_config, defaults)
            jobs[name] = Job(name, job_config,
                             self._job_variables(job_config, global_variables),
                             self.ancestors.get(name, set()), name in self.incomplete,
                             name in self.rules_open)
        return jobs

    # -- extends -------------------------------------------------------------

    def _extend(self, name: str, job: YMap) -> YMap:
        if name in self.extended:
            return self.extended[name]
        result = self._merge_parents(name, job)
        self.extended[name] = result
        return result

    def _merge_parents(self, name: str, job: YMap) -> YMap:
        parents = job.get("extends")
        if parents is None:
            self.levels[name] = 1
            return job
        span = job.span_of("extends") or job.span or Span("", 1, 1, 1, 1)
        if name in self._extending:
            cycle = " -> ".join((*self._extending[self._extending.index(name):], name))
            self.problems.append(Problem(
                "extends-error", f"circular dependency detected in `extends`: {cycle}", span))
            return without_keys(job, "extends")
        if len(self._extending) > 4 * MAX_EXTENDS_LEVELS:
            return without_keys(job, "extends")  # reported by the job that first went too deep
        if isinstance(parents, str):
            parent_list: list[tuple[Any, Span | None]] = [(parents, span)]
        elif isinstance(parents, YSeq):
            parent_list = [(item, parents.span_at(index)) for index, item in enumerate(parents)]
        else:
            self.problems.append(Problem(
                "extends-error", f"`{name}`: extends must be a job name or a list of job names",
                span))
            return without_keys(job, "extends")
        self._extending.append(name)
        try:
            merged: list[YMap] = []
            ancestors = self.ancestors.setdefault(name, set())
            parent_levels = [0]
            # Later parents, then the job itself, override what earlier ones set: the
            # rules stay unknown only if the last to set them is a template not read.
            rules_open = False
            for parent, parent_span in parent_list:
                target = self.raw.get(parent) if isinstance(parent, str) else None
                if not isinstance(target, YMap):
                    rules_open = True
                    self.incomplete.add(name)
                    unknown = Problem(
                        "extends-error", f"`{name}`: unknown keys in `extends` ({parent})",
                        parent_span or span)
                    (self.unknown_targets if self.unresolved else self.problems).append(unknown)
                    continue
                extended_parent = self._extend(str(parent), target)
                merged.append(extended_parent)
                if RULE_KEYS & extended_parent.keys() or str(parent) in self.rules_open:
                    rules_open = str(parent) in self.rules_open
                ancestors.add(str(parent))
                ancestors.update(self.ancestors.get(str(parent), ()))
                parent_levels.append(self.levels.get(str(parent), 1))
                if str(parent) in self.incomplete:
                    self.incomplete.add(name)
            if rules_open and not RULE_KEYS & job.keys():
                self.rules_open.add(name)
            self.levels[name] = 1 + max(parent_levels)
            # Reported once, by the job whose own chain first goes past the limit.
            if self.levels[name] > MAX_EXTENDS_LEVELS >= max(parent_levels):
                self.problems.append(Problem(
                    "extends-error",
                    f"`{name}`: nesting too deep in `extends` ({self.levels[name]} levels; "
                    f"GitLab allows {MAX_EXTENDS_LEVELS})", span))
            result = merge_all([*merged, without_keys(job, "extends")])
            result.span = job.span
            return result
        finally:
            self._extending.pop()

    # -- !reference ----------------------------------------------------------

    def _lookup(self, reference: Reference) -> tuple[bool, Any, Span | None]:
        """The referenced value and where it was written."""
        current: Any = self.config
        span: Span | None = None
        for part in reference.path:
            if isinstance(current, YMap) and part in current:
                span = current.span_of(part)
                current = current[part]
            else:
                return False, None, None
        return True, current, span

    def _follow(self, reference: Reference) -> tuple[Any, Span | None]:
        """A `!reference` resolved (through further references), with the span of the
        text it finally stands for; ``UNRESOLVED`` after reporting why not.

        Each path is resolved once and reused: a tree of references ten wide and
        ten deep stands for ten billion values but takes a hundred steps."""
        label = "[" + ", ".join(reference.path) + "]"
        self.referenced.add(reference.path[0])
        key = tuple(reference.path)
        if key in self._followed:
            resolved = self._followed[key]
        elif key in self._following:
            self.problems.append(Problem(
                "reference-error", f"!reference {label} is a circular chain", reference.span))
            resolved = _Resolved(UNRESOLVED, None)
        else:
            found, target, span = self._lookup(reference)
            if found:
                resolved = self._followed[key] = self._resolve_target(
                    key, target, span, reference.span)
            else:  # not kept: each `!reference` that leads nowhere is reported
                unknown = Problem("reference-error", f"!reference {label} could not be found",
                                  reference.span)
                (self.unknown_targets if self.unresolved else self.problems).append(unknown)
                resolved = _Resolved(UNRESOLVED, None)
        outer = self._measures[-1]
        if resolved.height > MAX_REFERENCE_DEPTH and not resolved.failed:
            if key not in self._too_deep:  # reported once; those that use it drop it
                self._too_deep.add(key)
                self.problems.append(Problem(
                    "reference-error",
                    f"!reference {label} nests deeper than {MAX_REFERENCE_DEPTH} levels",
                    reference.span))
            outer.failed = True
            return UNRESOLVED, None
        if resolved.failed:
            outer.failed = True
            return UNRESOLVED, None
        outer.height = max(outer.height, resolved.height)
        outer.size += resolved.size
        outer.copied += resolved.size
        return resolved.value, resolved.span

    def _resolve_target(self, key: tuple[str, ...], target: Any, span: Span | None,
                        reference_span: Span | None, top_key: Any = None) -> _Resolved:
        """``target``, the value at path ``key``, with its references resolved;
        ``reference_span`` is where a `!reference` asks for it, ``None`` for a
        top-level key resolved in place."""
        measure = _Resolved(UNRESOLVED, None)
        self._following.append(key)
        self._measures.append(measure)
        try:
            if isinstance(target, Reference):
                value, span = self._follow(target)
            else:
                value = self._resolve_references(target, top_key)
                span = _value_span(target) or span
        finally:
            self._following.pop()
            self._measures.pop()
        measure.height += 1  # as a `!reference` to it would count
        label = "[" + ", ".join(key) + "]"
        where = span or reference_span
        if measure.failed:
            # It holds something over a limit, which was reported: it is unknown too,
            # though a top-level key keeps what could be resolved.
            if reference_span is not None:
                return _Resolved(UNRESOLVED, None, failed=True)
            measure.value, measure.span = value, span
            return measure
        if measure.copied and measure.size > MAX_REFERENCED_VALUES and where is not None:
            # Reported where the value that grows too big is written, once.
            self.problems.append(Problem(
                "reference-error",
                f"`{label}` stands for more than {MAX_REFERENCED_VALUES:,} values once "
                "its `!reference` tags are resolved; cigen leaves them unresolved", where))
            return _Resolved(UNRESOLVED, None, failed=True)
        measure.value, measure.span = value, span
        return measure

    def _resolve_top(self, top: YMap) -> YMap:
        """The top-level mapping with every `!reference` resolved, each key once."""
        result = YMap(top.span)
        copied = 0
        over = False
        for key, value in top.items():
            if not isinstance(value, YMap | YSeq | Reference):
                result.copy_entry(top, key)
                continue
            path = (str(key),)
            resolved = self._followed.get(path)
            # A `!reference` to a top-level list of scripts keeps it nested; here it is flat.
            if resolved is None or key in FLATTENED_LISTS:
                resolved = self._resolve_target(path, value, top.span_of(key), None, key)
                self._followed[path] = resolved
            copied += resolved.copied
            if copied > MAX_REFERENCED_VALUES_IN_ALL:
                if not over:
                    over = True
                    self.problems.append(Problem(
                        "reference-error",
                        f"the configuration grows past {MAX_REFERENCED_VALUES_IN_ALL:,} values "
                        "copied by `!reference` tags here; cigen leaves this key and the "
                        "ones after it out", top.key_spans.get(key) or top.span_of(key)
                        or Span("", 1, 1, 1, 1)))
                continue
            if resolved.value is UNRESOLVED:
                continue  # reported; leave the key out, as if unset
            if resolved.value is value:
                result.copy_entry(top, key)
            else:
                result.put(key, resolved.value, top.key_spans.get(key),
                           resolved.span or top.span_of(key))
        return result

    def _resolve_references(self, value: Any, key: Any = None) -> Any:
        if self._measures:
            self._measures[-1].size += len(value) if isinstance(value, YMap | YSeq) else 1
        if isinstance(value, Reference):
            return self._follow(value)[0]
        if isinstance(value, YMap):
            result: YMap | None = None
            for item_key, item in value.items():
                if not isinstance(item, YMap | YSeq | Reference):
                    continue
                if isinstance(item, Reference):
                    resolved, span = self._follow(item)
                else:
                    resolved, span = self._resolve_references(item, item_key), None
                if resolved is item:
                    continue
                if result is None:  # copy on the first change only
                    result = YMap(value.span)
                    for existing in value:
                        result.copy_entry(value, existing)
                if resolved is UNRESOLVED:  # reported; leave the key out, as if unset
                    del result[item_key]
                else:
                    result.put(item_key, resolved, value.key_spans.get(item_key),
                               span or value.span_of(item_key))
            return value if result is None else result
        if isinstance(value, YSeq):
            flatten = key in FLATTENED_LISTS
            if not flatten and not any(isinstance(item, YMap | YSeq | Reference)
                                       for item in value):
                return value
            result_seq = YSeq(value.span)
            changed = False
            for index, item in enumerate(value):
                item_span = value.span_at(index)
                if isinstance(item, Reference):
                    resolved, target_span = self._follow(item)
                    item_span = target_span or item_span
                elif isinstance(item, YMap | YSeq):
                    resolved = self._resolve_references(item)
                else:
                    resolved = item
                if resolved is not item or (flatten and isinstance(resolved, YSeq)):
                    changed = True
                if resolved is UNRESOLVED:
                    continue
                if flatten and isinstance(resolved, YSeq):
                    _extend_flat(result_seq, resolved)
                else:
                    result_seq.add(resolved, item_span)
            return result_seq if changed else value
        return value

    # -- default and variables -----------------------------------------------

    def _defaults(self) -> YMap:
        defaults = YMap()
        for key in LEGACY_GLOBAL_DEFAULTS:
            if key in self.config:
                defaults.copy_entry(self.config, key)
        default = self.config.get("default")
        if isinstance(default, YMap):
            for key in default:
                if key in DEFAULT_KEYWORDS:
                    defaults.copy_entry(default, key)
        return defaults

    def _apply_defaults(self, job: YMap, defaults: YMap) -> YMap:
        if not defaults:
            return job
        allowed = _inherit(job, "default")
        if allowed is False:
            return job
        result = YMap(job.span)
        for key in job:
            result.copy_entry(job, key)
        for key in defaults:
            if key in job or (allowed is not True and key not in allowed):
                continue
            result.copy_entry(defaults, key)
        return result

    def _variables(self, block: Any, owner: YMap, key: str) -> dict[str, Variable]:
        variables: dict[str, Variable] = {}
        if not isinstance(block, YMap):
            return variables
        for name, value in block.items():
            span = block.span_of(name)
            expand = True
            if isinstance(value, YMap):
                expand = value.get("expand") is not False
                span = value.span_of("value") or span
                value = value.get("value", "")
            if value is None:
                value = ""
            elif isinstance(value, bool):
                value = "true" if value else "false"
            elif not isinstance(value, str | int | float):
                continue
            variables[str(name)] = Variable(str(name), str(value), span, expand)
        return variables

    def _job_variables(self, job: YMap, global_variables: dict[str, Variable]
                       ) -> dict[str, Variable]:
        allowed = _inherit(job, "variables")
        if allowed is True:
            result = dict(global_variables)
        elif allowed is False:
            result = {}
        else:
            result = {name: variable for name, variable in global_variables.items()
                      if name in allowed}
        own = self._variables(job.get("variables"), job, "variables")
        result.update(own)
        if own or allowed is not True:  # otherwise checked with the global ones
            self._check_expanded_sizes(result)
        return result

    def _check_expanded_sizes(self, variables: dict[str, Variable]) -> None:
        """Report, where it is written, each variable whose expansion passes GitLab's
        limit while the variables it names stay within it (those that name it pass
        the limit too, and are not reported again)."""
        if not any(variable.expand and "$" in variable.value
                   for variable in variables.values()):
            return
        lengths: dict[str, int] = {}
        active: set[str] = set()

        def length(name: str) -> int:
            """The expanded length, at most one past the limit."""
            if name in lengths:
                return lengths[name]
            variable = variables[name]
            if not variable.expand or "$" not in variable.value:
                lengths[name] = min(len(variable.value), MAX_EXPANDED_VARIABLE + 1)
                return lengths[name]
            if name in active or len(active) >= MAX_EXPANSION_DEPTH:
                return len(name) + 1  # a cycle or a chain too deep: left as written
            active.add(name)
            total = len(variable.value)
            named_too_long = False
            for match in VARIABLE_REFERENCE.finditer(variable.value):
                named = match.group(1) or match.group(2)
                if named in variables:
                    inner = length(named)
                    named_too_long |= inner > MAX_EXPANDED_VARIABLE
                    total += inner - len(match.group(0))
            active.discard(name)
            if total > MAX_EXPANDED_VARIABLE and not named_too_long and variable.span:
                message = (f"variable `{name}` expands to more than "
                           f"{MAX_EXPANDED_VARIABLE:,} characters; GitLab stops expanding "
                           "there and fails the job, and cigen treats its value as unknown")
                if (message, variable.span) not in self._size_problems:
                    self._size_problems.add((message, variable.span))
                    self.problems.append(Problem("invalid-value", message, variable.span))
            lengths[name] = min(total, MAX_EXPANDED_VARIABLE + 1)
            return lengths[name]

        for name in variables:
            length(name)


def _inherit(job: YMap, what: str) -> bool | list[str]:
    inherit = job.get("inherit")
    if not isinstance(inherit, YMap) or what not in inherit:
        return True
    value = inherit[what]
    if isinstance(value, bool):
        return value
    if isinstance(value, YSeq):
        return [str(item) for item in value]
    return True


def _value_span(value: Any) -> Span | None:
    if isinstance(value, YMap | YSeq):
        return value.span
    return None


def _extend_flat(target: YSeq, items: YSeq, depth: int = 0) -> None:
    for index, item in enumerate(items):
        if isinstance(item, YSeq) and depth < MAX_REFERENCE_DEPTH:
            _extend_flat(target, item, depth + 1)
        else:
            target.add(item, items.span_at(index))
