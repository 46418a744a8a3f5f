"""Values that remember where they were written.

A loaded YAML document becomes plain Python values: strings, numbers, booleans
and ``None`` for scalars, :class:`YMap` for mappings and :class:`YSeq` for
sequences. The containers are ``dict``/``list`` subclasses that also carry the
:class:`Span` of the container itself and of every key and value inside it, so
a scalar's position is always known through its parent. Because merges copy
these spans along with the values, a value that reaches a job through
``extends``, an anchor, ``!reference`` or an include still points at the line a
person wrote. ``!reference`` tags stay :class:`Reference` objects until the
pipeline resolver replaces them.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Span(NamedTuple):
    """A region of a source file; lines and columns are 1-based.

    ``style`` is the YAML scalar style of the value written there (``|``,
    ``>``, ``'``, ``"`` or ``""`` for plain), used to map a script line back
    to the exact source line. A named tuple because the loader makes one per
    value, and tuples are the cheapest immutable records to create.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    style: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class YMap(dict[Any, Any]):
    """A mapping with the spans of itself, its keys and its values."""

    __slots__ = ("key_spans", "span", "value_spans")

    def __init__(self, span: Span | None = None) -> None:
        super().__init__()
        self.span = span
        self.key_spans: dict[Any, Span] = {}
        self.value_spans: dict[Any, Span] = {}

    def put(self, key: Any, value: Any, key_span: Span | None, value_span: Span | None) -> None:
        self[key] = value
        if key_span is not None:
            self.key_spans[key] = key_span
        elif key in self.key_spans:
            del self.key_spans[key]
        if value_span is not None:
            self.value_spans[key] = value_span
        elif key in self.value_spans:
            del self.value_spans[key]

    def copy_entry(self, other: YMap, key: Any, value: Any = None, *,
                   use_value: bool = False) -> None:
        """Set ``key`` from ``other``, keeping the spans recorded there."""
        self.put(
            key,
            value if use_value else other[key],
            other.key_spans.get(key),
            other.value_spans.get(key),
        )

    def span_of(self, key: Any) -> Span | None:
        """Where the value of ``key`` was written (falls back to the key)."""
        return self.value_spans.get(key) or self.key_spans.get(key) or self.span


class YSeq(list[Any]):
    """A sequence with the spans of itself and of every item."""

    __slots__ = ("item_spans", "span")

    def __init__(self, span: Span | None = None) -> None:
        super().__init__()
        self.span = span
        self.item_spans: list[Span | None] = []

    def add(self, value: Any, span: Span | None) -> None:
        self.append(value)
        self.item_spans.append(span)

    def span_at(self, index: int) -> Span | None:
        if 0 <= index < len(self.item_spans):
            return self.item_spans[index] or self.span
        return self.span


class Reference:
    """An unresolved ``!reference [job, key, ...]`` tag."""

    __slots__ = ("path", "span")

    path: list[str]
    span: Span

    def __init__(self, path: list[str], span: Span) -> None:
        self.path = path
        self.span = span
