"""Plain data written as block-style YAML, fast and unambiguous.

`cigen expand` prints configurations of thousands of jobs, and a general YAML
emitter written in Python spends seconds analysing every scalar. The data here
is always plain (mappings with string keys, lists, strings, numbers, booleans,
null), so this writer decides each scalar's style by a few fixed rules:

- plain when the text can only be read back as that same string: it starts
  with a letter, ``_``, ``/``, ``$`` or ``.``, holds only characters that are
  never syntax inside a plain scalar, and is not a word or number YAML 1.1
  would type (``yes``, ``off``, ``null``, ``1e3``, ``.inf`` …);
- a literal block (``|``, ``|-``, ``|+``) for multi-line text such as scripts,
  when every line can be carried as it is;
- double-quoted with escapes otherwise.

Key order is kept; the output is the same bytes for the same data on every
run, and reads back (with libyaml, as GitLab does) to exactly the data given.
"""

from __future__ import annotations

import math
import re
from typing import Any

INDENT = 2

_PLAIN = re.compile(r"[A-Za-z_/$.][\w ./$@(),:=+*%~^<>!?;&|#'\"\[\]{}\-]*\Z")
_TYPED_WORDS = frozenset({
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "<<", "=",
})
_TYPED_NUMBERS = frozenset({".inf", ".nan"})
# Characters a YAML document may not hold raw, or that YAML reads as a line break.
_NEEDS_ESCAPE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff"
                           r"\ufffe\uffff]")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0",
            "\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"}


def dump(data: Any) -> str:
    """``data`` as a YAML document (block style, one final newline)."""
    lines: list[str] = []
    if isinstance(data, dict) and data:
        _mapping(data, 0, lines)
    elif isinstance(data, list) and data:
        _sequence(data, 0, lines)
    else:
        lines.append(_inline(data, 0))
    return "\n".join(lines) + "\n"


def _mapping(mapping: dict[Any, Any], indent: int, lines: list[str]) -> None:
    prefix = " " * indent
    for key, value in mapping.items():
        head = f"{prefix}{_scalar(key)}:"
        _value(head, value, indent, lines, sequence_indent=indent)


def _sequence(items: list[Any], indent: int, lines: list[str]) -> None:
    prefix = " " * indent
    for item in items:
        if isinstance(item, dict) and item:
            # The first key shares the dash's line; the others align under it.
            nested: list[str] = []
            _mapping(item, indent + INDENT, nested)
            lines.append(f"{prefix}- {nested[0].lstrip()}")
            lines.extend(nested[1:])
        elif isinstance(item, list) and item:
            nested = []
            _sequence(item, indent + INDENT, nested)
            lines.append(f"{prefix}- {nested[0].lstrip()}")
            lines.extend(nested[1:])
        else:
            _value(f"{prefix}-", item, indent, lines, sequence_indent=indent + INDENT)


def _value(head: str, value: Any, indent: int, lines: list[str], sequence_indent: int) -> None:
    """``head`` (``key:`` or ``-``) followed by ``value``."""
    if isinstance(value, dict) and value:
        lines.append(head)
        _mapping(value, indent + INDENT, lines)
    elif isinstance(value, list) and value:
        lines.append(head)
        # Under a key, list items sit at the key's own indentation.
        _sequence(value, sequence_indent, lines)
    elif isinstance(value, str) and _fits_literal_block(value):
        block_indent = indent + INDENT
        body = value.rstrip("\n")
        trailing = len(value) - len(body)
        chomping = "-" if trailing == 0 else ("" if trailing == 1 else "+")
        lines.append(f"{head} |{chomping}")
        pad = " " * block_indent
        lines.extend(pad + line if line else "" for line in body.split("\n"))
        # Kept (|+) line breaks past the first are empty lines.
        lines.extend("" for _ in range(trailing - 1))
    else:
        lines.append(f"{head} {_inline(value, indent)}")


def _inline(value: Any, indent: int) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        # YAML 1.1 reads a float only with a dot: 1e+16 would come back a string.
        mantissa, _, exponent = text.partition("e")
        if "." not in mantissa:
            text = f"{mantissa}.0" + (f"e{exponent}" if exponent else "")
        return text
    text = str(value)
    if _is_plain(text):
        return text
    return _double_quoted(text)


def _is_plain(text: str) -> bool:
    if not _PLAIN.match(text) or text.endswith((" ", ":")):
        return False
    if ": " in text or " #" in text or text.startswith("..."):
        return False
    lowered = text.lower()
    if lowered in _TYPED_WORDS or lowered in _TYPED_NUMBERS:
        return False
    # ".5", "._1" and the like are numbers in YAML 1.1.
    return not (text[0] == "." and len(text) > 1 and (text[1].isdigit() or text[1] == "_"))


def _double_quoted(text: str) -> str:
    out = []
    for character in text:
        escape = _ESCAPES.get(character)
        if escape is not None:
            out.append(escape)
        elif _NEEDS_ESCAPE.match(character):
            code = ord(character)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(character)
    return '"' + "".join(out) + '"'


def _fits_literal_block(text: str) -> bool:
    """Multi-line text every line of which a literal block carries unchanged."""
    if "\n" not in text.rstrip("\n") or _NEEDS_ESCAPE.search(text) or "\r" in text:
        return False
    lines = text.rstrip("\n").split("\n")
    # Leading blanks on the first line would be read as the block's indentation;
    # a line of only blanks may lose them.
    if lines[0][:1] in (" ", "\t") or not lines[0]:
        return False
    return all(line.strip(" \t") or not line for line in lines)
