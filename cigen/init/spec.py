"""What `cigen init` needs to know to write a pipeline: the build strategy and its options.

:class:`BuildSpec` is one pydantic model for the command-line options, the
``[tool.cigen.init]`` table of ``pyproject.toml`` and the ``[init]`` table of
``cigen.toml``. Its validators are the only gate a user value passes before it
reaches a template, so they reject anything that is not plainly an image
repository, a relative path or an ``os/arch`` platform, and combinations a
strategy cannot build. The JSON Schema in ``schemas/cigen-init.schema.json`` is
generated from it (``python -m cigen.init.spec``).
"""

from __future__ import annotations

import json
import posixpath
import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cigen.init.pins import DEFAULT_VERSIONS, VERSION


class Strategy(StrEnum):
    shell = "shell"
    dind = "dind"
    socket = "socket"
    depot = "depot"
    buildkit = "buildkit"
    buildah = "buildah"


class Executor(StrEnum):
    docker = "docker"
    kubernetes = "kubernetes"


STRATEGY_SUMMARIES = {
    Strategy.shell: "shell executor with Docker Engine on the runner host",
    Strategy.dind: "Docker-in-Docker with TLS (its daemon runs privileged)",
    Strategy.socket: "the runner host's Docker socket mounted into jobs",
    Strategy.depot: "Depot's remote builders (no daemon, no privileged runner)",
    Strategy.buildkit: "rootless BuildKit, daemonless (no privileged runner)",
    Strategy.buildah: "Buildah, daemonless (no privileged runner)",
}
# Strategies that build on the runner host's daemon with its default builder, which
# cannot produce a multi-platform image or attach attestations.
HOST_DAEMON = frozenset({Strategy.shell, Strategy.socket})
WITH_ATTESTATIONS = frozenset({Strategy.dind, Strategy.buildkit, Strategy.depot})
# Buildah scans the image with a scanner image and writes the SBOM to a file, which
# the build job keeps as an artifact; it attaches no attestation.
WITH_SBOM = WITH_ATTESTATIONS | {Strategy.buildah}
# Why a strategy cannot run on a Kubernetes runner.
NOT_ON_KUBERNETES = {
    Strategy.shell: "strategy shell runs on a shell-executor runner host with Docker Engine, "
                    "which a Kubernetes runner is not",
    # Kubernetes nodes run containerd (dockershim left Kubernetes in 1.24): there is no
    # Docker daemon whose socket a job could mount.
    Strategy.socket: "strategy socket mounts the host's Docker socket, and Kubernetes nodes "
                     "run containerd without one",
}

_VARIABLE = r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?"
_NAME_PART = rf"(?:[a-z0-9]|{_VARIABLE})(?:[a-z0-9._-]|{_VARIABLE})*"
# A repository without tag or digest: host[:port]/path, each part lower case or a
# CI/CD variable such as $CI_REGISTRY_IMAGE.
IMAGE_REPOSITORY = re.compile(rf"{_NAME_PART}(?::[0-9]+)?(?:/{_NAME_PART})*")
PLATFORM = re.compile(r"[a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9]+)?")
# Characters a path may use: enough for real Dockerfiles and directories, and none
# that a shell or YAML treats specially.
PATH_CHARACTERS = re.compile(r"[A-Za-z0-9._@+/-]+")


# A build argument's name, which the pipeline also uses as a CI/CD variable's name.
BUILD_ARG_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Names a build argument with a value of its own cannot take: GitLab's predefined
# variables, and the variables the generated jobs and their tools read.
RESERVED_VARIABLES = re.compile(
    r"(?:CI|GITLAB|DOCKER|BUILDKIT|BUILDKITD|BUILDAH|DEPOT|REGISTRY|STORAGE|SIGSTORE|CS)_\w*"
    r"|IMAGE|IMAGE_DIGEST|REGISTRY|DOCKERFILE|DOCKERFILE_DIR|DOCKERFILE_NAME|BUILD_CONTEXT"
    r"|PLATFORMS|TEST_COMMAND|GIT_STRATEGY|HOME|PATH|PWD")
# A CI/CD variable, such as a variable of type File whose value is the file's path.
CA_FILE_VARIABLE = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})")
# A Dockerfile stage name (`FROM ... AS name`).
STAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")

# Longest file name and path Linux accepts (NAME_MAX, and PATH_MAX less its NUL): a
# longer Dockerfile path or context can never exist on a runner.
NAME_MAX = 255
PATH_MAX = 4095
# What json.dumps leaves as it is but a terminal or a line splitter would not:
# C1 controls, line separators and lone surrogates.
_UNSHOWABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        # os.fsdecode turns each byte of an argument that is not UTF-8 into
        # U+DC80..U+DCFF: show the byte the user typed.
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def shown(value: str) -> str:
    """A value quoted for a one-line message, with newlines, controls and bytes that
    are not UTF-8 escaped."""
    return _UNSHOWABLE.sub(_escaped, json.dumps(value, ensure_ascii=False))


def is_utf8(value: str) -> bool:
    """False for text with lone surrogates: bytes that were not UTF-8."""
    return not any("\ud800" <= character <= "\udfff" for character in value)


def _relative_path(value: str, what: str) -> str:
    if not PATH_CHARACTERS.fullmatch(value):
        raise ValueError(f"{shown(value)} is not a plain relative path (letters, digits "
                         "and . _ - / @ + only)")
    normal = posixpath.normpath(value)
    if value.startswith("/") or normal == ".." or normal.startswith("../"):
        raise ValueError(f"{shown(value)}: the {what} must be inside the repository")
    if len(normal) > PATH_MAX or any(len(part) > NAME_MAX for part in normal.split("/")):
        raise ValueError(f"{shown(value)}: too long for a path (at most {NAME_MAX} "
                         f"characters between slashes, {PATH_MAX} in all)")
    return normal


class BuildSpec(BaseModel):
    """Settings of `cigen init`, from `[tool.cigen.init]` in pyproject.toml or `[init]` in
    cigen.toml; the command-line options of the same names take precedence."""

    model_config = ConfigDict(
        title="cigen init settings", extra="forbid", frozen=True,
        alias_generator=lambda name: name.replace("_", "-"), populate_by_name=True,
        use_enum_values=False)

    strategy: Annotated[Strategy, Field(
        description="How the image is built: " + "; ".join(
            f"{strategy.value}: {summary}" for strategy, summary in STRATEGY_SUMMARIES.items())
    )] = Strategy.buildkit
    executor: Annotated[Executor, Field(
        description="The GitLab Runner executor that runs the jobs: docker, or kubernetes "
                    "(not with strategy shell or socket).")] = Executor.docker
    image: Annotated[str, Field(
        description="Repository the image is pushed to, without a tag (cigen adds "
                    "pipeline-$CI_PIPELINE_ID, $CI_COMMIT_SHA, branch-$CI_COMMIT_REF_SLUG, "
                    "$CI_COMMIT_TAG and latest).",
        examples=["$CI_REGISTRY_IMAGE", "registry.example.com/group/app"],
    )] = "$CI_REGISTRY_IMAGE"
    dockerfile: Annotated[str, Field(
        description="Path of the Dockerfile, relative to the repository root.")] = "Dockerfile"
    context: Annotated[str, Field(
        description="Build context directory, relative to the repository root.")] = "."
    platforms: Annotated[tuple[str, ...], Field(
        description="Target platforms as os/arch[/variant]; empty builds for the "
                    "runner's own platform.",
        examples=[["linux/amd64", "linux/arm64"]])] = ()
    cache: Annotated[bool, Field(
        description="Keep a layer cache between pipelines (false: every build starts "
                    "from scratch).")] = True
    test_command: Annotated[str | None, Field(
        description="Shell command run inside the built image by a test job; none: no "
                    "test job.")] = None
    release_latest: Annotated[bool, Field(
        description="Move :latest to the tested image on the default branch.")] = True
    labels: Annotated[bool, Field(
        description="Label the image with its source, revision and creation time "
                    "(org.opencontainers.image.*).")] = True
    build_args: Annotated[tuple[str, ...], Field(
        description="Build arguments as NAME=VALUE (the value is written into the "
                    "pipeline, unexpanded) or NAME (the value of the CI/CD variable NAME).",
        examples=[["PYTHON_VERSION=3.13", "APP_VERSION"]])] = ()
    target: Annotated[str | None, Field(
        description="The Dockerfile stage to build (FROM ... AS name); none: the last "
                    "one.")] = None
    sign: Annotated[bool, Field(
        description="Sign the image's digest with cosign, keyless, with the job's GitLab "
                    "OIDC token (GitLab.com), before any tag is published.")] = False
    dependency_proxy: Annotated[bool, Field(
        description="Pull Docker Hub images through the group's GitLab dependency proxy: "
                    "the jobs' images, and base images of a Dockerfile that names them "
                    "${DEPENDENCY_PROXY}/...")] = False
    scan: Annotated[bool, Field(
        description="Scan the pushed digest with GitLab's Container-Scanning template.")
    ] = False
    sbom: Annotated[bool, Field(
        description="Produce an SBOM: an attestation attached to the image (dind, buildkit, "
                    "depot), or an SPDX document kept as a job artifact (buildah, one "
                    "platform).")] = False
    provenance: Annotated[bool, Field(
        description="Attach a provenance attestation (dind, buildkit, depot).")] = False
    semver_aliases: Annotated[bool, Field(
        description="A tag pipeline for a release version X.Y.Z or vX.Y.Z also publishes "
                    ":X.Y and :X, unless a higher release of that line is already "
                    "published; never for pre-releases or other tags.")] = False
    ca_file: Annotated[str | None, Field(
        description="The CA bundle that the registry's certificate chains to, for a "
                    "self-managed registry: a CI/CD variable of type File such as "
                    "$CI_SERVER_TLS_CA_FILE, or an absolute path on the runner; none: the "
                    "system's CAs.",
        examples=["$CI_SERVER_TLS_CA_FILE", "/etc/gitlab-runner/certs/ca.crt"])] = None
    versions: Annotated[dict[str, str], Field(
        description="Versions to pin instead of cigen's defaults, by tool: "
                    + ", ".join(f"{tool} ({version})" for tool, version
                                in DEFAULT_VERSIONS.items()) + ".",
        examples=[{"docker": "29.1", "buildkit": "v0.26.2"}],
        json_schema_extra={"propertyNames": {"enum": list(DEFAULT_VERSIONS)},
                           "additionalProperties": {"type": "string",
                                                    "pattern": f"^{VERSION.pattern}$"}},
    )] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _text_is_utf8(cls, values: Any) -> Any:
        # pydantic cannot even read a string with lone surrogates, so this runs first.
        if not isinstance(values, dict):
            return values
        for key, value in values.items():
            items = value if isinstance(value, list | tuple) else [value]
            for item in items:
                if isinstance(item, str) and not is_utf8(item):
                    raise PydanticCustomError(
                        "encoding", "{value} is not valid UTF-8",
                        {"field": str(key).replace("-", "_"), "value": shown(item)})
        return values

    @field_validator("strategy", mode="before")
    @classmethod
    def _known_strategy(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in Strategy.__members__:
            raise ValueError(f"{shown(value)} is not one of "
                             f"{', '.join(strategy.value for strategy in Strategy)}")
        return value

    @field_validator("executor", mode="before")
    @classmethod
    def _known_executor(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in Executor.__members__:
            raise ValueError(f"{shown(value)} is not one of "
                             f"{', '.join(executor.value for executor in Executor)}")
        return value

    @field_validator("image")
    @classmethod
    def _image_repository(cls, value: str) -> str:
        if IMAGE_REPOSITORY.fullmatch(value):
            return value
        if re.search(r"[:@][^/]*$", value) and IMAGE_REPOSITORY.fullmatch(
                re.sub(r"[:@][^/]*$", "", value)):
            raise ValueError(f"{shown(value)} has a tag or digest; give the repository "
                             "alone (cigen adds the tags)")
        raise ValueError(f"{shown(value)} is not an image repository (lower case, no "
                         "spaces) such as registry.example.com/group/app or $CI_REGISTRY_IMAGE")

    @field_validator("dockerfile")
    @classmethod
    def _dockerfile_path(cls, value: str) -> str:
        path = _relative_path(value, "Dockerfile")
        if path == ".":
            raise ValueError(f"{shown(value)} is a directory; name the Dockerfile")
        return path

    @field_validator("context")
    @classmethod
    def _context_path(cls, value: str) -> str:
        return _relative_path(value, "build context")

    @field_validator("platforms", mode="before")
    @classmethod
    def _platform_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ValueError('expected a list of platforms such as ["linux/amd64"]')
        seen: list[str] = []
        for item in value:
            if not isinstance(item, str) or not PLATFORM.fullmatch(item):
                text = shown(item) if isinstance(item, str) else repr(item)
                raise ValueError(f"{text} is not a platform of the form os/arch, such as "
                                 "linux/amd64 or linux/arm/v7")
            if item not in seen:
                seen.append(item)
        return tuple(seen)

    @field_validator("versions", mode="before")
    @classmethod
    def _version_table(cls, value: Any) -> Any:
        # The command line gives TOOL=VERSION strings; a settings file gives a table.
        if isinstance(value, list | tuple):
            table: dict[str, Any] = {}
            for item in value:
                tool, equals, version = str(item).partition("=")
                if not equals:
                    raise ValueError(f"{shown(str(item))} is not TOOL=VERSION, such as "
                                     "docker=29.1")
                table[tool.strip()] = version.strip()
            value = table
        if not isinstance(value, dict):
            raise ValueError("expected a table of tool = version")
        for tool, version in value.items():
            if tool not in DEFAULT_VERSIONS:
                raise ValueError(f"{shown(str(tool))} is not a tool cigen pins; one of "
                                 f"{', '.join(DEFAULT_VERSIONS)}")
            if not isinstance(version, str) or not VERSION.fullmatch(version):
                text = shown(version) if isinstance(version, str) else repr(version)
                raise ValueError(f"{tool}: {text} is not a version that can be an image "
                                 "tag (letters, digits, . _ -)")
        return value

    @field_validator("build_args", mode="before")
    @classmethod
    def _build_arg_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ValueError('expected a list of build arguments such as ["NAME=value"]')
        names: list[str] = []
        for item in value:
            if not isinstance(item, str):
                raise ValueError(f"{item!r} is not NAME=VALUE or NAME")
            name, equals, argument = item.partition("=")
            if not BUILD_ARG_NAME.fullmatch(name):
                raise ValueError(f"{shown(item)} is not NAME=VALUE or NAME (a name is letters, "
                                 "digits and _)")
            if equals and RESERVED_VARIABLES.fullmatch(name):
                raise ValueError(f"{shown(name)} is a variable GitLab or the pipeline sets; "
                                 f"rename the build argument, or give {name} alone to pass "
                                 "that variable's value")
            if equals and (any(unicodedata.category(character)[0] == "C"
                               for character in argument) or "\u2028" in argument
                           or "\u2029" in argument):
                raise ValueError(f"{shown(item)} must be one line without control characters")
            if name in names:
                raise ValueError(f"{shown(name)} is given twice")
            names.append(name)
        return tuple(value)

    @field_validator("target")
    @classmethod
    def _stage_name(cls, value: str | None) -> str | None:
        if value is not None and not STAGE_NAME.fullmatch(value):
            raise ValueError(f"{shown(value)} is not a Dockerfile stage name (letters, digits "
                             "and . _ -)")
        return value

    @field_validator("ca_file")
    @classmethod
    def _ca_file_reference(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if CA_FILE_VARIABLE.fullmatch(value):
            return value
        if value.startswith("/") and PATH_CHARACTERS.fullmatch(value) and ".." not in value.split(
                "/") and len(value) <= PATH_MAX:
            return value
        raise ValueError(f"{shown(value)} is neither a CI/CD variable of type File "
                         "($CI_SERVER_TLS_CA_FILE) nor an absolute path of plain characters")

    @field_validator("test_command")
    @classmethod
    def _one_line_command(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("is empty; leave it out for no test job")
        if any(unicodedata.category(character)[0] == "C" or character in "\u2028\u2029"
               for character in value):
            raise ValueError(f"{shown(value)} must be one line without control characters")
        return value.strip()

    @model_validator(mode="after")
    def _strategy_can_build_it(self) -> BuildSpec:
        strategy = self.strategy
        if self.executor is Executor.kubernetes and strategy in NOT_ON_KUBERNETES:
            raise PydanticCustomError(
                "combination", "{reason}; choose dind, buildkit, buildah or depot",
                {"field": "executor", "reason": NOT_ON_KUBERNETES[strategy]})
        if strategy in HOST_DAEMON and len(self.platforms) > 1:
            raise PydanticCustomError(
                "combination", "strategy {strategy} builds on the host's daemon, which makes "
                "single-platform images; choose one platform, or dind, buildkit, buildah or "
                "depot", {"field": "platforms", "strategy": strategy.value})
        if self.dependency_proxy and "DEPENDENCY_PROXY" in self.build_arg_names:
            raise PydanticCustomError(
                "combination", "DEPENDENCY_PROXY is the build argument that "
                "--dependency-proxy passes; rename this one", {"field": "build_args"})
        if self.ca_file is not None and strategy is Strategy.depot:
            raise PydanticCustomError(
                "combination", "Depot's remote builders push to the registry from Depot's "
                "side, and Depot documents no way to give them a CA; use a registry with a "
                "publicly trusted certificate, or another strategy", {"field": "ca_file"})
        if self.ca_file is not None and self.sign:
            raise PydanticCustomError(
                "combination", "--sign uses Sigstore's public instance, which accepts "
                "GitLab.com's ID tokens only, and a registry with a CA of its own belongs to "
                "a self-managed instance; leave one of them out", {"field": "ca_file"})
        if self.sbom and strategy is Strategy.buildah and self.multi_platform:
            raise PydanticCustomError(
                "combination", "Buildah writes one SBOM file per build, and its documentation "
                "does not say which platform's it keeps; build one platform, or use dind, "
                "buildkit or depot", {"field": "sbom"})
        if self.sbom and strategy not in WITH_SBOM:
            raise PydanticCustomError(
                "combination", "strategy {strategy} builds on the host's daemon, which "
                "produces no SBOM; use dind, buildkit, buildah or depot",
                {"field": "sbom", "strategy": strategy.value})
        if self.provenance and strategy not in WITH_ATTESTATIONS:
            raise PydanticCustomError(
                "combination", "strategy {strategy} cannot attach attestations; use dind, "
                "buildkit or depot", {"field": "provenance", "strategy": strategy.value})
        return self

    # -- derived values the templates use ---------------------------------------

    @property
    def kubernetes(self) -> bool:
        return self.executor is Executor.kubernetes

    @property
    def multi_platform(self) -> bool:
        return len(self.platforms) > 1

    @property
    def platform_list(self) -> str:
        return ",".join(self.platforms)

    @property
    def dockerfile_directory(self) -> str:
        return posixpath.dirname(self.dockerfile) or "."

    @property
    def dockerfile_name(self) -> str:
        return posixpath.basename(self.dockerfile)

    @property
    def gitlab_registry(self) -> bool:
        """The image goes to this project's GitLab registry, whose job credentials work."""
        return self.image == "$CI_REGISTRY_IMAGE" or self.image.startswith(
            ("$CI_REGISTRY_IMAGE/", "${CI_REGISTRY_IMAGE}", "$CI_REGISTRY/", "${CI_REGISTRY}/"))

    @property
    def build_arg_names(self) -> list[str]:
        return [item.partition("=")[0] for item in self.build_args]

    @property
    def build_arg_values(self) -> dict[str, str]:
        """The build arguments given a value here, which the pipeline holds as variables."""
        return {name: value for name, equals, value
                in (item.partition("=") for item in self.build_args) if equals}

    @property
    def cache_repository(self) -> str:
        """Where Buildah keeps its layer cache: a repository of its own, named so that
        the registry takes it. GitLab's registry holds a project's images under its
        path; Docker Hub and others take a sibling, with no third path level."""
        return "$IMAGE/cache" if self.gitlab_registry else "$IMAGE-cache"

    @property
    def registry_variable(self) -> str:
        """The registry host as the jobs' shell reads it."""
        return "$CI_REGISTRY" if self.gitlab_registry else "$REGISTRY"

    @property
    def registry(self) -> str:
        """The registry host to log in to."""
        if self.gitlab_registry:
            return "$CI_REGISTRY"
        first = self.image.split("/", 1)[0]
        if "/" in self.image and ("." in first or ":" in first or first == "localhost"
                                  or first.startswith("$")):
            return first
        return "docker.io"


def option_name(field: str) -> str:
    """The command-line option that sets ``field``."""
    special = {"platforms": "--platform", "versions": "--pin", "build_args": "--build-arg"}
    return special.get(field, "--" + field.replace("_", "-"))


def config_key(field: str) -> str:
    """The settings-file key that sets ``field``."""
    return field.replace("_", "-")


def describe_error(error: ValidationError, name: Any = option_name) -> str:
    """The first problem as one line that starts with the option (or key) at fault."""
    problem = error.errors()[0]
    context = problem.get("ctx") or {}
    location = problem["loc"]
    field = str(context.get("field") or (location[0] if location else ""))
    field = field.replace("-", "_")
    if problem["type"] == "value_error":
        message = str(context.get("error", problem["msg"]))
    elif problem["type"] == "extra_forbidden":
        return f"{name(field)}: unknown setting"
    elif problem["type"] in ("bool_type", "bool_parsing"):
        message = "expected true or false"
    elif problem["type"] in ("string_type", "tuple_type", "list_type"):
        message = problem["msg"].lower()
    else:
        message = problem["msg"]
    return f"{name(field) if field else 'settings'}: {message}".replace("\n", " ")


def json_schema() -> str:
    """The JSON Schema of the settings, as checked in under ``schemas/``."""
    schema: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    schema.update(BuildSpec.model_json_schema(by_alias=True))
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(json_schema(), end="")
