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
Safe: `"/certs/client"` is added at the front of the `volumes` array, however
it is written, or a `volumes = ["/certs/client"]` line is added below
`privileged = true` when the section has no `volumes`. It is an anonymous
volume, fresh for each job, so it shares nothing between jobs; jobs that do
not use dind never see it. No line is added when `privileged` is written in an
inline table or as a dotted key, where a new line would land outside the
docker section.
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
    from cigen.source.toml_positions import TablePath

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
                  fix=_add_volume(config, runner, has_volumes))


CERTS_VOLUME = '"/certs/client"'
_LINE_REST = re.compile(r"[ \t]*(?:#[^\r\n]*)?")


def _add_volume(config: RunnerConfig, runner: Runner, has_volumes: bool) -> Fix | None:
    """The volume first in the ``volumes`` array as written, or a ``volumes`` line
    below a ``privileged = true`` line of a ``[runners.docker]`` table."""
    docker: TablePath = ("runners", runner.index, "docker")
    if has_volumes:
        return _prepend(config, runner, (*docker, "volumes"))
    return _add_line(config, docker)


def _prepend(config: RunnerConfig, runner: Runner, path: TablePath) -> Fix | None:
    entry = config.layout.entries.get(path)
    text = config.source.text
    if (entry is None or not isinstance(runner.section("docker").get("volumes"), list)
            or text[entry.value_start:entry.value_start + 1] != "["):
        return None
    at = entry.value_start + 1
    first = config.layout.entries.get((*path, 0))
    if first is None:
        inserted = CERTS_VOLUME
    elif "\n" in text[at:first.start]:
        inserted = CERTS_VOLUME + ","  # the first item keeps its line; the new one ends ``[``'s
    else:
        at, inserted = first.start, CERTS_VOLUME + ", "
    return fix_of("add the /certs/client volume", True, Edit(config.path, at, at, inserted))


def _add_line(config: RunnerConfig, docker: TablePath) -> Fix | None:
    """Only where ``privileged = true`` is a line of its own under a
    ``[runners.docker]`` header: elsewhere (an inline table, a dotted key) a new
    line would not land in the docker section."""
    layout = config.layout
    entry = layout.entries.get((*docker, "privileged"))
    text = config.source.text
    if entry is None or entry.table != docker or text[entry.start:entry.key_end] != "privileged":
        return None
    line_start = text.rfind("\n", 0, entry.start) + 1
    indent = text[line_start:entry.start]
    rest = _LINE_REST.match(text, entry.value_end)
    if indent.strip(" \t") or rest is None:
        return None
    end = rest.end()
    if text.startswith("\r\n", end):
        newline = "\r\n"
    elif text.startswith("\n", end) or end == len(text):
        newline = "\n"
    else:
        return None
    edit = Edit(config.path, end, end, f"{newline}{indent}volumes = [{CERTS_VOLUME}]")
    return fix_of("add the /certs/client volume", True, edit)
