"""A privileged Docker runner does not share the dind TLS certificates.

## What it does
Reports a `[runners.docker]` section that lets Docker-in-Docker run —
`privileged = true`, or `services_privileged = true` (restricted privileged
mode) — whose `volumes` include neither `/certs/client` nor `/certs` (which
contains it); and likewise a `[runners.kubernetes]` section that runs
service containers privileged (`privileged = true`, or in
`service_container_security_context`) with no volume mounted there (the
Kubernetes executor's docs use an `empty_dir` volume with `medium = "Memory"`
at `/certs/client`). Sections the executor does not read
(`[runners.docker]` of a shell runner) are not checked.

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


def _privileged_key(settings: dict[str, object]) -> str | None:
    """The setting that lets dind run: ``privileged``, or ``services_privileged``
    (restricted privileged mode); ``None`` when neither is on."""
    if settings.get("privileged") is True:
        return "privileged"
    if settings.get("services_privileged") is True:
        return "services_privileged"
    return None


def _kubernetes_privileged_key(settings: dict[str, object]) -> str | None:
    """What lets a dind service run privileged on Kubernetes: the section's
    ``privileged``, or the service containers' security context (which wins)."""
    context = settings.get("service_container_security_context")
    own = context.get("privileged") if isinstance(context, dict) else None
    if own is True:
        return "service_container_security_context.privileged"
    if own is None and settings.get("privileged") is True:
        return "privileged"
    return None


def _holds_certs(path: str) -> bool:
    """A volume at ``/certs/client``, or at ``/certs``, which contains it."""
    return path.rstrip("/") in ("/certs/client", "/certs")


def check_runner(config: RunnerConfig) -> Iterator[Hit]:
    for runner in config.runners:
        docker = runner.section("docker")
        key = _privileged_key(docker)
        if key is not None and runner.uses("docker"):
            volumes = [volume for volume, _ in runner.docker_volumes()]
            if not any(_holds_certs(volume.split(":", 1)[0]) for volume in volumes):
                has_volumes = "volumes" in docker
                span = runner.span("docker", "volumes" if has_volumes else key)
                yield Hit(span, f"runner {runner.label} lets dind run ({key} = true) but its "
                                'volumes lack "/certs/client": jobs cannot reach dind over TLS',
                          fix=_add_volume(config, runner, has_volumes, key))
        kubernetes = runner.section("kubernetes")
        key = _kubernetes_privileged_key(kubernetes)
        if key is not None and runner.uses("kubernetes") \
                and not any(_holds_certs(path) for path in _kubernetes_mounts(kubernetes)):
            yield Hit(runner.span("kubernetes", *key.split(".")),
                      f"runner {runner.label} lets dind run ({key} = true) but mounts no "
                      "volume at /certs/client: add an empty_dir volume (medium \"Memory\") "
                      "there so jobs reach dind over TLS")


def _kubernetes_mounts(kubernetes: dict[str, object]) -> list[str]:
    """The mount paths of every volume of a ``[runners.kubernetes]`` table."""
    volumes = kubernetes.get("volumes")
    if not isinstance(volumes, dict):
        return []
    found = []
    for entries in volumes.values():
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("mount_path"), str):
                found.append(entry["mount_path"])
    return found


CERTS_VOLUME = '"/certs/client"'
_LINE_REST = re.compile(r"[ \t]*(?:#[^\r\n]*)?")


def _add_volume(config: RunnerConfig, runner: Runner, has_volumes: bool,
                key: str) -> Fix | None:
    """The volume first in the ``volumes`` array as written, or a ``volumes`` line
    below the ``privileged = true`` (or ``services_privileged``) line of a
    ``[runners.docker]`` table."""
    docker: TablePath = ("runners", runner.index, "docker")
    if has_volumes:
        return _prepend(config, runner, (*docker, "volumes"))
    return _add_line(config, docker, key)


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


def _add_line(config: RunnerConfig, docker: TablePath, key: str) -> Fix | None:
    """Only where ``privileged = true`` is a line of its own under a
    ``[runners.docker]`` header: elsewhere (an inline table, a dotted key) a new
    line would not land in the docker section."""
    layout = config.layout
    entry = layout.entries.get((*docker, key))
    text = config.source.text
    if entry is None or entry.table != docker or text[entry.start:entry.key_end] != key:
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
