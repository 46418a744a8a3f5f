"""The Docker daemon uses the `vfs` storage driver.

## What it does
Reports `DOCKER_DRIVER: vfs` and dockerd's `--storage-driver vfs` /
`--storage-driver=vfs` (in a service `command:` or a script). Buildah's and
Podman's `STORAGE_DRIVER: vfs` is not reported: there `vfs` is required.

## Why is this bad?
`vfs` copies the whole filesystem for every layer: builds get many times
slower and use far more disk. `overlay2` (the default) works in dind.

## Example
```yaml
variables:
  DOCKER_DRIVER: vfs

build:
  image: docker:29.1-cli
  script:
    - docker info
```

## Use instead
```yaml
variables:
  DOCKER_DRIVER: overlay2

build:
  image: docker:29.1-cli
  script:
    - docker info
```

## Fix safety
Safe: `vfs` becomes `overlay2`. The build produces the same image; only the
way the daemon stores layers changes.
"""

from collections.abc import Iterator

from cigen.jobs.arguments import option_values
from cigen.lint.findings import Severity
from cigen.lint.fix import Fix, fix_of, replace_in_span, value_edit, word_edit
from cigen.lint.rules import Hit, PipelineContext
from cigen.shell.words import Word
from cigen.source.positions import Span
from cigen.source.text import SourceText

CODE = "CG104"
NAME = "vfs-storage-driver"
SEVERITY = Severity.WARNING
FIXABLE = True
SUMMARY = "The vfs storage driver copies every layer in full; use overlay2"


def check(context: PipelineContext) -> Iterator[Hit]:
    message = "the `vfs` storage driver makes every layer a full copy; use `overlay2`"
    for facts in context.jobs:
        sources = context.pipeline.sources
        driver = facts.job.variables.get("DOCKER_DRIVER")
        if driver is not None and driver.value.strip() == "vfs":
            span = driver.span or facts.span
            start = driver.value.find("vfs")
            fix = fix_of("use overlay2", True,
                         value_edit(sources.get(span.path), driver.span, driver.value, start,
                                    start + len("vfs"), "overlay2"))
            yield Hit(span, f"DOCKER_DRIVER: {message}", [facts.name], fix)
        for service in facts.services:
            words = [Word(argument, argument, 0) for argument in service.command]
            if any(value == "vfs" for _, value in option_values(words, "--storage-driver", "-s")):
                span = service.command_span or service.span
                yield Hit(span, f"dockerd --storage-driver: {message}", [facts.name],
                          _overlay(sources, span))
        for command in facts.commands_named("dockerd", "dockerd-entrypoint.sh"):
            for word, value in option_values(command.words[1:], "--storage-driver", "-s"):
                if value == "vfs":
                    span = command.locate(word)
                    start = word.raw.rfind("vfs")
                    fix = fix_of("use overlay2", True,
                                 word_edit(command, word, "overlay2", start, start + len("vfs"))
                                 if start != -1 else None)
                    yield Hit(span, f"dockerd --storage-driver: {message}", [facts.name], fix)


def _overlay(sources: dict[str, SourceText], span: Span) -> Fix | None:
    source = sources.get(span.path)
    if source is None:
        return None
    return fix_of("use overlay2", True, replace_in_span(source, span, "vfs", "overlay2"))
