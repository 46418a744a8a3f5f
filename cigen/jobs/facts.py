"""What a job does, read once and shared by every rule.

For each resolved job this module works out its image and services (with the
registry prefix, tag and alias split out), its script commands (parsed by
:mod:`cigen.shell.parser`, in ``before_script``/``script``/``after_script`` order),
the variables its shell would see (settings files of the repository that it
``source``s included), and whether it talks to an ephemeral Docker
daemon. Rules read these facts; none of them parses YAML or shell itself.
"""

from __future__ import annotations

import os
import re
from functools import cached_property

from cigen.gitlab.pipeline import Job, Pipeline, Variable
from cigen.jobs.arguments import docker_arguments, has_option
from cigen.jobs.compose import (
    CHANGES_DIRECTORY,
    ComposeRun,
    compose_runs,
    is_compose,
    service_image,
)
from cigen.jobs.image_outputs import ImageOutput, image_outputs
from cigen.jobs.images import ImageRef, image_ref, service_refs
from cigen.shell.expansion import (
    MAX_EXPANDED_LENGTH,
    VARIABLE,
    Expansions,
    expand,
    mask_substitutions,
)
from cigen.shell.parser import ParseCache, parse_sections
from cigen.shell.words import Command, Word
from cigen.source.env_file import read_env_file
from cigen.source.files import is_inside
from cigen.source.positions import Span, YSeq

SCRIPT_SECTIONS = ("before_script", "script", "after_script")
# Every command the rules read contains one of these words.
TOOL_WORDS = re.compile(r"docker|podman|nerdctl|buildah|kaniko|executor|buildctl|depot|crane"
                        r"|skopeo|oras|helm|regctl|acr|jib")
RAW_REF_VARIABLES = ("CI_COMMIT_REF_NAME", "CI_COMMIT_BRANCH",
                     "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
                     "CI_BUILD_REF_NAME", "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME")


class JobFacts:
    """Facts about one job, computed on first use."""

    def __init__(self, job: Job, pipeline: Pipeline, script_cache: ParseCache | None = None
                 ) -> None:
        self.job = job
        self.pipeline = pipeline
        self.script_cache: ParseCache = {} if script_cache is None else script_cache
        """Parsed script lines, shared by the jobs of a pipeline that inherit them."""
        self.name = job.name
        self.config = job.config
        self.expansions: Expansions = {}
        """Variables expanded so far: rules expand many words with the same variables."""

    @property
    def span(self) -> Span:
        return self.config.span or Span(self.pipeline.path, 1, 1, 1, 1)

    # -- variables -------------------------------------------------------------

    @cached_property
    def shell_assignments(self) -> dict[str, list[tuple[str, Command]]]:
        """Every value the script assigns to each variable, in order."""
        assignments: dict[str, list[tuple[str, Command]]] = {}
        moved = False
        for command in self.commands:
            for name, value in command.assignments.items():
                assignments.setdefault(name, []).append((value, command))
            if command.name in CHANGES_DIRECTORY:
                moved = True
            elif command.name in ("source", ".") and not moved:
                for name, value in self._sourced(command).items():
                    assignments.setdefault(name, []).append((value, command))
        return assignments

    def _sourced(self, command: Command) -> dict[str, str]:
        """What ``source FILE`` sets, when FILE is a settings file of the repository
        (``NAME=value`` lines); nothing when it is anything else or not there."""
        root = self.pipeline.root
        if root is None or len(command.words) != 2:
            return {}
        name = command.words[1].text
        if not name or "$" in name or "`" in name or name.startswith(("/", "~")):
            return {}
        path = os.path.normpath(os.path.join(root, name))
        if not is_inside(path, root):
            return {}
        self.pipeline.reads_tree = True  # the result depends on a file beside the pipeline
        return read_env_file(path) or {}

    @cached_property
    def shell_values(self) -> dict[str, str | None]:
        """The last value the script assigns to each variable, with references to the
        variable's own earlier value (``X="$X --more"``) replaced by that value;
        ``None`` when that earlier value is unknown or the result is too long."""
        values: dict[str, str | None] = {}
        for name, assignments in self.shell_assignments.items():
            value = self._configured_value(name)
            for text, _ in assignments:
                # One pattern for every name: `$X`/`${X}` matches of this name only.
                references = [match for match in VARIABLE.finditer(text)
                              if (match.group(1) or match.group(2)) == name] \
                    if "$" in text else []
                if not references:
                    value = text
                elif value is not None:
                    earlier = value
                    size = len(text) + sum(len(earlier) - len(match.group(0))
                                           for match in references)
                    if size > MAX_EXPANDED_LENGTH:
                        value = None
                    else:
                        pieces: list[str] = []
                        end = 0
                        for match in references:
                            pieces += (text[end:match.start()], earlier)
                            end = match.end()
                        value = "".join(pieces) + text[end:]
            values[name] = value
        return values

    def variable(self, name: str) -> str | None:
        """A variable's value as the job's shell sees it (the script's last assignment first)."""
        if name in self.shell_assignments:
            return self.shell_values[name]
        return self._configured_value(name)

    def _configured_value(self, name: str) -> str | None:
        """A variable's value from the job's `variables:` or its services'."""
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
        return expand(text, self.variable, self.expansions)

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
                expanded = self.expand(word.text)
                # What `$(...)` prints is not its text: split around it, never inside.
                masked = mask_substitutions(expanded)
                parts = [expanded[match.start():match.end()]
                         for match in re.finditer(r"\S+", masked)]
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
        return parse_sections(items, self.pipeline.sources.get, self.script_cache)

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
    def compose_runs(self) -> list[ComposeRun]:
        """The job's compose commands whose compose file cigen read, read once."""
        if not any(is_compose(command) for command in self.commands):
            return []
        return compose_runs(self)

    @cached_property
    def image_outputs(self) -> list[ImageOutput]:
        """Images the job's commands build, tag or push, compose files' included."""
        found = image_outputs(self.commands, self.split_words)
        if self.compose_runs:
            for run in self.compose_runs:
                if run.action.text not in ("build", "push"):
                    continue
                # Compose builds and pushes the services with a `build:` key (its docs:
                # https://docs.docker.com/reference/cli/docker/compose/push/).
                for service in run.services:
                    image = service_image(self, service)
                    if image and service.builds:
                        found.append(ImageOutput(run.command, run.action, image, run.pushes,
                                                 "push" if run.pushes else "build",
                                                 origin=service.image_where))
        for command in self.commands_named("docker"):
            if any(word.text == "bake" for word in command.words[1:4]):
                # Imported here: Bake files (and the HCL reader) concern few jobs.
                from cigen.jobs.bake import bake_outputs

                found.extend(ImageOutput(output.command, output.action, output.reference,
                                         output.pushed, "push" if output.pushed else "build",
                                         origin=output.where)
                             for output in bake_outputs(self, command))
        return found

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
        """The job creates a fresh buildx builder (a throwaway BuildKit container).

        A builder created under a fixed ``--name`` on a daemon that outlives the
        job (a shell executor, the host's socket) is still there, with its cache,
        for the next job (such scripts tolerate that it exists: ``|| true``),
        unless the job removes it or its cache (``buildx rm``, ``buildx prune``).
        """
        buildx: list[list[Word]] = []
        for command in self.commands_named("docker"):
            arguments = docker_arguments(command)
            if arguments[:1] and arguments[0].text == "buildx":
                buildx.append(arguments[1:])
        created = [arguments[1:] for arguments in buildx
                   if arguments[:1] and arguments[0].text == "create"]
        if not created:
            return False
        if self.ephemeral_daemon or any(not has_option(arguments, "--name")
                                        for arguments in created):
            return True
        return any(arguments[:1] and arguments[0].text in ("rm", "remove", "prune")
                   for arguments in buildx)

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


def job_facts(pipeline: Pipeline) -> list[JobFacts]:
    """Facts for every job, and for the hidden templates no job uses.

    A template that visible jobs extend is checked through those jobs, in the
    context (rules, variables) they give it; one that nothing uses is checked
    on its own, since it is all the file says.
    """
    in_use = pipeline.templates_in_use()
    script_cache: ParseCache = {}
    return [JobFacts(job, pipeline, script_cache) for job in pipeline.jobs.values()
            if not (job.hidden and job.name in in_use)]
