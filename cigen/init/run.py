"""What `cigen init` does, from its options to the files on disk.

The command line hands over the options it was given; this module merges them
over the settings file, asks on a terminal when there is nothing to go on,
validates the result as a :class:`~cigen.init.spec.BuildSpec`, generates and checks
the texts, and writes them only when all of that succeeded. Every expected
failure is an :class:`InitError` whose message is one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cigen.init.files import (
    STDOUT,
    Destination,
    OutputError,
    check_destinations,
    display_path,
    write_files,
)
from cigen.init.generate import HELM_VALUES, PIPELINE, RUNNER, SelfCheckError, generate
from cigen.init.settings import Settings, SettingsError, load_settings
from cigen.init.spec import (
    BuildSpec,
    Strategy,
    config_key,
    describe_error,
    option_name,
    shown,
)

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
    from cigen.gitlab.schema import dotted
    from cigen.lint.settings import first_violation

    # The file is held to its schema as written (kebab-case keys, real booleans and
    # arrays), as strictly as `[tool.cigen]`: the model alone would accept
    # `test_command`, `sbom = "yes"` or one platform as a string.
    problem = first_violation(settings.values, "cigen-init.schema.json")
    if problem is not None:
        location, message = problem
        line = settings.lines.get(str(location[0])) if location else None
        where = f"{settings.file}:{line}" if line is not None else str(settings.file)
        raise InitError(f"{where}: {dotted([*settings.keys, *location])}: {message}")
    try:
        BuildSpec.model_validate(settings.values)
    except ValidationError as error:
        raise InitError(f"{settings.source}: "
                        f"{describe_error(error, config_key)}") from None
    return {key.replace("-", "_"): value for key, value in settings.values.items()}


def _load_settings(directory: Path) -> Settings:
    try:
        return load_settings(directory)
    except SettingsError as error:
        raise InitError(str(error)) from None


def _build_spec(request: InitRequest, settings: Settings) -> BuildSpec:
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
    """Write the files; returns the notes to show the user.

    Everything that can fail is checked first, the destinations before any question
    is asked; then both files are written, or neither.
    """
    if request.output == STDOUT and request.runner_config == STDOUT:
        raise InitError("--runner-config: standard output is already taken by --output -")
    kinds = {PIPELINE: Destination("--output", request.output)}
    if request.runner_config is not None:
        kinds[_runner_kind(request.runner_config)] = Destination("--runner-config",
                                                                 request.runner_config)
    try:
        check_destinations(list(kinds.values()), request.force)
    except OutputError as error:
        raise InitError(str(error)) from None
    settings = _load_settings(directory)
    spec = _build_spec(request, settings)
    if HELM_VALUES in kinds and not spec.kubernetes:
        raise InitError(f"{kinds[HELM_VALUES].label}: a .yaml or .yml path gets gitlab-runner Helm "
                        "chart values, which run the Kubernetes executor; add --executor "
                        "kubernetes, or name a .toml file for the Docker executor")
    texts = [(destination, _generate(spec, kind, _namer(request, settings)))
             for kind, destination in kinds.items()]
    notes = _notes(spec, request, directory)
    try:
        write_files(texts)
    except OutputError as error:
        raise InitError(str(error)) from None
    return notes


def _runner_kind(path: str) -> str:
    """Helm chart values for a YAML path, else a ``config.toml`` snippet."""
    return HELM_VALUES if path.lower().endswith((".yaml", ".yml")) else RUNNER


def _namer(request: InitRequest, settings: Settings) -> Callable[[str], str]:
    """Names a field as the user set it: the option, or the key of the settings file."""
    from_file = {key.replace("-", "_") for key in settings.values}

    def name(field: str) -> str:
        if field in request.options or field not in from_file:
            return option_name(field)
        return f"{settings.source}: {config_key(field)}"

    return name


def _generate(spec: BuildSpec, kind: str, name: Callable[[str], str]) -> str:
    try:
        return generate(spec, kind)
    except SelfCheckError as error:
        raise _blame(spec, kind, error, name) from None
    except OSError as error:
        raise InitError(f"cannot check the generated text in a temporary directory: "
                        f"{error.strerror or error}") from None


def _blame(spec: BuildSpec, kind: str, error: SelfCheckError,
           name: Callable[[str], str]) -> Exception:
    """An error naming the one value without which the text passes its check (a test
    command the linter reports, say), else an internal error: a bug in a template."""
    defaults = BuildSpec()
    values = spec.model_dump()
    suspects = sorted(values, key=lambda field: field != "test_command")
    for suspect in suspects:
        default = getattr(defaults, suspect)
        if values[suspect] == default:
            continue
        try:
            generate(BuildSpec.model_validate({**values, suspect: default}), kind)
        except (ValidationError, SelfCheckError):
            continue
        value = values[suspect]
        what = f" {shown(value)}" if isinstance(value, str) else ""
        return InitError(f"{name(suspect)}:{what} fails the check of the generated "
                         f"{error.name} ({error.detail})")
    return InternalError(str(error))


def _notes(spec: BuildSpec, request: InitRequest, directory: Path) -> list[str]:
    notes = []
    written = [display_path(path) for path in (request.output, request.runner_config)
               if path is not None and path != STDOUT]
    if written:
        executor = ", executor kubernetes" if spec.kubernetes else ""
        notes.append(f"wrote {' and '.join(written)} (strategy {spec.strategy.value}"
                     f"{executor})")
    try:
        dockerfile_exists = (directory / spec.dockerfile).is_file()
    except OSError:  # a path longer than the system takes: it cannot exist
        dockerfile_exists = False
    if not dockerfile_exists:
        notes.append(f"{spec.dockerfile} does not exist yet: the jobs are skipped until it does")
    elif spec.dependency_proxy and not _names_dependency_proxy(directory / spec.dockerfile):
        notes.append(f"{spec.dockerfile} does not use the dependency proxy yet: declare "
                     "ARG DEPENDENCY_PROXY=docker.io and name base images "
                     "${DEPENDENCY_PROXY}/alpine:3.22 and the like")
    tag = RUNNER_TAGS.get(spec.strategy)
    if tag and request.runner_config is None:
        what = ("--runner-config values.yaml writes its Helm chart values" if spec.kubernetes
                else "--runner-config PATH writes its settings")
        notes.append(f"the build job needs a runner tagged {tag}; {what}")
    if spec.sign:
        notes.append("--sign: keyless signing uses Sigstore's public instance, which accepts "
                     "GitLab.com's ID tokens only")
    if spec.strategy is Strategy.depot:
        notes.append("set DEPOT_TOKEN (masked) and DEPOT_PROJECT_ID as CI/CD variables")
    if not spec.gitlab_registry:
        notes.append(f"set REGISTRY_USER and REGISTRY_PASSWORD (masked) as CI/CD variables "
                     f"for {spec.registry}")
    return notes


def _names_dependency_proxy(dockerfile: Path) -> bool:
    try:
        return "DEPENDENCY_PROXY" in dockerfile.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # nothing to say about a file that cannot be read
