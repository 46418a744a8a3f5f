"""GitLab's CI/CD variable expressions (`rules: if:`), judged on what is known.

An expression compares variables with strings, ``null``, other variables or
regular expressions (``==``, ``!=``, ``=~``, ``!~``), tests a variable on its
own (defined and not empty), and joins tests with ``&&`` (binding tighter)
and ``||`` and parentheses, as the "CI/CD variable expressions" section of
GitLab's `rules` docs describes. Offline, most variables (the branch, the
pipeline source) are unknown: every value here is a string, ``None`` (not
defined) or :data:`UNKNOWN`, and so is the result — ``True``, ``False`` or
``UNKNOWN`` (three-valued logic: ``False && x`` is false whatever ``x`` is).
Text that is not a valid expression is ``UNKNOWN`` too, never a guess.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
"""A value or a verdict that cannot be known without running the pipeline."""

Value = str | None | _Unknown
Verdict = bool | _Unknown
Lookup = Callable[[str], Value]

_TOKEN_PATTERN = (r"""
    \s*(?:
      (?P<variable>\$\{?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}?)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)
    | (?P<operator>==|!=|=~|!~|&&|\|\|)
    | (?P<paren>[()])
    | (?P<null>null)\b
    )""")


@functools.cache  # compiled on first use: most pipelines have no `include: rules: if:`
def _token() -> re.Pattern[str]:
    return re.compile(_TOKEN_PATTERN, re.X)


class _Syntax(Exception):
    """The text is not an expression this reader understands."""


def evaluate(expression: str, lookup: Lookup) -> Verdict:
    """The truth of ``expression`` with variables from ``lookup``, or :data:`UNKNOWN`."""
    try:
        tokens = _tokens(expression)
        parser = _Parser(tokens, lookup)
        verdict = parser.disjunction()
        if parser.position != len(tokens):
            raise _Syntax
    except _Syntax:
        return UNKNOWN
    return verdict


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _token().match(stripped, position)
        if match is None or match.end() == position:
            raise _Syntax
        kind = match.lastgroup if match.lastgroup != "name" else "variable"
        if kind == "variable":
            tokens.append(("variable", match.group("name")))
        else:
            assert kind is not None
            tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], lookup: Lookup) -> None:
        self.tokens = tokens
        self.position = 0
        self.lookup = lookup

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise _Syntax
        self.position += 1
        return token

    def disjunction(self) -> Verdict:
        verdict = self.conjunction()
        while self._peek() == ("operator", "||"):
            self._take()
            verdict = _or(verdict, self.conjunction())
        return verdict

    def conjunction(self) -> Verdict:
        verdict = self.test()
        while self._peek() == ("operator", "&&"):
            self._take()
            verdict = _and(verdict, self.test())
        return verdict

    def test(self) -> Verdict:
        if self._peek() == ("paren", "("):
            self._take()
            verdict = self.disjunction()
            if self._take() != ("paren", ")"):
                raise _Syntax
            return verdict
        left = self._operand()
        following = self._peek()
        if following is None or following[0] != "operator" or following[1] in ("&&", "||"):
            if isinstance(left, _Regex):
                raise _Syntax
            return _present(left)
        operator = self._take()[1]
        right = self._operand()
        if operator in ("==", "!="):
            if isinstance(left, _Regex) or isinstance(right, _Regex):
                raise _Syntax
            equal = _equal(left, right)
            return equal if operator == "==" or equal is UNKNOWN else not equal
        matched = _matches(left, right)
        return matched if operator == "=~" or matched is UNKNOWN else not matched

    def _operand(self) -> Value | _Regex:
        kind, text = self._take()
        if kind == "variable":
            return self.lookup(text)
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "null":
            return None
        if kind == "regex":
            return _Regex(text)
        raise _Syntax


class _Regex:
    __slots__ = ("flags", "pattern")

    def __init__(self, literal: str) -> None:
        end = literal.rindex("/")
        self.pattern = literal[1:end]
        self.flags = literal[end + 1:]


def _present(value: Value | _Regex) -> Verdict:
    if isinstance(value, _Unknown):
        return UNKNOWN
    return bool(value)


def _equal(left: Value, right: Value) -> Verdict:
    if isinstance(left, _Unknown) or isinstance(right, _Unknown):
        return UNKNOWN
    return left == right


def _matches(subject: Value | _Regex, pattern: Value | _Regex) -> Verdict:
    if isinstance(subject, _Unknown) or isinstance(pattern, _Unknown):
        return UNKNOWN
    if isinstance(subject, _Regex):
        raise _Syntax
    if isinstance(pattern, str):  # a variable holding `/regex/`
        if not re.fullmatch(r"/.*/[a-z]*", pattern, re.S):
            return UNKNOWN
        pattern = _Regex(pattern)
    if pattern is None or set(pattern.flags) - {"i"}:
        return UNKNOWN
    if subject is None:
        return False
    flags = re.IGNORECASE if "i" in pattern.flags else 0
    try:
        # GitLab matches with RE2; a pattern Python reads differently is not judged.
        return re.search(pattern.pattern, subject, flags) is not None
    except re.error:
        return UNKNOWN


def all_of(*verdicts: Verdict) -> Verdict:
    """``True`` when every verdict is, ``False`` when any is, else :data:`UNKNOWN`."""
    result: Verdict = True
    for verdict in verdicts:
        result = _and(result, verdict)
    return result


def _and(left: Verdict, right: Verdict) -> Verdict:
    if left is False or right is False:
        return False
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    return True


def _or(left: Verdict, right: Verdict) -> Verdict:
    if left is True or right is True:
        return True
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    return False
