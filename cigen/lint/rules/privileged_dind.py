"""A job runs Docker-in-Docker, which needs a privileged runner.

## What it does
Reports every `docker:*dind*` service (with any registry prefix, mirror,
dependency proxy such as `${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/docker:27-dind`,
or alias) — and every `docker:<version>` service of Docker 23 or later or
`docker:latest`, which are the same dind image under another tag — in a job,
a hidden template, `default:` or the top-level `services:`, and every
`dockerd` (or `dockerd-entrypoint.sh`) a job's script starts itself. A
service named by a variable the files never define is unknown and not
reported.

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
    - ${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/docker:29.1-dind
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script:
    - docker info

test:
  image: docker:29.1-dind
  before_script:
    - dockerd-entrypoint.sh &
    - until docker info; do sleep 1; done
  script:
    - docker compose run --rm tests
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

from cigen.jobs.daemon import checked_jobs, own_daemon_commands
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
    for facts, names in checked_jobs(context.jobs, context.pipeline):
        for command in own_daemon_commands(facts):
            yield Hit(command.span,
                      f"`{command.name}` starts a Docker daemon inside the job, which needs a "
                      "privileged runner (root on the host)", names)
