"""Docker-in-Docker runs without TLS.

## What it does
Reports, in jobs that use a `docker:*dind*` service (with any registry,
mirror or dependency-proxy prefix): `DOCKER_TLS_CERTDIR: ""` in the job's,
the global or the service's own `variables:`; a service started with
`--tls=false` or `--host=tcp://...:2375`; a dind image older than 19.03,
which does not turn TLS on by itself; and a `DOCKER_HOST` that talks to the
service on port 2375, whether it is set in `variables:`, `export`ed in a
script, set in front of one command or given as `docker -H`.

A service with no `DOCKER_TLS_CERTDIR` at all uses TLS: the dind image sets
it to `/certs` since Docker 19.03. `DOCKER_TLS_CERTDIR` exported in a script
is not reported: the service has already started by then and never sees it.
A `DOCKER_HOST` on another host (a remote daemon) or built from a variable
the files never define is not reported.

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

test:
  image: docker:29.1-cli
  services:
    - name: docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
      variables:
        DOCKER_TLS_CERTDIR: ""
  script:
    - export DOCKER_HOST=tcp://docker:2375
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
...]`), which the file cannot show. Values set in a script, `--tls=false` and
old images get no fix.
"""

import re
from collections.abc import Iterator

from cigen.jobs.daemon import checked_jobs, dind_tls_off
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


def check(context: PipelineContext) -> Iterator[Hit]:
    sources = context.pipeline.sources
    for facts, names in checked_jobs(context.jobs, context.pipeline):
        for finding in dind_tls_off(facts):
            setting = finding.setting
            variable = setting.variable if setting is not None else None
            fix = None
            if variable is not None and variable.span is not None:
                source = sources.get(variable.span.path)
                if variable.name == "DOCKER_TLS_CERTDIR":
                    fix = _certdir_fix(source, variable.span)
                elif variable.name == "DOCKER_HOST":
                    port = re.search(r":2375/?$", variable.value.rstrip())
                    fix = fix_of("use port 2376 with TLS", False,
                                 value_edit(source, variable.span, variable.value,
                                            port.start(), port.start() + len(":2375"), ":2376")
                                 if port else None)
            yield Hit(finding.span, finding.message, names, fix)


def _certdir_fix(source: SourceText | None, span: Span) -> Fix | None:
    if source is None:
        return None
    for empty in ('""', "''"):
        edit = replace_exact(source, span, empty, '"/certs"')
        if edit is not None:
            return fix_of("turn TLS on (the runner needs the /certs/client volume)", False,
                          edit)
    return None
