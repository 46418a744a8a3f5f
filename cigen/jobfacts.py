"""What a job does, read once and shared by every rule.

For each resolved job this module works out its image and services (with the
registry prefix, tag and alias split out), its script commands (parsed by
:mod:`cigen.shell`, in ``before_script``/``script``/``after_script`` order),
the variables its shell would see, and whether it talks to an ephemeral Docker
daemon. Rules read these facts; none of them parses YAML or shell itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from cigen.pipeline import Job, Pipeline, Variable
from cigen.positions import Span, YMap, YSeq
from cigen.shell import Command, Word, expand, mask_substitutions, parse_sections

if TYPE_CHECKING:
    from cigen.image_outputs import ImageOutput

SCRIPT_SECTIONS = ("before_script", "script", "after_script")
# Every command the rules read contains one of these words.
TOOL_WORDS = re.compile(r"docker|podman|buildah|kaniko|executor|buildctl|depot|crane|skopeo"
                        r"|oras|helm|regctl")
DIND_TAG = re.compile(r"dind")
RAW_REF_VARIABLES = ("CI_COMMIT_REF_NAME", "CI_COMMIT_BRANCH",
                     "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
                     "CI_BUILD_REF_NAME", "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME")


class ImageRef:
    """A container image named in ``image:`` or ``services:``."""

    __slots__ = ("alias", "command", "command_span", "digest", "is_dind", "is_docker", "name",
                 "repository", "role", "span", "tag", "variables", "written")

    written: str
    name: str
    """``written`` with known variables expanded."""
    span: Span
    role: str
    alias: str
    command: list[str]
    command_span: Span | None
    variables: dict[str, Variable]

    repository: str
    tag: str
    digest: str
    is_docker: bool
    """The official ``docker`` image, whatever registry or mirror it comes from."""
    is_dind: bool

    def __init__(self, written: str, name: str, span: Span, role: str, alias: str = "",
                 command: list[str] | None = None, command_span: Span | None = None,
                 variables: dict[str, Variable] | None = None) -> None:
        self.written = written
        self.name = name
        self.span = span
        self.role = role
        self.alias = alias
        self.command = [] if command is None else command
        self.command_span = command_span
        self.variables = {} if variables is None else variables
        self.repository, self.tag, self.digest = split_image(name)
        repository = self.repository.lower()
        self.is_docker = repository.rsplit("/", 1)[-1] == "docker" and repository.count("/") <= 3
        self.is_dind = self.is_docker and DIND_TAG.search(self.tag.lower()) is not None


def split_image(reference: str) -> tuple[str, str, str]:
    """``registry/repo:tag@digest`` -> (``registry/repo``, ``tag``, ``digest``).

    ``/``, ``:`` and ``@`` inside ``${...}``, ``$(...)`` or backticks do not count.
    """
    reference = reference.strip()
    masked = mask_substitutions(reference)
    digest = ""
    at = masked.find("@")
    if at != -1:
        reference, digest, masked = reference[:at], reference[at + 1:], masked[:at]
    slash = masked.rfind("/")
    colon = masked.rfind(":")
    if colon > slash:
        return reference[:colon], reference[colon + 1:], digest
    return reference, "", digest


def image_ref(value: Any, span: Span, role: str,
              lookup: Callable[[str], str | None]) -> ImageRef | None:
    """An ``image:`` value or ``services:`` item (string or mapping form)."""
    if isinstance(value, str):
        return ImageRef(value, expand(value, lookup), span, role)
    if not (isinstance(value, YMap) and isinstance(value.get("name"), str)):
        return None
    name = value["name"]
    command = value.get("command")
    alias = value.get("alias")
    ref = ImageRef(name, expand(name, lookup), value.span_of("name") or span, role,
                   alias if isinstance(alias, str) else "",
                   [str(item) for item in command] if isinstance(command, YSeq) else
                   ([command] if isinstance(command, str) else []), value.span_of("command"))
    service_variables = value.get("variables")
    if isinstance(service_variables, YMap):
        for key, item in service_variables.items():
            if isinstance(item, str | int | float | bool) or item is None:
                text = "" if item is None else str(item)
                ref.variables[str(key)] = Variable(str(key), text, service_variables.span_of(key))
    return ref


def service_refs(services: Any, span: Span, lookup: Callable[[str], str | None]
                 ) -> list[ImageRef]:
    refs: list[ImageRef] = []
    if isinstance(services, YSeq):
        for index, item in enumerate(services):
            ref = image_ref(item, services.span_at(index) or span, "service", lookup)
            if ref is not None:
                refs.append(ref)
    return refs


def global_images(pipeline: Pipeline) -> list[ImageRef]:
    """Images named at the top level or in ``default:``, whether or not a job uses them."""
    config = pipeline.config
    variables = config.get("variables")

    def lookup(name: str) -> str | None:
        value = variables.get(name) if isinstance(variables, YMap) else None
        return value if isinstance(value, str) else None

    refs: list[ImageRef] = []
    for owner in (config, config.get("default")):
        if not isinstance(owner, YMap):
            continue
        fallback = owner.span or Span(pipeline.path, 1, 1, 1, 1)
        image = image_ref(owner.get("image"), owner.span_of("image") or fallback, "image",
                          lookup)
        if image is not None:
            refs.append(image)
        refs.extend(service_refs(owner.get("services"), fallback, lookup))
    return refs


class JobFacts:
    """Facts about one job, computed on first use."""

    def __init__(self, job: Job, pipeline: Pipeline) -> None:
        self.job = job
        self.pipeline = pipeline
        self.name = job.name
        self.config = job.config

    @property
    def span(self) -> Span:
        return self.config.span or Span(self.pipeline.path, 1, 1, 1, 1)

    # -- variables -------------------------------------------------------------

    @cached_property
    def shell_assignments(self) -> dict[str, list[tuple[str, Command]]]:
        """Every value the script assigns to each variable, in order."""
        assignments: dict[str, list[tuple[str, Command]]] = {}
        for command in self.commands:
            for name, value in command.assignments.items():
                assignments.setdefault(name, []).append((value, command))
        return assignments

    def variable(self, name: str) -> str | None:
        """A variable's value as the job's shell sees it (the script's last assignment first)."""
        if name in self.shell_assignments:
            return self.shell_assignments[name][-1][0]
        variable = self.job.variables.get(name)
        if variable is not None:
            return variable.value if variable.expand else variable.value.replace("$", "$$")
        for service in self.services:
            if name in service.variables:
                return service.variables[name].value
        return None

    def yaml_variable(self, name: str) -> Variable | None:
        return self.job.variables.get(name)

    def expand(self, text: str) -> str:
        return expand(text, self.variable)

    def expand_words(self, words: list[Word]) -> list[Word]:
        """Words with variables expanded; an unquoted variable may split into several words."""
        result: list[Word] = []
        for word in words:
            if "$" not in word.text:
                result.append(word)
                continue
            text = self.expand(word.text)
            if word.raw.startswith(("'", '"')) or not text.strip():
                result.append(Word(text, word.raw, word.offset))
            else:
                result.extend(Word(part, word.raw, word.offset) for part in text.split())
        return result

    def split_words(self, words: list[Word]) -> list[Word]:
        """Words as the shell splits them: an unquoted variable holding several words
        (``$BUILD_ARGS``) becomes those words; every other word stays as written."""
        result: list[Word] = []
        for word in words:
            if "$" in word.text and not word.raw.startswith(("'", '"')):
                parts = self.expand(word.text).split()
                if len(parts) > 1:
                    result.extend(Word(part, word.raw, word.offset) for part in parts)
                    continue
            result.append(word)
        return result

    @cached_property
    def docker_version(self) -> tuple[int, ...] | None:
        """The Docker version of the job's `docker:<version>` image, when it names one."""
        image = self.image
        if image is None or not image.is_docker:
            return None
        match = re.match(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?", image.tag)
        if match is None:
            return None
        return tuple(int(part) for part in match.groups() if part is not None)

    # -- images -----------------------------------------------------------------

    def _yaml_lookup(self, name: str) -> str | None:
        variable = self.job.variables.get(name)
        return variable.value if variable is not None else None

    @cached_property
    def image(self) -> ImageRef | None:
        return image_ref(self.config.get("image"), self.config.span_of("image") or self.span,
                         "image", self._yaml_lookup)

    @cached_property
    def services(self) -> list[ImageRef]:
        return service_refs(self.config.get("services"), self.span, self._yaml_lookup)

    @cached_property
    def dind_services(self) -> list[ImageRef]:
        return [service for service in self.services if service.is_dind]

    @property
    def uses_dind(self) -> bool:
        return bool(self.dind_services)

    # -- commands ---------------------------------------------------------------

    @cached_property
    def script_items(self) -> list[tuple[str, str, Span]]:
        items: list[tuple[str, str, Span]] = []
        for section in SCRIPT_SECTIONS:
            value = self.config.get(section)
            fallback = self.config.span_of(section) or self.config.span
            if isinstance(value, str):
                if fallback is not None:
                    items.append((section, value, fallback))
            elif isinstance(value, YSeq):
                for index, item in enumerate(value):
                    span = value.span_at(index) or fallback
                    if isinstance(item, str) and span is not None:
                        items.append((section, item, span))
        return items

    @cached_property
    def commands(self) -> list[Command]:
        """The job's shell commands; empty when its scripts name no tool a rule looks at."""
        items = self.script_items
        if not any(TOOL_WORDS.search(value) for _, value, _ in items):
            return []
        return parse_sections(items, self.pipeline.sources.get, self.pipeline.script_cache)

    def commands_named(self, *names: str) -> list[Command]:
        return [command for command in self.commands if command.name in names]

    def docker_commands(self, *subcommand: str) -> list[Command]:
        """``docker``/``podman`` commands whose first arguments (after global flags) match."""
        found = []
        for command in self.commands:
            if command.name not in ("docker", "podman"):
                continue
            args = docker_arguments(command)
            if [word.text for word in args[:len(subcommand)]] == list(subcommand):
                found.append(command)
        return found

    @cached_property
    def image_outputs(self) -> list[ImageOutput]:
        """Images the job's commands build, tag or push."""
        from cigen.image_outputs import image_outputs

        return image_outputs(self)

    @cached_property
    def docker_builds(self) -> list[DockerBuild]:
        """``docker build``, ``docker image build``, ``docker buildx build`` commands."""
        builds = []
        for command in self.commands_named("docker"):
            arguments = docker_arguments(command)
            names = [word.text for word in arguments[:2]]
            if names[:1] == ["build"]:
                builds.append(DockerBuild(command, arguments[1:], buildx=False))
            elif names in (["image", "build"], ["builder", "build"]):
                builds.append(DockerBuild(command, arguments[2:], buildx=False))
            elif names in (["buildx", "build"], ["buildx", "b"]):
                builds.append(DockerBuild(command, arguments[2:], buildx=True))
        return builds

    @cached_property
    def builds_with_buildkit_builder(self) -> bool:
        """The job creates a fresh buildx builder (a throwaway BuildKit container)."""
        return any(docker_arguments(command)[:2] and
                   [word.text for word in docker_arguments(command)[:2]] == ["buildx", "create"]
                   for command in self.commands_named("docker"))

    @cached_property
    def docker_host(self) -> str:
        return self.expand(self.variable("DOCKER_HOST") or "")

    @cached_property
    def ephemeral_daemon(self) -> bool:
        """Builds run against a daemon that starts empty in every job."""
        # A `docker` host name is the dind service's alias, possibly declared in an include.
        return self.uses_dind or re.match(r"^tcp://docker(:\d+)?/?$", self.docker_host) is not None


class DockerBuild:
    __slots__ = ("arguments", "buildx", "command")

    command: Command
    arguments: list[Word]
    """The words after ``build``."""
    buildx: bool

    def __init__(self, command: Command, arguments: list[Word], buildx: bool) -> None:
        self.command = command
        self.arguments = arguments
        self.buildx = buildx


DOCKER_GLOBAL_OPTIONS_WITH_VALUE = frozenset({
    "-H", "--host", "--context", "-c", "--config", "-l", "--log-level", "--tlscacert",
    "--tlscert", "--tlskey",
})


def docker_arguments(command: Command | list[Word]) -> list[Word]:
    """The words after ``docker``, without the global options before the subcommand."""
    words = (command.words if isinstance(command, Command) else command)[1:]
    index = 0
    while index < len(words) and words[index].text.startswith("-"):
        option = words[index].text
        index += 1
        if option in DOCKER_GLOBAL_OPTIONS_WITH_VALUE:
            index += 1
    return words[index:]


def options(words: list[Word], *names: str) -> list[tuple[Word, Word, str]]:
    """``--name VALUE``, ``--name=VALUE`` and ``-nVALUE`` options among ``words``, as
    (the option's word, the value's word, the value)."""
    found: list[tuple[Word, Word, str]] = []
    index = 0
    while index < len(words):
        word = words[index]
        text = word.text
        for name in names:
            if text == name and index + 1 < len(words):
                found.append((word, words[index + 1], words[index + 1].text))
                index += 1
                break
            if name.startswith("--") and text.startswith(name + "="):
                found.append((word, word, text[len(name) + 1:]))
                break
            if len(name) == 2 and not name.startswith("--") and text.startswith(name) \
                    and len(text) > 2 and not text.startswith("--"):
                found.append((word, word, text[2:]))
                break
        index += 1
    return found


def option_values(words: list[Word], *names: str) -> list[tuple[Word, str]]:
    """Values of the options ``names`` among ``words``: (the value's word, the value)."""
    return [(value_word, value) for _, value_word, value in options(words, *names)]


def has_option(words: list[Word], *names: str) -> bool:
    return any(word.text in names or any(word.text.startswith(name + "=") for name in names
                                          if name.startswith("--"))
               for word in words)


def job_facts(pipeline: Pipeline) -> list[JobFacts]:
    """Facts for every job, and for the hidden templates no job uses.

    A template that visible jobs extend is checked through those jobs, in the
    context (rules, variables) they give it; one that nothing uses is checked
    on its own, since it is all the file says.
    """
    in_use = pipeline.templates_in_use()
    return [JobFacts(job, pipeline) for job in pipeline.jobs.values()
            if not (job.hidden and job.name in in_use)]
