"""`cigen expand`: the fully merged configuration, as GitLab's "Full configuration" shows it.

Local includes, anchors, ``!reference``, ``extends`` and ``default:`` (with
``inherit:``) are applied to every job; ``include:`` and ``default:`` (and the
old top-level ``image``/``services``/``before_script``/``after_script``/
``cache``, which are defaults too) disappear because they are now part of the
jobs. Hidden jobs are dropped unless asked for, in which case they appear
after ``extends``, without defaults, since GitLab never runs them.

The file is read as `cigen lint` reads it: only a regular file, at most the
size limit, and a symbolic link only when its target is inside the repository
root, with includes resolved from that root.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

from cigen.gitlab.pipeline import GLOBAL_KEYWORDS, LEGACY_GLOBAL_DEFAULTS, Pipeline, load_pipeline
from cigen.source.files import (
    UnreadableFile,
    check_link,
    find_repository_root,
    read_regular_file,
)
from cigen.source.positions import YMap, YSeq
from cigen.source.text import MAX_FILE_BYTES, LoadError, Problem, decode_source

if TYPE_CHECKING:
    from cigen.remote.client import Connection

APPLIED_KEYWORDS = frozenset({"include", "default", "spec", *LEGACY_GLOBAL_DEFAULTS})


class ExpandError(Exception):
    """The file cannot be read at all (exit 2)."""


def load(path: str, root: str | None, remote: Connection | None = None
         ) -> tuple[Pipeline | None, list[Problem]]:
    """Load and resolve one pipeline file (``-`` for standard input).

    Returns the pipeline (``None`` when the file itself is not usable YAML) and
    the problems that stop GitLab from resolving it; notes about includes that
    need the network are not problems here. With ``remote`` the includes that
    need the network are read from that GitLab instance.
    """
    location = os.path.join(os.getcwd(), "stdin.yml") if path == "-" else path
    root = root or find_repository_root(location)
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            check_link(path, root)
            raw = read_regular_file(path)
    except UnreadableFile as error:
        raise ExpandError(f"{path}: {error}") from None
    except OSError as error:
        raise ExpandError(f"{path}: cannot read: {error.strerror}") from None
    try:
        source = decode_source(raw, path)
    except LoadError as error:
        return None, [error.problem]
    real = location if path == "-" else os.path.realpath(path)
    fetcher = None
    if remote is not None:
        from cigen.remote.fetcher import GitLabFetcher

        fetcher = GitLabFetcher(remote)
    pipeline = load_pipeline(real, source, root, None if os.path.isabs(path) else os.getcwd(),
                             fetcher)
    problems = [problem for problem in pipeline.problems if problem.rule != "include-unresolved"]
    if any(problem.rule == "invalid-syntax" and problem.span.path == path
           for problem in problems):
        return None, problems
    return pipeline, problems


def missing_notes(pipeline: Pipeline, remote: bool = False) -> list[Problem]:
    """What the merged view lacks because includes could not be read: every
    ``extends`` or ``!reference`` target that was not found (its keys or lines
    are missing from the output), then the includes that may define them.
    With ``remote``, an include that could not be fetched is always noted."""
    if not pipeline.unknown_targets:
        return [problem for problem in pipeline.problems
                if problem.rule == "include-unresolved"] if remote else []
    notes = [Problem(target.rule, f"{target.message}; it may be defined in an include "
                     "cigen cannot read, and what it holds is missing from the output",
                     target.span)
             for target in pipeline.unknown_targets]
    notes += [problem for problem in pipeline.problems if problem.rule == "include-unresolved"]
    return notes


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
    from cigen.gitlab.yaml_output import dump

    return dump(config)
