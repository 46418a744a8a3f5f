"""The host's Docker socket reaches a job.

## What it does
Reports `DOCKER_HOST: unix:///var/run/docker.sock`, `docker run -v
/var/run/docker.sock:...` (or `--volume`/`--mount`) in scripts, and runner
`config.toml` files whose `volumes` (or Kubernetes `host_path`) mount the
socket.

## Why is this bad?
Whoever talks to the host daemon is root on the host: any job on that runner
can `docker exec` into other jobs' containers, read their secrets or mount the
host's filesystem. If socket binding is the deliberate choice, scope the
runner to one project, tag it, and keep secret-bearing jobs elsewhere.

## Example
```yaml
build:
  image: docker:29.1-cli
  variables:
    DOCKER_HOST: unix:///var/run/docker.sock
  script:
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA" .
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
No fix: the runner's set-up has to change with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from cigen.jobs.arguments import docker_arguments, option_values
from cigen.lint.findings import Severity
from cigen.lint.rules import Hit, PipelineContext

if TYPE_CHECKING:
    from cigen.runner.config import RunnerConfig

CODE = "CG102"
NAME = "docker-socket-mount"
SEVERITY = Severity.ERROR
SUMMARY = "The host Docker socket is exposed to jobs (root on the host)"

SOCKET = re.compile(r"(^|[/:=,\s])(var/)?run/docker\.sock\b")


def check(context: PipelineContext) -> Iterator[Hit]:
    for facts in context.jobs:
        host = facts.job.variables.get("DOCKER_HOST")
        if host is not None and host.value.startswith("unix://") and SOCKET.search(host.value):
            yield Hit(host.span or facts.span,
                      "DOCKER_HOST points at the host's Docker socket: the job controls the "
                      "host daemon", [facts.name])
        for command in facts.docker_commands("run") + facts.docker_commands("create"):
            arguments = docker_arguments(command)
            for word, value in option_values(arguments, "-v", "--volume", "--mount"):
                if SOCKET.search(facts.expand(value)):
                    yield Hit(command.locate(word),
                              "`docker run` mounts the host's Docker socket into a container",
                              [facts.name])


def check_runner(config: RunnerConfig) -> Iterator[Hit]:
    for runner in config.runners:
        for volume, span in runner.docker_volumes():
            if SOCKET.search(volume):
                yield Hit(span, f"runner {runner.label} mounts the host's Docker socket "
                          f"(`{volume}`): every job on it is root on the host")
        for path, span in runner.kubernetes_host_paths():
            if SOCKET.search(path):
                yield Hit(span, f"runner {runner.label} mounts the host's Docker socket "
                          f"(`{path}`) into build pods")
