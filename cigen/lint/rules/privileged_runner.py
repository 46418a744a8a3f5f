"""A runner runs its jobs privileged.

## What it does
Reports `privileged = true` (and `services_privileged = true`) in the
`[runners.docker]` or `[runners.kubernetes]` section of a GitLab Runner
`config.toml`.

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

## Fix safety
No fix: the jobs that rely on it would stop working.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cigen.lint.findings import Severity
from cigen.lint.rules import Hit

if TYPE_CHECKING:
    from cigen.runner.config import RunnerConfig

CODE = "CG201"
NAME = "privileged-runner"
SEVERITY = Severity.WARNING
SUMMARY = "The runner starts job containers privileged (root on the host)"


def check_runner(config: RunnerConfig) -> Iterator[Hit]:
    for runner in config.runners:
        for section in ("docker", "kubernetes"):
            settings = runner.section(section)
            for key in ("privileged", "services_privileged"):
                if settings.get(key) is True:
                    what = "job and service containers" if key == "privileged" else "services"
                    yield Hit(runner.span(section, key),
                              f"runner {runner.label} ({runner.executor or section} executor) "
                              f"runs {what} privileged: every job it picks up is root on the host")
