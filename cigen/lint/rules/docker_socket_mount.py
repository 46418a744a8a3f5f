"""The host's Docker socket reaches a job.

## What it does
Follows which Docker daemon each job's commands reach and reports where the
host's socket is handed over: `DOCKER_HOST=unix:///var/run/docker.sock` in
`variables:` (global, a template's or the job's), `export`ed or set in
front of one command in a script; `docker run`/`docker create` with `-v`,
`--volume` or `--mount type=bind` of the socket when those commands reach the
host's daemon; `chmod 666` (`777`, `a+rw`, `o+rw`) on the socket. Runner
`config.toml` files whose `volumes` (or Kubernetes `host_path`) mount the
socket are reported too.

A socket mounted by a `docker run` that goes to a Docker-in-Docker service
(or to a `dockerd` the job starts) is that daemon's own socket: it is
reported too, because that daemon runs privileged, and a container holding
its socket can start privileged containers there and reach the runner's
host. A socket mounted on another machine (`ssh host "docker run ..."`,
`DOCKER_HOST=ssh://...`) belongs to that machine's deployment, and a
`DOCKER_HOST` built from a variable the files never define is unknown:
neither is reported.

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

scan:
  image: docker:29.1-cli
  script:
    - export DOCKER_HOST=unix:///var/run/docker.sock
    - docker run --rm -v /var/run/docker.sock:/var/run/docker.sock aquasec/trivy:0.58.0 image app
sbom:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] a runner kept for dind jobs
  script:
    - docker run --rm -v /var/run/docker.sock:/var/run/docker.sock anchore/syft:v1.18.1 app
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
scan:
  # Scanners read the pushed image from the registry: no daemon, no socket.
  image:
    name: aquasec/trivy:0.58.0
    entrypoint: [""]
  script:
    - trivy image "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"
```

## Fix safety
No fix: the runner's set-up has to change with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from cigen.jobs.daemon import checked_jobs, host_socket_exposures
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
    for facts, names in checked_jobs(context.jobs, context.pipeline):
        for exposure in host_socket_exposures(facts):
            yield Hit(exposure.span, exposure.message, names)


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
