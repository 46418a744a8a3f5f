"""A registry password is passed on the command line.

## What it does
Reports `docker login -p X` / `--password X` / `--password=X`, and the same in
`podman`, `buildah`, `skopeo`, `helm registry`, `oras` and `crane auth` logins.

## Why is this bad?
Command-line arguments are visible in the process list to every user of the
host and end up in shell history and traces; the docker CLI itself warns
"Using --password via the CLI is insecure". `--password-stdin` reads the
secret from a pipe instead.

## Example
```yaml
build:
  image: docker:29.1-cli
  script:
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
```

## Use instead
```yaml
build:
  image: docker:29.1-cli
  script:
    - echo "$CI_REGISTRY_PASSWORD" |
      docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
```

## Fix safety
Not fixable automatically yet; rewriting to `echo "P" | ... --password-stdin`
keeps behaviour and will be offered as a safe fix.
"""

from collections.abc import Iterator

from cigen.findings import Severity
from cigen.jobfacts import docker_arguments, options
from cigen.rules import Hit, PipelineContext
from cigen.shell import Command, Word

CODE = "CG109"
NAME = "registry-password-argv"
SEVERITY = Severity.ERROR
SUMMARY = "`docker login -p` exposes the password in the process list; use --password-stdin"

LOGIN_TOOLS = {
    "docker": ("login",), "podman": ("login",), "buildah": ("login",), "skopeo": ("login",),
    "oras": ("login",), "helm": ("registry", "login"), "crane": ("auth", "login"),
}


def _login_arguments(command: Command) -> list[Word] | None:
    tool = command.name.rsplit("/", 1)[-1]
    subcommand = LOGIN_TOOLS.get(tool)
    if subcommand is None:
        return None
    arguments = docker_arguments(command) if tool in ("docker", "podman") else command.words[1:]
    if [word.text for word in arguments[:len(subcommand)]] != list(subcommand):
        return None
    return arguments[len(subcommand):]


def check(context: PipelineContext) -> Iterator[Hit]:
    for facts in context.jobs:
        for command in facts.commands:
            arguments = _login_arguments(command)
            if arguments is None:
                continue
            for word, _, _ in options(arguments, "-p", "--password"):
                tool = command.name.rsplit("/", 1)[-1]
                yield Hit(command.locate(word),
                          f"`{tool} login` takes the password on the command line, where "
                          "the process list and shell history show it; pipe it to "
                          "--password-stdin", [facts.name])
                break
