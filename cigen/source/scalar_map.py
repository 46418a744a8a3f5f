"""YAML scalars decoded again from the file, with the source text of every character.

The loader gives a scalar's decoded value and where the whole scalar was
written; an edit of one word inside it needs more: which source characters
each decoded character came from, through escapes (``\\"``, ``\\x41``, an
escaped line break), doubled single quotes, folded line breaks and block
indentation. :func:`map_scalar` re-reads plain, single-quoted, double-quoted,
literal and folded scalars that way; :func:`plain_safe` and
:func:`in_flow_collection` say whether new text can stand in a plain scalar
where it is going.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class ScalarMap(NamedTuple):
    """A decoded scalar and where each of its characters was written.

    ``starts[i]:ends[i]`` is the source text character ``i`` was read from: one
    character when it was copied, the whole of an escape, a doubled quote or
    a folded line break otherwise.
    """

    value: str
    starts: list[int]
    ends: list[int]
    body: int
    """Offset where the scalar's own text starts, after any anchor or tag."""
    indent: int = 0
    """A block scalar's content indentation."""


_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v",
            "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
            "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_PLAIN_START_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
# What a plain scalar cannot start with (`-`, `?` and `:` can, before a non-blank).
_NOT_FIRST = frozenset(",[]{}#&*!|>'\"%@` \t\r\n")
# Characters the loader does not accept in a plain scalar inside a flow
# collection (`[a:b]` and `[a?b]` are errors there, `,` and brackets end it).
_FLOW_INDICATORS = frozenset(",[]{}:?")
# What would end a plain scalar or turn it into a key: `: `, a `:` at a line's
# end, a ` #` comment.
_NOT_PLAIN = re.compile(r":(?=[ \t\r\n]|$)|(?:^|(?<=[ \t\r\n]))#")


def _skip_properties(text: str, index: int, end: int) -> int:
    """Index of a scalar's text after the anchor and tag the loader's mark includes."""
    while index < end and text[index] in "&!":
        while index < end and text[index] not in " \t\r\n":
            index += 1
        while index < end and text[index] in " \t\r\n":
            index += 1
    return index


class _Units:
    """Decoded characters with their source runs, and line folding of flow scalars."""

    __slots__ = ("chars", "ends", "starts", "trimmable")

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.trimmable: list[bool] = []

    def add(self, char: str, start: int, end: int, trimmable: bool = False) -> None:
        self.chars.append(char)
        self.starts.append(start)
        self.ends.append(end)
        self.trimmable.append(trimmable)

    def add_run(self, text: str, start: int, stop: int, trimmable: bool = True) -> None:
        """Characters ``text[start:stop]``, each written as itself (the common case,
        in bulk: a script is thousands of them)."""
        run = text[start:stop]
        self.chars.extend(run)
        self.starts.extend(range(start, stop))
        self.ends.extend(range(start + 1, stop + 1))
        if trimmable:
            self.trimmable.extend(char in " \t" for char in run)
        else:
            self.trimmable.extend([False] * len(run))

    def trim(self) -> None:
        while self.trimmable and self.trimmable[-1]:
            for column in (self.chars, self.starts, self.ends, self.trimmable):
                column.pop()

    def result(self, body: int, indent: int = 0) -> ScalarMap:
        return ScalarMap("".join(self.chars), self.starts, self.ends, body, indent)


def _line_break(text: str, index: int) -> int:
    """Length of the line break at ``index`` (0 when there is none). Like the
    loader, YAML's own breaks: LF, CRLF, CR, NEL, LS and PS."""
    if text.startswith("\r\n", index):
        return 2
    return 1 if index < len(text) and text[index] in _BREAKS else 0


_BREAKS = "\r\n\x85\u2028\u2029"
_LINE_BREAK = re.compile("[\r\n\x85\u2028\u2029]")
# Where a run of characters written as themselves ends, by scalar style.
_SPECIAL = {"": _LINE_BREAK, "'": re.compile("['\r\n\x85\u2028\u2029]"),
            '"': re.compile('["\\\\\r\n\x85\u2028\u2029]')}


def _break_value(text: str, index: int) -> str:
    """What the line break at ``index`` reads as: LF, except that the loader keeps
    LS and PS as themselves."""
    return text[index] if text[index] in "\u2028\u2029" else "\n"


def _fold(text: str, index: int, end: int, units: _Units, escaped: bool) -> int:
    """Fold the line break at ``index`` (and the empty lines after it) the way a
    flow scalar does; returns the index of the next line's first character."""
    start = index
    if not escaped:
        units.trim()
    breaks = []
    while index < end:
        width = _line_break(text, index)
        if not width:
            break
        breaks.append(_break_value(text, index))
        index += width
        while index < end and text[index] in " \t":
            index += 1
    # A break escaped with a backslash is dropped; otherwise a single break reads as a
    # space and each further (empty) line as a newline. An LS or PS first is kept.
    if not escaped and breaks[0] != "\n":
        for value in breaks:
            units.add(value, start, index)
    elif len(breaks) == 1 and not escaped:
        units.add(" ", start, index)
    else:
        for value in breaks[1:]:
            units.add(value, start, index)
    return index


def _flow_scalar(text: str, body: int, end: int, style: str) -> ScalarMap | None:
    units = _Units()
    index = body
    if style:
        if text[index:index + 1] != style:
            return None
        index += 1
    if not style and (body == end or _NOT_PLAIN.search(text, body, end) or text[body] in _NOT_FIRST
                      or (text[body] in "-?:" and text[body + 1:body + 2] in ("", " ", "\t"))):
        return None  # nothing, a key, a comment, an indicator or blanks rather than text
    closed = not style
    while index < end:
        char = text[index]
        if _line_break(text, index):
            index = _fold(text, index, end, units, escaped=False)
            if not style and index >= end:
                return None  # a plain scalar never ends with a line break
        elif style == "'" and char == "'":
            if text.startswith("''", index):
                units.add("'", index, index + 2)
                index += 2
            else:
                closed = index + 1 == end
                break
        elif style == '"' and char == '"':
            closed = index + 1 == end
            break
        elif style == '"' and char == "\\":
            following = text[index + 1:index + 2]
            if _line_break(text, index + 1):
                index = _fold(text, index + 1, end, units, escaped=True)
            elif following in _ESCAPES:
                units.add(_ESCAPES[following], index, index + 2)
                index += 2
            elif following in _HEX_ESCAPES:
                digits = text[index + 2:index + 2 + _HEX_ESCAPES[following]]
                if len(digits) != _HEX_ESCAPES[following] or \
                        any(digit not in "0123456789abcdefABCDEF" for digit in digits):
                    return None
                units.add(chr(int(digits, 16)), index, index + 2 + len(digits))
                index += 2 + len(digits)
            else:
                return None
        else:
            found = _SPECIAL[style].search(text, index + 1, end)
            stop = found.start() if found is not None else end
            units.add_run(text, index, stop)
            index = stop
    if not closed:
        return None
    if not style:
        units.trim()
    return units.result(body)


def _block_scalar(text: str, body: int, end: int, known_indent: int = 0) -> ScalarMap | None:
    """A literal or folded block scalar, following the loader's own algorithm
    (``known_indent`` stands in for an indentation indicator)."""
    header_end = next((index for index in range(body, end) if _line_break(text, index)), -1)
    if header_end == -1:
        return None
    header = text[body:header_end].split("#", 1)[0].strip()
    indicators = header[1:]
    if any(char.isdigit() for char in indicators) or len(indicators) > 1:
        return None  # an explicit indentation is measured from the parent; not worth guessing
    literal = header[0] == "|"
    chomping = {"-": -1, "+": 1}.get(indicators, 0)
    units = _Units()
    leading_break: list[tuple[int, int]] = []
    trailing_breaks: list[tuple[int, int]] = []
    leading_blank = False
    indent = known_indent
    index = header_end + _line_break(text, header_end)

    def scan_breaks() -> bool:
        nonlocal index, indent
        while True:
            line_start = index
            stop = min(end, line_start + indent) if indent else end
            while index < stop and text[index] == " ":
                index += 1
            if not indent and index - line_start > max_indent[0]:
                max_indent[0] = index - line_start
            if index < end and text[index] == "\t" and (not indent or index - line_start < indent):
                return False  # the loader rejects a tab where it measures indentation
            width = _line_break(text, index) if index < end else 0
            if not width:
                break
            trailing_breaks.append((index, index + width))
            index += width
        if not indent:
            indent = max(max_indent[0], 1)
        return True

    max_indent = [0]
    if not scan_breaks():
        return None
    while index < end and _column(text, index) == indent:
        trailing_blank = text[index] in " \t"
        if not literal and leading_break and not leading_blank and not trailing_blank \
                and _break_value(text, leading_break[0][0]) == "\n":
            if not trailing_breaks:
                units.add(" ", *leading_break[0])
        else:
            for start, stop in leading_break:
                units.add(_break_value(text, start), start, stop)
        leading_break.clear()
        for start, stop in trailing_breaks:
            units.add(_break_value(text, start), start, stop)
        trailing_breaks.clear()
        leading_blank = trailing_blank
        found = _LINE_BREAK.search(text, index, end)
        stop = found.start() if found is not None else end
        units.add_run(text, index, stop, trimmable=False)
        index = stop
        if index >= end:
            break
        width = _line_break(text, index)
        leading_break.append((index, index + width))
        index += width
        if not scan_breaks():
            return None
    if index < end and text[index:end].strip():
        return None
    if chomping != -1:
        for start, stop in leading_break:
            units.add(_break_value(text, start), start, stop)
    if chomping == 1:
        for start, stop in trailing_breaks:
            units.add(_break_value(text, start), start, stop)
    return units.result(body, indent)


def _column(text: str, index: int) -> int:
    return index - max(text.rfind(char, 0, index) for char in _BREAKS) - 1


def map_scalar(text: str, start: int, end: int, style: str,
               indent: int = 0) -> ScalarMap | None:
    """Decode the scalar written in ``text[start:end]`` (its loader marks) with the
    source run of every character, or ``None`` for a form this does not decode.
    ``indent`` gives a block scalar's indentation instead of detecting it."""
    body = _skip_properties(text, start, end)
    if style in ("|", ">"):
        if text[body:body + 1] != style:
            return None
        return _block_scalar(text, body, end, indent)
    if style not in ("", "'", '"'):
        return None
    return _flow_scalar(text, body, end, style)


def plain_safe(in_flow: bool, new: str, at_start: bool) -> bool:
    """``new`` can go into a plain scalar (``in_flow``: one inside a flow
    collection) without turning it into another scalar style or ending it (the
    decoding that follows catches keys and comments)."""
    if at_start and new[:1] in _PLAIN_START_INDICATORS:
        return False
    return not (in_flow and _FLOW_INDICATORS.intersection(new))


def in_flow_collection(text: str, start: int, end: int) -> bool:
    """Whether the plain scalar at ``text[start:end]`` is inside a flow collection
    (``[...]``, ``{...}``); ``True`` when that cannot be told."""
    before = start - 1
    while before >= 0 and text[before] in " \t":
        before -= 1
    after = end
    while after < len(text) and text[after] in " \t":
        after += 1
    previous = text[before] if before >= 0 else "\n"
    if previous in "[{," or text[after:after + 1] in (",", "]", "}"):
        return True
    if previous in "-?":
        return False  # a block entry or key: `- ` is an error inside a flow collection
    # After a `:` or at a line's start it could be either: ask the parser, from
    # the top-level entry the scalar belongs to.
    top = start
    while top > 0:
        top = text.rfind("\n", 0, top - 1) + 1
        if text[top:top + 1] not in ("", " ", "\t", "#", "\n", "\r"):
            break
    if "[" not in text[top:start] and "{" not in text[top:start]:
        return False  # no flow collection can have been opened before it
    line_end = text.find("\n", end)
    fragment = text[top:len(text) if line_end == -1 else line_end]
    line = text.count("\n", top, start)
    column = start - (text.rfind("\n", 0, start) + 1)
    import yaml
    from yaml import events as ev

    # libyaml's own reading (the loader cigen reads pipelines with), already imported.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth: list[bool] = []
    try:
        for event in yaml.parse(fragment, Loader=loader):
            mark = event.start_mark
            if isinstance(event, ev.ScalarEvent) and (mark.line, mark.column) == (line, column):
                return any(depth)
            if isinstance(event, ev.CollectionStartEvent):
                depth.append(bool(event.flow_style))
            elif isinstance(event, ev.CollectionEndEvent) and depth:
                depth.pop()
    except Exception:  # a fragment cut short may not parse to its end
        return True
    return True
