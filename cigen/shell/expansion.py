"""Variables and substitutions in shell words, as rules need them.

:func:`expand` replaces ``$VAR``/``${VAR}`` with known values within GitLab's
limits (depth, cycles, 10 MiB); :func:`strip_substitutions` and
:func:`mask_substitutions` hide what ``$(...)``, ``${...}`` and backticks
compute, so that a rule reads only the text written around them.
"""

from __future__ import annotations

import re
from collections.abc import Callable


def _scan_balanced(text: str, index: int, opener: str, closer: str) -> int:
    """Index just after the ``closer`` matching the ``opener`` at ``index`` (the end of
    ``text`` when there is none)."""
    end = closing_index(text, index, opener, closer)
    return len(text) if end is None else end


def closing_index(text: str, index: int, opener: str, closer: str) -> int | None:
    """Index just after the ``closer`` matching the ``opener`` at ``index``, quotes and
    escapes read as the shell reads them; ``None`` when it is never closed."""
    depth = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "'" and opener != "{":
            end = text.find("'", index + 1)
            index = length if end == -1 else end + 1
            continue
        if char == '"':
            index = _scan_double_quoted(text, index + 1)
            continue
        if char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return None


def _scan_double_quoted(text: str, index: int) -> int:
    """Index just after the closing ``"`` of a string whose body starts at ``index``."""
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == '"':
            return index + 1
        if char == "$" and text.startswith("$(", index):
            index = _scan_balanced(text, index + 1, "(", ")")
            continue
        if char == "`":
            end = text.find("`", index + 1)
            index = length if end == -1 else end + 1
            continue
        index += 1
    return length


# Three levels of parentheses inside $(...) (arithmetic, subshells) cover real


VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


MAX_EXPANDED_LENGTH = 10 * 1024 * 1024
"""GitLab stops expanding a variable once the expansion adds 10 MiB; beyond that
cigen treats the variable as unknown rather than build the text."""
MAX_EXPANSION_DEPTH = 64
"""Variables that name variables that name variables...: deeper than this is unknown."""

Expansions = dict[str, str | None]
"""Variables expanded so far for one lookup function; ``None`` for those that cannot be."""


def expand(text: str, variables: Callable[[str], str | None],
           expansions: Expansions | None = None) -> str:
    """Replace plain ``$VAR``/``${VAR}`` with known values; unknown ones stay as written.

    ``${VAR:-x}``, ``${VAR//a/b}`` and command substitutions are left alone: they
    transform the value, and rules treat them as opaque. A variable whose value
    refers back to itself, nests deeper than :data:`MAX_EXPANSION_DEPTH` or grows
    past :data:`MAX_EXPANDED_LENGTH` cannot be expanded, and neither can any text
    that uses it: that text is returned as written. ``expansions`` keeps the
    values expanded so far, for callers that expand many texts with the same
    ``variables``.
    """
    if "$" not in text:
        return text
    expanded = _Expander(variables, {} if expansions is None else expansions).text(text)
    return text if expanded is None else expanded


class _Undefined:
    __slots__ = ()


_UNDEFINED = _Undefined()


class _Expander:
    __slots__ = ("active", "expansions", "variables")

    def __init__(self, variables: Callable[[str], str | None], expansions: Expansions) -> None:
        self.variables = variables
        self.expansions = expansions
        self.active: list[str] = []

    def value(self, name: str) -> str | _Undefined | None:
        """The expanded value; ``None`` when it cannot be expanded."""
        if name in self.expansions:
            return self.expansions[name]
        if name in self.active:
            # Every variable on the cycle fails, whichever one was asked for first.
            for member in self.active[self.active.index(name):]:
                self.expansions[member] = None
            return None
        raw = self.variables(name)
        if raw is None:
            return _UNDEFINED
        if len(self.active) >= MAX_EXPANSION_DEPTH:
            self.expansions[name] = None
            return None
        self.active.append(name)
        try:
            result = self.text(raw)
        finally:
            self.active.pop()
        return self.expansions.setdefault(name, result)

    def text(self, text: str) -> str | None:
        """``text`` expanded; ``None`` when some variable in it cannot be, or it
        would exceed the length limit."""
        if "$" not in text:
            return text
        pieces: list[str] = []
        size = 0
        end = 0
        for match in VARIABLE.finditer(text):
            value = self.value(match.group(1) or match.group(2))
            if value is None:
                return None
            literal = text[end:match.start()]
            piece = match.group(0) if isinstance(value, _Undefined) else value
            size += len(literal) + len(piece)
            if size > MAX_EXPANDED_LENGTH:
                return None
            pieces += (literal, piece)
            end = match.end()
        if size + len(text) - end > MAX_EXPANDED_LENGTH:
            return None
        pieces.append(text[end:])
        return "".join(pieces)


def _substitution_end(text: str, index: int) -> int:
    """End of the ``$(...)``, ``${...}`` or backtick span starting at ``index``, else -1."""
    if text.startswith("$(", index):
        return _scan_balanced(text, index + 1, "(", ")")
    if text.startswith("${", index):
        return _scan_balanced(text, index + 1, "{", "}")
    if text[index] == "`":
        end = text.find("`", index + 1)
        return len(text) if end == -1 else end + 1
    return -1


def _rewrite_substitutions(text: str, replace: Callable[[str], str],
                           kinds: tuple[str, ...]) -> str:
    pieces = []
    index = 0
    while index < len(text):
        end = _substitution_end(text, index) if text.startswith(kinds, index) else -1
        if end == -1:
            pieces.append(text[index])
            index += 1
        else:
            pieces.append(replace(text[index:end]))
            index = end
    return "".join(pieces)


def strip_substitutions(text: str) -> str:
    """``text`` with each ``$(...)`` and backtick command substitution emptied to ``$()``."""
    if "$(" not in text and "`" not in text:
        return text
    return _rewrite_substitutions(text, lambda _: "$()", ("$(", "`"))


def mask_substitutions(text: str) -> str:
    """``text`` with the inside of ``${...}``, ``$(...)`` and backticks blanked, same length."""
    if "$" not in text and "`" not in text:
        return text
    return _rewrite_substitutions(text, lambda part: part[:2] + "_" * (len(part) - 2),
                                  ("$(", "${", "`"))
