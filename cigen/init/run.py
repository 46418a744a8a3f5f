"""What `cigen init` does, from its options to the files on disk.

The command line hands over the options it was given; this module merges them
over the settings file, asks on a terminal when there is nothing to go on,
validates the result as a :class:`~cigen.init.spec.BuildSpec`, generates and checks
the texts, and writes them only when all of that succeeded. Every expected
failure is an :class:`InitError` whose message is one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cigen.init.files import STDOUT, OutputError, check_destinations, write_text
from cigen.init.generate import PIPELINE, RUNNER, SelfCheckError, generate
from cigen.init.settings import Settings, SettingsError, load_settings
from cigen.init.spec import BuildSpec, Strategy, config_key, describe_error, option_name

RUNNER_TAGS = {
    Strategy.shell: "docker-shell", Strategy.dind: "dind", Strategy.socket: "docker-socket",
    Strategy.buildkit: "rootless-build", Strategy.buildah: "rootless-build",
}


class InitError(Exception):
    """A problem with the options, the settings file or the destination (exit 2)."""


class InternalError(Exception):
    """Generated text failed its self-check: a bug in cigen."""


@dataclass(slots=True)
class InitRequest:
    options: dict[str, Any] = field(default_factory=dict)
    """Field name -> value, for the options given on the command line only."""
    output: str = ".gitlab-ci.yml"
    runner_config: str | None = None
    force: bool = False
    may_ask: bool = False
    """Standard input and output are a terminal: questions can be asked."""


def _from_settings(settings: Settings) -> dict[str, Any]:
    try:
        BuildSpec.model_validate(settings.values)
    except ValidationError as error:
        raise InitError(f"{settings.source}: "
                        f"{describe_error(error, config_key)}") from None
    return {key.replace("-", "_"): value for key, value in settings.values.items()}


def build_spec(request: InitRequest, directory: Path) -> BuildSpec:
    try:
        settings = load_settings(directory)
    except SettingsError as error:
        raise InitError(str(error)) from None
    values = _from_settings(settings)
    if (request.may_ask and not request.options and settings.source is None
            and STDOUT not in (request.output, request.runner_config)):
        from cigen.init.prompts import ask

        values = ask()
    values.update(request.options)
    try:
        return BuildSpec.model_validate(values)
    except ValidationError as error:
        raise InitError(describe_error(error, option_name)) from None


def run_init(request: InitRequest, directory: Path) -> list[str]:
    """Write the files; returns the notes to show the user."""
    if request.output == STDOUT and request.runner_config == STDOUT:
        raise InitError("--runner-config: standard output is already taken by --output -")
    spec = build_spec(request, directory)
    destinations = [request.output] + ([request.runner_config] if request.runner_config else [])
    try:
        check_destinations(destinations, request.force)
        texts = [(request.output, generate(spec, PIPELINE))]
        if request.runner_config:
            texts.append((request.runner_config, generate(spec, RUNNER)))
        for path, text in texts:
            write_text(path, text)
    except OutputError as error:
        raise InitError(str(error)) from None
    except SelfCheckError as error:
        raise InternalError(str(error)) from None
    return _notes(spec, request, directory)


def _notes(spec: BuildSpec, request: InitRequest, directory: Path) -> list[str]:
    notes = []
    written = [path for path in (request.output, request.runner_config)
               if path and path != STDOUT]
    if written:
        notes.append(f"wrote {' and '.join(written)} (strategy {spec.strategy.value})")
    if not (directory / spec.dockerfile).is_file():
        notes.append(f"{spec.dockerfile} does not exist yet: the jobs are skipped until it does")
    tag = RUNNER_TAGS.get(spec.strategy)
    if tag and not request.runner_config:
        notes.append(f"the build job needs a runner tagged {tag}; --runner-config PATH "
                     "writes its settings")
    if spec.strategy is Strategy.depot:
        notes.append("set DEPOT_TOKEN (masked) and DEPOT_PROJECT_ID as CI/CD variables")
    if not spec.gitlab_registry:
        notes.append(f"set REGISTRY_USER and REGISTRY_PASSWORD (masked) as CI/CD variables "
                     f"for {spec.registry}")
    return notes
