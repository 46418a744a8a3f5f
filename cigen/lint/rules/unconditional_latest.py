"""`:latest` is pushed from every branch.

## What it does
Reports a push of `:latest` by docker, podman, buildah, kaniko, buildctl,
depot, crane or skopeo in a job that can run on a branch nobody named. The
refs come from `workflow:rules`, the job's `rules:` (a `when: manual` rule
still runs there) or `only`/`except`, after `extends` and `!reference`: a
condition that does not decide the branch (`$CI_PIPELINE_SOURCE == "push"`,
a project variable, `changes:`) restricts nothing, nor does a merge-request
pipeline (it runs for any source branch); a job that runs only for
schedules runs on the ref its schedule names, not on any branch. A shell
`if`, `&&` or `case` on the branch or tag around the push (or around the
assignment of the tag, or of options gathered in a variable), and an early
`exit` (`[ "$CI_COMMIT_BRANCH" = main ] || exit 0`) before it, narrow it. The
push of `:latest` must be a fact: written out, a shell default
(`${CI_COMMIT_TAG:-latest}`, or of a variable the files set empty), a value
assigned or looped over, an untagged name whose repository is known, or the
`image:` of a service that `docker compose build --push`/`push` builds, or a
tag of a target `docker buildx bake` pushes, read from the repository's
compose or Bake file. Silent when the job's refs are unknown (a
template or `!reference` from an include cigen could not read, a branch
compared with a project variable), when an untagged image is a variable the
files never define (it may carry a tag of its own; `$IMAGE:latest` written
out is reported), and for a per-branch repository
(`$CI_REGISTRY_IMAGE/$CI_COMMIT_REF_SLUG:latest`, or a name computed from the
branch), whose `:latest` collides with nothing.

## Why is this bad?
`:latest` is what people and deployments pull by default. Pushed from every
branch, it ends up pointing at whatever feature branch finished last, and
concurrent pipelines race to overwrite it. Push immutable tags
(`$CI_COMMIT_SHORT_SHA`, `$CI_COMMIT_REF_SLUG`) everywhere and move `:latest`
only from the default branch.

## Example
```yaml
release:
  image: docker:29.1-cli
  rules:
    - if: $CI_PIPELINE_SOURCE == "push"
  script:
    - docker build --pull -t "$CI_REGISTRY_IMAGE:latest" .
    - docker push "$CI_REGISTRY_IMAGE:latest"
nightly:
  image: docker:29.1-cli
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
    - when: manual
  script:
    - |
      for tag in "$CI_COMMIT_SHORT_SHA" latest; do
        docker push "$CI_REGISTRY_IMAGE:$tag"
      done
```

## Use instead
```yaml
release:
  image: docker:29.1-cli
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  script:
    - docker build --pull -t "$CI_REGISTRY_IMAGE:latest" .
    - docker push "$CI_REGISTRY_IMAGE:latest"
nightly:
  image: docker:29.1-cli
  script:
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"
    - |
      if [ "$CI_COMMIT_BRANCH" = "$CI_DEFAULT_BRANCH" ]; then
        docker push "$CI_REGISTRY_IMAGE:latest"
      fi
review:
  image: docker:29.1-cli
  script:
    - docker push "$CI_REGISTRY_IMAGE/$CI_COMMIT_REF_SLUG:latest"
publish:
  image: docker:29.1-cli
  script:
    - '[ "$CI_COMMIT_BRANCH" = "$CI_DEFAULT_BRANCH" ] || exit 0'
    - docker push "$CI_REGISTRY_IMAGE:latest"
```

## Fix safety
No fix: which branch may publish `:latest` is a release decision.
"""

import re
from collections.abc import Iterator

from cigen.jobs.facts import JobFacts
from cigen.jobs.image_outputs import ImageOutput
from cigen.jobs.images import split_image
from cigen.jobs.refs import command_refs, job_refs
from cigen.lint.findings import Severity
from cigen.lint.rules import Hit, PipelineContext
from cigen.shell.expansion import VARIABLE
from cigen.shell.words import Command

CODE = "CG108"
NAME = "unconditional-latest"
SEVERITY = Severity.WARNING
SUMMARY = "`:latest` is pushed by a job that runs on every branch"

# Variables holding the branch: a repository named after one is per-branch.
BRANCH_VARIABLES = frozenset({"CI_COMMIT_REF_SLUG", "CI_COMMIT_REF_NAME", "CI_COMMIT_BRANCH",
                              "CI_BUILD_REF_NAME", "CI_BUILD_REF_SLUG",
                              "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"})
# What could bring the branch into a computed name: a ref variable, or git itself.
MAY_NAME_THE_BRANCH = re.compile(
    r"CI_COMMIT_REF|CI_COMMIT_BRANCH|CI_BUILD_REF|CI_MERGE_REQUEST|CI_EXTERNAL_PULL|\bgit\b")
DEFAULT_LATEST = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-\s*latest\}")
# `${NAME...}` with an operator (`${X:-y}`, `${X/a/b}`): a value cigen does not compute.
OPERATOR_EXPANSION = re.compile(r"\$\{(?![A-Za-z_][A-Za-z0-9_]*\})")
# What a repository can be written as, once its variables stand for a name.
IMAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]*")
MAX_DEPTH = 4
MAX_CANDIDATES = 64


def _predefined(name: str) -> bool:
    """GitLab sets these in every job (``CI_REGISTRY_IMAGE``, ``CI_PROJECT_PATH``...)."""
    return name.startswith(("CI_", "GITLAB_"))


def _candidates(facts: JobFacts, text: str, depth: int = 0
                ) -> list[tuple[str, list[Command]]]:
    """The values ``text`` can take, one per value the script assigns to a variable in
    it (a ``for`` loop's values, each branch of an ``if``), each with the commands
    that assign them (whose guards then apply)."""
    if depth < MAX_DEPTH:
        for match in VARIABLE.finditer(text):
            name = match.group(1) or match.group(2)
            assignments = facts.shell_assignments.get(name)
            if not assignments:
                continue
            found: list[tuple[str, list[Command]]] = []
            for value, command in assignments:
                if len(found) >= MAX_CANDIDATES:
                    break
                replaced = text[:match.start()] + value + text[match.end():]
                for candidate, commands in _candidates(facts, replaced, depth + 1):
                    found.append((candidate, [command, *commands]))
            return found[:MAX_CANDIDATES]
    return [(facts.expand(text), [])]


def _defaults_to_latest(facts: JobFacts, reference: str) -> bool:
    """``${X:-latest}`` where ``X`` is unset or empty: on a branch, for the tag
    variables; for the others, when the files set it empty. A variable the files
    never set may be a project variable: unknown, so not ``latest``."""
    for match in DEFAULT_LATEST.finditer(reference):
        name = match.group(1)
        if name in ("CI_COMMIT_TAG", "CI_BUILD_TAG") or facts.variable(name) == "":
            return True
    return False


def _names_latest(facts: JobFacts, reference: str, all_tags: bool,
                  tagged_latest: set[str]) -> bool:
    """Whether pushing ``reference`` (variables expanded) pushes ``:latest`` for sure."""
    reference = reference.strip()
    if _defaults_to_latest(facts, reference):
        return True
    repository, tag, digest = split_image(reference)
    if ("$(" not in reference and "`" not in reference
            and not IMAGE_NAME.fullmatch(VARIABLE.sub("x", repository))):
        return False  # not an image name: `xargs -I{} docker push {}`'s placeholder
    # A repository computed at run time collides across branches unless the
    # computation can see the branch; a computed tag is unknown.
    if ("$(" in reference or "`" in reference) \
            and (tag != "latest" or MAY_NAME_THE_BRANCH.search(repository)):
        return False
    names = {match.group(1) or match.group(2) for match in VARIABLE.finditer(repository)}
    if names & BRANCH_VARIABLES or OPERATOR_EXPANSION.search(repository):
        return False  # one repository per branch, or an expansion cigen does not follow
    if tag == "latest":
        return True  # written out: whatever the repository, this is its `:latest`
    whole = VARIABLE.fullmatch(repository)
    if whole is not None and not _predefined(whole.group(1) or whole.group(2)):
        return False  # a variable the files never define: it may hold a tag of its own
    if tag:
        return tag == "latest"
    if digest or not repository:
        return False
    last = repository.rsplit("/", 1)[-1]
    if any(not _predefined(match.group(1) or match.group(2))
           for match in VARIABLE.finditer(last)):
        return False  # the name ends in a variable the files never define: unknown
    return repository in tagged_latest if all_tags else True


def _latest_repositories(facts: JobFacts, outputs: list[ImageOutput]) -> set[str]:
    """Repositories the job tags ``:latest`` (or leaves untagged), for ``push --all-tags``."""
    found = set()
    for output in outputs:
        if output.action == "push-all":
            continue
        for reference, _ in _candidates(facts, output.reference):
            repository, tag, _ = split_image(reference)
            if tag in ("", "latest"):
                found.add(repository)
    return found


def _latest_only_under_guards(facts: JobFacts, output: ImageOutput) -> bool:
    """Whether the reference came out of options gathered in a variable
    (``LATEST="-t $IMAGE:latest"`` then ``docker build $LATEST ...``) whose every
    assignment that names ``latest`` runs only on some refs."""
    if output.word.raw == output.reference:
        return False  # written where it is used, not split out of a variable
    for match in VARIABLE.finditer(output.word.raw):
        name = match.group(1) or match.group(2)
        naming = [command for value, command in facts.shell_assignments.get(name, [])
                  if "latest" in value]
        if naming and not any(command_refs(facts, command).may_run_on_any_branch
                              for command in naming):
            return True
    return False


def check(context: PipelineContext) -> Iterator[Hit]:
    for facts in context.jobs:
        outputs = facts.image_outputs
        if not any(output.pushed for output in outputs) \
                or not job_refs(facts).may_run_on_any_branch:
            continue
        tagged_latest = _latest_repositories(facts, outputs)
        for output in outputs:
            if not output.pushed or not command_refs(facts, output.command).may_run_on_any_branch:
                continue
            all_tags = output.action == "push-all"
            if _latest_only_under_guards(facts, output):
                continue
            if any(_names_latest(facts, reference, all_tags, tagged_latest)
                   and all(command_refs(facts, command).may_run_on_any_branch
                           for command in commands)
                   for reference, commands in _candidates(facts, output.reference)):
                written = f" (written at {output.origin})" if output.origin else ""
                yield Hit(output.command.locate(output.word),
                          f"`{output.reference}`{written} pushes :latest from every branch; "
                          "restrict the job to the default branch (rules: if: $CI_COMMIT_BRANCH == "
                          "$CI_DEFAULT_BRANCH) or push only immutable tags", [facts.name])
