"""Docker-in-Docker runs without TLS.

## What it does
Reports, in jobs that use a `docker:*dind*` service, `DOCKER_TLS_CERTDIR: ""`,
a `DOCKER_HOST` on port 2375, and a dind service started with `--tls=false`.

## Why is this bad?
Without TLS the dind daemon listens on plain TCP port 2375 with no
authentication. Any container that can reach it (other services of the job,
and on some network set-ups other jobs) gets a root-equivalent Docker API.
The dind image turns TLS on by itself when `DOCKER_TLS_CERTDIR` is `/certs`;
the runner needs the `/certs/client` volume so the job can read the client
certificates.

## Example
```yaml
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  variables:
    DOCKER_HOST: tcp://docker:2375
    DOCKER_TLS_CERTDIR: ""
  script:
    - docker info
```

## Use instead
```yaml
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  variables:
    DOCKER_HOST: tcp://docker:2376
    DOCKER_TLS_CERTDIR: "/certs"
    DOCKER_TLS_VERIFY: "1"
    DOCKER_CERT_PATH: "$DOCKER_TLS_CERTDIR/client"
  script:
    - docker info
```

## Fix safety
Not fixable automatically yet. Turning TLS on also needs the runner's
`volumes` to include `/certs/client`, so such a fix is unsafe.
"""

import re
from collections.abc import Iterator

from cigen.findings import Severity
from cigen.rules import Hit, PipelineContext

CODE = "CG103"
NAME = "dind-tls-disabled"
SEVERITY = Severity.ERROR
SUMMARY = "Docker-in-Docker without TLS exposes an unauthenticated daemon on port 2375"

PLAIN_PORT = re.compile(r"^tcp://[^/:]+:2375/?$")


def check(context: PipelineContext) -> Iterator[Hit]:
    for facts in context.jobs:
        if not facts.uses_dind:
            continue
        certdir = facts.job.variables.get("DOCKER_TLS_CERTDIR")
        for service in facts.dind_services:
            if "DOCKER_TLS_CERTDIR" in service.variables:
                certdir = service.variables["DOCKER_TLS_CERTDIR"]
            if "--tls=false" in service.command:
                yield Hit(service.command_span or service.span,
                          "the dind service is started with `--tls=false`", [facts.name])
        if certdir is not None and certdir.value.strip() == "":
            yield Hit(certdir.span or facts.span,
                      'DOCKER_TLS_CERTDIR is "": the dind daemon listens without TLS on port '
                      "2375", [facts.name])
        host = facts.job.variables.get("DOCKER_HOST")
        if host is not None and PLAIN_PORT.match(facts.expand(host.value).strip()):
            yield Hit(host.span or facts.span,
                      f"DOCKER_HOST `{host.value}` talks to dind over plain TCP on port 2375; "
                      "use tcp://docker:2376 with TLS", [facts.name])
