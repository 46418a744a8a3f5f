r"""An image tag is built from the raw branch name.

## What it does
Reports image references built, tagged or pushed (by `docker`/`podman`
`build -t`, `tag`, `push`, `buildx`, kaniko `--destination`, buildah,
buildctl `name=`, depot, crane/skopeo `copy`) that contain
`$CI_COMMIT_REF_NAME`, `$CI_COMMIT_BRANCH` or the merge-request source branch
as written, directly or through a variable. Names cleaned with
`${VAR//\//-}`, `sed` or `tr` in a command substitution are not reported.

## Why is this bad?
Branch names may contain `/`, upper case and other characters an image tag
cannot: `feature/login` makes `docker build -t app:feature/login` fail, and
only on those branches. `CI_COMMIT_REF_SLUG` is the same name lowercased,
cut to 63 bytes, with everything outside `[a-z0-9]` replaced by `-`.

## Example
```yaml
build:
  image: docker:29.1-cli
  script:
    - docker build --pull -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME" .
```

## Use instead
```yaml
build:
  image: docker:29.1-cli
  script:
    - docker build --pull -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG" .
```

## Fix safety
Safe: the variable is replaced by `CI_COMMIT_REF_SLUG` where it forms the
image reference (in the command, or in the `variables:` entry the reference
is built from). Every branch that could be tagged before gets the same tag,
lower-cased; branches that broke the build now get a valid one. A
`variables:` entry is only changed when it is defined once, in the file
being fixed, and read nowhere else in the pipeline's files but by this image
reference: a value shared with another command, job, variable or rule
(`git push origin HEAD:$BRANCH`) is left alone, and no fix is offered.
"""

import re
from collections.abc import Iterator

from cigen.gitlab.pipeline import Pipeline
from cigen.jobs.facts import RAW_REF_VARIABLES, JobFacts
from cigen.jobs.image_outputs import ImageOutput
from cigen.lint.findings import Severity
from cigen.lint.fix import Fix, fix_of, value_edit, word_edit
from cigen.lint.rules import Hit, PipelineContext
from cigen.shell.parser import VARIABLE, mask_substitutions, strip_substitutions

CODE = "CG107"
NAME = "ref-name-tag"
SEVERITY = Severity.ERROR
FIXABLE = True
SUMMARY = "An image tag uses CI_COMMIT_REF_NAME/CI_COMMIT_BRANCH, which may contain '/'"

_NAMES = "|".join(RAW_REF_VARIABLES)
RAW_REF = re.compile(rf"\$(?:\{{({_NAMES})\}}|({_NAMES})\b)")
SLUG = "CI_COMMIT_REF_SLUG"

# The raw ref variable, and the YAML variables it reached the word through
# (outermost first); ``None`` in that list when a shell assignment was a link.
Found = tuple[str, list[str | None]]


def _raw_ref(facts: JobFacts, text: str, depth: int = 0) -> Found | None:
    text = strip_substitutions(text)
    match = RAW_REF.search(text)
    if match:
        return match.group(1) or match.group(2), []
    if depth > 6:
        return None
    for variable_match in VARIABLE.finditer(text):
        name = variable_match.group(1) or variable_match.group(2)
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


def _raw_ref_names(written: str) -> list[tuple[int, int]]:
    """Where the raw ref variables' names are written in ``written``, outside
    command substitutions (those are cleaned there, not here)."""
    masked = mask_substitutions(written)
    return [match.span(1) if match.group(1) else match.span(2)
            for match in RAW_REF.finditer(written) if masked[match.start()] == "$"]


def check(context: PipelineContext) -> Iterator[Hit]:
    for facts in context.jobs:
        for output in facts.image_outputs:
            found = _raw_ref(facts, output.word.text)
            if found is None:
                continue
            variable, chain = found
            word_span = output.command.locate(output.word)
            defined = facts.yaml_variable(chain[-1]) if chain and chain[-1] else None
            where = defined.span if defined is not None and defined.span else word_span
            yield Hit(where,
                      f"image tag uses ${variable}, which can contain '/' and upper case; "
                      f"use ${SLUG}", [facts.name], _fix(context, facts, output, chain))


def _fix(context: PipelineContext, facts: JobFacts, output: ImageOutput,
         chain: list[str | None]) -> Fix | None:
    if not chain:
        return fix_of(f"use {SLUG}", True, *[
            word_edit(output.command, output.word, SLUG, start, end)
            for start, end in _raw_ref_names(output.word.raw)])
    if None in chain:
        return None
    names = [name for name in chain if name is not None]
    variable = facts.yaml_variable(names[-1])
    word_path = output.command.locate(output.word).path
    if variable is None or variable.span is None or variable.span.path != word_path \
            or not _read_only_here(context.pipeline, names):
        return None
    source = context.pipeline.sources.get(word_path)
    return fix_of(f"use {SLUG}", True, *[
        value_edit(source, variable.span, variable.value, start, end, SLUG)
        for start, end in _raw_ref_names(variable.value)])


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
