"""A reader for the part of HCL that Docker Bake files are written in.

Bake files (``docker-bake.hcl``) are blocks (``target "app" { ... }``,
``variable "TAG" { ... }``, ``group "default" { ... }``) of attributes whose
values are strings (with ``${...}`` interpolations kept as written), numbers,
booleans, lists and maps. That is all this reader returns, each value with the
line it starts on. Anything else HCL allows there — a function call, a
conditional, a ``for`` expression, a reference to another block, a heredoc —
is read past and stands as :data:`UNKNOWN`, so that nothing guesses its value.

A general HCL parser from PyPI costs seconds to build its grammar (python-hcl2)
or reads only HCL 1 (pyhcl), and neither gives line numbers, which findings
need; this small reader does what Bake files need in well under a millisecond.
Text that is not HCL raises :class:`HclError`.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple


class HclError(ValueError):
    """The text is not HCL this reader can follow."""


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""An expression whose value is not computed here."""


class Value(NamedTuple):
    value: Any
    """A str, int, float, bool, None, list of :class:`Value`, dict of str to
    :class:`Value`, or :data:`UNKNOWN`."""
    line: int


class Block(NamedTuple):
    kind: str
    labels: tuple[str, ...]
    body: Body
    line: int


class Body(NamedTuple):
    attributes: dict[str, Value]
    blocks: list[Block]


_TOKEN = re.compile(r"""
      (?P<space>[ \t\r\n]+)
    | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
    | (?P<heredoc><<-?(?P<tag>[A-Za-z_][A-Za-z0-9_]*)\n)
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    | (?P<string>")
    | (?P<punct>[{}\[\](),=:?.!<>*/%+&|-])
""", re.X | re.S)
_STRING_END = re.compile(r'(?:[^"\\$]|\\.|\$(?!\{)|\$\{(?:[^{}"]|"[^"]*"|\{[^{}]*\})*\})*"', re.S)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int, int]] = []
        self._tokenize()
        self.index = 0

    def _tokenize(self) -> None:
        text, position, line = self.text, 0, 1
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise HclError(f"line {line}: unexpected {text[position]!r}")
            kind = match.lastgroup or ""
            start = position
            position = match.end()
            if kind == "string":
                end = _STRING_END.match(text, position)
                if end is None:
                    raise HclError(f"line {line}: unterminated string")
                position = end.end()
                self.tokens.append(("string", text[start + 1:position - 1], line, start))
            elif kind == "heredoc":
                tag = match.group("tag")
                close = re.compile(rf"^[ \t]*{re.escape(tag)}[ \t]*$", re.M).search(text, position)
                if close is None:
                    raise HclError(f"line {line}: unterminated heredoc")
                position = close.end()
                self.tokens.append(("heredoc", "", line, start))
            elif kind == "tag":
                continue
            elif kind not in ("space", "comment"):
                self.tokens.append((kind, match.group(kind), line, start))
            line += text.count("\n", start, position)

    def peek(self, offset: int = 0) -> tuple[str, str, int, int] | None:
        index = self.index + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> tuple[str, str, int, int]:
        token = self.peek()
        if token is None:
            raise HclError("unexpected end of file")
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token[1] != text or token[0] not in ("punct",):
            raise HclError(f"line {token[2]}: expected {text!r}, found {token[1]!r}")

    def body(self, closing: bool) -> Body:
        attributes: dict[str, Value] = {}
        blocks: list[Block] = []
        while True:
            token = self.peek()
            if token is None:
                if closing:
                    raise HclError("unexpected end of file: a block is not closed")
                return Body(attributes, blocks)
            if closing and token[:2] == ("punct", "}"):
                self.index += 1
                return Body(attributes, blocks)
            kind, text, line, _ = self.take()
            if kind != "name":
                raise HclError(f"line {line}: expected a name, found {text!r}")
            following = self.peek()
            if following is not None and following[:2] == ("punct", "="):
                self.index += 1
                attributes[text] = self.expression()
                continue
            labels = []
            while (label := self.peek()) is not None and label[0] in ("string", "name"):
                labels.append(label[1])
                self.index += 1
            self.expect("{")
            blocks.append(Block(text, tuple(labels), self.body(True), line))

    def expression(self) -> Value:
        start = self.peek()
        if start is None:
            raise HclError("unexpected end of file: an attribute has no value")
        value = self._operand()
        # An operator or a call after the operand makes it an expression not computed here.
        following = self.peek()
        if following is not None and following[0] == "punct" and (
                following[1] in "?.!<>*/%+&|-(["
                or (following[1] == "=" and (after := self.peek(1)) is not None
                and after[1] == "=")):
            self._skip_expression_rest()
            return Value(UNKNOWN, start[2])
        return value

    def _operand(self) -> Value:
        kind, text, line, _ = self.take()
        if kind == "string":
            return Value(text, line)
        if kind == "number":
            return Value(float(text) if any(c in text for c in ".eE") else int(text), line)
        if kind == "heredoc":
            return Value(UNKNOWN, line)
        if kind == "name":
            if text in ("true", "false"):
                return Value(text == "true", line)
            if text == "null":
                return Value(None, line)
            following = self.peek()
            if following is not None and following[:2] == ("punct", "("):
                self._skip_balanced()
            elif text == "for":
                raise HclError(f"line {line}: `for` outside brackets")
            return Value(UNKNOWN, line)
        if (kind, text) == ("punct", "["):
            return self._list(line)
        if (kind, text) == ("punct", "{"):
            return self._map(line)
        if (kind, text) == ("punct", "("):
            self.index -= 1
            self._skip_balanced()
            return Value(UNKNOWN, line)
        if (kind, text) in (("punct", "-"), ("punct", "!")):
            self._operand()
            return Value(UNKNOWN, line)
        raise HclError(f"line {line}: unexpected {text!r}")

    def _list(self, line: int) -> Value:
        following = self.peek()
        if following is not None and following[:2] == ("name", "for"):
            self.index -= 1
            self._skip_balanced()
            return Value(UNKNOWN, line)
        items: list[Value] = []
        while True:
            token = self.peek()
            if token is None:
                raise HclError(f"line {line}: a list is not closed")
            if token[:2] == ("punct", "]"):
                self.index += 1
                return Value(items, line)
            items.append(self.expression())
            token = self.peek()
            if token is not None and token[:2] == ("punct", ","):
                self.index += 1

    def _map(self, line: int) -> Value:
        following = self.peek()
        if following is not None and following[:2] == ("name", "for"):
            self.index -= 1
            self._skip_balanced()
            return Value(UNKNOWN, line)
        entries: dict[str, Value] = {}
        while True:
            token = self.peek()
            if token is None:
                raise HclError(f"line {line}: a map is not closed")
            if token[:2] == ("punct", "}"):
                self.index += 1
                return Value(entries, line)
            kind, key, key_line, _ = self.take()
            if kind not in ("name", "string"):
                raise HclError(f"line {key_line}: expected a key, found {key!r}")
            separator = self.take()
            if separator[1] not in ("=", ":"):
                raise HclError(f"line {separator[2]}: expected '=' after {key!r}")
            entries[key] = self.expression()
            token = self.peek()
            if token is not None and token[:2] == ("punct", ","):
                self.index += 1

    def _skip_balanced(self) -> None:
        """Past a bracketed group that starts at the current token."""
        depth = 0
        while True:
            kind, text, _, _ = self.take()
            if kind == "punct" and text in "([{":
                depth += 1
            elif kind == "punct" and text in ")]}":
                depth -= 1
                if depth == 0:
                    return
            if depth == 0:
                return

    def _skip_expression_rest(self) -> None:
        """Past the rest of an expression: up to the end of its line, outside brackets."""
        start_line = self.tokens[self.index - 1][2] if self.index else 0
        while (token := self.peek()) is not None:
            if token[0] == "punct" and token[1] in "([{":
                self._skip_balanced()
                continue
            if token[0] == "punct" and token[1] in ")]},":
                return
            if token[2] != start_line and token[0] == "name" and (
                    ((after := self.peek(1)) is not None and after[1] in ("=", "{"))
                    or token[1] in ("target", "group", "variable", "function")):
                return
            self.index += 1


def parse_hcl(text: str) -> Body:
    """The top-level body of an HCL file."""
    return _Reader(text).body(False)
