"""A job runs Docker-in-Docker, which needs a privileged runner.

## What it does
Reports every `docker:*dind*` service (with any registry prefix, mirror or
alias) in a job, a hidden template, `default:` or the top-level `services:`.

## Why is this bad?
The dind daemon only starts on a runner with `privileged = true`, which gives
every job on that runner root on the host: a job can mount the host's disks,
load kernel modules and read other jobs' secrets. Rootless BuildKit, Buildah or
a remote builder build images without it. When dind is the deliberate choice,
keep it on a dedicated runner and say so with a suppression.

## Example
```yaml
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script:
    - docker info
```

## Use instead
```yaml
build:
  image:
    name: moby/buildkit:v0.26.2-rootless
    entrypoint: [""]
  variables:
    BUILDKITD_FLAGS: --oci-worker-no-process-sandbox
  script:
    - >
      buildctl-daemonless.sh build --frontend dockerfile.v0
      --local context=. --local dockerfile=.
      --output type=image,name=$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA,push=true
```

## Fix safety
No fix: changing the build strategy needs a different runner.
"""

from collections.abc import Iterator

from cigen.lint.findings import Severity
from cigen.lint.rules import Hit, PipelineContext

CODE = "CG101"
NAME = "privileged-dind"
SEVERITY = Severity.WARNING
SUMMARY = "A docker:dind service needs a privileged runner (root on the host)"


def check(context: PipelineContext) -> Iterator[Hit]:
    for image, jobs in context.images():
        if image.role == "service" and image.is_dind:
            yield Hit(image.span,
                      f"`{image.written}` runs Docker-in-Docker, which needs a privileged "
                      "runner (root on the host)", jobs)
