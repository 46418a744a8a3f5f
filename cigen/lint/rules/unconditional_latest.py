"""`:latest` is pushed from every branch.

## What it does
Reports a push of `:latest` — written out, implied by an untagged name
(`docker push registry/app`), or reached through a shell default such as
`${CI_COMMIT_TAG:-latest}` — by docker, podman, buildah, kaniko, buildctl,
depot, crane or skopeo, in a job that runs on every branch: no `rules:`,
`only:`/`except:` or `workflow:` condition on the branch or tag, and no shell
`if` around the push that tests the branch or tag.

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
  script:
    - docker build --pull -t "$CI_REGISTRY_IMAGE:latest" .
    - docker push "$CI_REGISTRY_IMAGE:latest"
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
```

## Fix safety
No fix: which branch may publish `:latest` is a release decision.
"""

import re
from collections.abc import Iterator
from typing import Any

from cigen.jobs.facts import JobFacts
from cigen.jobs.image_outputs import ImageOutput
from cigen.jobs.images import split_image
from cigen.lint.findings import Severity
from cigen.lint.rules import Hit, PipelineContext
from cigen.shell.parser import VARIABLE
from cigen.source.positions import YMap, YSeq

CODE = "CG108"
NAME = "unconditional-latest"
SEVERITY = Severity.WARNING
SUMMARY = "`:latest` is pushed by a job that runs on every branch"

REF_VARIABLES = ("CI_COMMIT_BRANCH", "CI_COMMIT_REF_NAME", "CI_COMMIT_REF_SLUG", "CI_COMMIT_TAG",
                 "CI_DEFAULT_BRANCH", "CI_COMMIT_REF_PROTECTED", "CI_BUILD_REF_NAME",
                 "CI_BUILD_TAG")
_REF = "|".join(REF_VARIABLES)
# An expression that holds only for some branches or for tags.
RESTRICTING = re.compile(rf"\$\{{?({_REF})\}}?\s*(==|=~)|(==|=~)\s*\$\{{?({_REF})\}}?"
                         rf"|^\s*\$\{{?(CI_COMMIT_TAG|CI_COMMIT_REF_PROTECTED)\}}?\s*$")
# A shell condition that tests the branch or tag.
SHELL_GUARD = re.compile(rf"({_REF})\b|\b(main|master)\b")
ONLY_ANY_BRANCH = frozenset({"branches", "pushes", "merge_requests", "api", "external",
                             "pipelines", "schedules", "triggers", "web", "chat",
                             "external_pull_requests", "/.*/", "/^.*$/"})
TAG_LIKE_NAME = re.compile(r"TAG|VERSION|_REF\b|SHA", re.I)


def _expression_restricts(expression: Any) -> bool:
    if not isinstance(expression, str):
        return False
    return all(RESTRICTING.search(part) for part in expression.split("||"))


def _rules_restrict(rules: Any) -> bool | None:
    """True/False when ``rules`` is a list; ``None`` when there are none."""
    if not isinstance(rules, YSeq):
        return None
    for rule in rules:
        if not isinstance(rule, YMap):
            continue
        if rule.get("when") == "never":
            continue
        if not _expression_restricts(rule.get("if")):
            return False
    return True


def _only_restricts(only: Any) -> bool:
    refs = only.get("refs") if isinstance(only, YMap) else only
    if isinstance(refs, str):
        refs = [refs]
    if isinstance(refs, list) and refs:
        return all(isinstance(ref, str) and ref not in ONLY_ANY_BRANCH for ref in refs)
    if isinstance(only, YMap) and isinstance(only.get("variables"), list):
        return all(_expression_restricts(item) for item in only["variables"])
    return False


def _except_restricts(excepted: Any) -> bool:
    refs = excepted.get("refs") if isinstance(excepted, YMap) else excepted
    if isinstance(refs, str):
        refs = [refs]
    return isinstance(refs, list) and "branches" in refs


def job_is_restricted(facts: JobFacts, workflow: Any) -> bool:
    config = facts.config
    if isinstance(workflow, YMap) and _rules_restrict(workflow.get("rules")):
        return True
    by_rules = _rules_restrict(config.get("rules"))
    if by_rules is not None:
        return by_rules
    if "only" in config and _only_restricts(config["only"]):
        return True
    return "except" in config and _except_restricts(config["except"])


def _candidates(facts: JobFacts, text: str) -> list[tuple[str, bool]]:
    """Expansions of ``text``, one per value the script assigns, each with its guard.

    A value assigned under a shell ``if`` on the branch (``tag=latest`` inside
    ``if [ "$CI_COMMIT_BRANCH" = main ]``) is guarded.
    """
    candidates = []
    for match in VARIABLE.finditer(text):
        name = match.group(1) or match.group(2)
        for value, command in facts.shell_assignments.get(name, []):
            guarded = any(SHELL_GUARD.search(condition) for condition in command.conditions)
            candidates.append((facts.expand(text.replace(match.group(0), value)), guarded))
    return candidates or [(facts.expand(text), False)]


def _pushes_latest(output: ImageOutput, reference: str, tagged_latest: set[str]) -> bool:
    reference = reference.strip()
    if re.search(r":-\s*latest\}", reference):
        return True
    if reference.startswith(("$(", "`")):
        return False  # computed at run time: unknown
    repository, tag, digest = split_image(reference)
    if tag:
        return tag == "latest"
    if digest or not repository:
        return False
    if output.action == "push-all":
        return repository in tagged_latest
    # An unknown variable named like a tag (`$IMAGE_TAG`) probably carries one.
    whole_variable = VARIABLE.fullmatch(repository)
    return not (whole_variable and TAG_LIKE_NAME.search(whole_variable.group(1)
                                                        or whole_variable.group(2)))


def check(context: PipelineContext) -> Iterator[Hit]:
    workflow = context.pipeline.config.get("workflow")
    for facts in context.jobs:
        outputs = facts.image_outputs
        if not any(output.pushed for output in outputs) or job_is_restricted(facts, workflow):
            continue
        tagged_latest = set()
        for output in outputs:
            repository, tag, _ = split_image(facts.expand(output.reference))
            if tag in ("", "latest"):
                tagged_latest.add(repository)
        for output in outputs:
            if not output.pushed:
                continue
            if any(SHELL_GUARD.search(condition) for condition in output.command.conditions):
                continue
            if any(_pushes_latest(output, reference, tagged_latest) and not guarded
                   for reference, guarded in _candidates(facts, output.reference)):
                yield Hit(output.command.locate(output.word),
                          f"`{output.reference}` pushes :latest from every branch; restrict "
                          "the job to the default branch (rules: if: $CI_COMMIT_BRANCH == "
                          "$CI_DEFAULT_BRANCH) or push only immutable tags", [facts.name])
