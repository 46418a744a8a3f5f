"""A privileged Docker runner does not share the dind TLS certificates.

## What it does
Reports a `[runners.docker]` section with `privileged = true` (a runner meant
for Docker-in-Docker) whose `volumes` do not include `/certs/client`.

## Why is this bad?
With TLS on, the dind service writes the client certificates to
`/certs/client`; the job container only sees them through that volume.
Without it, jobs cannot connect to dind over TLS, and the usual "fix" people
find is turning TLS off (`DOCKER_TLS_CERTDIR: ""`), which leaves an
unauthenticated daemon on port 2375.

## Example
```toml
[[runners]]
  name = "dind"
  executor = "docker"
  [runners.docker]
    image = "docker:29.1-cli"
    privileged = true  # cigen: ignore[privileged-runner] dind runner for one project
    volumes = ["/cache"]
```

## Use instead
```toml
[[runners]]
  name = "dind"
  executor = "docker"
  [runners.docker]
    image = "docker:29.1-cli"
    privileged = true  # cigen: ignore[privileged-runner] dind runner for one project
    volumes = ["/certs/client", "/cache"]
```

## Fix safety
No fix yet: adding the volume is safe, and will be offered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cigen.findings import Severity
from cigen.rules import Hit

if TYPE_CHECKING:
    from cigen.runner import RunnerConfig

CODE = "CG202"
NAME = "runner-dind-certs-volume"
SEVERITY = Severity.WARNING
SUMMARY = "A privileged docker runner lacks the /certs/client volume that dind TLS needs"


def check_runner(config: RunnerConfig) -> Iterator[Hit]:
    for runner in config.runners:
        docker = runner.section("docker")
        if docker.get("privileged") is not True:
            continue
        volumes = [volume for volume, _ in runner.docker_volumes()]
        if any(volume.split(":", 1)[0].rstrip("/") == "/certs/client" for volume in volumes):
            continue
        yield Hit(runner.span("docker", "volumes") if "volumes" in docker
                  else runner.span("docker", "privileged"),
                  f"runner {runner.label} is privileged (for dind) but its volumes lack "
                  '"/certs/client": jobs cannot reach dind over TLS')
