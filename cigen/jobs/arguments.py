"""Options and operands of container tools' command lines.

Docker's global options come before its subcommand; build tools take their
options as ``--name VALUE``, ``--name=VALUE`` or ``-nVALUE``. This module
reads shell words (:class:`cigen.shell.parser.Word`) the way those tools do,
so a rule asks for ``--cache-from`` without knowing how it was spelt.
"""

from __future__ import annotations

from cigen.shell.parser import Command, Word

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
