"""Which Docker daemon a job's commands reach.

A job's ``docker`` commands go to the daemon ``DOCKER_HOST`` (or ``docker -H``)
names, or, when nothing names one, to what the job brings: a Docker-in-Docker
service, a ``dockerd`` it starts itself, or whatever the runner provides (the
host's socket). This module reads that from the facts of one job
(:class:`~cigen.jobs.facts.JobFacts`), in script order: ``variables:`` first,
then each ``export``, assignment and one-command prefix as the shell meets it;
a daemon on another host (``ssh://``, ``tcp://`` to a name that is no service)
is remote. It also works out the TLS state of each dind service (its
``DOCKER_TLS_CERTDIR``, its ``command:``, the port the client talks to) and
the ways a job hands the host's socket to others (a bind mount, a
world-writable mode). Every fact keeps the place it was written and a phrase
saying how, so rules report it there; a value built from a variable the files
never define is unknown, and nothing is decided from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple
from weakref import WeakKeyDictionary

from cigen.gitlab.pipeline import Job, Pipeline, Variable
from cigen.jobs.arguments import docker_arguments, option_values, options
from cigen.jobs.compose import STARTING, is_compose
from cigen.jobs.facts import JobFacts
from cigen.shell.words import Command, Word
from cigen.source.positions import Span, YMap

if TYPE_CHECKING:
    from cigen.jobs.images import ImageRef

HOST_SOCKET = re.compile(r"^(?:unix://)?/*(?:var/)?run/docker\.sock/?$")
"""The host daemon's socket path (``/var/run/docker.sock``, ``/run/docker.sock``)."""
DAEMON_COMMANDS = frozenset({"dockerd", "dockerd-entrypoint.sh", "dockerd-rootless.sh"})
DAEMON_NAMES = ("dockerd",)
"""What every one of those names contains, to skip scripts that start no daemon."""
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"})
PLAIN_PORT = 2375
TLS_PORT = 2376
TLS_DEFAULT_SINCE = (19, 3)
"""The docker:dind image turns TLS on by itself (``DOCKER_TLS_CERTDIR=/certs``)
from Docker 19.03; 18.09 honours the variable but leaves it unset."""
CERTDIR_SINCE = (18, 9)
"""Before 18.09 the dind image knows no ``DOCKER_TLS_CERTDIR``: it listens without TLS."""

# Daemon kinds.
HOST = "host"
"""The host's daemon through its socket: named by DOCKER_HOST, or the runner's default."""
RUNNER = "runner"
"""Nothing in the file names a daemon: the runner's (on a Docker executor, the
host's socket the runner mounts; on a shell executor, the machine's own)."""
DIND = "dind"
OWN = "own"
"""A ``dockerd`` the job starts in its own container."""
REMOTE = "remote"
UNKNOWN = "unknown"


# Worked out once per job: every rule asks, and a job may hold thousands of commands.
_OWN_DAEMONS: WeakKeyDictionary[JobFacts, list[Command]] = WeakKeyDictionary()
_ENDPOINTS: WeakKeyDictionary[JobFacts, list[tuple[Command, Endpoint]]] = WeakKeyDictionary()


class Setting(NamedTuple):
    """One value written for a variable, where and how."""

    name: str
    written: str
    value: str | None
    """``written`` with the files' variables expanded; ``None`` when it uses one they
    never define (a project or group CI/CD variable)."""
    span: Span
    how: str
    """How it was written: ``in `variables:``` or ``exported at line 12``."""
    variable: Variable | None = None
    """The YAML variable, for a setting written in ``variables:``."""
    command: Command | None = None
    """The script command, for a setting written in a script."""
    persistent: bool = True
    """``False`` for ``NAME=value command``: it holds for that one command."""

    def describe(self) -> str:
        if self.name.startswith("-"):
            return f"`docker {self.name} {self.written}` {self.how}"
        return f"{self.name}={_quote(self.written)} {self.how}"


class Endpoint(NamedTuple):
    """The daemon a docker command reaches."""

    kind: str
    host: str = ""
    port: int | None = None
    setting: Setting | None = None
    """What named it; ``None`` when nothing does (the default)."""
    service: ImageRef | None = None
    """The dind service, for kind ``dind``."""


class Finding(NamedTuple):
    """A fact a rule reports: where it was written and what it means."""

    span: Span
    message: str
    setting: Setting | None = None
    word: Word | None = None
    command: Command | None = None


# -- settings -------------------------------------------------------------------

def _known(facts: JobFacts, text: str) -> str | None:
    value = facts.expand(text)
    return None if "$" in value or "`" in value else value


def yaml_setting(facts: JobFacts, name: str) -> Setting | None:
    """The job's ``variables:`` value for ``name`` (its own, a template's or the global one)."""
    variable = facts.job.variables.get(name)
    if variable is None:
        return None
    value = _known(facts, variable.value) if variable.expand else variable.value
    where = "in `variables:`"
    return Setting(name, variable.value, value, variable.span or facts.span, where, variable)


def service_setting(facts: JobFacts, service: ImageRef, name: str) -> Setting | None:
    """The service's own ``variables:`` value, else the job's (GitLab passes job
    variables to its services when they start)."""
    variable = service.variables.get(name)
    if variable is None:
        return yaml_setting(facts, name)
    return Setting(name, variable.value, _known(facts, variable.value),
                   variable.span or service.span, "in the service's `variables:`", variable)


def script_settings(facts: JobFacts, name: str) -> list[tuple[int, Setting]]:
    """Values the job's scripts give ``name``, with the index of the command in
    :attr:`JobFacts.commands` they were written at."""
    found: list[tuple[int, Setting]] = []
    for index, command in enumerate(facts.commands):
        if name not in command.assignments or on_another_machine(command):
            continue
        written = command.assignments[name]
        if command.words:
            word = command.start or command.first
            how = f"set for one command at line {command.locate(word).line}"
            span, persistent = command.locate(word), False
        else:
            span, persistent = command.span, True
            verb = command.first.text
            how = (f"{'exported' if verb == 'export' else 'set'} at line {span.line}"
                   if verb in ("export", "local", "readonly", "declare", "typeset")
                   else f"assigned at line {span.line}")
        found.append((index, Setting(name, written, _known(facts, written), span, how,
                                     command=command, persistent=persistent)))
    return found


def _quote(text: str) -> str:
    return text if text and not re.search(r"\s", text) else f'"{text}"'


def checked_jobs(jobs: list[JobFacts], pipeline: Pipeline) -> list[tuple[JobFacts, list[str]]]:
    """The jobs to check, each with the names a finding lists; for a file with no
    jobs, what its defaults give every job, listing none."""
    if jobs:
        return [(facts, [facts.name]) for facts in jobs]
    defaults = default_facts(pipeline)
    return [] if defaults is None else [(defaults, [])]


def default_facts(pipeline: Pipeline) -> JobFacts | None:
    """What ``default:`` (or the old top-level ``services:``, ``before_script:``...)
    and the global ``variables:`` give every job, as the facts of one job, for a
    file whose jobs all come from includes."""
    config = pipeline.config
    if not isinstance(config, YMap):
        return None
    default = config.get("default")
    owner = default if isinstance(default, YMap) else config
    variables: dict[str, Variable] = {}
    block = config.get("variables")
    if isinstance(block, YMap):
        for key, item in block.items():
            span = block.span_of(key)
            expand = True
            if isinstance(item, YMap):
                span = item.span_of("value") or span
                expand = item.get("expand") is not False
                item = item.get("value", "")
            if isinstance(item, str | int | float) or item is None:
                text = "" if item is None else str(item)
                variables[str(key)] = Variable(str(key), text, span, expand)
    return JobFacts(Job("default", owner, variables), pipeline)


# -- which daemon --------------------------------------------------------------

def on_another_machine(command: Command) -> bool:
    """The command runs through ``ssh``: on that host, with none of the job's settings."""
    return "ssh" in command.via.split(" > ")


def own_daemon_commands(facts: JobFacts) -> list[Command]:
    """``dockerd`` (or the dind image's entrypoint) started by the job's own scripts."""
    found = _OWN_DAEMONS.get(facts)
    if found is None:
        found = _OWN_DAEMONS[facts] = _own_daemon_commands(facts)
    return found


def _own_daemon_commands(facts: JobFacts) -> list[Command]:
    # Only a script that names the daemon can start it: the others are not parsed here.
    if not any(name in value for _, value, _ in facts.script_items for name in DAEMON_NAMES):
        return []
    return [command for command in facts.commands
            if command.name.rsplit("/", 1)[-1] in DAEMON_COMMANDS
            and not on_another_machine(command)
            and not any(word.text in ("-v", "--version", "-h", "--help")
                        for word in command.words[1:])]


def service_aliases(service: ImageRef) -> set[str]:
    """Host names the job reaches a service by: its ``alias:`` (one or several) and the
    two names GitLab derives from the image (``/`` as ``__`` and as ``-``)."""
    names = {alias for alias in re.split(r"[,\s]+", service.alias) if alias}
    repository = service.repository
    if "$" not in repository:
        names.add(repository.replace("/", "__"))
        names.add(repository.replace("/", "-"))
    return names


def classify(facts: JobFacts, value: str | None, setting: Setting | None = None) -> Endpoint:
    """The daemon a DOCKER_HOST value (or ``-H`` option) names."""
    if value is None:
        return Endpoint(UNKNOWN, setting=setting)
    value = value.strip()
    if not value:
        return default_endpoint(facts)
    if value.startswith("unix://") or value.startswith("/"):
        if HOST_SOCKET.match(value) and not own_daemon_commands(facts):
            return Endpoint(HOST, setting=setting)
        if own_daemon_commands(facts):
            return Endpoint(OWN, setting=setting)
        return Endpoint(UNKNOWN, setting=setting)
    match = re.match(r"^tcp://(\[[^\]]*\]|[^/:]+)(?::(\d+))?/?$", value)
    if match is None:
        # ssh://, npipe://, fd:// and anything cigen cannot read.
        return Endpoint(REMOTE if value.startswith("ssh://") else UNKNOWN, setting=setting)
    host = match.group(1).lower()
    port = int(match.group(2)) if match.group(2) else None
    for service in facts.dind_services:
        if host in service_aliases(service) or host in LOCAL_HOSTS or host == "docker":
            return Endpoint(DIND, host, port, setting, service)
    if host in LOCAL_HOSTS and own_daemon_commands(facts):
        return Endpoint(OWN, host, port, setting)
    if host == "docker" or host in LOCAL_HOSTS:
        # A service from a file cigen cannot read, or the runner's own.
        return Endpoint(UNKNOWN, host, port, setting)
    return Endpoint(REMOTE, host, port, setting)


def default_endpoint(facts: JobFacts) -> Endpoint:
    """The daemon reached when DOCKER_HOST names none: the docker image's entrypoint
    picks a service reachable as ``docker`` (a dind service), a job that starts its
    own ``dockerd`` talks to it over its socket, and otherwise the runner decides."""
    if facts.dind_services:
        return Endpoint(DIND, service=facts.dind_services[0])
    if own_daemon_commands(facts):
        return Endpoint(OWN)
    return Endpoint(RUNNER)


def endpoints(facts: JobFacts) -> list[tuple[Command, Endpoint]]:
    """Each ``docker`` command with the daemon it reaches, in script order."""
    found = _ENDPOINTS.get(facts)
    if found is None:
        found = _ENDPOINTS[facts] = _endpoints(facts)
    return found


def _endpoints(facts: JobFacts) -> list[tuple[Command, Endpoint]]:
    yaml = yaml_setting(facts, "DOCKER_HOST")
    scripted = dict(script_settings(facts, "DOCKER_HOST"))
    current = yaml
    section = ""
    found: list[tuple[Command, Endpoint]] = []
    for index, command in enumerate(facts.commands):
        if command.section != section:
            # `after_script` runs in a shell of its own: the script's exports are gone.
            if command.section == "after_script":
                current = yaml
            section = command.section
        setting = scripted.get(index)
        if setting is not None and setting.persistent:
            current = setting
        if command.name.rsplit("/", 1)[-1] not in ("docker", "docker-compose"):
            continue
        if on_another_machine(command):
            found.append((command, Endpoint(REMOTE)))
            continue
        in_effect = setting if setting is not None else current
        arguments = command.words[1:len(command.words) - len(docker_arguments(command))]
        flag = options(arguments, "-H", "--host")
        if flag:
            option, word, value = flag[-1]
            span = command.locate(word)
            name = "--host" if option.text.startswith("--") else "-H"
            flag_setting = Setting(name, value, _known(facts, value), span,
                                   f"at line {span.line}", command=command, persistent=False)
            found.append((command, classify(facts, flag_setting.value, flag_setting)))
        elif options(arguments, "--context", "-c"):
            found.append((command, Endpoint(UNKNOWN)))
        elif in_effect is None:
            found.append((command, default_endpoint(facts)))
        else:
            found.append((command, classify(facts, in_effect.value, in_effect)))
    return found


def _reaches_host(endpoint: Endpoint) -> bool:
    return endpoint.kind in (HOST, RUNNER)


# -- the host's socket ------------------------------------------------------------

def host_socket_exposures(facts: JobFacts) -> Iterator[Finding]:
    """Places where the job hands the host daemon's socket to its commands or to others."""
    own = bool(own_daemon_commands(facts))
    for setting in _host_socket_settings(facts):
        yield Finding(setting.span, f"{setting.describe()}: the job's docker commands "
                      "control the host's Docker daemon", setting)
    for command, endpoint in endpoints(facts):
        if endpoint.kind in (DIND, OWN):
            # The job's own daemon runs privileged: a container given its socket can
            # start a privileged container there, and so reach the runner's host.
            daemon = ("the dind service's daemon" if endpoint.kind == DIND
                      else "the daemon the job starts")
            for word, how in _socket_mounts(facts, command):
                yield Finding(command.locate(word), f"{how} hands the socket of "
                              f"{daemon} to a container, which can then start privileged "
                              "containers on that privileged daemon: root on the runner's "
                              "host", word=word, command=command)
            continue
        if not _reaches_host(endpoint):
            continue
        reached = (f"the command reaches the host's daemon through "
                   f"{endpoint.setting.describe()}" if endpoint.setting is not None else
                   "the job names no other daemon: no DOCKER_HOST, dind service or "
                   "dockerd of its own")
        for word, how in _socket_mounts(facts, command):
            yield Finding(command.locate(word), f"{how} mounts the host's Docker "
                          f"socket into a container, which then controls the host's daemon "
                          f"({reached})", word=word, command=command)
    if own:
        return
    for command in facts.commands_named("chmod"):
        mode = _world_writable_mode(command.words[1:])
        if mode is None or on_another_machine(command):
            continue
        for word in command.words[1:]:
            if HOST_SOCKET.match(facts.expand(word.text)):
                yield Finding(command.locate(word), f"`chmod {mode.text}` on {word.text} lets "
                              "every process in the job control the host's Docker daemon",
                              word=word, command=command)


def _host_socket_settings(facts: JobFacts) -> Iterator[Setting]:
    if own_daemon_commands(facts):
        return
    yaml = yaml_setting(facts, "DOCKER_HOST")
    scripted = script_settings(facts, "DOCKER_HOST")
    if yaml is not None and yaml.value is not None and HOST_SOCKET.match(yaml.value.strip()):
        first_docker = next((index for index, command in enumerate(facts.commands)
                             if command.name.startswith("docker")), None)
        first_override = next((index for index, setting in scripted if setting.persistent
                               and setting.command is not None
                               and setting.command.section != "after_script"), None)
        if first_docker is None or first_override is None or first_override > first_docker:
            yield yaml
    for _, setting in scripted:
        if setting.value is not None and HOST_SOCKET.match(setting.value.strip()):
            yield setting


def _socket_mounts(facts: JobFacts, command: Command) -> Iterator[tuple[Word, str]]:
    """Where ``command`` mounts the daemon's socket into a container, and how it says so."""
    if is_compose(command):
        yield from _compose_socket_mounts(facts, command)
        return
    arguments = docker_arguments(command)
    names = [word.text for word in arguments[:2]]
    if names[:1] in (["run"], ["create"]):
        how = names[0]
    elif names in (["container", "run"], ["container", "create"]):
        how = " ".join(names)
    else:
        return
    words = facts.split_words(arguments)
    for word, value in option_values(words, "-v", "--volume"):
        source = facts.expand(value).split(":", 1)[0]
        if HOST_SOCKET.match(source):
            yield word, f"`docker {how} -v {value}`"
    for word, value in option_values(words, "--mount"):
        fields: dict[str, str] = {}
        for field in facts.expand(value).split(","):
            key, _, text = field.partition("=")
            fields[key.strip().lower()] = text
        source = fields.get("source", fields.get("src", ""))
        if fields.get("type", "volume") == "bind" and HOST_SOCKET.match(source):
            yield word, f"`docker {how} --mount {value}`"


def _compose_socket_mounts(facts: JobFacts, command: Command) -> Iterator[tuple[Word, str]]:
    for run in facts.compose_runs:
        if run.command is not command or run.action.text not in STARTING:
            continue
        for service in run.services:
            for source, line in service.volumes:
                if HOST_SOCKET.match(facts.expand(source)):
                    where = service.where.rsplit(":", 1)[0]
                    tool = "docker-compose" if command.name.endswith("docker-compose") \
                        else "docker compose"
                    yield run.action, (f"`{tool} {run.action.text}` (service "
                                       f"`{service.name}`, volume `{source}` at {where}:{line})")


def _world_writable_mode(arguments: list[Word]) -> Word | None:
    """The mode word of a ``chmod`` that lets every user write (``666``, ``o+rw``)."""
    for word in arguments:
        text = word.text
        if re.fullmatch(r"0?[0-7]{3}", text):
            return word if int(text[-1]) & 2 else None
        if re.fullmatch(r"[ugoa]*[+=][rwxXst]*(,[ugoa]*[+=-][rwxXst]*)*", text):
            for clause in text.split(","):
                match = re.fullmatch(r"([ugoa]*)([+=])([rwxXst]*)", clause)
                if match and "w" in match.group(3) and (
                        not match.group(1) or set(match.group(1)) & {"o", "a"}):
                    return word
            return None
    return None


# -- TLS of dind -----------------------------------------------------------------

def dind_tls_off(facts: JobFacts) -> Iterator[Finding]:
    """Places where the job's dind service, or its client, goes without TLS."""
    for service in facts.dind_services:
        yield from _service_tls_off(facts, service)
    seen: set[Span] = set()
    for _, endpoint in endpoints(facts):
        if endpoint.setting is not None and endpoint.setting.span not in seen:
            seen.add(endpoint.setting.span)
            yield from _plain_client(endpoint)
    if not any(command.name == "docker" for command in facts.commands):
        # No docker command to follow (`docker-compose`, a test suite): the
        # job's own DOCKER_HOST is what its tools read.
        yaml = yaml_setting(facts, "DOCKER_HOST")
        if yaml is not None:
            yield from _plain_client(classify(facts, yaml.value, yaml))


def _plain_client(endpoint: Endpoint) -> Iterator[Finding]:
    setting = endpoint.setting
    if endpoint.kind == DIND and endpoint.port == PLAIN_PORT and setting is not None:
        yield Finding(setting.span, f"{setting.describe()}: the client talks to the dind "
                      f"service over plain TCP on port {PLAIN_PORT}; use "
                      f"tcp://{endpoint.host}:{TLS_PORT} with TLS", setting)


def _service_tls_off(facts: JobFacts, service: ImageRef) -> Iterator[Finding]:
    arguments = [part for argument in service.command for part in argument.split()]
    words = [Word(argument, argument, 0) for argument in arguments]
    where = service.command_span or service.span
    for argument in arguments:
        # dockerd's boolean flags take `=false` (or `=0`, `=f`) and no separate value.
        if re.fullmatch(r"--tls=(?:false|0|f)", argument, re.IGNORECASE):
            yield Finding(where, f"the dind service `{service.written}` is started with "
                          f"`{argument}`: it listens without TLS")
    for _, value in option_values(words, "-H", "--host"):
        if re.match(rf"^tcp://[^/]*:{PLAIN_PORT}/?$", value):
            yield Finding(where, f"the dind service `{service.written}` is started with "
                          f"`--host={value}`: it listens without TLS")
    certdir = service_setting(facts, service, "DOCKER_TLS_CERTDIR")
    version = _version(service.tag)
    if certdir is not None and certdir.value is not None and not certdir.value.strip():
        if version is None or version >= CERTDIR_SINCE:
            yield Finding(certdir.span, f"{certdir.describe()}: the dind service listens "
                          f"without TLS on port {PLAIN_PORT}", certdir)
    elif version is not None and version < TLS_DEFAULT_SINCE and (
            certdir is None or version < CERTDIR_SINCE):
        yield Finding(service.span, f"`{service.written}` predates Docker 19.03, whose dind "
                      "image turns TLS on by itself: it listens without TLS on port "
                      f"{PLAIN_PORT}")


def _version(tag: str) -> tuple[int, ...] | None:
    match = re.match(r"^(\d+)\.(\d+)", tag)
    return (int(match.group(1)), int(match.group(2))) if match else None
