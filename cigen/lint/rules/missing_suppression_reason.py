"""A suppression comment without a reason, when reasons are required.

## What it does
With `--require-reason` (or `require-reason = true` in the configuration),
reports `# cigen: ignore[rule]` comments that give no reason after the
brackets. The suppression still applies; the finding makes the run fail
until someone writes down why.

## Why is this bad?
A reviewer cannot tell an accepted risk from a silenced warning. The reason
is the record of the decision: "dedicated runner for this project", "mirror
pins the tags".

## Example
```yaml
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind]
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script:
    - docker info
```

## Use instead
```yaml
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner for this project
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script:
    - docker info
```

## Fix safety
No fix: only a person knows the reason.
"""

from cigen.lint.findings import Severity

CODE = "CG008"
NAME = "missing-suppression-reason"
SEVERITY = Severity.ERROR
SUMMARY = "A suppression comment gives no reason (with --require-reason)"
EXAMPLE_ARGS = ("--require-reason",)
