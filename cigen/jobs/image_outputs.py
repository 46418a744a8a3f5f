"""Which image references a job's commands build, tag and push.

One place knows the command lines of the image tools found in CI jobs —
docker/podman (``build``, ``buildx build``, ``tag``, ``push``, ``buildx
imagetools create``, ``manifest``), buildah, kaniko's executor, buildctl,
depot, crane and skopeo — and turns them into :class:`ImageOutput` records:
the word that names the image, its text, and whether the command pushes it.
Rules about tags (``ref-name-tag``, ``unconditional-latest``) read these.
"""

from __future__ import annotations

from collections.abc import Callable

from cigen.jobs.arguments import docker_arguments, has_option, option_values
from cigen.shell.parser import Command, Word

# Options (of the tools below) that take a separate value, so that their value
# is not mistaken for a positional image argument.
OPTIONS_WITH_VALUE = frozenset({
    "--platform", "--creds", "--authfile", "--format", "-f", "--digestfile", "--cert-dir",
    "--sign-by", "--compression-format", "--retry", "--retry-delay", "--src-creds",
    "--dest-creds", "--src-authfile", "--dest-authfile", "--src-cert-dir", "--dest-cert-dir",
})
BUILD_COMMANDS = (["build"], ["image", "build"], ["builder", "build"], ["buildx", "build"],
                  ["buildx", "b"], ["bud"])


class ImageOutput:
    __slots__ = ("action", "command", "pushed", "reference", "word")

    command: Command
    word: Word
    reference: str
    """The image reference as written (variables not expanded), without ``docker://``."""
    pushed: bool
    action: str
    """``build``, ``tag`` or ``push``."""

    def __init__(self, command: Command, word: Word, reference: str, pushed: bool,
                 action: str) -> None:
        self.command = command
        self.word = word
        self.reference = reference
        self.pushed = pushed
        self.action = action


def _positionals(words: list[Word]) -> list[Word]:
    found = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word.text.startswith("-"):
            skip = word.text in OPTIONS_WITH_VALUE
            continue
        found.append(word)
    return found


def _strip_transport(reference: str) -> str:
    for prefix in ("docker://", "docker-daemon:", "containers-storage:"):
        if reference.startswith(prefix):
            return reference[len(prefix):]
    return reference


def _output_pushes(words: list[Word]) -> bool:
    for _, value in option_values(words, "--output", "-o"):
        if "type=registry" in value or "push=true" in value:
            return True
    return False


def image_outputs(commands: list[Command], split_words: Callable[[list[Word]], list[Word]]
                  ) -> list[ImageOutput]:
    """The images ``commands`` build, tag or push; ``split_words`` splits a word
    the shell would split (an unquoted variable holding several words)."""
    outputs: list[ImageOutput] = []
    for command in commands:
        name = command.name.rsplit("/", 1)[-1]
        words = split_words(command.words)
        if name in ("docker", "podman", "buildah", "depot"):
            outputs.extend(_container_cli(command, words, name))
        elif name in ("executor", "kaniko") or command.name.endswith("/kaniko/executor"):
            pushed = not has_option(words, "--no-push")
            for word, value in option_values(words[1:], "--destination", "-d"):
                outputs.append(ImageOutput(command, word, value, pushed, "push" if pushed
                                           else "build"))
        elif name in ("buildctl", "buildctl-daemonless.sh"):
            for word, value in option_values(words[1:], "--output", "-o"):
                fields = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
                if "name" in fields:
                    pushed = fields.get("push") == "true"
                    outputs.append(ImageOutput(command, word, fields["name"], pushed,
                                               "push" if pushed else "build"))
        elif name in ("crane", "skopeo", "regctl"):
            positionals = _positionals(words[1:])
            if len(positionals) >= 3 and positionals[0].text in ("copy", "cp"):
                target = positionals[2]
                outputs.append(ImageOutput(command, target, _strip_transport(target.text), True,
                                           "push"))
    return outputs


def _container_cli(command: Command, words: list[Word], tool: str) -> list[ImageOutput]:
    arguments = docker_arguments(words) if tool in ("docker", "podman") else words[1:]
    names = [word.text for word in arguments[:3]]
    outputs: list[ImageOutput] = []
    for build in BUILD_COMMANDS:
        if names[:len(build)] == build:
            rest = arguments[len(build):]
            pushed = has_option(rest, "--push") or _output_pushes(rest)
            for word, value in option_values(rest, "-t", "--tag"):
                outputs.append(ImageOutput(command, word, value, pushed,
                                           "push" if pushed else "build"))
            return outputs
    if names[:2] == ["buildx", "imagetools"] and names[2:3] == ["create"]:
        for word, value in option_values(arguments[3:], "-t", "--tag"):
            outputs.append(ImageOutput(command, word, value, True, "push"))
        return outputs
    if names[:1] == ["tag"] or names[:2] == ["image", "tag"]:
        positionals = _positionals(arguments[1 if names[0] == "tag" else 2:])
        for word in positionals[1:]:
            outputs.append(ImageOutput(command, word, _strip_transport(word.text), False, "tag"))
        return outputs
    if names[:1] == ["push"] or names[:2] in (["image", "push"], ["manifest", "push"]):
        positionals = _positionals(arguments[1 if names[0] == "push" else 2:])
        if not positionals:
            return outputs
        # `podman push SRC DEST` and `buildah push SRC DEST` push to DEST when given.
        target = positionals[1] if len(positionals) > 1 and tool != "docker" else positionals[0]
        all_tags = has_option(arguments, "--all-tags", "-a")
        outputs.append(ImageOutput(command, target, _strip_transport(target.text), True,
                                   "push-all" if all_tags else "push"))
    return outputs
