"""CI/CD inputs: a file's `spec: inputs:` header, the values an include gives,
and `$[[ inputs.NAME ]]` interpolated in the keys and values of the file.

What GitLab's "CI/CD inputs" docs define is applied here: inputs are
required unless they have a ``default``; ``type`` is ``string`` (the
default), ``number``, ``boolean`` or ``array``; ``options`` lists the allowed
values and ``regex`` a pattern a string must match; a block that is a whole
scalar takes the input's typed value, one inside a longer string its text; the
functions ``truncate(offset, length)``, ``expand_vars`` and ``posix_quote``
apply in turn. Mistakes are reported where they are written (``input-error``):
an input that is not declared, a required one not given, a value of the wrong
type, not among the options or not matching the pattern.

A value that cannot be known offline (a required input of a file linted on
its own, ``expand_vars`` on a value that holds variables) is never guessed:
the block stays as written and the first such input is noted once
(``input-unset``, info).
"""

from __future__ import annotations

import re
from typing import Any

from cigen.source.positions import Span, YMap, YSeq
from cigen.source.text import Problem

BLOCK = re.compile(r"\$\[\[\s*(?P<body>.*?)\s*\]\]", re.S)
_ACCESS = re.compile(r"inputs\.(?P<name>[A-Za-z0-9_-]+)\Z")
_TRUNCATE = re.compile(r"truncate\(\s*(\d+)\s*,\s*(\d+)\s*\)\Z")
_POSIX_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]*\Z")
TYPES = ("string", "number", "boolean", "array")


class _Unknown(Exception):
    """The value of a block cannot be known offline."""


class InputSpec:
    __slots__ = ("default", "has_default", "name", "options", "regex", "span", "type")

    def __init__(self, name: str, span: Span | None) -> None:
        self.name = name
        self.span = span
        self.type = "string"
        self.default: Any = None
        self.has_default = False
        self.options: list[Any] | None = None
        self.regex: str | None = None


def declared_inputs(header: YMap, path: str, problems: list[Problem]) -> dict[str, InputSpec]:
    """The inputs a `spec:` header declares; mistakes in it are reported."""
    fallback = header.span or Span(path, 1, 1, 1, 1)
    spec = header.get("spec")
    inputs = spec.get("inputs") if isinstance(spec, YMap) else None
    declared: dict[str, InputSpec] = {}
    if inputs is None:
        return declared
    if not isinstance(inputs, YMap):
        where = spec.span_of("inputs") if isinstance(spec, YMap) else None
        problems.append(Problem("input-error", "`spec:inputs` must be a mapping of inputs",
                                where or fallback))
        return declared
    for name, settings in inputs.items():
        where = inputs.key_spans.get(name) or inputs.span_of(name) or fallback
        spec_of = InputSpec(str(name), where)
        declared[str(name)] = spec_of
        if settings is None:
            continue
        if not isinstance(settings, YMap):
            problems.append(Problem("input-error", f"input `{name}`: its settings must be a "
                                    "mapping (default, type, options, regex, description)",
                                    where))
            continue
        kind = settings.get("type", "string")
        if kind not in TYPES:
            problems.append(Problem("input-error", f"input `{name}`: unknown type `{kind}`; "
                                    f"expected one of {', '.join(TYPES)}",
                                    settings.span_of("type") or where))
            kind = "string"
        spec_of.type = str(kind)
        options = settings.get("options")
        if isinstance(options, YSeq):
            spec_of.options = list(options)
        regex = settings.get("regex")
        if isinstance(regex, str):
            spec_of.regex = regex
        if "default" in settings:
            spec_of.default = settings["default"]
            spec_of.has_default = True
            problem = _check_value(spec_of, spec_of.default)
            if problem:
                problems.append(Problem("input-error", f"input `{name}`: default {problem}",
                                        settings.span_of("default") or where))
    return declared


def _check_value(spec: InputSpec, value: Any) -> str:
    """What is wrong with ``value`` for ``spec`` ("" when nothing)."""
    if spec.type == "string" and not isinstance(value, str):
        return f"`{_text(value)}` is not a string"
    if spec.type == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"`{_text(value)}` is not a number"
    if spec.type == "boolean" and not isinstance(value, bool):
        return f"`{_text(value)}` is not a boolean"
    if spec.type == "array" and not isinstance(value, list):
        return f"`{_text(value)}` is not an array"
    if spec.options is not None and value not in spec.options:
        return (f"`{_text(value)}` is not one of the options "
                f"({', '.join(_text(option) for option in spec.options)})")
    if spec.regex is not None and isinstance(value, str):
        pattern = spec.regex[1:-1] if re.fullmatch(r"/.*/", spec.regex, re.S) else spec.regex
        try:
            if re.search(pattern, value) is None:
                return f"`{value}` does not match the pattern {spec.regex}"
        except re.error:
            pass  # a pattern Python cannot read is not judged
    return ""


def _text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_text(item) for item in value) + "]"
    return str(value)


class Interpolation:
    """Interpolates one file's content with the values its inputs take."""

    def __init__(self, path: str, declared: dict[str, InputSpec], given: YMap | None,
                 given_span: Span | None, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        self.values: dict[str, Any] = {}
        self.unset: set[str] = set()
        self.missing: set[str] = set()
        """Required inputs an include did not give (reported there once)."""
        self._noted = False
        fallback = given_span or Span(path, 1, 1, 1, 1)
        given = given if given is not None else YMap()
        for name in given:
            if str(name) not in declared:
                known = ", ".join(sorted(declared)) or "none"
                problems.append(Problem(
                    "input-error", f"unknown input `{name}` for `{path}` (declared: {known})",
                    given.key_spans.get(name) or given.span_of(name) or fallback))
        for name, spec in declared.items():
            if name in given:
                value = given[name]
                problem = _check_value(spec, value)
                if problem:
                    problems.append(Problem("input-error", f"input `{name}`: {problem}",
                                            given.span_of(name) or fallback))
                self.values[name] = value
            elif spec.has_default:
                self.values[name] = spec.default
            elif given_span is not None:
                problems.append(Problem(
                    "input-error", f"`{path}` requires input `{name}`, which is not given",
                    fallback))
                self.missing.add(name)
            else:
                self.unset.add(name)

    def apply(self, value: Any, span: Span | None = None) -> Any:
        """``value`` with every interpolation block replaced where its value is known."""
        if isinstance(value, YMap):
            result = YMap(value.span)
            for key, item in value.items():
                new_key = self._string(key, value.key_spans.get(key)) \
                    if isinstance(key, str) and "$[[" in key else key
                result.put(new_key, self.apply(item, value.span_of(key)),
                           value.key_spans.get(key), value.span_of(key))
            return result
        if isinstance(value, YSeq):
            result_seq = YSeq(value.span)
            for index, item in enumerate(value):
                result_seq.add(self.apply(item, value.span_at(index)), value.span_at(index))
            return result_seq
        if isinstance(value, str) and "$[[" in value:
            whole = BLOCK.fullmatch(value)
            if whole is not None:
                try:
                    return self._block(whole.group("body"), span)
                except _Unknown:
                    return value
            return self._string(value, span)
        return value

    def _string(self, text: str, span: Span | None) -> str:
        def replace(match: re.Match[str]) -> str:
            try:
                return _text(self._block(match.group("body"), span))
            except _Unknown:
                return match.group(0)

        return BLOCK.sub(replace, text)

    def _block(self, body: str, span: Span | None) -> Any:
        access, *functions = [part.strip() for part in body.split("|")]
        matched = _ACCESS.match(access)
        where = span or Span(self.path, 1, 1, 1, 1)
        if matched is None:
            self.problems.append(Problem(
                "input-error", f"`$[[ {body} ]]`: expected `inputs.NAME`", where))
            raise _Unknown
        name = matched.group("name")
        if name in self.missing:
            raise _Unknown
        if name in self.unset:
            self._note(name, where)
            raise _Unknown
        if name not in self.values:
            self.problems.append(Problem(
                "input-error", f"`$[[ {body} ]]`: unknown input `{name}`", where))
            raise _Unknown
        value = self.values[name]
        for function in functions:
            value = self._function(function, value, name, where)
        return value

    def _function(self, function: str, value: Any, name: str, where: Span) -> Any:
        truncate = _TRUNCATE.match(function)
        if truncate is not None:
            offset, length = int(truncate.group(1)), int(truncate.group(2))
            return _text(value)[offset:offset + length]
        if function == "expand_vars":
            if "$" in _text(value):
                self._note(name, where, "its value refers to CI/CD variables")
                raise _Unknown
            return value
        if function == "posix_quote":
            text = _text(value)
            if _POSIX_SAFE.match(text):
                return text
            self._note(name, where, "how `posix_quote` escapes its value is not modelled")
            raise _Unknown
        self.problems.append(Problem(
            "input-error", f"`{function}` is not an interpolation function (expected "
            "truncate(offset, length), expand_vars or posix_quote)", where))
        raise _Unknown

    def _note(self, name: str, where: Span, why: str = "") -> None:
        if self._noted:
            return
        self._noted = True
        reason = why or "it has no default and nothing gives it a value here"
        self.problems.append(Problem(
            "input-unset", f"input `{name}` is not known ({reason}); where it is used, "
            "cigen checks the text as written", where))
