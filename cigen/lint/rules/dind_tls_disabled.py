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
Unsafe (offered with `--unsafe-fixes`): `DOCKER_TLS_CERTDIR: ""` becomes
`"/certs"` and port 2375 in `DOCKER_HOST` becomes 2376. Jobs then only reach
dind if the runner shares the certificates (`volumes = ["/certs/client",
...]`), which the file cannot show.
"""

import re
from collections.abc import Iterator

from cigen.lint.findings import Severity
from cigen.lint.fix import Fix, fix_of, replace_exact, value_edit
from cigen.lint.rules import Hit, PipelineContext
from cigen.source.positions import Span
from cigen.source.text import SourceText

CODE = "CG103"
NAME = "dind-tls-disabled"
SEVERITY = Severity.ERROR
FIXABLE = True
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
        sources = context.pipeline.sources
        if certdir is not None and certdir.value.strip() == "":
            span = certdir.span or facts.span
            yield Hit(span, 'DOCKER_TLS_CERTDIR is "": the dind daemon listens without TLS on '
                      "port 2375", [facts.name], _certdir_fix(sources.get(span.path), span))
        host = facts.job.variables.get("DOCKER_HOST")
        if host is not None and PLAIN_PORT.match(facts.expand(host.value).strip()):
            span = host.span or facts.span
            port = re.search(r":2375/?$", host.value.rstrip())
            fix = fix_of("use port 2376 with TLS", False,
                         value_edit(sources.get(span.path), host.span, host.value,
                                    port.start(), port.start() + len(":2375"), ":2376")
                         if port else None)
            yield Hit(span, f"DOCKER_HOST `{host.value}` talks to dind over plain TCP on port "
                      "2375; use tcp://docker:2376 with TLS", [facts.name], fix)


def _certdir_fix(source: SourceText | None, span: Span) -> Fix | None:
    if source is None:
        return None
    for empty in ('""', "''"):
        edit = replace_exact(source, span, empty, '"/certs"')
        if edit is not None:
            return fix_of("turn TLS on (the runner needs the /certs/client volume)", False,
                          edit)
    return None
