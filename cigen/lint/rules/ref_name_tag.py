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
lower-cased; branches that broke the build now get a valid one.
"""

import re
from collections.abc import Iterator

from cigen.jobs.facts import RAW_REF_VARIABLES, JobFacts
from cigen.lint.findings import Severity
from cigen.lint.fix import fix_of, replace_in_span
from cigen.lint.rules import Hit, PipelineContext
from cigen.shell.parser import VARIABLE, strip_substitutions
from cigen.source.positions import Span

CODE = "CG107"
NAME = "ref-name-tag"
SEVERITY = Severity.ERROR
FIXABLE = True
SUMMARY = "An image tag uses CI_COMMIT_REF_NAME/CI_COMMIT_BRANCH, which may contain '/'"

_NAMES = "|".join(RAW_REF_VARIABLES)
RAW_REF = re.compile(rf"\$(?:\{{({_NAMES})\}}|({_NAMES})\b)")


def _raw_ref(facts: JobFacts, text: str, depth: int = 0) -> tuple[str, Span | None] | None:
    """The raw ref variable in ``text`` and, if it came through a YAML variable, its span."""
    text = strip_substitutions(text)
    match = RAW_REF.search(text)
    if match:
        return match.group(1) or match.group(2), None
    if depth > 6:
        return None
    for variable_match in VARIABLE.finditer(text):
        name = variable_match.group(1) or variable_match.group(2)
        if name in RAW_REF_VARIABLES:
            continue
        for value, _ in facts.shell_assignments.get(name, []):
            found = _raw_ref(facts, value, depth + 1)
            if found:
                return found
        variable = facts.yaml_variable(name)
        if variable is not None and name not in facts.shell_assignments:
            found = _raw_ref(facts, variable.value, depth + 1)
            if found:
                return found[0], found[1] or variable.span
    return None


def check(context: PipelineContext) -> Iterator[Hit]:
    for facts in context.jobs:
        for output in facts.image_outputs:
            found = _raw_ref(facts, output.word.text)
            if found is None:
                continue
            variable, variable_span = found
            where = output.command.locate(output.word) if variable_span is None else variable_span
            source = context.pipeline.sources.get(where.path)
            fix = None
            if source is not None:
                # Only the occurrence inside the word (or the variable's value) is edited.
                limit = where if variable_span is not None else where._replace(
                    end_line=where.line, end_column=where.column + len(output.word.raw))
                fix = fix_of("use CI_COMMIT_REF_SLUG", True,
                             replace_in_span(source, limit, variable, "CI_COMMIT_REF_SLUG"))
            yield Hit(where,
                      f"image tag uses ${variable}, which can contain '/' and upper case; "
                      "use $CI_COMMIT_REF_SLUG", [facts.name], fix)
