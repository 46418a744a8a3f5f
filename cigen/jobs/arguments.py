"""Options and operands of container tools' command lines.

Docker's global options come before its subcommand; build tools take their
options as ``--name VALUE``, ``--name=VALUE`` or ``-nVALUE``. This module
reads shell words (:class:`cigen.shell.parser.Word`) the way those tools do,
so a rule asks for ``--cache-from`` without knowing how it was spelt. It also
knows each registry client's global options (to find its subcommand) and
splits BuildKit's comma-separated option values (``type=image,name=a,push=true``).
"""

from __future__ import annotations

from cigen.shell.words import Command, Word

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


# Global options that take a value, by tool: they come before the subcommand
# (`podman --storage-driver vfs push`, `helm --kube-context k registry login`).
GLOBAL_OPTIONS_WITH_VALUE: dict[str, frozenset[str]] = {
    "docker": DOCKER_GLOBAL_OPTIONS_WITH_VALUE,
    "podman": frozenset({
        "--storage-driver", "--root", "--runroot", "--log-level", "--url", "--connection", "-c",
        "--identity", "--cgroup-manager", "--events-backend", "--storage-opt", "--tmpdir",
        "--module", "--conmon", "--hooks-dir", "--imagestore", "--network-config-dir",
        "--network-backend", "--registries-conf", "--runtime", "--runtime-flag", "--ssh",
        "--volumepath", "--cdi-spec-dir", "--config", "--out",
    }),
    "buildah": frozenset({
        "--storage-driver", "--root", "--runroot", "--storage-opt", "--userns-uid-map",
        "--userns-gid-map", "--registries-conf", "--registries-conf-dir",
        "--short-name-alias-conf", "--log-level", "--cgroup-manager", "--default-mounts-file",
        "--cpu-profile", "--memory-profile",
    }),
    "nerdctl": frozenset({
        "-H", "--host", "-a", "--address", "-n", "--namespace", "--snapshotter",
        "--storage-driver", "--cni-path", "--cni-netconfpath", "--data-root",
        "--cgroup-manager", "--host-gateway-ip", "--hosts-dir", "--bridge-ip",
    }),
    "skopeo": frozenset({
        "--command-timeout", "--override-arch", "--override-os", "--override-variant",
        "--policy", "--registries.d", "--registries-conf", "--tmpdir", "--user-agent",
    }),
    "helm": frozenset({
        "--kube-context", "-n", "--namespace", "--kubeconfig", "--registry-config",
        "--repository-config", "--repository-cache", "--burst-limit", "--qps",
        "--kube-apiserver", "--kube-as-user", "--kube-as-group", "--kube-token",
        "--kube-ca-file", "--kube-tls-server-name", "--content-cache",
    }),
    "crane": frozenset({"--platform"}),
    "oras": frozenset(),
    "regctl": frozenset({"--host", "--logopt", "-v", "--verbosity", "--user-agent"}),
    "depot": frozenset(),
}


def tool_name(command: Command) -> str:
    """The program a command runs, without its directory (``/usr/bin/docker`` is ``docker``)."""
    return command.name.rsplit("/", 1)[-1]


def tool_arguments(words: list[Word], tool: str) -> list[Word]:
    """The words after the program, without the global options before its subcommand."""
    with_value = GLOBAL_OPTIONS_WITH_VALUE.get(tool, frozenset())
    rest = words[1:]
    index = 0
    while index < len(rest) and rest[index].text.startswith("-"):
        option = rest[index].text
        index += 1
        if option in with_value:
            index += 1
    return rest[index:]


def subcommand(words: list[Word], tool: str, *path: str) -> list[Word] | None:
    """The words after ``tool path...`` (``helm registry login``), or ``None`` when the
    command is another subcommand."""
    arguments = tool_arguments(words, tool)
    if [word.text for word in arguments[:len(path)]] != list(path):
        return None
    return arguments[len(path):]


def csv_fields(value: str) -> list[str]:
    """The comma-separated fields of a BuildKit option value (``type=image,name=a,push=true``).

    Double quotes group commas into one field, around a whole field
    (``"name=a,b"``) or around its value (``name="a,b"``), and are removed.
    """
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    for character in value:
        if character == '"':
            quoted = not quoted
        elif character == "," and not quoted:
            fields.append("".join(current))
            current = []
        else:
            current.append(character)
    fields.append("".join(current))
    return [field for field in fields if field]


def csv_values(value: str) -> dict[str, list[str]]:
    """``key=value`` fields of a BuildKit option value, each key with its values.

    A field without ``=`` after ``name=`` is one more name: ``name=a,b`` is
    how people write two image names, whether or not they quote them.
    """
    values: dict[str, list[str]] = {}
    last = ""
    for field in csv_fields(value):
        key, equals, text = field.partition("=")
        if not equals:
            if last == "name":
                values["name"].append(field)
            continue
        last = key.strip()
        parts = text.split(",") if last == "name" else [text]
        values.setdefault(last, []).extend(part for part in parts if part)
    return values
