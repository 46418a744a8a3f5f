"""Words and commands as the rules read them, with the file position of each word.

A :class:`Word` is one shell word: its text as the command receives it (quotes
removed, escapes applied, ``$VAR`` and ``$(...)`` kept as written), its raw
form and its offset in the script item's value. A :class:`Command` is one
simple command reached by the shell, with the conditions it runs under, how
it is reached (:attr:`Command.via`) and a :class:`~.locator.Locator` for its
words' positions.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cigen.shell.locator import Locator
from cigen.source.positions import Span


class Word(NamedTuple):
    text: str
    """The word with quotes removed and escapes applied; ``$VAR`` stays as written."""
    raw: str
    offset: int
    """Character offset of the word in the script item's value."""


class Command:
    __slots__ = ("assignments", "conditions", "first", "locator", "piped_from", "section", "start",
                 "text", "via", "words")

    words: list[Word]
    """The command's name and arguments, wrappers (``sudo``, ``env X=1``) stripped."""
    assignments: dict[str, str]
    conditions: list[str]
    """Tests the command runs under: enclosing ``if``/``elif``/``while`` tests (an
    ``else`` branch's prefixed with ``! ``), ``case`` subject and pattern
    (``"$CI_COMMIT_BRANCH" = main|master``), earlier commands of an ``&&``/``||``
    chain (prefixed with ``! `` before ``||``)."""
    locator: Locator
    first: Word
    """The word the command starts with, for its position."""
    section: str
    text: str
    piped_from: str
    """Text of the command piping into this one (``echo "$P" | docker login``)."""
    start: Word | None
    """The simple command's first word, before assignments and wrappers (``sudo``);
    for a command run by another one (``ssh host docker ...``), that one's first word."""
    via: str
    """How the command is reached: ``""`` when written directly, else ``"ssh"``,
    ``"sh -c"``, ``"eval"``, ``"heredoc"``, ``"function deploy"``, ``"wrapper retry"``."""

    def __init__(self, words: list[Word], assignments: dict[str, str], conditions: list[str],
                 locator: Locator, first: Word, section: str = "", text: str = "",
                 piped_from: str = "", start: Word | None = None, via: str = "") -> None:
        self.words = words
        self.assignments = assignments
        self.conditions = conditions
        self.locator = locator
        self.first = first
        self.section = section
        self.text = text
        self.piped_from = piped_from
        self.start = start
        self.via = via

    @property
    def span(self) -> Span:
        """Where the command starts in the file."""
        return self.locator.locate(self.first.offset, self.first.raw)

    def locate(self, word: Word) -> Span:
        """Where ``word`` was written in the file."""
        return self.locator.locate(word.offset, word.raw)

    @property
    def argv(self) -> list[str]:
        return [word.text for word in self.words]

    @property
    def name(self) -> str:
        return self.words[0].text if self.words else ""


# Three levels of parentheses inside $(...) (arithmetic, subshells) cover real
# CI scripts; deeper nesting still unquotes, only less precisely.
_PARENS = r"\([^()]*\)"
for _ in range(2):
    _PARENS = rf"\((?:[^()]|{_PARENS})*\)"
_SUBSTITUTION = rf"""\$\((?:[^()'"]|'[^']*'|"(?:\\.|[^"\\])*"|{_PARENS})*\)"""
_PIECE = re.compile(rf"""'(?P<single>[^']*)'?|"(?P<double>(?:[^"\\$`]|\\.|{_SUBSTITUTION}
    |`[^`]*`|\$)*)"?|\\(?P<escaped>.)|(?P<verbatim>{_SUBSTITUTION}|\$\{{[^}}]*\}}|`[^`]*`?)
    |(?P<plain>[^'"\\$`]+|.)""", re.X | re.S)


def unquote(raw: str) -> str:
    """The word as the command receives it: quotes removed, escapes applied,
    ``$VAR``/``$(...)`` kept as written (variables are expanded by rules)."""
    if "'" not in raw and '"' not in raw and "\\" not in raw:
        return raw
    pieces = []
    for piece in _PIECE.finditer(raw):
        kind = piece.lastgroup
        value = piece.group(kind or 0)
        if kind == "double" and "\\" in value:
            value = _DOUBLE_QUOTE_ESCAPE.sub(r"\1", value.replace("\\\n", ""))
        elif kind == "escaped" and value == "\n":
            value = ""
        pieces.append(value)
    return "".join(pieces)


_DOUBLE_QUOTE_ESCAPE = re.compile(r'\\([\\"$`])')
