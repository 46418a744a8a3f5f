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
Safe: `docker login -u U -p P R` becomes `echo "P" | docker login -u U
--password-stdin R`, which logs in with the same credentials. The password
keeps the quoting it was written with (unquoted ones get double quotes). No
fix is offered when the command already reads from a pipe or starts with a
wrapper such as `sudo`.
"""

from collections.abc import Iterator

from cigen.jobs.arguments import docker_arguments, options
from cigen.lint.findings import Severity
from cigen.lint.fix import Fix, fix_of, insert_at, word_edit, words_edit
from cigen.lint.rules import Hit, PipelineContext
from cigen.shell.parser import Command, Word

CODE = "CG109"
NAME = "registry-password-argv"
SEVERITY = Severity.ERROR
FIXABLE = True
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
            for option, value, _ in options(arguments, "-p", "--password"):
                tool = command.name.rsplit("/", 1)[-1]
                yield Hit(command.locate(option),
                          f"`{tool} login` takes the password on the command line, where "
                          "the process list and shell history show it; pipe it to "
                          "--password-stdin", [facts.name],
                          _stdin_fix(command, option, value))
                break


def _stdin_fix(command: Command, option: Word, value: Word) -> Fix | None:
    if command.piped_from or command.start != command.first:
        return None
    if value is not option:
        written = value.raw
    elif option.raw.startswith("--password="):
        written = option.raw[len("--password="):]
    else:
        written = option.raw[len("-p"):]
    quoted = written if written[:1] in ("'", '"') else f'"{written}"'
    pipe = insert_at(command, command.first, f"echo {quoted} | ", after=False)
    if value is option:
        flag = word_edit(command, option, "--password-stdin")
    else:
        flag = words_edit(command, option, value, "--password-stdin")
    return fix_of("pipe the password to --password-stdin", True, pipe, flag)
