"""Which image references a job's commands build, tag and push.

One place knows the command lines of the image tools found in CI jobs —
docker, podman and nerdctl (``build``, ``buildx build``, ``tag``, ``push``,
``commit``, ``buildx imagetools create``, ``manifest create``/``push``),
buildah (``bud``/``build``, ``tag``, ``commit``, ``push``, ``manifest push``),
kaniko's executor, buildctl, depot, crane (``tag``, ``copy``, ``push``,
``mutate``/``append``/``rebase``/``flatten -t``), skopeo ``copy`` and regctl
``image copy`` — and turns them into :class:`ImageOutput` records: the word
where the reference was written, the reference, and whether the command
pushes it. Rules about tags (``ref-name-tag``, ``unconditional-latest``) and
about cache flow read these. ``docker compose`` and ``docker buildx bake`` name
their images in files of the repository: :mod:`cigen.jobs.compose` and
:mod:`cigen.jobs.bake` read them.
"""

from __future__ import annotations

from collections.abc import Callable

from cigen.jobs.arguments import (
    csv_values,
    has_option,
    option_values,
    options,
    subcommand,
    tool_arguments,
)
from cigen.jobs.images import split_image
from cigen.shell.words import Command, Word

# Options (of the tools below) that take a separate value, so that their value
# is not mistaken for a positional image argument.
OPTIONS_WITH_VALUE = frozenset({
    "--platform", "--creds", "--authfile", "--format", "-f", "--digestfile", "--cert-dir",
    "--sign-by", "--compression-format", "--compression-level", "--retry", "--retry-delay",
    "--src-creds", "--dest-creds", "--src-authfile", "--dest-authfile", "--src-cert-dir",
    "--dest-cert-dir", "--src-username", "--src-password", "--dest-username",
    "--dest-password", "--src-registry-token", "--dest-registry-token", "--retry-times",
    "--multi-arch", "--additional-tag", "--encryption-key", "--decryption-key",
    "--encrypt-layer", "--sign-passphrase-file", "--sign-identity", "--sign-by-sigstore",
    "--sign-by-sigstore-private-key", "--dest-compress-format", "--dest-compress-level",
    "--image-parallel-copies", "--src-daemon-host", "--dest-daemon-host",
    "--src-shared-blob-dir", "--dest-shared-blob-dir", "--jobs", "-j", "--image-refs",
    "--annotation", "--label", "-l", "--entrypoint", "--cmd", "--env", "-e", "--user", "-u",
    "--workdir", "-w", "--append", "--exposed-ports", "--output", "-o", "--author",
    "--message", "--change", "--iidfile", "--referrers-src", "--referrers-tgt",
    "--old_base", "--new_base", "--base", "--tag", "-t", "--new_tag", "--amend",
})
BUILD_COMMANDS = (["build"], ["image", "build"], ["builder", "build"], ["buildx", "build"],
                  ["buildx", "b"], ["bud"], ["build-using-dockerfile"])
CONTAINER_TOOLS = ("docker", "podman", "buildah", "nerdctl", "depot")
# Transports that name a registry, or that say nothing (a bare reference).
REGISTRY_TRANSPORTS = ("docker://",)
LOCAL_TRANSPORTS = ("docker-daemon:", "containers-storage:")
FILE_TRANSPORTS = ("oci:", "oci-archive:", "dir:", "docker-archive:", "sif:", "tarball:")


class ImageOutput:
    __slots__ = ("action", "command", "origin", "pushed", "reference", "source", "word")

    command: Command
    word: Word
    """The word where the reference (or, for ``crane tag``, the new tag) was written."""
    reference: str
    """The image reference as written (variables not expanded), without ``docker://``."""
    pushed: bool
    action: str
    """``build``, ``tag``, ``push``, or ``push-all`` (every local tag of the repository)."""
    source: str | None
    """The reference this one is tagged or copied from, when the command names one."""
    origin: str
    """``file:line`` where the reference is written when it is not in the command (a
    compose file's ``image:``); ``word`` is then the command's subcommand."""

    def __init__(self, command: Command, word: Word, reference: str, pushed: bool,
                 action: str, source: str | None = None, origin: str = "") -> None:
        self.command = command
        self.word = word
        self.reference = reference
        self.pushed = pushed
        self.action = action
        self.source = source
        self.origin = origin


def _part(word: Word, text: str, after: int = 0) -> tuple[Word, int]:
    """The piece of ``word`` that spells ``text`` (the value of ``--tag=X``, a name in
    ``type=image,name=A,B``) as a word of its own, located where it is written,
    and where in ``word.raw`` it ends; ``word`` itself when ``text`` is not there
    verbatim (escapes, or a variable the shell split)."""
    if word.text == text:
        return word, len(word.raw)
    start = word.raw.find(text, after)
    if start == -1 or not text:
        return word, after
    return Word(text, text, word.offset + start), start + len(text)


def _values(words: list[Word], *names: str) -> list[tuple[Word, str]]:
    """Values of the options ``names``, each with the word (or piece of one) spelling it."""
    found = []
    for option, word, value in options(words, *names):
        if word is not option:
            after = 0
        else:
            after = option.raw.find("=") + 1 if option.raw.startswith("--") else 2
        found.append((_part(word, value, after)[0], value))
    return found


def _positionals(words: list[Word]) -> list[Word]:
    found = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word.text.startswith("-") and word.text != "-":
            skip = word.text in OPTIONS_WITH_VALUE
            continue
        found.append(word)
    return found


def _strip_transport(reference: str) -> str:
    for prefix in REGISTRY_TRANSPORTS + LOCAL_TRANSPORTS:
        if reference.startswith(prefix):
            return reference[len(prefix):]
    return reference


def _destination(reference: str) -> tuple[bool, bool]:
    """(is an image reference, is in a registry) for a copy or push destination."""
    if reference.startswith(FILE_TRANSPORTS):
        return False, False
    return True, not reference.startswith(LOCAL_TRANSPORTS)


def _output_pushes(words: list[Word]) -> bool:
    for _, value in option_values(words, "--output", "-o"):
        fields = csv_values(value)
        if "registry" in fields.get("type", []) or "true" in fields.get("push", []) \
                or value.startswith("type=registry"):
            return True
    return False


def _output_names(command: Command, words: list[Word]) -> list[ImageOutput]:
    """Images named in BuildKit ``--output type=image,name=A,B,push=true`` values."""
    outputs = []
    for word, value in option_values(words, "--output", "-o"):
        fields = csv_values(value)
        types = fields.get("type", [])
        if not (types and types[0] in ("image", "registry", "docker", "oci")):
            continue
        if types[0] == "oci" and "dest" in fields:
            continue
        pushed = types[0] == "registry" or "true" in fields.get("push", [])
        after = max(word.raw.find("name="), 0)
        for name in fields.get("name", []):
            piece, after = _part(word, name, after)
            outputs.append(ImageOutput(command, piece, name, pushed,
                                       "push" if pushed else "build"))
    return outputs


def _with_tag(image: str, tag: str) -> str:
    """``crane tag IMG TAG``: IMG's repository with TAG."""
    repository, _, _ = split_image(image)
    return f"{repository}:{tag}"


def image_outputs(commands: list[Command], split_words: Callable[[list[Word]], list[Word]]
                  ) -> list[ImageOutput]:
    """The images ``commands`` build, tag or push; ``split_words`` splits a word
    the shell would split (an unquoted variable holding several words)."""
    outputs: list[ImageOutput] = []
    for command in commands:
        name = command.name.rsplit("/", 1)[-1]
        if not name:
            continue
        words = split_words(command.words)
        if name in CONTAINER_TOOLS:
            outputs.extend(_container_cli(command, words, name))
        elif name in ("executor", "kaniko") or command.name.endswith("/kaniko/executor"):
            pushed = not has_option(words, "--no-push")
            for word, value in _values(words[1:], "--destination", "-d"):
                outputs.append(ImageOutput(command, word, value, pushed, "push" if pushed
                                           else "build"))
        elif name in ("buildctl", "buildctl-daemonless.sh"):
            outputs.extend(_output_names(command, words[1:]))
        elif name == "crane":
            outputs.extend(_crane(command, words))
        elif name == "skopeo":
            arguments = subcommand(words, "skopeo", "copy")
            if arguments is not None:
                outputs.extend(_copy(command, _positionals(arguments)))
        elif name == "regctl":
            arguments = subcommand(words, "regctl", "image")
            if arguments and arguments[0].text in ("copy", "cp"):
                outputs.extend(_copy(command, _positionals(arguments[1:])))
    return outputs


def _copy(command: Command, positionals: list[Word]) -> list[ImageOutput]:
    """``copy SRC DST``: DST, when it is an image."""
    if len(positionals) < 2:
        return []
    target = positionals[1]
    is_image, pushed = _destination(target.text)
    if not is_image:
        return []
    return [ImageOutput(command, target, _strip_transport(target.text), pushed,
                        "push" if pushed else "tag", _strip_transport(positionals[0].text))]


def _crane(command: Command, words: list[Word]) -> list[ImageOutput]:
    arguments = tool_arguments(words, "crane")
    if not arguments:
        return []
    verb = arguments[0].text
    rest = arguments[1:]
    positionals = _positionals(rest)
    if verb == "tag" and len(positionals) >= 2:
        image, tag = positionals[0], positionals[1]
        return [ImageOutput(command, tag, _with_tag(image.text, tag.text), True, "push",
                            image.text)]
    if verb in ("copy", "cp") and len(positionals) >= 2:
        source, target = positionals[0], positionals[1]
        all_tags = has_option(rest, "--all-tags", "-a")
        return [ImageOutput(command, target, target.text, True,
                            "push-all" if all_tags else "push", source.text)]
    if verb == "push" and len(positionals) >= 2:
        return [ImageOutput(command, positionals[1], positionals[1].text, True, "push")]
    if verb in ("mutate", "append", "rebase", "flatten"):
        original = positionals[0].text if verb != "append" and positionals else None
        return [ImageOutput(command, word, value, True, "push", original)
                for word, value in _values(rest, "-t", "--tag", "--new_tag")]
    return []


def _container_cli(command: Command, words: list[Word], tool: str) -> list[ImageOutput]:
    arguments = tool_arguments(words, tool)
    names = [word.text for word in arguments[:3]]
    outputs: list[ImageOutput] = []
    for build in BUILD_COMMANDS:
        if names[:len(build)] == build:
            rest = arguments[len(build):]
            pushed = has_option(rest, "--push") or _output_pushes(rest)
            for word, value in _values(rest, "-t", "--tag"):
                outputs.append(ImageOutput(command, word, value, pushed,
                                           "push" if pushed else "build"))
            outputs.extend(output for output in _output_names(command, rest)
                           if output.reference not in {o.reference for o in outputs})
            return outputs
    if names[:2] == ["buildx", "imagetools"] and names[2:3] == ["create"]:
        rest = arguments[3:]
        pushed = not has_option(rest, "--dry-run")
        sources = _positionals(rest)
        source = sources[0].text if len(sources) == 1 else None
        for word, value in _values(rest, "-t", "--tag"):
            outputs.append(ImageOutput(command, word, value, pushed,
                                       "push" if pushed else "build", source))
        return outputs
    if names[:1] == ["tag"] or names[:2] == ["image", "tag"]:
        positionals = _positionals(arguments[1 if names[0] == "tag" else 2:])
        source = positionals[0].text if positionals else None
        for word in positionals[1:]:
            outputs.append(ImageOutput(command, word, _strip_transport(word.text), False, "tag",
                                       source))
        return outputs
    if names[:1] == ["commit"] or names[:2] == ["container", "commit"]:
        positionals = _positionals(arguments[1 if names[0] == "commit" else 2:])
        if len(positionals) >= 2 and _destination(positionals[1].text)[0]:
            target = positionals[1]
            outputs.append(ImageOutput(command, target, _strip_transport(target.text), False,
                                       "build"))
        return outputs
    if names[:2] == ["manifest", "create"]:
        positionals = _positionals(arguments[2:])
        if positionals:
            target = positionals[0]
            outputs.append(ImageOutput(command, target, _strip_transport(target.text), False,
                                       "tag"))
        return outputs
    if names[:1] == ["push"] or names[:2] in (["image", "push"], ["manifest", "push"]):
        positionals = _positionals(arguments[1 if names[0] == "push" else 2:])
        if not positionals:
            return outputs
        # `podman push SRC DEST` and `buildah push SRC DEST` push to DEST when given.
        target = (positionals[1] if len(positionals) > 1 and tool in ("podman", "buildah")
                  else positionals[0])
        is_image, pushed = _destination(target.text)
        if not is_image:
            return outputs
        all_tags = (names[0] == "push" or names[:2] == ["image", "push"]) and tool in (
            "docker", "nerdctl") and has_option(arguments, "--all-tags", "-a")
        source = positionals[0].text if target is not positionals[0] else None
        outputs.append(ImageOutput(command, target, _strip_transport(target.text), pushed,
                                   ("push-all" if all_tags else "push") if pushed else "tag",
                                   source))
    return outputs
