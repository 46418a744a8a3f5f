"""A registry password is passed on the command line.

## What it does
Reports a password given as an argument to any registry client:
`docker`/`podman`/`buildah`/`nerdctl`/`skopeo`/`oras login -p X` (also
`-pX`, `--password X`, `--password=X`), `helm registry login -p`, `crane auth
login -p`, `regctl registry login --pass`, `az acr login --password`, Jib's
`-Djib.to.auth.password=` (Maven or Gradle), and `USER:PASSWORD` credentials of
`skopeo copy|sync|inspect|delete --creds/--src-creds/--dest-creds`,
`skopeo ... --src-password/--dest-password` and `podman`/`buildah
push|pull|build --creds`. `--creds "$USER"` without a password part is not
reported. Logins in `after_script` and in hidden templates count too.

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
    - crane auth login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
    - >
      helm registry login --username "$HARBOR_USER" --password="$HARBOR_PASSWORD"
      harbor.example.com
    - >
      skopeo copy --dest-creds "$CI_REGISTRY_USER:$CI_REGISTRY_PASSWORD"
      docker://alpine:3.20 "docker://$CI_REGISTRY_IMAGE/alpine:3.20"
  after_script:
    - podman logout "$CI_REGISTRY" || podman login -u "$U" -p"$TOKEN" "$CI_REGISTRY"
```

## Use instead
```yaml
build:
  image: docker:29.1-cli
  script:
    - echo "$CI_REGISTRY_PASSWORD" |
      docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
    - printf '%s' "$CI_REGISTRY_PASSWORD" |
      crane auth login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
    - echo "$HARBOR_PASSWORD" |
      helm registry login --username "$HARBOR_USER" --password-stdin harbor.example.com
    - echo "$CI_REGISTRY_PASSWORD" |
      skopeo login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
    - >
      skopeo copy --dest-creds "$CI_REGISTRY_USER"
      docker://alpine:3.20 "docker://$CI_REGISTRY_IMAGE/alpine:3.20"
    - docker run --rm -p 8080:80 nginx:1.27 true
```

## Fix safety
Safe: `docker login -u U -p P R` becomes `echo "P" | docker login -u U
--password-stdin R`, which logs in with the same credentials; the same for
`podman`, `buildah`, `nerdctl`, `skopeo`, `oras`, `helm registry` and `crane
auth` logins, which all read `--password-stdin`. The password keeps the
quoting it was written with (unquoted ones get double quotes). No fix is
offered when the command already reads from a pipe, starts with a wrapper
such as `sudo`, runs through another command (`ssh host "..."`), for
`regctl` (whose option is `--pass-stdin`), or for `--creds` options.
"""

import re
from collections.abc import Iterator
from typing import NamedTuple

from cigen.jobs.arguments import subcommand, tool_arguments, tool_name
from cigen.jobs.facts import JobFacts
from cigen.lint.findings import Severity
from cigen.lint.fix import Fix, fix_of, insert_at, word_edit, words_edit
from cigen.lint.rules import Hit, PipelineContext
from cigen.shell.expansion import mask_substitutions
from cigen.shell.words import Command, Word

CODE = "CG109"
NAME = "registry-password-argv"
SEVERITY = Severity.ERROR
FIXABLE = True
SUMMARY = "`docker login -p` exposes the password in the process list; use --password-stdin"


class Login(NamedTuple):
    subcommand: tuple[str, ...]
    password_options: tuple[str, ...]
    stdin_option: str
    """How the client reads the password from standard input."""
    fixable: bool
    """The stdin option is spelt ``--password-stdin`` and replaces the password option."""


DOCKER_STYLE = Login(("login",), ("-p", "--password"), "--password-stdin", True)
LOGINS = {
    "docker": DOCKER_STYLE, "podman": DOCKER_STYLE, "buildah": DOCKER_STYLE,
    "skopeo": DOCKER_STYLE, "nerdctl": DOCKER_STYLE, "oras": DOCKER_STYLE,
    "helm": Login(("registry", "login"), ("-p", "--password"), "--password-stdin", True),
    "crane": Login(("auth", "login"), ("-p", "--password"), "--password-stdin", True),
    # regctl reads it with --pass-stdin, a different spelling: reported, not fixed.
    "regctl": Login(("registry", "login"), ("-p", "--pass"), "--pass-stdin", False),
    # `az acr login` reads no password from stdin; its token goes to a docker login.
    "az": Login(("acr", "login"), ("-p", "--password"),
                "`docker login --password-stdin` (from `az acr login --expose-token`)", False),
}
# Jib (Maven and Gradle plugins) takes registry credentials as system properties.
JIB_PASSWORD = re.compile(r"-Djib\.(?:to|from)\.auth\.password=(.+)", re.S)
# `USER[:PASSWORD]` options of commands that talk to a registry without a login.
CREDENTIAL_OPTIONS = {
    "skopeo": ("--creds", "--src-creds", "--dest-creds"),
    "podman": ("--creds",),
    "buildah": ("--creds",),
}
# skopeo's copy, sync, inspect, delete and list-tags also take the password alone.
SKOPEO_PASSWORD_OPTIONS = ("--password", "--src-password", "--dest-password")
# Login options whose value is the next word, so that a `-p` there is that value.
OPTIONS_WITH_VALUE = frozenset({
    "-u", "--username", "--user", "--authfile", "--cert-dir", "--registry-config",
    "--ca-file", "--cert-file", "--key-file", "--compat-auth-file", "--secret",
})


class Found(NamedTuple):
    option: Word
    value: Word
    text: str
    """The value as the client reads it."""


def _find(words: list[Word], names: tuple[str, ...]) -> Found | None:
    """The first of the options ``names`` among ``words``, skipping other options' values."""
    index = 0
    while index < len(words):
        word = words[index]
        text = word.text
        if text in names:
            if index + 1 < len(words):
                return Found(word, words[index + 1], words[index + 1].text)
            return None
        for name in names:
            if name.startswith("--") and text.startswith(name + "="):
                return Found(word, word, text[len(name) + 1:])
            if not name.startswith("--") and text.startswith(name) and len(text) > len(name) \
                    and not text.startswith("--"):
                # pflag reads `-pSECRET` and `-p=SECRET` alike.
                value = text[len(name):]
                return Found(word, word, value[1:] if value.startswith("=") else value)
        if text in OPTIONS_WITH_VALUE:
            index += 1
        index += 1
    return None


def check(context: PipelineContext) -> Iterator[Hit]:
    for facts in context.jobs:
        for command in facts.commands:
            hit = (_login_hit(facts, command) or _credentials_hit(facts, command)
                   or _property_hit(facts, command))
            if hit is not None:
                yield hit


def _login_hit(facts: JobFacts, command: Command) -> Hit | None:
    tool = tool_name(command)
    login = LOGINS.get(tool)
    if login is None:
        return None
    arguments = subcommand(command.words, tool, *login.subcommand)
    if arguments is None:
        return None
    found = _find(arguments, login.password_options)
    if found is None or not found.text:
        return None
    client = " ".join((tool, *login.subcommand))
    return Hit(command.locate(found.option),
               f"`{client}` takes the password on the command line, where the process list "
               f"and shell history show it; pipe it to {login.stdin_option}", [facts.name],
               _stdin_fix(command, found) if login.fixable else None)


def _credentials_hit(facts: JobFacts, command: Command) -> Hit | None:
    tool = tool_name(command)
    names = CREDENTIAL_OPTIONS.get(tool)
    if names is None:
        return None
    arguments = tool_arguments(command.words, tool)
    if not arguments or arguments[0].text == "login":
        return None
    found = _find(arguments[1:], names)
    if found is not None:
        # `--creds USER` alone prompts for nothing in CI: only a password part leaks.
        _, colon, password = mask_substitutions(facts.expand(found.text)).partition(":")
        if not (colon and password):
            found = None
    if found is None and tool == "skopeo":
        found = _find(arguments[1:], SKOPEO_PASSWORD_OPTIONS)
        if found is not None and not found.text:
            found = None
    if found is None:
        return None
    option = found.option.text.split("=", 1)[0]
    return Hit(command.locate(found.option),
               f"`{tool} {arguments[0].text} {option}` puts the password on the command line, "
               "where the process list and shell history show it; log in first with "
               f"`{tool} login --password-stdin` (or pass --authfile)", [facts.name])


def _property_hit(facts: JobFacts, command: Command) -> Hit | None:
    for word in command.words[1:]:
        match = JIB_PASSWORD.match(word.text)
        if match and match.group(1).strip("'\""):
            name = word.text.split("=", 1)[0]
            return Hit(command.locate(word),
                       f"`{name}=` puts the registry password on the command line, where the "
                       "process list and build logs show it; let Jib read it from the "
                       "environment (`${env.NAME}` in the build file) or a credential helper",
                       [facts.name])
    return None


def _stdin_fix(command: Command, found: Found) -> Fix | None:
    option, value = found.option, found.value
    # Reading stdin from elsewhere, a wrapper (`sudo`) or a command run through
    # another (`ssh host "..."`) would not see the piped password.
    if command.piped_from or command.start != command.first or command.via \
            or any(word.text.startswith("<") for word in command.words):
        return None
    if value is not option:
        written = value.raw
    else:
        name = "--password" if option.raw.startswith("--password") else "-p"
        if not option.raw.startswith(name):
            return None
        written = option.raw[len(name):]
        written = written[1:] if written.startswith("=") else written
    if not written:
        return None
    quoted = written if written[:1] in ("'", '"') else f'"{written}"'
    pipe = insert_at(command, command.first, f"echo {quoted} | ", after=False)
    if value is option:
        flag = word_edit(command, option, "--password-stdin")
    else:
        flag = words_edit(command, option, value, "--password-stdin")
    return fix_of("pipe the password to --password-stdin", True, pipe, flag)
