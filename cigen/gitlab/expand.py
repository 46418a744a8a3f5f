"""`cigen expand`: the fully merged configuration, as GitLab's "Full configuration" shows it.

Local includes, anchors, ``!reference``, ``extends`` and ``default:`` (with
``inherit:``) are applied to every job; ``include:`` and ``default:`` (and the
old top-level ``image``/``services``/``before_script``/``after_script``/
``cache``, which are defaults too) disappear because they are now part of the
jobs. Hidden jobs are dropped unless asked for, in which case they appear
after ``extends``, without defaults, since GitLab never runs them.
"""

from __future__ import annotations

import io
import json
import os
import sys
from typing import Any

from cigen.gitlab.includes import find_repository_root
from cigen.gitlab.pipeline import GLOBAL_KEYWORDS, LEGACY_GLOBAL_DEFAULTS, Pipeline, load_pipeline
from cigen.source.positions import YMap, YSeq
from cigen.source.text import LoadError, Problem, decode_source

APPLIED_KEYWORDS = frozenset({"include", "default", "spec", *LEGACY_GLOBAL_DEFAULTS})


class ExpandError(Exception):
    """The file cannot be read at all (exit 2)."""


def load(path: str, root: str | None) -> tuple[Pipeline | None, list[Problem]]:
    """Load and resolve one pipeline file (``-`` for standard input).

    Returns the pipeline (``None`` when the file itself is not usable YAML) and
    the problems that stop GitLab from resolving it; notes about includes that
    need the network are not problems here.
    """
    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                raw = handle.read()
    except FileNotFoundError:
        raise ExpandError(f"{path}: no such file or directory") from None
    except OSError as error:
        raise ExpandError(f"{path}: cannot read: {error.strerror}") from None
    try:
        source = decode_source(raw, path)
    except LoadError as error:
        return None, [error.problem]
    real = os.path.join(os.getcwd(), "stdin.yml") if path == "-" else os.path.realpath(path)
    pipeline = load_pipeline(real, source, root or find_repository_root(real),
                             None if os.path.isabs(path) else os.getcwd())
    problems = [problem for problem in pipeline.problems if problem.rule != "include-unresolved"]
    if any(problem.rule == "invalid-syntax" and problem.span.path == path
           for problem in problems):
        return None, problems
    return pipeline, problems


def plain(value: Any) -> Any:
    """Positioned values as plain dicts and lists."""
    if isinstance(value, YMap):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, YSeq):
        return [plain(item) for item in value]
    return value


def expanded_config(pipeline: Pipeline, keep_hidden: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pipeline.config.items():
        if key in APPLIED_KEYWORDS:
            continue
        if key in GLOBAL_KEYWORDS:
            result[key] = plain(value)
        elif str(key).startswith("."):
            if keep_hidden:
                result[key] = plain(value)
        elif key in pipeline.jobs:
            result[key] = plain(pipeline.jobs[key].config)
        else:
            result[key] = plain(value)
    return result


def render(config: dict[str, Any], output_format: str) -> str:
    if output_format == "json":
        return json.dumps(config, indent=2, ensure_ascii=False) + "\n"
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # keep key order
    yaml.width = 4096  # never fold long script lines
    buffer = io.StringIO()
    yaml.dump(config, buffer)
    return buffer.getvalue()
