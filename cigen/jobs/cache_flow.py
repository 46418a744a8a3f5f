"""Where a pipeline's BuildKit cache is written and where it is read.

A ``--cache-from IMAGE`` only hits when something writes cache metadata into
IMAGE: a build with inline cache (``--build-arg BUILDKIT_INLINE_CACHE=1``,
``--cache-to type=inline``, buildctl ``--export-cache type=inline``) into its
tags, a registry cache export (``--cache-to type=registry,ref=IMAGE``), or
kaniko's layer cache (``--cache=true --cache-repo REPO``). Any job of the
pipeline may do the writing, and a re-tag or copy (``docker tag``, ``crane
tag``, ``skopeo copy``...) of a cache-carrying image carries its metadata along.
This module collects those writes across jobs and answers whether a cache
source may be one of them. References are compared after each job expands its
own variables; a variable nobody defines may hold anything, so it matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from cigen.jobs.arguments import (
    csv_values,
    has_option,
    option_values,
    tool_arguments,
    tool_name,
)
from cigen.jobs.facts import DockerBuild, JobFacts
from cigen.jobs.image_outputs import BUILD_COMMANDS
from cigen.jobs.images import split_image
from cigen.shell.words import Word

TRUE_VALUES = ("1", "true")
# A part of a reference that the file does not fix: a variable left unexpanded,
# a `${...}` transformation, a command substitution.
UNKNOWN_PART = re.compile(r"\$\{[^}]*\}?|\$\([^)]*\)?|`[^`]*`?|\$[A-Za-z_][A-Za-z0-9_]*")
MAX_PROPAGATION_ROUNDS = 8
# Reference comparisons one pipeline may spend; beyond that every source may hit.
MAX_COMPARISONS = 200_000
# Predefined variables whose values have a fixed shape: a commit SHA is never `latest`.
# https://docs.gitlab.com/ci/variables/predefined_variables/
VALUE_SHAPES = {
    "CI_COMMIT_SHA": "[0-9a-f]{40}", "CI_COMMIT_SHORT_SHA": "[0-9a-f]{7,40}",
    "CI_COMMIT_BEFORE_SHA": "[0-9a-f]{40}", "CI_PIPELINE_ID": "[0-9]+",
    "CI_PIPELINE_IID": "[0-9]+", "CI_JOB_ID": "[0-9]+", "CI_PROJECT_ID": "[0-9]+",
    "CI_MERGE_REQUEST_IID": "[0-9]+", "CI_MERGE_REQUEST_ID": "[0-9]+",
    "CI_CONCURRENT_ID": "[0-9]+", "CI_RUNNER_ID": "[0-9]+",
}
NAME_OF_PART = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


class CacheSource:
    """One ``--cache-from`` of a build that reads an image or registry cache."""

    __slots__ = ("registry_form", "value", "word")

    word: Word
    value: str
    """The image or cache reference, variables expanded."""
    registry_form: bool
    """Written as ``type=registry,ref=...`` rather than a bare image."""

    def __init__(self, word: Word, value: str, registry_form: bool) -> None:
        self.word = word
        self.value = value
        self.registry_form = registry_form


def cache_sources(facts: JobFacts, build: DockerBuild) -> list[CacheSource]:
    """The build's registry-backed cache sources (``type=local``, ``gha``... are not)."""
    sources = []
    for word, value in option_values(facts.expand_words(build.arguments), "--cache-from"):
        if "=" not in value:
            sources.append(CacheSource(word, value, False))
            continue
        fields = csv_values(value)
        if fields.get("type", ["registry"])[0] == "registry":
            for reference in fields.get("ref", []):
                sources.append(CacheSource(word, reference, True))
    return sources


def asks_no_cache(words: list[Word]) -> bool:
    """``--no-cache`` (not ``--no-cache=false``): the build ignores every cache."""
    return any(word.text == "--no-cache" or (word.text.startswith("--no-cache=")
                                             and word.text[11:].lower() in TRUE_VALUES)
               for word in words)


def writes_inline_cache(facts: JobFacts, words: list[Word]) -> bool:
    """A build's words ask for inline cache metadata in the images it builds."""
    for _, value in option_values(words, "--build-arg"):
        name, equals, setting = value.replace(" ", "").partition("=")
        if name != "BUILDKIT_INLINE_CACHE":
            continue
        if not equals:
            setting = facts.variable("BUILDKIT_INLINE_CACHE") or ""
        if setting.lower() in TRUE_VALUES:
            return True
    return any("inline" in csv_values(value).get("type", [value])
               for _, value in option_values(words, "--cache-to", "--export-cache"))


def writes_any_cache(facts: JobFacts, build: DockerBuild) -> bool:
    """The build exports cache metadata somewhere (inline or to a cache backend)."""
    words = facts.expand_words(build.arguments)
    return writes_inline_cache(facts, words) or has_option(words, "--cache-to")


class _Written:
    __slots__ = ("reference", "whole_repository")

    def __init__(self, reference: str, whole_repository: bool) -> None:
        self.reference = reference
        self.whole_repository = whole_repository


def _build_writes(facts: JobFacts) -> Iterable[_Written]:
    for command in facts.commands:
        tool = tool_name(command)
        if tool in ("docker", "nerdctl", "depot"):
            arguments = tool_arguments(command.words, tool)
            names = [word.text for word in arguments[:2]]
            build = next((prefix for prefix in BUILD_COMMANDS
                          if names[:len(prefix)] == prefix), None)
            if build is None:
                continue
            words = facts.expand_words(arguments[len(build):])
            images = [value for _, value in option_values(words, "-t", "--tag")]
            for _, value in option_values(words, "--output", "-o"):
                images.extend(csv_values(value).get("name", []))
            yield from _exports(facts, words, "--cache-to", images)
        elif tool in ("buildctl", "buildctl-daemonless.sh"):
            words = facts.expand_words(command.words[1:])
            images = [name for _, value in option_values(words, "--output", "-o")
                      for name in csv_values(value).get("name", [])]
            yield from _exports(facts, words, "--export-cache", images)
        elif tool in ("executor", "kaniko") or command.name.endswith("/kaniko/executor"):
            yield from _kaniko_writes(facts, facts.expand_words(command.words[1:]))


def _exports(facts: JobFacts, words: list[Word], option: str, images: list[str]
             ) -> Iterable[_Written]:
    if writes_inline_cache(facts, words):
        yield from (_Written(image, False) for image in images)
    for _, value in option_values(words, option):
        if "=" not in value:
            yield _Written(value, False)
            continue
        fields = csv_values(value)
        if fields.get("type", ["registry"])[0] == "registry":
            yield from (_Written(reference, False) for reference in fields.get("ref", []))


def _kaniko_writes(facts: JobFacts, words: list[Word]) -> Iterable[_Written]:
    enabled = any(word.text == "--cache" for word in words) or any(
        value.lower() in TRUE_VALUES for _, value in option_values(words, "--cache"))
    if not enabled:
        return
    repositories = [value for _, value in option_values(words, "--cache-repo")]
    if not repositories:
        # Without --cache-repo kaniko keeps its layers next to the destination.
        repositories = [split_image(value)[0] + "/cache"
                        for _, value in option_values(words, "--destination", "-d")]
    yield from (_Written(repository, True) for repository in repositories)


def normalize(reference: str, repository: bool = False) -> str:
    """A registry reference in one spelling: no transport, Docker Hub's implicit
    ``docker.io/library/`` removed, and (unless it is a ``repository`` name) the
    implicit ``:latest`` made explicit."""
    reference = reference.strip()
    if reference.startswith("docker://"):
        reference = reference[len("docker://"):]
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if reference.startswith(prefix):
            reference = reference[len(prefix):]
            if reference.startswith("library/"):
                reference = reference[len("library/"):]
            break
    if repository:
        return reference
    name, tag, digest = split_image(reference)
    last = name.rsplit("/", 1)[-1]
    if name and not tag and not digest and not UNKNOWN_PART.search(last):
        return f"{name}:latest"
    return reference


@lru_cache(maxsize=4096)
def _tokens(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in UNKNOWN_PART.finditer(text)]


def may_be_same(first: str, second: str) -> bool:
    """Whether two references, as far as the file knows them, may name the same image.

    Text both share at the start and end is the same whatever it expands to; in
    what remains, an unknown part may stand for any text.
    """
    if first == second:
        return True
    first_tokens, second_tokens = _tokens(first), _tokens(second)
    prefix = 0
    limit = min(len(first), len(second))
    while prefix < limit and first[prefix] == second[prefix]:
        prefix += 1
    # Shared text ends outside any unknown part: `$A` and `$AB` share nothing.
    while prefix > 0 and (_inside(first_tokens, prefix) or _inside(second_tokens, prefix)):
        prefix -= 1
    suffix = 0
    while suffix < limit - prefix and first[-1 - suffix] == second[-1 - suffix]:
        suffix += 1
    while suffix > 0 and (_inside(first_tokens, len(first) - suffix)
                          or _inside(second_tokens, len(second) - suffix)):
        suffix -= 1
    first_middle = first[prefix:len(first) - suffix]
    second_middle = second[prefix:len(second) - suffix]
    first_open = _tokens(first_middle) or _cuts_token(first_tokens, prefix, len(first) - suffix)
    second_open = _tokens(second_middle) or _cuts_token(second_tokens, prefix,
                                                         len(second) - suffix)
    if first_open and second_open:
        return True
    if not first_open and not second_open:
        return first_middle == second_middle
    pattern, text = (first, second) if first_open else (second, first)
    return _pattern(pattern).fullmatch(text) is not None


def _inside(tokens: list[tuple[int, int]], index: int) -> bool:
    return any(start < index < end for start, end in tokens)


def _cuts_token(tokens: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(token_start < end and token_end > start for token_start, token_end in tokens)


@lru_cache(maxsize=4096)
def _pattern(text: str) -> re.Pattern[str]:
    pieces = []
    last = 0
    for start, end in _tokens(text):
        pieces.append(re.escape(text[last:start]))
        name = NAME_OF_PART.fullmatch(text[start:end])
        pieces.append(VALUE_SHAPES.get(name.group(1), ".*") if name else ".*")
        last = end
    pieces.append(re.escape(text[last:]))
    return re.compile("".join(pieces), re.S)


def wholly_unknown(reference: str) -> bool:
    """The reference is one variable (or substitution) the file does not define."""
    match = UNKNOWN_PART.fullmatch(reference.strip())
    return match is not None


class PipelineCache:
    """Every cache write of a pipeline's jobs, expanded with each job's variables."""

    def __init__(self, jobs: list[JobFacts], complete: bool) -> None:
        self.complete = complete
        """Every job is in view: no include cigen could not read, not a fragment."""
        self.comparisons = 0
        written = [(normalize(facts.expand(write.reference), write.whole_repository),
                    write.whole_repository)
                   for facts in jobs for write in _build_writes(facts)]
        copies = list(dict.fromkeys(
            (normalize(facts.expand(output.source)), normalize(facts.expand(output.reference)))
            for facts in jobs for output in facts.image_outputs if output.source is not None))
        self.images = list(dict.fromkeys(reference for reference, whole in written
                                         if not whole))
        self.repositories = list(dict.fromkeys(reference for reference, whole in written
                                               if whole))
        # A re-tag or copy of a cache-carrying image carries its metadata.
        for _ in range(MAX_PROPAGATION_ROUNDS):
            known = set(self.images)
            added = [target for source, target in copies
                     if target not in known and self._any_same(source, self.images)]
            if not added:
                break
            self.images.extend(dict.fromkeys(added))

    def _any_same(self, reference: str, candidates: list[str]) -> bool:
        # Past the budget the answer is "maybe": silence, never a guessed finding.
        self.comparisons += len(candidates)
        if self.comparisons > MAX_COMPARISONS:
            return True
        return any(may_be_same(reference, candidate) for candidate in candidates)

    def may_hit(self, reference: str) -> bool:
        """Some job may write cache metadata into ``reference``."""
        reference = normalize(reference)
        if self._any_same(reference, self.images):
            return True
        return self._any_same(split_image(reference)[0], self.repositories)


def pipeline_cache(jobs: list[JobFacts], unresolved_includes: bool, whole_pipeline: bool
                   ) -> PipelineCache:
    return PipelineCache(jobs, not unresolved_includes and whole_pipeline)
