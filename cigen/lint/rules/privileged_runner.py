"""A runner runs its jobs privileged.

## What it does
Reports `privileged = true` in the `[runners.docker]` or
`[runners.kubernetes]` section of a GitLab Runner `config.toml` (also the one
a gitlab-runner Helm chart's `values.yaml` embeds in `runners.config`, and the
chart's own `runners.privileged: true`); on Kubernetes also `privileged =
true` in the build or service container's security context, which overrides
the section's value. For the Docker executor it reports `services_privileged
= true` without an `allowed_privileged_services` list (then any service image
a job names runs privileged).

Restricted privileged mode of the Docker executor (GitLab Runner 16.1 and
later) — `privileged = false`, `services_privileged = true` and
`allowed_privileged_services = ["docker:<version>-dind"]` — is the
least-privilege way to run Docker-in-Docker: job containers stay
unprivileged and only the listed dind images run privileged. It is not
reported. The Kubernetes executor has no such settings (they are ignored
there), so they are not read in a `[runners.kubernetes]` section.

## Why is this bad?
A privileged container can do almost anything the host's root can: mount
disks, load kernel modules, escape the container. Every job that the runner
picks up gets that power, including jobs from forks or branches with less
review. Docker-in-Docker needs it; rootless BuildKit, Buildah and remote
builders do not. When dind is the deliberate choice, limit the runner to the
projects that need it, tag it, and say so with a suppression.

## Example
```toml
[[runners]]
  name = "docker"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.20"
    privileged = true
    volumes = ["/certs/client", "/cache"]
```

## Use instead
```toml
[[runners]]
  name = "docker"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.20"
    privileged = false
    security_opt = ["seccomp:unconfined", "apparmor:unconfined"]
    volumes = ["/cache"]
```

or, when jobs need dind, restricted privileged mode:

```toml
[[runners]]
  name = "dind"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.20"
    privileged = false
    services_privileged = true
    allowed_privileged_services = ["docker:29.1-dind"]
    volumes = ["/certs/client", "/cache"]
```

## Fix safety
No fix: the jobs that rely on it would stop working.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cigen.lint.findings import Severity
from cigen.lint.rules import Hit

if TYPE_CHECKING:
    from cigen.runner.config import Runner, RunnerConfig
    from cigen.runner.helm import HelmValues

CODE = "CG201"
NAME = "privileged-runner"
SEVERITY = Severity.WARNING
SUMMARY = "The runner starts job containers privileged (root on the host)"


def check_runner(config: RunnerConfig) -> Iterator[Hit]:
    for runner in config.runners:
        if runner.uses("docker"):
            yield from _docker(runner)
        if runner.uses("kubernetes"):
            yield from _kubernetes(runner)


def _docker(runner: Runner) -> Iterator[Hit]:
    settings = runner.section("docker")
    executor = runner.executor or "docker"
    if settings.get("privileged") is True:
        yield Hit(runner.span("docker", "privileged"),
                  f"runner {runner.label} ({executor} executor) runs job and service "
                  "containers privileged: every job it picks up is root on the host")
    elif settings.get("services_privileged") is True:
        allowed = settings.get("allowed_privileged_services")
        if not (isinstance(allowed, list) and allowed):  # else restricted privileged mode
            yield Hit(runner.span("docker", "services_privileged"),
                      f"runner {runner.label} ({executor} executor) runs every service "
                      "privileged, whatever image a job names; list the dind image in "
                      "allowed_privileged_services")


def _kubernetes(runner: Runner) -> Iterator[Hit]:
    settings = runner.section("kubernetes")
    label = f"runner {runner.label} (kubernetes executor)"
    build = _context(settings, "build_container_security_context")
    services = _context(settings, "service_container_security_context")
    if settings.get("privileged") is True and build is not False:
        yield Hit(runner.span("kubernetes", "privileged"),
                  f"{label} runs job pods privileged: every job it picks up is root on "
                  "the node")
    elif build is True:
        yield Hit(runner.span("kubernetes", "build_container_security_context", "privileged"),
                  f"{label} runs the build container privileged: every job it picks up is "
                  "root on the node")
    elif services is True and settings.get("privileged") is not True:
        yield Hit(runner.span("kubernetes", "service_container_security_context",
                              "privileged"),
                  f"{label} runs service containers privileged: any service image a job "
                  "names is root on the node")


def _context(settings: dict[str, object], name: str) -> bool | None:
    """A container security context's own ``privileged``, when it sets one."""
    context = settings.get(name)
    value = context.get("privileged") if isinstance(context, dict) else None
    return value if isinstance(value, bool) else None


def check_chart(values: HelmValues) -> Iterator[Hit]:
    for setting in values.settings:
        if setting.name == "privileged" and setting.value is True:
            yield Hit(setting.span, "the gitlab-runner chart's runners.privileged runs job "
                                    "containers privileged: every job is root on the node")
