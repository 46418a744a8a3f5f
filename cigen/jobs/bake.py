"""The images ``docker buildx bake`` builds and pushes, read from the
repository's Bake files.

Bake reads the files named with ``-f``/``--file``, else every one of
``compose.yaml``, ``compose.yml``, ``docker-compose.yml``,
``docker-compose.yaml``, ``docker-bake.json``, ``docker-bake.override.json``,
``docker-bake.hcl`` and ``docker-bake.override.hcl`` that exists, later files
overriding earlier ones. It builds the targets (or groups) named on the
command line, else the ``default`` group or target, each with the attributes
of the targets it ``inherits``. A target's ``tags`` are pushed with ``--push``
or an ``output`` of ``type=registry`` (or ``push=true``). A ``variable``'s
``default`` stands unless the job's environment sets that name (a job
variable, an export, one of GitLab's predefined variables): then the name is
left for the rules, which read the job's variables.

As for compose files, the job must not have changed directory first, and
what cannot be read (HCL expressions, ``--set ...tags=``, a file that is not
HCL or JSON) leaves the command unknown: it yields nothing.
"""

from __future__ import annotations

import os
import re
from typing import Any, NamedTuple

from cigen.jobs.arguments import tool_arguments
from cigen.jobs.compose import CHANGES_DIRECTORY, JobView, read_services
from cigen.shell.words import Command, Word
from cigen.source.files import UnreadableFile, is_inside, read_regular_file
from cigen.source.hcl import UNKNOWN, Block, HclError, parse_hcl
from cigen.source.positions import YMap, YSeq
from cigen.source.text import LoadError, decode_source
from cigen.source.yaml_reader import parse_yaml

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml",
                 "docker-bake.json", "docker-bake.override.json", "docker-bake.hcl",
                 "docker-bake.override.hcl")
OPTIONS_WITH_VALUE = frozenset({
    "-f", "--file", "--set", "--builder", "--progress", "--metadata-file", "--provenance",
    "--sbom", "--call", "--allow", "--list", "--var",
})
MAX_INHERITANCE = 16
_INTERPOLATION = re.compile(r"\$\{([^{}]*)\}")


class Attribute(NamedTuple):
    value: Any
    """A str, a list of str, a bool... or UNKNOWN."""
    where: str
    """``file:line``."""


Target = dict[str, Attribute]


class BakeFiles(NamedTuple):
    targets: dict[str, Target]
    groups: dict[str, list[str] | None]
    """Each group's targets; ``None`` when they cannot be read."""
    variables: dict[str, Any]
    """Each variable's default (``UNKNOWN`` when it cannot be read)."""


class BakeOutput(NamedTuple):
    command: Command
    action: Word
    reference: str
    pushed: bool
    where: str


def bake_outputs(facts: JobView, command: Command) -> list[BakeOutput]:
    """The tags a ``docker buildx bake`` command builds (and pushes), when known."""
    words = tool_arguments(command.words, "docker")
    if [word.text for word in words[:2]] != ["buildx", "bake"]:
        return []
    facts.pipeline.reads_tree = True  # the result depends on files beside the pipeline
    root = facts.pipeline.root
    if root is None or _moved_before(facts, command):
        return []
    action = words[1]
    files: list[str] = []
    names: list[str] = []
    push = False
    arguments = words[2:]
    index = 0
    while index < len(arguments):
        text = arguments[index].text
        option, equals, inline = text.partition("=")
        if option in OPTIONS_WITH_VALUE:
            value = inline if equals else (
                arguments[index + 1].text if index + 1 < len(arguments) else "")
            index += 1 if equals else 2
            if option in ("-f", "--file"):
                files.append(value)
            elif option == "--set":
                key = value.partition("=")[0]
                if key.endswith((".tags", ".output")) or key.endswith(".tags+"):
                    return []  # the command line rewrites what the files say
            continue
        if text == "--push":
            push = True
        elif not text.startswith("-"):
            names.append(text)
        index += 1
    loaded = _load(facts, root, files)
    if loaded is None:
        return []
    targets = _expand(loaded, names or ["default"])
    if targets is None:
        return []
    found: list[BakeOutput] = []
    for name in targets:
        target = _inherited(loaded.targets, name, 0)
        if target is None:
            return []
        tags = target.get("tags")
        if tags is None:
            continue
        if not isinstance(tags.value, list):
            return []
        pushed = push or _pushes(target.get("output"))
        for tag in tags.value:
            reference = _interpolated(facts, tag, loaded.variables) \
                if isinstance(tag, str) else None
            if reference is not None:
                found.append(BakeOutput(command, action, reference, pushed, tags.where))
    return found


def _moved_before(facts: JobView, command: Command) -> bool:
    for earlier in facts.commands:
        if earlier is command:
            return False
        if earlier.name.rsplit("/", 1)[-1] in CHANGES_DIRECTORY:
            return True
    return False


def _pushes(output: Attribute | None) -> bool:
    if output is None or not isinstance(output.value, list):
        return False
    for entry in output.value:
        if isinstance(entry, str):
            fields = dict(field.partition("=")[::2] for field in entry.split(","))
            if fields.get("type") == "registry" or fields.get("push") == "true":
                return True
    return False


def _interpolated(facts: JobView, text: str, variables: dict[str, Any]) -> str | None:
    """``text`` with the Bake variables the job does not set replaced by their
    defaults; ``None`` when it holds an expression, or a variable with no default."""
    unknown = False

    def value(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1).strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            unknown = True
            return match.group(0)
        if facts.variable(name) is not None or name.startswith(("CI_", "GITLAB_")):
            return "${" + name + "}"
        default = variables.get(name, UNKNOWN)
        if isinstance(default, (str, int, float)) and not isinstance(default, bool):
            return str(default)
        if name not in variables:
            return "${" + name + "}"  # the environment alone names it: the job's own
        unknown = True
        return match.group(0)

    result = _INTERPOLATION.sub(value, text.replace("$${", "\0"))
    return None if unknown else result.replace("\0", "${")


def _expand(loaded: BakeFiles, names: list[str]) -> list[str] | None:
    """Target names, groups expanded (each once, in order)."""
    found: list[str] = []
    pending = list(reversed(names))
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in loaded.groups:
            members = loaded.groups[name]
            if members is None:
                return None
            pending.extend(reversed(members))
        elif name in loaded.targets:
            found.append(name)
        else:
            return None  # a target cigen cannot see (a remote definition, a typo)
    return found


def _inherited(targets: dict[str, Target], name: str, depth: int) -> Target | None:
    target = targets.get(name)
    if target is None or depth > MAX_INHERITANCE:
        return None
    parents = target.get("inherits")
    if parents is None:
        return target
    if not isinstance(parents.value, list):
        return None
    merged: Target = {}
    for parent in parents.value:
        found = _inherited(targets, parent, depth + 1) if isinstance(parent, str) else None
        if found is None:
            return None
        merged.update(found)
    merged.update({key: value for key, value in target.items() if key != "inherits"})
    return merged


# -- reading the files ---------------------------------------------------------------

def _load(facts: JobView, root: str, chosen: list[str]) -> BakeFiles | None:
    if any("$" in name or "`" in name or name == "-" for name in chosen):
        return None
    names = chosen or [name for name in DEFAULT_FILES
                       if os.path.isfile(os.path.join(root, name))]
    if not names:
        return None
    loaded = BakeFiles({}, {}, {})
    services: list[str] = []
    for name in names:
        path = os.path.normpath(os.path.join(root, name))
        if not is_inside(path, root):
            return None
        display = os.path.relpath(path, root)
        if name.endswith((".hcl", ".json")) or not name.endswith((".yml", ".yaml")):
            if not _read_bake(path, display, loaded):
                return None
        else:
            found = read_services(path, root)
            if found is None:
                return None
            for service in found.values():
                if service.builds and service.image is not None:
                    target = loaded.targets.setdefault(service.name, {})
                    target["tags"] = Attribute([service.image], service.image_where)
                    services.append(service.name)
    if services and "default" not in loaded.groups and "default" not in loaded.targets:
        loaded.groups["default"] = services  # a compose file's services, all of them
    return loaded


def _read_bake(path: str, display: str, loaded: BakeFiles) -> bool:
    try:
        text = decode_source(read_regular_file(path), display).text
    except (UnreadableFile, LoadError, OSError):
        return False
    if path.endswith(".json"):
        return _read_json(text, display, loaded)
    try:
        body = parse_hcl(text)
    except HclError:
        return False
    for block in body.blocks:
        _add_block(block, display, loaded)
    return True


def _add_block(block: Block, display: str, loaded: BakeFiles) -> None:
    if len(block.labels) != 1:
        return
    name = block.labels[0]
    attributes = {key: Attribute(_plain(value.value), f"{display}:{value.line}")
                  for key, value in block.body.attributes.items()}
    if block.kind == "target":
        loaded.targets.setdefault(name, {}).update(attributes)
    elif block.kind == "group":
        members = attributes.get("targets")
        loaded.groups[name] = members.value if members is not None and isinstance(
            members.value, list) and all(isinstance(item, str) for item in members.value) \
            else None
    elif block.kind == "variable":
        default = attributes.get("default")
        loaded.variables[name] = default.value if default is not None else UNKNOWN


def _plain(value: Any) -> Any:
    """An HCL value without the lines of its parts."""
    if isinstance(value, list):
        return [_plain(item.value) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item.value) for key, item in value.items()}
    return value


def _read_json(text: str, display: str, loaded: BakeFiles) -> bool:
    # JSON is read as YAML (a superset of it) for the lines of its values.
    try:
        document = parse_yaml(decode_source(text.encode("utf-8"), display)).data
    except LoadError:
        return False
    if not isinstance(document, YMap):
        return False
    for kind in ("target", "group", "variable"):
        blocks = document.get(kind)
        if blocks is None:
            continue
        if not isinstance(blocks, YMap):
            return False
        for name, body in blocks.items():
            if not isinstance(body, YMap):
                continue
            attributes = {}
            for key, value in body.items():
                span = body.span_of(key)
                plain = list(value) if isinstance(value, YSeq) else value
                attributes[key] = Attribute(plain, f"{display}:{span.line if span else 1}")
            _add_json(kind, name, attributes, loaded)
    return True


def _add_json(kind: str, name: str, attributes: dict[str, Attribute],
              loaded: BakeFiles) -> None:
    if kind == "target":
        loaded.targets.setdefault(name, {}).update(attributes)
    elif kind == "group":
        members = attributes.get("targets")
        loaded.groups[name] = members.value if members is not None and isinstance(
            members.value, list) else None
    else:
        default = attributes.get("default")
        loaded.variables[name] = default.value if default is not None else UNKNOWN
