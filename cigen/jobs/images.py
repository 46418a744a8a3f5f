"""Container images named in ``image:`` and ``services:``.

An image reference is split into registry path, tag and digest; variables in
it are expanded where the files define them (and left as written where they
do not), and a Docker-in-Docker service is recognised by its repository and
tag: a `-dind` tag, or as a service a plain tag of Docker 23 or later
(`docker:27.3`, `docker:latest`), which is the same image. Jobs and the top
level (``default:`` included) share this reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cigen.gitlab.pipeline import Pipeline, Variable
from cigen.shell.expansion import expand, mask_substitutions
from cigen.source.positions import Span, YMap, YSeq

DIND_TAG = re.compile(r"dind")
# Since Docker 23 the plain tags of the `docker` image (`docker:27.3`, `docker:latest`,
# `docker:git`) are its dind variant, whose entrypoint starts dockerd; `-cli` is the
# client alone (https://github.com/docker-library/docs, docker/variant.md).
PLAIN_DOCKER_TAG = re.compile(r"^(?:latest|git|(\d+)(?:\.\d+){0,2}(?:-(?:git|alpine[\d.]*))*)$")
FIRST_DIND_DEFAULT = 23
DEPENDENCY_PROXY = re.compile(r"^.*/dependency_proxy/containers/")


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
        # Through GitLab's dependency proxy the Docker Hub path follows
        # `<group>/dependency_proxy/containers/`, however deep the group.
        hub_path = DEPENDENCY_PROXY.sub("", repository)
        named_docker = hub_path.rsplit("/", 1)[-1] == "docker"
        self.is_docker = named_docker and hub_path.count("/") <= 3
        # Any image named `docker` with a dind tag runs dockerd, wherever it is mirrored;
        # as a service, so does one with a plain tag of Docker 23 or later.
        self.is_dind = named_docker and (DIND_TAG.search(self.tag.lower()) is not None or (
            role == "service" and _plain_tag_is_dind(self.tag.lower())))


def _plain_tag_is_dind(tag: str) -> bool:
    match = PLAIN_DOCKER_TAG.match(tag or "latest")
    if match is None:
        return False  # `-cli`, `stable` (20.10 and before), a variable...
    return match.group(1) is None or int(match.group(1)) >= FIRST_DIND_DEFAULT


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
