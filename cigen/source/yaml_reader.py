"""Reading YAML files into positioned values, within GitLab's limits.

This module owns the step from checked text (:mod:`cigen.source.text`) to
:mod:`cigen.source.positions` values. It builds the values from libyaml's
event stream (libyaml, the parser inside GitLab's Ruby, through PyYAML) with
an explicit stack instead of a recursive composer: a composer recurses once
per nesting level and crashes the interpreter on absurdly nested input, and libyaml's
scanner slows down quadratically on deep flow nesting, so the depth limit must
stop the parse as soon as it is crossed. Building from events also lets the
loader apply YAML 1.1 scalar typing (what GitLab's Ruby parser uses), merge
keys, ``!reference`` tags and duplicate-key detection in one pass, and count
the size an alias-laden document would expand to (the "billion laughs" guard).
It also finds the comments of a YAML text from the scanner's tokens
(:func:`yaml_comments`), so that no ``#`` inside a scalar is taken for one.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

from cigen.source.positions import Reference, Span, YMap, YSeq
from cigen.source.text import LoadError, Problem, SourceText, strip_line_breaks

MAX_DEPTH = 100
MAX_EXPANDED_NODES = 500_000


class LoadedYaml:
    __slots__ = ("data", "document_span", "header", "needs_resolution", "problems", "source")

    source: SourceText
    data: Any
    problems: list[Problem]
    document_span: Span | None
    """Where the configuration's top-level value was written."""
    needs_resolution: bool
    """It has `!reference` tags or lists inside lists, which resolution rewrites."""

    def __init__(self, source: SourceText, data: Any, problems: list[Problem] | None = None,
                 document_span: Span | None = None, needs_resolution: bool = False,
                 header: YMap | None = None) -> None:
        self.source = source
        self.data = data
        self.header = header
        """The `spec:` document before the configuration, when the file has one."""
        self.problems = [] if problems is None else problems
        self.document_span = document_span
        self.needs_resolution = needs_resolution


# YAML 1.1 plain-scalar typing, as GitLab's Ruby (Psych) parser applies it.
# Single-letter y/n are booleans only in the YAML 1.1 spec; Psych keeps them strings.
_KEYWORDS: dict[str, Any] = {
    **dict.fromkeys(("~", "null", "Null", "NULL", ""), None),
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
_NUMBER_START = frozenset("0123456789+-.")
_BOOL_TRUE = re.compile(r"^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$")
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*|0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]+)$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?$"
                    r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$")
_STR_TAG = "tag:yaml.org,2002:str"


def _plain_scalar(text: str) -> Any:
    if text in _KEYWORDS:
        return _KEYWORDS[text]
    if not text or text[0] not in _NUMBER_START:
        return text
    if _INT.match(text):
        digits = text.replace("_", "")
        body = digits.lstrip("+-")
        octal = len(body) > 1 and body[0] == "0" and body[1] not in "xb"
        number = _integer(body, 8 if octal else 0)
        if number is None:
            return text
        return -number if digits.startswith("-") else number
    if _FLOAT.match(text) and text not in (".", "-.", "+."):
        return _float(text)
    return text


def _float(text: str) -> Any:
    """A YAML 1.1 float (``1_000.5``, ``.inf``, ``-.Inf``, ``.NaN``), or the text."""
    if text.lstrip("+-").lower() in (".inf", ".nan"):  # Python spells them inf, nan
        text = text.replace(".", "", 1)
    try:
        return float(text.replace("_", ""))
    except ValueError:
        return text


def _integer(digits: str, base: int) -> int | None:
    """``int(digits, base)``, or ``None`` where Psych keeps the text as a string.

    Psych reads an integer with Ruby's ``Integer()``, which rejects a prefix without
    digits (``0x_``, ``0b_``): the scalar stays a string. Ruby has no size limit;
    Python refuses to read or print more than ``sys.get_int_max_str_digits()``
    decimal digits, and GitLab only ever uses such a number as text, so a number
    that long stays a string too.
    """
    try:
        number = int(digits, base)
    except ValueError:
        return None
    limit = sys.get_int_max_str_digits()
    # A number of n bits has at most n * log10(2) + 1 decimal digits.
    if limit and number.bit_length() * 0.30103 + 1 >= limit:
        return None
    return number


def _scalar_value(value: str, tag: str | None, plain: bool) -> Any:
    if tag in (None, "!") or not tag:
        return _plain_scalar(value) if plain else value
    if tag == _STR_TAG or tag == "!!str":
        return value
    if tag.endswith(":int"):
        number = _integer(value.replace("_", ""), 0)
        return value if number is None else number
    if tag.endswith(":bool"):
        return _BOOL_TRUE.match(value) is not None
    if tag.endswith(":null"):
        return None
    if tag.endswith(":float"):
        return _float(value)
    # Unknown local tags are kept as their plain value, as GitLab's parser does.
    return _plain_scalar(value) if plain else value


class _Frame:
    """A mapping or sequence being built from events.

    ``entries`` is flat: value, span, value, span, ... (for a mapping the
    values alternate between keys and values).
    """

    __slots__ = ("anchor", "entries", "expanded_at_start", "height", "is_map", "start", "tag")

    def __init__(self, is_map: bool, anchor: str | None, tag: str | None, start: Any,
                 expanded: int) -> None:
        self.is_map = is_map
        self.anchor = anchor
        self.tag = tag
        self.start = start
        self.entries: list[Any] = []
        self.height = 1
        self.expanded_at_start = expanded


def _span(path: str, start: Any, end: Any, style: str = "") -> Span:
    return Span(path, start.line + 1, start.column + 1, end.line + 1, end.column + 1, style)


def _too_big(span: Span) -> LoadError:
    return LoadError(Problem(
        "invalid-syntax",
        f"the parsed YAML is too big: it expands to more than {MAX_EXPANDED_NODES:,} values "
        "(aliases of aliases?)", span))


def _too_deep(span: Span) -> LoadError:
    return LoadError(Problem("invalid-syntax",
                             f"nesting deeper than GitLab's limit of {MAX_DEPTH} levels", span))


def _load_error(source: SourceText, error: Exception) -> LoadError:
    line, column = _error_position(source, error)
    problem = getattr(error, "problem", None) or str(error).partition("\n")[0]
    if "maximum nesting depth" in problem:
        # libyaml's own guard (1000 levels) can fire while scanning ahead, before the
        # events that cross GitLab's far lower limit arrive: the same problem.
        return _too_deep(Span(source.path, line, column, line, column))
    context = getattr(error, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return LoadError(Problem("invalid-syntax", message,
                             Span(source.path, line, column, line, column)))


def _error_position(source: SourceText, error: Exception) -> tuple[int, int]:
    """Where a scanner, parser or reader error is, on a line the file has."""
    text = source.text
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    offset: int | None = getattr(mark, "index", None)
    position = getattr(error, "position", None)  # a reader error: a UTF-8 byte offset
    if offset is None and mark is None and isinstance(position, int):
        offset = len(text.encode("utf-8")[:position].decode("utf-8", "ignore"))
    if offset is None:
        if mark is None:
            return 1, 1
        offset = source.offset(mark.line + 1, mark.column + 1)
    if not strip_line_breaks(text[offset:]):
        # At the end of the input, which libyaml places on a line after the last one:
        # point after the last thing written instead.
        offset = len(strip_line_breaks(text))
    return source.position(offset)


def _event_source(text: str) -> Callable[[], Any]:
    """A function returning the next parse event, from libyaml through PyYAML.

    GitLab reads YAML with Ruby's Psych, which is libyaml; PyYAML's wheels carry
    libyaml too (0.2.5 and later), so what libyaml accepts, cigen accepts, with
    libyaml's own positions and errors. (The libyaml inside ruamel.yaml.clib is
    0.1.7, which rejects `[docker:dind]`.) Without the compiled extension,
    PyYAML's pure-Python parser follows the same grammar, about ten times slower.
    """
    try:
        from yaml._yaml import CParser
    except ImportError:  # pragma: no cover - only where PyYAML was built without libyaml
        import yaml

        events = yaml.parse(text, Loader=yaml.SafeLoader)
        return lambda: next(events)
    return CParser(text).get_event  # type: ignore[no-any-return]


_COMMENT = re.compile("#[^\r\n\x85\u2028\u2029]*")
# libyaml reads a comment after a block scalar's indicators as part of its token.
_BLOCK_HEADER_COMMENT = re.compile("[|>][-+0-9]*[ \t]+(#[^\r\n\x85\u2028\u2029]*)")


def _token_source(text: str) -> Callable[[], Any]:
    """A function returning the next scanner token (``None`` after the last)."""
    try:
        from yaml._yaml import CParser
    except ImportError:  # pragma: no cover - only where PyYAML was built without libyaml
        import yaml

        tokens = yaml.scan(text, Loader=yaml.SafeLoader)
        return lambda: next(tokens, None)
    return CParser(text).get_token  # type: ignore[no-any-return]


def yaml_comments(text: str) -> list[tuple[int, int]]:
    """The start and end offset of every comment in a YAML text, in order.

    A comment is what libyaml's scanner skips between two tokens (or after a
    block scalar's indicators); a ``#`` inside a scalar, a tag or a directive is
    not one. Where the text is not valid YAML, only the comments before the error
    are listed: past it, nothing is known to be a comment.
    """
    from yaml.error import YAMLError
    from yaml.tokens import ScalarToken

    comments: list[tuple[int, int]] = []
    scanned = 0
    next_token = _token_source(text)
    try:
        while (token := next_token()) is not None:
            start, end = token.start_mark.index, token.end_mark.index
            if start > scanned:
                comments.extend(found.span() for found in _COMMENT.finditer(text, scanned, start))
            if isinstance(token, ScalarToken) and token.style in ("|", ">"):
                header = _BLOCK_HEADER_COMMENT.match(text, start, end)
                if header is not None:
                    comments.append(header.span(1))
            scanned = max(scanned, end)
    except YAMLError:
        pass
    return comments


def parse_yaml(source: SourceText) -> LoadedYaml:
    """Build positioned values from a YAML text.

    Raises :class:`LoadError` when the text is not YAML GitLab would accept
    (syntax, depth, expansion size, unknown alias, too many documents).
    Recoverable problems (duplicate keys) are listed on the result.
    """
    from yaml import events as ev
    from yaml.error import MarkedYAMLError, YAMLError

    path = source.path
    problems: list[Problem] = []
    documents: list[tuple[Any, Span]] = []
    # anchor -> (value, expanded size, height, span)
    anchors: dict[str, tuple[Any, int, int, Span]] = {}
    stack: list[_Frame] = []
    frame: _Frame | None = None
    root: list[tuple[Any, Span]] = []
    # Values the document expands to, counting every alias as a full copy.
    expanded = 0
    needs_resolution = False
    new_tuple = tuple.__new__
    scalar_value = _scalar_value
    plain_scalar = _plain_scalar

    try:
        next_event = _event_source(source.text)
        scalar_event, alias_event = ev.ScalarEvent, ev.AliasEvent
        mapping_start, sequence_start = ev.MappingStartEvent, ev.SequenceStartEvent
        collection_end = (ev.MappingEndEvent, ev.SequenceEndEvent)
        document_end, stream_end = ev.DocumentEndEvent, ev.StreamEndEvent
        while True:
            event = next_event()
            kind = type(event)
            if kind is scalar_event:
                start, end = event.start_mark, event.end_mark
                style = event.style or ""
                # tuple.__new__ skips the named tuple's Python-level constructor: one
                # span is made for every value, so this is the loader's hot spot.
                span = new_tuple(Span, (path, start.line + 1, start.column + 1, end.line + 1,
                                        end.column + 1, style))
                text = event.value
                tag = event.tag
                if tag == "!reference":
                    raise LoadError(Problem("invalid-syntax",
                                            "!reference needs a sequence: !reference [job, key]",
                                            span))
                if frame is not None and frame.is_map and len(frame.entries) % 4 == 0:
                    # A key: kept as written (GitLab's job names and keywords are text).
                    value = _MERGE if text == "<<" and not style else text
                elif style:
                    value = text if tag is None else scalar_value(text, tag, False)
                elif tag is None:
                    value = plain_scalar(text)
                else:
                    value = scalar_value(text, tag, True)
                expanded += 1
                if event.anchor:
                    anchors[event.anchor] = (value, 1, 0, span)
                if frame is None:
                    root.append((value, span))
                else:
                    frame.entries.append(value)
                    frame.entries.append(span)
            elif kind is mapping_start or kind is sequence_start:
                if len(stack) >= MAX_DEPTH:
                    raise _too_deep(_span(path, event.start_mark, event.end_mark))
                expanded += 1
                frame = _Frame(kind is mapping_start, event.anchor, event.tag, event.start_mark,
                               expanded)
                stack.append(frame)
            elif kind in collection_end:
                done = stack.pop()
                frame = stack[-1] if stack else None
                span = _span(path, done.start, event.end_mark)
                if done.is_map:
                    value = _build_map(done.entries, span, problems)
                else:
                    value = YSeq(span)
                    value.extend(done.entries[0::2])
                    value.item_spans = done.entries[1::2]
                    if done.tag == "!reference":
                        value = _build_reference(value, span)
                        needs_resolution = True
                    elif frame is not None and not frame.is_map:
                        needs_resolution = True  # a list in a list: script lines flatten
                if done.anchor:
                    anchors[done.anchor] = (value, expanded - done.expanded_at_start + 1,
                                            done.height, span)
                if frame is None:
                    root.append((value, span))
                else:
                    if done.height + 1 > frame.height:
                        frame.height = done.height + 1
                    frame.entries.append(value)
                    frame.entries.append(span)
            elif kind is alias_event:
                target = anchors.get(event.anchor)
                span = _span(path, event.start_mark, event.end_mark)
                if target is None:
                    raise LoadError(Problem("invalid-syntax",
                                            f"unknown alias *{event.anchor}", span))
                value, size, height, target_span = target
                expanded += size
                if expanded > MAX_EXPANDED_NODES:
                    raise _too_big(span)
                if len(stack) + height > MAX_DEPTH:
                    raise _too_deep(span)
                if frame is None:
                    root.append((value, target_span))
                else:
                    if isinstance(value, YSeq) and not frame.is_map:
                        needs_resolution = True
                    if height + 1 > frame.height:
                        frame.height = height + 1
                    frame.entries.append(value)
                    frame.entries.append(target_span)
            elif kind is document_end:
                if root:
                    documents.append(root.pop())
                anchors.clear()
            elif kind is stream_end:
                break
    except LoadError:
        raise
    except MarkedYAMLError as error:
        raise _load_error(source, error) from None
    except YAMLError as error:
        raise _load_error(source, error) from None

    header: YMap | None = None
    if not documents:
        data: Any = None
    elif len(documents) == 1:
        data = documents[0][0]
    else:
        has_header = isinstance(documents[0][0], YMap) and "spec" in documents[0][0]
        if len(documents) == 2 and has_header:
            header, data = documents[0][0], documents[1][0]
        else:
            raise LoadError(Problem(
                "invalid-syntax",
                "more than one YAML document; GitLab accepts one, or a `spec:` header and one",
                documents[2 if has_header else 1][1]))
    document_span = documents[-1][1] if documents else None
    return LoadedYaml(source, data, problems, document_span, needs_resolution, header)


class _MergeKey:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<<"


_MERGE = _MergeKey()


def _build_reference(seq: YSeq, span: Span) -> Reference:
    parts = []
    for item in seq:
        if not isinstance(item, str | int) or isinstance(item, bool):
            raise LoadError(Problem("reference-error",
                                    "!reference takes a list of names: !reference [job, key]",
                                    span))
        parts.append(str(item))
    if not parts:
        raise LoadError(Problem("reference-error", "!reference needs at least a job name", span))
    return Reference(parts, span)


def _key_text(key: Any) -> Any:
    if isinstance(key, str):
        return key
    if key is None:
        return ""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int | float):
        return str(key)
    return key


def _build_map(entries: list[Any], span: Span, problems: list[Problem]) -> YMap:
    explicit = YMap(span)
    merges: list[YMap] = []
    first_spans: dict[Any, Span] = {}
    for index in range(0, len(entries) - 3, 4):
        key = entries[index]
        key_span = entries[index + 1]
        value = entries[index + 2]
        value_span = entries[index + 3]
        if key is _MERGE:
            sources = value if isinstance(value, YSeq) else [value]
            for source in sources:
                if isinstance(source, YMap):
                    merges.append(source)
                else:
                    problems.append(Problem("invalid-syntax",
                                            "`<<` merges only mappings (use an alias of a mapping)",
                                            value_span or span))
            continue
        key = _key_text(key)
        if isinstance(key, YMap | YSeq):
            problems.append(Problem("invalid-syntax", "a mapping or sequence cannot be a key",
                                    key_span or span))
            continue
        if key in explicit:
            first = first_spans.get(key)
            where = f" (first defined at line {first.line})" if first else ""
            problems.append(Problem("duplicate-key", f"duplicate key '{key}'{where}; "
                                    "the last one wins", key_span or span))
            del explicit[key]
        elif key_span is not None:
            first_spans[key] = key_span
        explicit.put(key, value, key_span, value_span)
    if not merges:
        return explicit
    result = YMap(span)
    for source in merges:
        for key in source:
            if key not in result:
                result.copy_entry(source, key)
    for key in explicit:
        if key in result:
            del result[key]
        result.copy_entry(explicit, key)
    return result
