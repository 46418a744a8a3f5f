r"""An image tag is built from the raw branch name.

## What it does
Reports image references built, tagged or pushed (by `docker`/`podman`
`build -t`, `tag`, `push`, `buildx`, kaniko `--destination`, buildah,
buildctl `name=`, depot, crane/skopeo `copy`) that `$CI_COMMIT_REF_NAME`,
`$CI_COMMIT_BRANCH` or the merge-request source branch reaches — directly,
through `variables:` at any level, shell assignments, exports or `for`
loops — in a form that breaks the reference for some branch the job runs
on. The value is computed as the shell would for names like
`feature/login`: `${VAR//\//-}`, `${VAR##*/}`, `tr / -`, `tr -d /` and
`sed 's|/|-|g'` clean every slash; `${CI_COMMIT_TAG:-$CI_COMMIT_REF_NAME}` is
the branch name on every branch; `${VAR/\//-}` (the first slash only),
`sed` without `g`, `${VAR#feature/}` or only lower-casing do not. A job
that runs only on named branches without `/` (`only: [main, develop]`) has
clean names. In a job that runs only for git tags the variable is the tag's
name — which git also lets contain `/` — and `$CI_COMMIT_TAG` is the variable
that names it. A value cigen cannot compute (a command other than
`echo`/`printf` piped to `tr`/`sed`) or refs it cannot know (the default
branch's name, a template from an unread include) is not reported.

## Why is this bad?
Branch names may contain `/`, upper case and other characters an image
reference cannot: `feature/login` makes `docker build -t app:feature/login`
fail, and only on those branches. `CI_COMMIT_REF_SLUG` is the same name
lowercased, cut to 63 bytes, with everything outside `[a-z0-9]` replaced by
`-`.

## Example
```yaml
build:
  image: docker:29.1-cli
  script:
    - docker build --pull -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME" .
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME"
preview:
  image: docker:29.1-cli
  script:
    - TAG=$(echo "$CI_COMMIT_BRANCH" | sed 's/\//-/')
    - docker push "$CI_REGISTRY_IMAGE:$TAG"
publish:
  image: docker:29.1-cli
  script:
    - docker push "$CI_REGISTRY_IMAGE:${CI_COMMIT_TAG:-$CI_COMMIT_REF_NAME}"
```

## Use instead
```yaml
build:
  image: docker:29.1-cli
  script:
    - docker build --pull -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG" .
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG"
preview:
  image: docker:29.1-cli
  script:
    - TAG=$(echo "$CI_COMMIT_BRANCH" | sed 's/\//-/g')
    - docker push "$CI_REGISTRY_IMAGE:$TAG"
release:
  image: docker:29.1-cli
  rules:
    - if: $CI_COMMIT_TAG
  script:
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG"
publish:
  image: docker:29.1-cli
  script:
    - docker push "$CI_REGISTRY_IMAGE:${CI_COMMIT_TAG:-$CI_COMMIT_REF_SLUG}"
```

## Fix safety
Safe: the variable is replaced by `CI_COMMIT_REF_SLUG` (in a job that runs
only for tags, by `CI_COMMIT_TAG`, which holds the same name there, so a
release tag `v1.2.3` stays `v1.2.3`) where it forms the image reference (in
the command, or in the `variables:` entry the reference is built from).
Every branch that could be tagged before gets the same tag, lower-cased;
branches that broke the build now get a valid one. A
`variables:` entry is only changed when it is defined once, in the file
being fixed, and read nowhere else in the pipeline's files but by this image
reference: a value shared with another command, job, variable or rule
(`git push origin HEAD:$BRANCH`) is left alone, and no fix is offered. The
lines of one image reference are fixed together or not at all: when one of
them is suppressed, cannot be edited, or another command reads the same
reference (`docker pull`, `docker run`), none is offered, so that no tag is
pushed that was never built. A variable inside an expansion or a command
substitution (`${CI_COMMIT_REF_NAME/\//-}`) gets no fix. In a tag pipeline
the slug of `v1.2.3` is `v1-2-3`: a job that also publishes release tags and
must keep them as written wants `$CI_COMMIT_TAG` on those pipelines.
"""

import re
from collections.abc import Iterator

from cigen.gitlab.pipeline import Pipeline
from cigen.jobs.facts import RAW_REF_VARIABLES, JobFacts
from cigen.jobs.image_outputs import ImageOutput
from cigen.jobs.refs import Refs, command_refs
from cigen.jobs.values import MENTION, TAG, UnknownValue, Values
from cigen.lint.findings import Severity
from cigen.lint.fix import Edit, Fix, fix_of, value_edit, word_edit
from cigen.lint.rules import Hit, PipelineContext
from cigen.shell.expansion import mask_substitutions
from cigen.source.positions import Span

CODE = "CG107"
NAME = "ref-name-tag"
SEVERITY = Severity.ERROR
FIXABLE = True
SUMMARY = "An image tag uses CI_COMMIT_REF_NAME/CI_COMMIT_BRANCH, which may contain '/'"

_NAMES = "|".join(RAW_REF_VARIABLES)
PLAIN = re.compile(rf"\$(?:\{{({_NAMES})\}}|({_NAMES})(?![A-Za-z0-9_]))")
SLUG = "CI_COMMIT_REF_SLUG"
# `${NAME:-` or `${NAME-` right before a raw ref variable that is the whole default.
DEFAULT_OPENING = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-$")
# Branch names that break an image reference in some position: a slash, upper case.
ANY_BRANCH_PROBES = ("feature/login", "Feature/Login", "user/feature/x")
# A name every position of a reference accepts.
PLAIN_PROBE = "main"
TAG_PROBES = ("release/1.0",)
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
VALID_REFERENCE = re.compile(
    rf"(?:(?:[A-Za-z0-9-]+\.[A-Za-z0-9.-]+|localhost)(?::\d+)?/|[A-Za-z0-9.-]+:\d+/)?"
    rf"{_COMPONENT}(?:/{_COMPONENT})*(?::\w[\w.-]{{0,127}})?(?:@[A-Za-z0-9]+:[A-Fa-f0-9]+)?")

# The raw ref variable, and the YAML variables it reached the word through
# (outermost first); ``None`` in that list when a shell assignment was a link.
Found = tuple[str, list[str | None]]


# -- where the raw ref reaches an image reference ---------------------------------------

def _raw_ref(facts: JobFacts, text: str, depth: int = 0) -> Found | None:
    match = MENTION.search(text)
    if match:
        return match.group(1) or match.group(2), []
    if depth > 6:
        return None
    for variable_match in re.finditer(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text):
        name = variable_match.group(1)
        if name in RAW_REF_VARIABLES:
            continue
        for value, _ in facts.shell_assignments.get(name, []):
            found = _raw_ref(facts, value, depth + 1)
            if found:
                return found[0], [None, *found[1]]
        variable = facts.yaml_variable(name)
        if variable is not None and name not in facts.shell_assignments:
            found = _raw_ref(facts, variable.value, depth + 1)
            if found:
                return found[0], [name, *found[1]]
    return None


def _probes(refs: Refs) -> list[str]:
    """Names the job's raw ref variables can hold, as far as they matter here: any
    branch, or the named ones; for a job that runs only for tags, a tag's name,
    which git lets contain `/` as well (`release/1.0`)."""
    if refs.any_branch or refs.patterns:
        return list(ANY_BRANCH_PROBES)
    if refs.only_tags:
        return list(TAG_PROBES)
    return sorted(refs.branches)


def breaks_reference(facts: JobFacts, text: str, refs: Refs) -> bool:
    """Whether some branch the job runs on makes ``text`` an invalid image reference,
    while a plain name (``main``) makes it a valid one. Unknown: ``False``."""
    if refs.unknown:
        return False
    probes = _probes(refs)
    if not probes:
        return False
    tag = refs.only_tags and not (refs.any_branch or refs.patterns or refs.branches)
    try:
        plain = Values(facts, PLAIN_PROBE, tag=tag).word(text)
        for probe in probes:
            values = Values(facts, probe, tag=tag).word(text)
            if len(values) != len(plain):
                return False
            if any(_breaks(before, after) for before, after in zip(plain, values, strict=True)):
                return True
    except (UnknownValue, RecursionError, ValueError, re.error):
        return False
    return False


def _breaks(plain: str, probed: str) -> bool:
    """Whether a word of ``probed`` is an invalid reference where ``plain`` has a valid one
    (the shell splits an unquoted value at blanks: each word stands alone)."""
    plain_words, probed_words = plain.split(), probed.split()
    if len(plain_words) != len(probed_words):
        return False
    return any(_valid(before) and not _valid(after)
               for before, after in zip(plain_words, probed_words, strict=True))


def _valid(reference: str) -> bool:
    for prefix in ("docker://", "docker-daemon:", "containers-storage:"):
        reference = reference.removeprefix(prefix)
    return VALID_REFERENCE.fullmatch(reference.strip()) is not None


def _plain_names(written: str) -> list[tuple[int, int]] | None:
    """Where the raw ref variables' names are written plainly in ``written``; ``None``
    when one is inside an operator or a command substitution (no fix there)."""
    masked = mask_substitutions(written)
    spans = []
    for match in MENTION.finditer(written):
        plain = PLAIN.match(written, match.start())
        if plain is None:
            return None
        if masked[match.start()] != "$" and not (
                DEFAULT_OPENING.search(written, 0, match.start())
                and written.startswith("}", plain.end())):
            # Inside an operator or `$(...)`; the whole default of `${CI_COMMIT_TAG:-$V}`
            # is the value itself on the pipelines that reach it, so it is fixed alike.
            return None
        spans.append(plain.span(1) if plain.group(1) else plain.span(2))
    return spans


class _Candidate:
    __slots__ = ("chain", "facts", "key", "output", "refs", "span", "variable")

    span: Span

    def __init__(self, facts: JobFacts, output: ImageOutput, variable: str,
                 chain: list[str | None], span: Span, refs: Refs, key: str) -> None:
        self.facts = facts
        self.output = output
        self.variable = variable
        self.chain = chain
        self.span = span
        self.refs = refs
        self.key = key


def check(context: PipelineContext) -> Iterator[Hit]:
    candidates: list[_Candidate] = []
    for facts in context.jobs:
        for output in facts.image_outputs:
            found = _raw_ref(facts, output.reference)
            if found is None:
                continue
            refs = command_refs(facts, output.command)
            if not breaks_reference(facts, output.reference, refs):
                continue
            variable, chain = found
            word_span = output.command.locate(output.word)
            defined = facts.yaml_variable(chain[-1]) if chain and chain[-1] else None
            where = defined.span if defined is not None and defined.span else word_span
            candidates.append(_Candidate(facts, output, variable, chain, where, refs,
                                         facts.expand(output.reference)))
    fixes = _consistent_fixes(context, candidates)
    for candidate, fix in zip(candidates, fixes, strict=True):
        if candidate.refs.only_tags:
            message = (f"image tag uses ${candidate.variable} in a job that runs only for "
                       f"git tags, where it is the tag's name (which may contain '/'); "
                       f"name it ${TAG}")
        else:
            message = (f"image tag uses ${candidate.variable}, which can contain '/' and "
                       f"upper case; use ${SLUG}")
        if candidate.output.origin:
            message += f" (in `{candidate.output.reference}`, {candidate.output.origin})"
        yield Hit(candidate.span, message, [candidate.facts.name], fix,
                  group=f"{CODE} {context.pipeline.path} {candidate.key}")


def _consistent_fixes(context: PipelineContext, candidates: list[_Candidate]
                      ) -> list[Fix | None]:
    """A fix for each finding, or none for every finding of an image reference that a
    line reads without being reported (`docker pull`, `docker run`): fixing the build
    and the push but not the pull would pull a tag that is no longer pushed. The
    findings of one reference share a fix group, so that the engine drops every fix
    of it when one line cannot be fixed, is suppressed or is ignored."""
    fixes = [_fix(context, candidate) for candidate in candidates]
    blocked: set[str] = set()
    outputs = {(id(candidate.output.command), candidate.output.word.offset)
               for candidate in candidates}
    keys = {candidate.key for candidate in candidates}
    for facts in context.jobs:
        for command in facts.commands:
            for word in command.words:
                if (id(command), word.offset) in outputs or "$" not in word.text:
                    continue
                expanded = facts.expand(word.text)
                if expanded in keys:
                    blocked.add(expanded)
        for image in (facts.image, *facts.services):
            if image is not None and image.name in keys:
                blocked.add(image.name)
    return [None if candidate.key in blocked else fix
            for candidate, fix in zip(candidates, fixes, strict=True)]


def _fix(context: PipelineContext, candidate: _Candidate) -> Fix | None:
    output, chain, facts = candidate.output, candidate.chain, candidate.facts
    safe = True
    # In a tags-only job the tag's name stays as it is: `v1.2.3` must not become `v1-2-3`.
    replacement = TAG if candidate.refs.only_tags else SLUG
    description = f"use {replacement}"
    if not chain:
        spans = _plain_names(output.word.raw)
        if not spans:
            return None
        edits: list[Edit | None] = [word_edit(output.command, output.word, replacement,
                                              start, end)
                                    for start, end in spans]
        return fix_of(description, safe, *edits)
    if None in chain:
        return None
    names = [name for name in chain if name is not None]
    variable = facts.yaml_variable(names[-1])
    word_path = output.command.locate(output.word).path
    if variable is None or variable.span is None or variable.span.path != word_path \
            or not _read_only_here(context.pipeline, names):
        return None
    spans = _plain_names(variable.value)
    if not spans:
        return None
    source = context.pipeline.sources.get(word_path)
    return fix_of(description, safe, *[
        value_edit(source, variable.span, variable.value, start, end, replacement)
        for start, end in spans])


def _read_only_here(pipeline: Pipeline, names: list[str]) -> bool:
    """Every variable of the chain is written exactly twice in all of the pipeline's
    files: where it is defined and where the next link (or the image reference)
    reads it. Anything more is another reader, or another definition, that
    changing the value would affect."""
    if pipeline.unresolved_includes or not pipeline.is_whole_pipeline():
        return False
    for name in names:
        written = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")
        if sum(len(written.findall(source.text)) for source in pipeline.sources.values()) != 2:
            return False
    return True
