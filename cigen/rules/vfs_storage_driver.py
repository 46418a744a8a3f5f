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
Not fixable automatically yet; replacing `vfs` with `overlay2` keeps behaviour
and will be offered as a safe fix.
"""

from collections.abc import Iterator

from cigen.findings import Severity
from cigen.jobfacts import option_values
from cigen.rules import Hit, PipelineContext
from cigen.shell import Word

CODE = "CG104"
NAME = "vfs-storage-driver"
SEVERITY = Severity.WARNING
SUMMARY = "The vfs storage driver copies every layer in full; use overlay2"


def check(context: PipelineContext) -> Iterator[Hit]:
    message = "the `vfs` storage driver makes every layer a full copy; use `overlay2`"
    for facts in context.jobs:
        driver = facts.job.variables.get("DOCKER_DRIVER")
        if driver is not None and driver.value.strip() == "vfs":
            yield Hit(driver.span or facts.span, f"DOCKER_DRIVER: {message}", [facts.name])
        for service in facts.services:
            words = [Word(argument, argument, 0) for argument in service.command]
            if any(value == "vfs" for _, value in option_values(words, "--storage-driver", "-s")):
                yield Hit(service.command_span or service.span,
                          f"dockerd --storage-driver: {message}", [facts.name])
        for command in facts.commands_named("dockerd", "dockerd-entrypoint.sh"):
            for word, value in option_values(command.words[1:], "--storage-driver", "-s"):
                if value == "vfs":
                    yield Hit(command.locate(word), f"dockerd --storage-driver: {message}",
                              [facts.name])
