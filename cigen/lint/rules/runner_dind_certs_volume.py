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
Safe: `"/certs/client"` is added at the front of `volumes`, or a
`volumes = ["/certs/client"]` line is added below `privileged` when the
section has no `volumes`. It is an anonymous volume, fresh for each job, so it
shares nothing between jobs; jobs that do not use dind never see it. No fix
is offered when the section is written as an inline table or dotted keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from cigen.lint.findings import Severity
from cigen.lint.fix import Edit, Fix, fix_of
from cigen.lint.rules import Hit

if TYPE_CHECKING:
    from cigen.runner.config import Runner, RunnerConfig
    from cigen.source.positions import Span

CODE = "CG202"
NAME = "runner-dind-certs-volume"
SEVERITY = Severity.WARNING
FIXABLE = True
SUMMARY = "A privileged docker runner lacks the /certs/client volume that dind TLS needs"


def check_runner(config: RunnerConfig) -> Iterator[Hit]:
    for runner in config.runners:
        docker = runner.section("docker")
        if docker.get("privileged") is not True:
            continue
        volumes = [volume for volume, _ in runner.docker_volumes()]
        if any(volume.split(":", 1)[0].rstrip("/") == "/certs/client" for volume in volumes):
            continue
        has_volumes = "volumes" in docker
        span = runner.span("docker", "volumes" if has_volumes else "privileged")
        yield Hit(span, f"runner {runner.label} is privileged (for dind) but its volumes lack "
                        '"/certs/client": jobs cannot reach dind over TLS',
                  fix=_add_volume(config, runner, span, has_volumes))


CERTS_VOLUME = '"/certs/client"'
_VOLUMES_LINE = re.compile(r"^(\s*)volumes\s*=\s*\[")
_PRIVILEGED_LINE = re.compile(r"^(\s*)privileged\s*=\s*true\s*(#.*)?$")


def _add_volume(config: RunnerConfig, runner: Runner, span: Span, has_volumes: bool
                ) -> Fix | None:
    """The volume first in the array, or a new ``volumes`` line below ``privileged``;
    only where the key is written on its own line of a ``[runners.docker]`` table."""
    source = config.source
    line = source.line_text(span.line)
    start = source.offset(span.line, 1)
    if has_volumes:
        if not isinstance(runner.section("docker").get("volumes"), list):
            return None
        found = _VOLUMES_LINE.match(line)
        if found is None:
            return None
        rest = line[found.end():].lstrip()
        separator = "" if rest.startswith("]") else ", " if rest else ","
        edit = Edit(source.path, start + found.end(), start + found.end(),
                    CERTS_VOLUME + separator)
    else:
        content = line.rstrip("\r")
        found = _PRIVILEGED_LINE.match(content)
        if found is None:
            return None
        newline = "\r\n" if line.endswith("\r") else "\n"
        end = start + len(content)  # before the line break, whichever it is
        edit = Edit(source.path, end, end, f"{newline}{found.group(1)}volumes = [{CERTS_VOLUME}]")
    return fix_of("add the /certs/client volume", True, edit)
