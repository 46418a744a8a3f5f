"""A `docker` image or service is not pinned to a version.

## What it does
Reports the official `docker` image (any registry prefix or mirror, GitLab's
dependency proxy `$CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX/docker` included)
used as `image:` or in `services:` with no tag, or a tag without a version:
`latest`, `stable`, `stable-dind`, `dind`, `cli`, `git`, `edge`,
`dind-rootless`. An image named through any other variable is not known, so
it is not reported.

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

## Options
`[tool.cigen.rules.unpinned-docker-image]`: `docker-version` (the release the
fix pins to) and `trusted-registries` (prefixes of mirrors that serve only
vetted tags; their images are not reported).

## Fix safety
Unsafe (offered with `--unsafe-fixes`): the image is pinned to the Docker
release cigen knows as current, `docker:<V>-cli` for a job image and
`docker:<V>-dind` for a service, keeping any registry prefix. The job then
runs that Docker version, which may differ from what `latest` gave it.
"""

import re
from collections.abc import Iterator

from cigen.lint import versions
from cigen.lint.findings import Severity
from cigen.lint.fix import fix_of, value_edit
from cigen.lint.rules import Hit, PipelineContext

CODE = "CG110"
NAME = "unpinned-docker-image"
SEVERITY = Severity.WARNING
FIXABLE = True
SUMMARY = "`docker`, `docker:latest`, `docker:stable`, `docker:dind` … are not pinned"


PROXY_PREFIX = re.compile(
    r"^\$(?:\{CI_DEPENDENCY_PROXY_(?:DIRECT_)?GROUP_IMAGE_PREFIX\}"
    r"|CI_DEPENDENCY_PROXY_(?:DIRECT_)?GROUP_IMAGE_PREFIX(?![A-Za-z0-9_]))/")


def check(context: PipelineContext) -> Iterator[Hit]:
    trusted = tuple(context.option(NAME, "trusted-registries", ()))
    version = context.option(NAME, "docker-version") or versions.DOCKER
    for image, jobs in context.images():
        # GitLab's dependency proxy prefix is a predefined variable: what follows it is
        # a Docker Hub name; any other variable leaves the image unknown.
        if not image.is_docker or image.digest or "$" in PROXY_PREFIX.sub("", image.name):
            continue
        if trusted and image.repository.startswith(trusted):
            continue
        if re.search(r"\d", image.tag):
            continue
        shown = f"`{image.written}`" + ("" if image.tag else " (no tag: latest)")
        flavour = "dind" if image.is_dind else "cli"
        source = context.pipeline.sources.get(image.span.path)
        pinned = f"{image.repository}:{version}-{flavour}"
        fix = None
        if source is not None and image.written == image.name:
            fix = fix_of(f"pin to {pinned}", False,
                         value_edit(source, image.span, image.written, 0, len(image.written),
                                    pinned))
        yield Hit(image.span,
                  f"{shown} is not pinned to a Docker version; use docker:<version>-{flavour} "
                  "with the same version for client and dind", jobs, fix)
