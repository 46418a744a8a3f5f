"""GitLab CI JSON-schema validation of the resolved pipeline, at the lines people wrote.

The schema is GitLab's own (the copy the ``check-jsonschema`` package ships).
It is applied to the pipeline after includes, anchors, ``!reference`` and
``extends`` are resolved, so tags and templates cause no false alarms, and
every violation is turned into a finding at the file, line and column of the
offending key or value, with a message a person understands (``unknown keyword
'scirpt' in job 'build' (did you mean 'script'?)``) instead of a JSON path.

Validation goes through ``jsonschema-rs``, a compiled validator: it checks
the whole corpus of real pipelines in a few milliseconds where the pure-Python
``jsonschema`` needs half a second, and lists every violation with its
instance path. A ``oneOf``/``anyOf`` failure is collapsed into the branch that
came closest to matching.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from cigen.gitlab.pipeline import GLOBAL_KEYWORDS
from cigen.source.positions import Span, YMap, YSeq
from cigen.source.text import Problem

SCRIPT_KEYS = ("script", "before_script", "after_script")
_TYPE_NAMES = {"string": "a string", "array": "a list", "object": "a mapping",
               "boolean": "true or false", "integer": "a whole number", "number": "a number",
               "null": "empty"}


def gitlab_schema_path() -> str:
    """The path of GitLab's CI schema inside the installed ``check-jsonschema`` package.

    Found without importing the package, whose own imports are slow.
    """
    spec = importlib.util.find_spec("check_jsonschema")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the check-jsonschema package is not installed")
    package = next(iter(spec.submodule_search_locations))
    return os.path.join(package, "builtin_schemas", "vendor", "gitlab-ci.json")


@cache
def gitlab_schema() -> dict[str, Any]:
    with open(gitlab_schema_path(), encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


@cache
def _full_validator() -> Any:
    import jsonschema_rs

    # Formats are not checked: `url: https://$CI_ENVIRONMENT_SLUG.example.com` is
    # a fine GitLab value and not a URI until the variable is expanded.
    return jsonschema_rs.validator_for(gitlab_schema(), validate_formats=False)


# -- turning violations into findings ------------------------------------------------


def _walk(root: YMap, path: list[str | int]) -> tuple[Any, Any, Any]:
    """(container of the last step, last key, value) along ``path``."""
    parent: Any = None
    key: Any = None
    current: Any = root
    for step in path:
        parent, key = current, step
        in_mapping = isinstance(current, dict) and step in current
        in_list = isinstance(current, list) and isinstance(step, int) and step < len(current)
        if not (in_mapping or in_list):
            return parent, key, None
        current = current[step]
    return parent, key, current


def _value_span(root: YMap, path: list[str | int], fallback: Span) -> Span:
    parent, key, value = _walk(root, path)
    if isinstance(value, YMap | YSeq) and value.span is not None and not isinstance(key, str):
        return value.span
    if isinstance(parent, YMap):
        return parent.span_of(key) or fallback
    if isinstance(parent, YSeq) and isinstance(key, int):
        return parent.span_at(key) or fallback
    return fallback


def _key_span(root: YMap, path: list[str | int], key: str, fallback: Span) -> Span:
    _, _, value = _walk(root, path)
    if isinstance(value, YMap):
        return value.key_spans.get(key) or value.span or fallback
    return fallback


def _owner_key_span(root: YMap, path: list[str | int], fallback: Span) -> Span:
    """The key that names the object at ``path`` (the job name for a job)."""
    parent, key, value = _walk(root, path)
    if isinstance(parent, YMap) and key in parent.key_spans:
        return parent.key_spans[key]
    if isinstance(value, YMap | YSeq) and value.span is not None:
        return value.span
    return fallback


def describe_path(path: list[str | int]) -> str:
    """``['build', 'cache', 0, 'key']`` -> ``'cache[0].key' of job 'build'``."""
    if not path:
        return "the top level"
    head, rest = path[0], path[1:]
    if head in GLOBAL_KEYWORDS:
        owner, rest = f"'{head}'", rest
        if not rest:
            return owner
        return f"'{dotted(rest)}' in {owner}"
    if not rest:
        return f"job '{head}'"
    return f"'{dotted(rest)}' of job '{head}'"


def dotted(path: list[str | int]) -> str:
    """``['cache', 0, 'key']`` -> ``cache[0].key``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _schema_at(pointer: str) -> Any:
    node: Any = gitlab_schema()
    fragment = pointer.split("#", 1)[1] if "#" in pointer else ""
    for part in fragment.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit():
            node = node[int(part)]
        else:
            return None
    return node


def _allowed_keys(error: Any) -> list[str]:
    location = str(error.absolute_keyword_location or "")
    owner = _schema_at(location.rsplit("/", 1)[0]) if "/" in location else None
    if isinstance(owner, dict) and isinstance(owner.get("properties"), dict):
        return sorted(owner["properties"])
    return []


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return "a string"


def _leaf_errors(error: Any) -> list[Any]:
    """The errors of the ``oneOf``/``anyOf`` branch that came closest to matching."""
    context = getattr(error.kind, "context", None)
    if not context:
        return [error]
    branches = [branch for branch in context if branch]
    if not branches:
        return [error]
    path = list(error.instance_path)
    type_only = [branch for branch in branches
                 if all(type(item.kind).__name__ == "Type" and list(item.instance_path) == path
                        for item in branch)]
    if len(type_only) == len(branches):
        return [error]  # the value has none of the accepted types: say which ones
    candidates = [branch for branch in branches if branch not in type_only]

    def closeness(branch: list[Any]) -> tuple[int, int]:
        depth = max(len(list(item.instance_path)) for item in branch)
        return (-depth, len(branch))

    best = min(candidates, key=closeness)
    leaves: list[Any] = []
    for item in best:
        leaves.extend(_leaf_errors(item))
    return leaves


def _accepted_types(error: Any) -> list[str]:
    names: list[str] = []
    for branch in getattr(error.kind, "context", None) or []:
        for item in branch:
            types = getattr(item.kind, "types", None)
            for name in types if isinstance(types, list) else [types]:
                label = _TYPE_NAMES.get(str(name), str(name))
                if name is not None and label not in names:
                    names.append(label)
    return names


def _one_of(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _messages(error: Any, root: YMap, fallback: Span) -> Iterator[tuple[str, str, Span]]:
    """(rule, message, span) for one violation."""
    path = list(error.instance_path)
    kind = type(error.kind).__name__
    subject = describe_path(path)
    value = _walk(root, path)[2]
    if kind == "AdditionalProperties":
        allowed = _allowed_keys(error)
        for key in error.kind.unexpected:
            import difflib  # only for unknown keywords: importing it costs milliseconds

            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            yield ("unknown-keyword", f"unknown keyword '{key}' in {subject}{hint}",
                   _key_span(root, path, str(key), fallback))
    elif kind == "Required":
        yield ("missing-keyword", f"{subject} needs '{error.kind.property}'",
               _owner_key_span(root, path, fallback))
    elif kind == "Enum":
        options = ", ".join(str(option) for option in error.kind.options)
        yield ("invalid-value", f"{subject} must be one of {options}",
               _value_span(root, path, fallback))
    elif kind == "Type":
        types = error.kind.types if isinstance(error.kind.types, list) else [error.kind.types]
        expected = _one_of([_TYPE_NAMES.get(str(name), str(name)) for name in types])
        yield ("invalid-value", f"{subject} must be {expected}, not {_type_name(value)}",
               _value_span(root, path, fallback))
    elif kind in ("OneOfNotValid", "AnyOf") and _leaf_errors(error) == [error]:
        accepted = _accepted_types(error)
        expected = _one_of(accepted) if accepted else "a valid value"
        yield ("invalid-value", f"{subject} must be {expected}, not {_type_name(value)}",
               _value_span(root, path, fallback))
    elif kind in ("OneOfNotValid", "AnyOf"):
        for leaf in _leaf_errors(error):
            yield from _messages(leaf, root, fallback)
    else:
        detail = re.sub(r"^.*? (is|has|does) ", r"\1 ", str(error.message), count=1)
        yield ("invalid-value", f"{subject}: {detail}", _value_span(root, path, fallback))


def script_mapping_paths(config: YMap) -> Iterator[tuple[list[str | int], YMap]]:
    """Script items that YAML read as a mapping because of an unquoted ``: ``."""
    for name, job in config.items():
        if not isinstance(job, YMap):
            continue
        for key in SCRIPT_KEYS:
            items = job.get(key)
            if isinstance(items, YSeq):
                for index, item in enumerate(items):
                    if isinstance(item, YMap):
                        yield [name, key, index], item


def validate(config: YMap, path: str) -> list[Problem]:
    """Schema problems of a resolved top-level configuration."""
    validator = _full_validator()
    if validator.is_valid(config):
        return []
    fallback = config.span or Span(path, 1, 1, 1, 1)
    pitfalls = [item_path for item_path, _ in script_mapping_paths(config)]
    problems: list[Problem] = []
    seen: set[tuple[str, Span, str]] = set()
    for error in validator.iter_errors(config):
        instance_path = list(error.instance_path)
        if any(instance_path[:len(pitfall)] == pitfall or (pitfall[:len(instance_path)]
               == instance_path and len(instance_path) >= 2) for pitfall in pitfalls):
            continue  # reported by script-line-is-mapping, with a better message
        for rule, message, span in _messages(error, config, fallback):
            key = (rule, span, message)
            if key not in seen:
                seen.add(key)
                problems.append(Problem(rule, message, span))
    return problems
