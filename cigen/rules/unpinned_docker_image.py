"""A `docker` image or service is not pinned to a version.

## What it does
Reports the official `docker` image (any registry prefix or mirror) used as
`image:` or in `services:` with no tag, or a tag without a version:
`latest`, `stable`, `stable-dind`, `dind`, `cli`, `git`, `edge`,
`dind-rootless`.

## Why is this bad?
Unpinned tags change under you: a new Docker major release can break the
build overnight. `stable` and `stable-dind` were frozen in 2020 (API 1.40)
and fail against Docker 29 daemons, which reject API versions below 1.44. Pin
`docker:<V>-cli` and `docker:<V>-dind` to the same version.

## Example
```yaml
build:
  image: docker:latest
  script:
    - docker info
```

## Use instead
```yaml
build:
  image: docker:29.1-cli
  script:
    - docker info
```

## Fix safety
Not fixable automatically yet; pinning to the current release changes the
Docker version the job runs, so such a fix is unsafe.
"""

import re
from collections.abc import Iterator

from cigen.findings import Severity
from cigen.rules import Hit, PipelineContext

CODE = "CG110"
NAME = "unpinned-docker-image"
SEVERITY = Severity.WARNING
SUMMARY = "`docker`, `docker:latest`, `docker:stable`, `docker:dind` … are not pinned"


def check(context: PipelineContext) -> Iterator[Hit]:
    for image, jobs in context.images():
        if not image.is_docker or image.digest or "$" in image.name:
            continue
        if re.search(r"\d", image.tag):
            continue
        shown = f"`{image.written}`" + ("" if image.tag else " (no tag: latest)")
        yield Hit(image.span,
                  f"{shown} is not pinned to a Docker version; use docker:<version>-"
                  f"{'dind' if image.is_dind else 'cli'} with the same version for "
                  "client and dind", jobs)
