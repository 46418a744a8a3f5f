"""Script lines read as shell commands, each with the file position it came from.

GitLab runs ``before_script``/``script``/``after_script`` through a POSIX
shell, so rules match parsed arguments (``docker login -p X``) rather than
substrings. The tokenizer here is small and hand-written on purpose: ``shlex``
does not understand ``$(...)``, backticks, ``${...}``, comments after
commands, or operators glued to words, and the available full bash parsers are
unmaintained and reject much real-world CI shell. It handles quoting,
continuations, ``&&``/``||``/``;``/``|``/``&``, ``if``/``then``/``else``/``fi``
guards and common command wrappers (``sudo``, ``exec``, ``time``, ``env``).

Each :class:`Command` knows the conditions it runs under (enclosing ``if``
tests and the preceding commands of an ``&&``/``||`` chain), its leading
``VAR=value`` assignments, and a :class:`~cigen.source.positions.Span` at the line of
the file where its first word was written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from cigen.source.positions import Span
from cigen.source.scalar_map import ScalarMap, in_flow_collection, map_scalar, plain_safe
from cigen.source.text import SourceText

KEYWORDS_BEFORE_COMMAND = frozenset({"then", "do", "else", "{", "!", "(", "time"})
WRAPPERS = frozenset({"sudo", "exec", "command", "nohup", "eval", "xargs"})
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


class Word(NamedTuple):
    text: str
    """The word with quotes removed and escapes applied; ``$VAR`` stays as written."""
    raw: str
    offset: int
    """Character offset of the word in the script text."""


class Command:
    __slots__ = ("assignments", "conditions", "first", "locator", "piped_from", "section", "start",
                 "text", "words")

    words: list[Word]
    assignments: dict[str, str]
    conditions: list[str]
    """Enclosing ``if`` tests and earlier commands of the ``&&``/``||`` chain."""
    locator: Locator
    first: Word
    """The word the command starts with, for its position."""
    section: str
    text: str
    piped_from: str
    """Text of the command piping into this one (``echo "$P" | docker login``)."""
    start: Word | None
    """The simple command's first word, before assignments and wrappers (``sudo``)."""

    def __init__(self, words: list[Word], assignments: dict[str, str], conditions: list[str],
                 locator: Locator, first: Word, section: str = "", text: str = "",
                 piped_from: str = "", start: Word | None = None) -> None:
        self.words = words
        self.assignments = assignments
        self.conditions = conditions
        self.locator = locator
        self.first = first
        self.section = section
        self.text = text
        self.piped_from = piped_from
        self.start = start

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


def _scan_balanced(text: str, index: int, opener: str, closer: str) -> int:
    """Index just after the ``closer`` matching the ``opener`` at ``index``."""
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
    return length


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
# CI scripts; deeper nesting still tokenizes, only less precisely.
_PARENS = r"\([^()]*\)"
for _ in range(2):
    _PARENS = rf"\((?:[^()]|{_PARENS})*\)"
_SUBSTITUTION = rf"""\$\((?:[^()'"]|'[^']*'|"(?:\\.|[^"\\])*"|{_PARENS})*\)"""
_DOUBLE_QUOTED = rf""""(?:[^"\\$`]|\\.|{_SUBSTITUTION}|`[^`]*`|\$)*(?:"|$)"""
_WORD_PIECES = rf"""[^\s;&|()'"\\$`]+|'[^']*(?:'|$)|{_DOUBLE_QUOTED}|\\.|\\$|{_SUBSTITUTION}
    |\$\{{[^}}]*\}}|\$|`[^`]*(?:`|$)|(?<=[<>])&|&>"""
_TOKEN = re.compile(rf"""(?P<blank>[ \t\r]+|\\\n)|(?P<comment>\#[^\n]*)
    |(?P<op>&&|\|\||;;|[;|\n()]|&(?!>))|(?P<word>(?:{_WORD_PIECES})+)|(?P<other>.)""",
                    re.X | re.S)
_PIECE = re.compile(rf"""'(?P<single>[^']*)'?|"(?P<double>(?:[^"\\$`]|\\.|{_SUBSTITUTION}
    |`[^`]*`|\$)*)"?|\\(?P<escaped>.)|(?P<verbatim>{_SUBSTITUTION}|\$\{{[^}}]*\}}|`[^`]*`?)
    |(?P<plain>[^'"\\$`]+|.)""", re.X | re.S)


def _unquote(raw: str) -> str:
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


def tokenize(text: str) -> list[Word | str]:
    """Words and operators (as plain strings) of a script text."""
    tokens: list[Word | str] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "word":
            raw = match.group()
            tokens.append(Word(_unquote(raw), raw, match.start()))
        elif kind == "op":
            tokens.append(match.group())
    return tokens


_DOUBLE_QUOTE_ESCAPE = re.compile(r'\\([\\"$`])')


# How many characters of context an edit is checked with, at least, on each side.
_WINDOW = 16


class Locator:
    """Maps character offsets inside one script value back to file positions.

    The scalar is decoded again from the file with the source run of every
    character (see :func:`map_scalar`), so a word is found exactly, across
    escapes, doubled quotes, folded lines and block indentation. Only if that
    decoding does not give the loaded value (a form it does not know) does it
    fall back to estimates: column arithmetic on one line, the same source line
    in a literal block, the n-th occurrence of the word elsewhere. Edits only
    ever use the exact mapping.
    """

    def __init__(self, value: str, span: Span, source: SourceText | None) -> None:
        self.value = value
        self.span = span
        self.source = source
        self._raw: str | None = None
        self._raw_start = 0
        self._map: ScalarMap | None = None
        self._mapped = False
        self._flow: bool | None = None

    def scalar_map(self) -> ScalarMap | None:
        """The exact mapping of the value, or ``None`` if it cannot be trusted."""
        if not self._mapped:
            self._mapped = True
            if self.source is not None:
                start, end = self._offsets()
                found = map_scalar(self.source.text, start, end, self.span.style)
                if found is not None and found.value == self.value:
                    self._map = found
        return self._map

    def _offsets(self) -> tuple[int, int]:
        assert self.source is not None
        return (self.source.offset(self.span.line, self.span.column),
                self.source.offset(self.span.end_line, self.span.end_column))

    def locate(self, offset: int, word: str) -> Span:
        mapped = self.scalar_map()
        if mapped is not None and word and offset >= 0 and offset + len(word) <= len(mapped.value):
            assert self.source is not None
            line, column = self.source.position(mapped.starts[offset])
            end_line, end_column = self.source.position(mapped.ends[offset + len(word) - 1])
            return Span(self.span.path, line, column, end_line, end_column, self.span.style)
        span = self.span
        block = span.style in ("|", ">")
        if self.source is None or (not block and span.end_line == span.line):
            shift = 1 if span.style in ("'", '"') else 0
            column = span.column + shift + offset
            return Span(span.path, span.line, column, span.line, column + len(word), span.style)
        if span.style == "|":
            return self._locate_literal(offset, word)
        return self._locate_by_search(offset, word)

    def replace(self, offset: int, length: int, new: str, *, after: bool = False,
                spanning: bool = False) -> tuple[int, int] | None:
        """Source offsets to write ``new`` at so that the value's characters
        ``[offset, offset + length)`` become ``new`` and nothing else changes.

        ``None`` when those characters are not written as themselves (an escape,
        a folded line break), or when ``new`` written there would read back as
        something else (a quote, an escape, ``: `` in a plain scalar...). For an
        insertion (``length`` 0), ``after`` places it right after the character
        before ``offset`` rather than right before the one at it. With
        ``spanning`` only the first and last characters must be written as
        themselves: what lies between (the blanks, continuations or folded
        lines separating two words) goes with them.
        """
        mapped = self.scalar_map()
        if mapped is None or self.source is None or "\n" in new or "\r" in new:
            return None
        value, text = mapped.value, self.source.text
        if offset < 0 or offset + length > len(value) or (not length and not value):
            return None
        starts, ends = mapped.starts, mapped.ends
        checked = (offset, offset + length - 1) if spanning and length else \
            range(offset, offset + length)
        for index in checked:
            copied = ends[index] == starts[index] + 1 and text[starts[index]] == value[index] \
                and value[index] not in "\r\n"
            if not copied or (not spanning and index > offset
                              and starts[index] != ends[index - 1]):
                return None
        if length:
            start, end = mapped.starts[offset], mapped.ends[offset + length - 1]
        elif after and offset > 0:
            start = end = mapped.ends[offset - 1]
            if text[start - 1] != value[offset - 1]:
                return None
        elif not after and offset < len(value):
            start = end = mapped.starts[offset]
            if text[start] != value[offset]:
                return None
        else:
            return None
        if self.span.style == "" and not plain_safe(self._in_flow(), new,
                                                      start == mapped.body):
            return None
        if (self.span.style == '"' and ('"' in new or "\\" in new)) \
                or (self.span.style == "'" and "'" in new):
            return None  # it would end the string or read as an escape
        return (start, end) if self._reads_back(mapped, offset, length, start, end, new, after) \
            else None

    def _in_flow(self) -> bool:
        assert self.source is not None
        if self._flow is None:
            self._flow = in_flow_collection(self.source.text, *self._offsets())
        return self._flow

    def _reads_back(self, mapped: ScalarMap, offset: int, length: int, start: int, end: int,
                    new: str, after: bool) -> bool:
        """Whether the scalar with ``text[start:end]`` (its characters ``[offset,
        offset + length)``) replaced by ``new`` reads as its value with the same
        characters replaced.

        New text holds no line break, so it can only change its own line and
        how that joins its neighbours. A window around the edit is decoded
        before and after it, in the same style (a quote or a block header
        stands in for what is left out), and compared: from a letter or digit
        a little before the edit on the same line, else from the line before,
        to a letter or digit a little after it, else to the end of the line
        after. That keeps the check cheap however long the script is.
        """
        assert self.source is not None
        text, style = self.source.text, self.span.style
        scalar_end = self._offsets()[1]
        block = style in ("|", ">")
        first = self._anchor(mapped, range(offset - _WINDOW, max(offset - 4 * _WINDOW, 0) - 1, -1),
                             start, before=True)
        # A block's indentation is found on its first line, and its chomping
        # applies at its end: a window that holds either keeps them as they are.
        indent = mapped.indent
        header_end = text.find("\n", mapped.body, scalar_end) + 1 if block else 0
        if first is not None:
            prefix = f"{style}+\n" + " " * indent if block else style
        else:
            first = text.rfind("\n", 0, max(text.rfind("\n", 0, start), 0)) + 1
            if block:
                if first <= header_end:
                    first, indent = header_end, 0
                prefix = f"{style}+\n"
            elif first <= mapped.body:
                first, prefix = mapped.body, ""
            else:
                while text[first] in " \t":
                    first += 1
                prefix = style
        last = self._anchor(mapped, range(offset + length + _WINDOW,
                                          min(offset + length + 4 * _WINDOW, len(mapped.value))),
                            end, before=False)
        if last is None:
            line_end = text.find("\n", end, scalar_end)
            last = -1 if line_end == -1 else text.find("\n", line_end + 1, scalar_end)
            last = scalar_end if last == -1 else last
        suffix = "" if block or last == scalar_end else style
        if block and last == scalar_end:
            chomping = text[mapped.body + 1:mapped.body + 2]
            prefix = prefix.replace("+", chomping if chomping in ("-", "+") else "", 1)
        if last - first > 64 * _WINDOW:
            return False  # lines this long around an edit are not worth decoding each time
        before_text = prefix + text[first:last] + suffix
        shift = len(prefix) - first
        after_text = prefix + text[first:start] + new + text[end:last] + suffix
        before = map_scalar(before_text, 0, len(before_text), style, indent)
        edited = map_scalar(after_text, 0, len(after_text), style, indent)
        if before is None or edited is None:
            return False
        if start == end:
            positions = before.ends if after else before.starts
            index = positions.index(start + shift) + after if start + shift in positions else -1
            stop = index
        else:
            index = before.starts.index(start + shift) if start + shift in before.starts else -1
            stop = before.ends.index(end + shift) + 1 if end + shift in before.ends else -1
        if index < 0 or stop < index:
            return False
        return edited.value == before.value[:index] + new + before.value[stop:]

    def _anchor(self, mapped: ScalarMap, indexes: range, edge: int, *, before: bool) -> int | None:
        """Source offset of a window boundary: just before (or after) a letter or
        digit written as itself on the same line as ``edge``, among ``indexes``."""
        assert self.source is not None
        text = self.source.text
        for index in indexes:
            at = mapped.starts[index]
            if mapped.ends[index] != at + 1 or not text[at].isalnum() \
                    or text[at] != mapped.value[index]:
                continue
            low, high = (at, edge) if before else (edge, at)
            if text.find("\n", low, high) != -1:
                return None
            return at if before else at + 1
        return None

    def _found(self, line: int, column: int, word: str) -> Span:
        return Span(self.span.path, line, column, line, column + len(word), self.span.style)

    def _locate_literal(self, offset: int, word: str) -> Span:
        assert self.source is not None
        line_start = self.value.rfind("\n", 0, offset) + 1
        # The block's content starts on the line after its `|` header.
        line = self.span.line + 1 + self.value.count("\n", 0, offset)
        text = self.source.line_text(line)
        occurrence = self.value.count(word, line_start, offset) if word else 0
        found = -1
        for _ in range(occurrence + 1):
            found = text.find(word, found + 1)
            if found == -1:
                return self._found(line, len(text) - len(text.lstrip()) + 1, word)
        return self._found(line, found + 1, word)

    def _locate_by_search(self, offset: int, word: str) -> Span:
        assert self.source is not None
        if self._raw is None:
            start_line, start_column = self.span.line, self.span.column
            if self.span.style == ">":  # skip the header (`>-  # comment`)
                start_line, start_column = start_line + 1, 1
            self._raw_start = self.source.offset(start_line, start_column)
            end = self.source.offset(self.span.end_line, self.span.end_column)
            self._raw = self.source.text[self._raw_start:end]
        if not word:
            return self.span
        occurrence = self.value.count(word, 0, offset)
        found = -1
        for _ in range(occurrence + 1):
            found = self._raw.find(word, found + 1)
            if found == -1:
                return self.span
        line, column = self.source.position(self._raw_start + found)
        return self._found(line, column, word)


class _State:
    """Shell state carried across the script lines of one job."""

    __slots__ = ("if_stack",)

    if_stack: list[str]

    def __init__(self, if_stack: list[str] | None = None) -> None:
        self.if_stack = [] if if_stack is None else if_stack


def parse_script(value: str, span: Span, source: SourceText | None, section: str = "",
                 state: _State | None = None) -> list[Command]:
    """Commands of one script item, located in the file."""
    state = state or _State()
    locator = Locator(value, span, source)
    commands: list[Command] = []
    chain: list[str] = []
    current: list[Word] = []
    piped_from = ""

    def finish(next_operator: str) -> None:
        nonlocal piped_from
        command = _build(current, state, locator, section, chain)
        current.clear()
        if command is not None:
            command.piped_from = piped_from
            commands.append(command)
            text = command.text
        else:
            text = ""
        piped_from = text if next_operator == "|" else ""
        if next_operator in ("&&", "||"):
            if text:
                chain.append(text)
        elif next_operator != "|":
            chain.clear()

    for token in tokenize(value):
        if isinstance(token, str) and token not in ("(", ")"):
            finish(token)
        elif isinstance(token, str):
            continue
        else:
            current.append(token)
    finish("")
    return commands


def _build(words: list[Word], state: _State, locator: Locator, section: str,
           chain: list[str]) -> Command | None:
    first = words[0] if words else None
    # Leading keywords: `then docker push`, `else`, `do`.
    while words and words[0].text in KEYWORDS_BEFORE_COMMAND:
        words = words[1:]
    if not words or first is None:
        return None
    head = words[0].text
    text = " ".join(word.raw for word in words)
    if head in ("if", "elif", "while", "until"):
        condition = " ".join(word.raw for word in words[1:])
        if head == "if":
            state.if_stack.append(condition)
        elif head == "elif" and state.if_stack:
            state.if_stack[-1] = f"{state.if_stack[-1]} / elif {condition}"
        if len(words) == 1:
            return None
        return Command(words[1:], {}, list(state.if_stack), locator, words[0], section,
                       text=condition)
    if head in ("fi", "done", "esac", "}"):
        if head == "fi" and state.if_stack:
            state.if_stack.pop()
        return None
    assignments: dict[str, str] = {}
    if head in ("export", "local", "readonly"):
        for word in words[1:]:
            match = _ASSIGNMENT.match(word.text)
            if match:
                assignments[match.group(1)] = match.group(2)
        return Command([], assignments, list(state.if_stack), locator, words[0], section,
                       text=text)
    index = 0
    while index < len(words):
        match = _ASSIGNMENT.match(words[index].text)
        if not match:
            break
        assignments[match.group(1)] = match.group(2)
        index += 1
    start = words[0]
    words = _strip_wrappers(words[index:])
    if not words:
        if not assignments:
            return None
        return Command([], assignments, list(state.if_stack), locator, first, section,
                       text=text)
    return Command(words, assignments, state.if_stack + chain, locator, words[0], section,
                   text=text, start=start)


def _strip_wrappers(words: list[Word]) -> list[Word]:
    while words:
        head = words[0].text
        if head in WRAPPERS or head == "time":
            words = words[1:]
            # Drop the wrapper's own options (`sudo -E`, `xargs -n1`).
            while words and words[0].text.startswith("-"):
                words = words[1:]
        elif head == "env":
            words = words[1:]
            while words and (_ASSIGNMENT.match(words[0].text) or words[0].text.startswith("-")):
                words = words[1:]
        elif head == "timeout" and len(words) > 1:
            words = words[1:]
            while words and (words[0].text.startswith("-") or words[0].text[:1].isdigit()):
                words = words[1:]
        else:
            break
    return words


ParseCache = dict[tuple[str, str, Span, tuple[str, ...]], tuple[list[Command], tuple[str, ...]]]


def parse_sections(sections: Iterable[tuple[str, str, Span]],
                   source_for: Callable[[str], SourceText | None],
                   cache: ParseCache | None = None) -> list[Command]:
    """Commands of a job's script items, in order, sharing ``if``/``fi`` state.

    ``cache`` lets jobs that inherit the same script lines from one template
    share the parsed commands.
    """
    state = _State()
    commands: list[Command] = []
    for section, value, span in sections:
        key = (section, value, span, tuple(state.if_stack))
        cached = cache.get(key) if cache is not None else None
        if cached is None:
            parsed = parse_script(value, span, source_for(span.path), section, state)
            if cache is not None:
                cache[key] = (parsed, tuple(state.if_stack))
        else:
            parsed, if_stack = cached
            state.if_stack = list(if_stack)
        commands.extend(parsed)
    return commands


# `$NAME` or `${NAME}`: the name is group 1 or group 2.
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
