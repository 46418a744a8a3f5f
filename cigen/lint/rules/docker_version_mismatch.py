"""The job's Docker client and its dind service have different versions.

## What it does
Reports a job whose `docker:<X>...` image and `docker:<Y>-dind` service name
different versions (compared on the parts both spell out: `29` matches
`29.1.2`, `28.0` does not match `29.1`).

## Why is this bad?
Client and daemon negotiate an API version. A newer daemon rejects clients
that are too old (Docker 29 refuses APIs below 1.44), and a newer client
cannot use features the older daemon lacks. One pinned version for both
avoids surprises when one of them is bumped.

## Example
```yaml
build:
  image: docker:28.0-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script:
    - docker info
```

## Use instead
```yaml
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script:
    - docker info
```

## Fix safety
No fix: which of the two versions is wanted is the author's call.
"""

import re
from collections.abc import Iterator

from cigen.lint.findings import Severity
from cigen.lint.rules import Hit, PipelineContext

CODE = "CG111"
NAME = "docker-version-mismatch"
SEVERITY = Severity.WARNING
SUMMARY = "The docker:<X> client image and the docker:<Y>-dind service differ"


def _version(tag: str) -> tuple[str, ...]:
    match = re.match(r"^(\d+(?:\.\d+)*)", tag)
    return tuple(match.group(1).split(".")) if match else ()


def check(context: PipelineContext) -> Iterator[Hit]:
    for facts in context.jobs:
        image = facts.image
        if image is None or not image.is_docker:
            continue
        client = _version(image.tag)
        if not client:
            continue
        for service in facts.dind_services:
            daemon = _version(service.tag)
            common = min(len(client), len(daemon))
            if daemon and client[:common] != daemon[:common]:
                yield Hit(service.span,
                          f"dind service `{service.written}` (Docker {'.'.join(daemon)}) and job "
                          f"image `{image.written}` (Docker {'.'.join(client)}) differ; pin both "
                          "to the same version", [facts.name])
