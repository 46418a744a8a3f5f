"""Text from the checked files made safe for the place a report puts it.

Job names, variable names, paths and the messages that quote them come from
files cigen has never seen, so they may hold terminal escape sequences, line
breaks, bidirectional overrides that make a line read differently from what
it says, lone surrogates (a file name that is not UTF-8) or characters XML
cannot carry. Each format asks for the strictness its reader needs: terminals
and line-based parsers get :func:`visible`, XML gets :func:`xml_text` (and
:func:`xml_references` over the whole document), JSON gets :func:`json_text`.
A replaced character is shown as a ``\\x1b`` or ``\\u202e`` escape, so the
reader sees which code point was there.
"""

from __future__ import annotations

import re

# Controls (C0, DEL, C1), the line and paragraph separators, the bidirectional
# marks, embeddings, overrides and isolates, surrogates and the two
# noncharacters XML forbids: none of them may reach a terminal or a line-based
# parser as they are.
# Each class holds only characters that str.isprintable() refuses, so text it
# accepts (nearly all) is returned as it is, and a pattern is compiled (by `re`,
# once) only when some text needs it.
_NOT_DISPLAYABLE = (
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    r"\ud800-\udfff\ufffe\uffff]")
# What XML 1.0 cannot represent at all, not even as a character reference.
_NOT_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
# What XML carries but a terminal showing the document would act on or reorder.
_ACTIVE_IN_XML = r"[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
# A lone surrogate has no UTF-8 form, and strict JSON readers reject its \u escape.
_NOT_UNICODE = r"[\ud800-\udfff]"

_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    short = _SHORT_ESCAPES.get(character)
    if short is not None:
        return short
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` on one line, with nothing a terminal or a line parser would act on."""
    return text if text.isprintable() else re.sub(_NOT_DISPLAYABLE, _escape, text)


def xml_text(text: str) -> str:
    """``text`` unchanged except for the characters an XML 1.0 document cannot hold."""
    return text if text.isprintable() else re.sub(_NOT_XML, _escape, text)


def xml_references(document: str) -> str:
    """A serialised XML ``document`` with the characters of :data:`_ACTIVE_IN_XML` written
    as character references: a parser reads the same text, a terminal sees no raw control."""
    return re.sub(_ACTIVE_IN_XML, lambda match: f"&#x{ord(match.group()):x};", document)


def json_text(text: str) -> str:
    """``text`` unchanged except for lone surrogates, which have no UTF-8 form."""
    return text if text.isprintable() else re.sub(_NOT_UNICODE, _escape, text)
