"""What ``docker compose`` (and ``docker-compose``) commands read from the
repository's compose files: the images they build and push, and the host paths
their services mount.

Compose looks for its file in the working directory: ``-f``/``--file``
options, else ``COMPOSE_FILE``, else ``compose.yaml``, ``compose.yml``,
``docker-compose.yml``, ``docker-compose.yaml``. A job starts in the
repository's root; once its script has changed directory (``cd``,
``--project-directory``), or names the file through a variable the files never
set, the file is unknown and nothing is read. Image names keep Compose's
interpolation (``${TAG:-latest}``) for the rules, which read the job's
variables; a name set only in the project's ``.env`` file takes that value.
A file that is missing, too big or not YAML leaves the command unknown too.

Reading files that are not the pipeline makes the lint result depend on the
tree: the pipeline is marked so, and its result is not cached.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple, Protocol

from cigen.gitlab.pipeline import Pipeline
from cigen.jobs.arguments import tool_arguments
from cigen.shell.words import Command, Word
from cigen.source.env_file import read_env_file
from cigen.source.files import UnreadableFile, is_inside, read_regular_file
from cigen.source.positions import YMap, YSeq
from cigen.source.text import LoadError, decode_source
from cigen.source.yaml_reader import parse_yaml


class JobView(Protocol):
    """What this module reads of a job (its facts, which import this module)."""

    @property
    def commands(self) -> list[Command]: ...

    @property
    def pipeline(self) -> Pipeline: ...

    def variable(self, name: str) -> str | None: ...

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
# Options of `docker compose` itself that take a value.
GLOBAL_WITH_VALUE = frozenset({
    "-f", "--file", "-p", "--project-name", "--project-directory", "--env-file", "--profile",
    "--ansi", "--progress", "--parallel", "-H", "--host", "-c", "--context",
})
# Options of the subcommands read here that take a value (so it is no service name).
SUBCOMMAND_WITH_VALUE = frozenset({
    "--build-arg", "--builder", "-m", "--memory", "--ssh", "--progress", "--scale", "-t",
    "--timeout", "--exit-code-from", "--wait-timeout", "--attach", "--no-attach", "--pull",
    "-e", "--env", "-v", "--volume", "-w", "--workdir", "-u", "--user", "--name",
    "--entrypoint", "-p", "--publish", "-l", "--label", "--cap-add", "--cap-drop",
    "--env-from-file",
})
# Commands after which relative paths no longer start at the repository's root.
CHANGES_DIRECTORY = frozenset({"cd", "pushd", "popd"})
# Subcommands that start containers of the services they name (all, when none).
STARTING = frozenset({"up", "run", "create"})


class Service(NamedTuple):
    """A service of a compose file, as far as image and mount rules care."""

    name: str
    image: str | None
    """Its ``image:`` as written (see :func:`service_image`)."""
    environment: tuple[tuple[str, str], ...]
    """What the ``.env`` file beside the compose file sets."""
    builds: bool
    volumes: tuple[tuple[str, int], ...]
    """Host paths of its bind mounts, each with its line."""
    profiles: bool
    where: str
    """``file:line`` of the service."""
    image_where: str


class ComposeRun(NamedTuple):
    """A compose command and the services it acts on."""

    command: Command
    action: Word
    """The subcommand word (``build``, ``push``, ``up``...)."""
    services: tuple[Service, ...]
    pushes: bool
    """``push``, or ``build --push``."""


def is_compose(command: Command) -> bool:
    name = command.name.rsplit("/", 1)[-1]
    return name == "docker-compose" or (
        name in ("docker", "podman") and any(word.text == "compose" for word in command.words[1:3]))


def compose_runs(facts: JobView) -> list[ComposeRun]:
    """Every compose command of the job whose file cigen can read, in script order."""
    root = facts.pipeline.root
    runs: list[ComposeRun] = []
    moved = False
    files: dict[str, dict[str, Service] | None] = {}
    for command in facts.commands:
        if command.name.rsplit("/", 1)[-1] in CHANGES_DIRECTORY:
            moved = True
        if not is_compose(command):
            continue
        facts.pipeline.reads_tree = True  # the result depends on files beside the pipeline
        if moved or root is None:
            continue
        run = _run(facts, command, root, files)
        if run is not None:
            runs.append(run)
    return runs


def _run(facts: JobView, command: Command, root: str,
         files: dict[str, dict[str, Service] | None]) -> ComposeRun | None:
    words = command.words[1:]
    if command.name.rsplit("/", 1)[-1] != "docker-compose":
        words = tool_arguments(command.words, "docker")
        if not words or words[0].text != "compose":
            return None
        words = words[1:]
    chosen: list[str] = []
    index = 0
    while index < len(words) and words[index].text.startswith("-"):
        option, _, inline = words[index].text.partition("=")
        value = inline
        if option in GLOBAL_WITH_VALUE and not inline:
            index += 1
            value = words[index].text if index < len(words) else ""
        if option == "--project-directory":
            return None
        if option in ("-f", "--file"):
            chosen.append(value)
        index += 1
    if index >= len(words):
        return None
    action = words[index]
    arguments = words[index + 1:]
    services = _services(facts, root, chosen, files)
    if services is None:
        return None
    named = _named(arguments, action.text)
    # Without names, every service outside a profile; named ones whatever their profile.
    selected = tuple(service for name, service in services.items()
                     if (name in named if named else not service.profiles))
    pushes = action.text == "push" or (action.text == "build" and any(
        word.text == "--push" for word in arguments))
    return ComposeRun(command, action, selected, pushes)


def _named(arguments: list[Word], action: str) -> list[str]:
    """The services a subcommand names (``run`` names one, then its command)."""
    names = []
    skip = False
    for word in arguments:
        if skip:
            skip = False
            continue
        if word.text.startswith("-"):
            skip = "=" not in word.text and word.text in SUBCOMMAND_WITH_VALUE
            continue
        names.append(word.text)
        if action == "run":
            break
    return names


def _services(facts: JobView, root: str, chosen: list[str],
              files: dict[str, dict[str, Service] | None]) -> dict[str, Service] | None:
    if not chosen:
        setting = facts.variable("COMPOSE_FILE")
        if setting:
            chosen = setting.split(os.pathsep)
    if any("$" in name or "`" in name or name == "-" for name in chosen):
        return None
    if not chosen:
        chosen = [next((name for name in DEFAULT_FILES
                        if os.path.isfile(os.path.join(root, name))), "")]
        if not chosen[0]:
            return None
    merged: dict[str, Service] = {}
    for name in chosen:
        path = os.path.normpath(os.path.join(root, name))
        if path not in files:
            files[path] = read_services(path, root)
        found = files[path]
        if found is None:
            return None
        merged.update(found)  # a later file's service replaces the earlier one's
    return merged


def read_services(path: str, root: str) -> dict[str, Service] | None:
    """The services of the compose file at ``path``; ``None`` when it cannot be read."""
    if not is_inside(path, root):
        return None
    try:
        source = decode_source(read_regular_file(path), os.path.relpath(path, root))
        document = parse_yaml(source).data
    except (UnreadableFile, LoadError, OSError):
        return None
    if not isinstance(document, YMap) or not isinstance(document.get("services"), YMap):
        return None
    environment = tuple((read_env_file(os.path.join(os.path.dirname(path), ".env"))
                         or {}).items())
    found: dict[str, Service] = {}
    services = document["services"]
    for name, body in services.items():
        if not isinstance(name, str) or not isinstance(body, YMap):
            continue
        image = body.get("image")
        span = services.key_spans.get(name) or body.span
        where = f"{source.path}:{span.line}" if span is not None else source.path
        image_span = body.value_spans.get("image")
        found[name] = Service(
            name, image if isinstance(image, str) else None, environment, "build" in body,
            _bind_sources(body.get("volumes")), "profiles" in body, where,
            f"{source.path}:{image_span.line}" if image_span is not None else where)
    return found


def _bind_sources(volumes: object) -> tuple[tuple[str, int], ...]:
    """Host paths bind-mounted by a service's ``volumes:`` (short or long syntax)."""
    if not isinstance(volumes, YSeq):
        return ()
    found = []
    for index, entry in enumerate(volumes):
        span = volumes.span_at(index)
        line = span.line if span is not None else 0
        if isinstance(entry, str):
            source = entry.split(":", 1)[0]
            if source.startswith(("/", ".", "~", "$")):
                found.append((source, line))
        elif isinstance(entry, YMap) and entry.get("type") == "bind" \
                and isinstance(entry.get("source"), str):
            found.append((entry["source"], line))
    return tuple(found)


def service_image(facts: JobView, service: Service) -> str | None:
    """The service's image name as the job's Compose reads it: a name the job's
    variables do not set takes its value from ``.env``."""
    image = service.image
    if image is None or not service.environment:
        return image
    environment = dict(service.environment)

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name in environment and facts.variable(name) is None \
                and not name.startswith(("CI_", "GITLAB_")):
            return environment[name]
        return match.group(0)

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", value, image)
