"""What a word of a job's script can hold when the ref variables are set to a
given ref name, computed as bash would.

A word's value is followed through the job's `variables:` (at every level)
and the script's assignments, `for` values and both branches of an `if`;
through bash parameter expansion (`${V//\\//-}`, `${V##*/}`, `${V,,}`,
`${V:-default}`...) and through `$(echo ... | tr ...)` or `sed s/.../.../g`
pipelines. `CI_COMMIT_TAG` is set only in a tag pipeline. What cannot be
computed this way (another command's output, a shell operator in
`variables:`, which GitLab does not expand) raises :class:`UnknownValue`:
rules then stay silent rather than guess.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from cigen.jobs.facts import RAW_REF_VARIABLES, JobFacts
from cigen.shell.expansion import closing_index

_NAMES = "|".join(RAW_REF_VARIABLES)
# A raw ref variable, plainly (`$V`, `${V}`) or with an operator (`${V//\/-}`).
MENTION = re.compile(rf"\$(?:\{{({_NAMES})(?![A-Za-z0-9_])|({_NAMES})(?![A-Za-z0-9_]))")
TAG = "CI_COMMIT_TAG"
# A shell operator inside `${...}`, which GitLab's own expansion does not have.
YAML_OPERATOR = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*[^A-Za-z0-9_}]")
# What variables nobody sets stand for: a name valid in every position of a reference.
PLACEHOLDER = "x0"
PREDEFINED_PLACEHOLDERS = {"CI_REGISTRY_IMAGE": "registry.example.com/group/project",
                           "CI_REGISTRY": "registry.example.com"}
MAX_DEPTH = 8
MAX_RESULTS = 32


class UnknownValue(Exception):
    """The value depends on something cigen does not compute."""


class Values:
    """Word values with the raw ref variables set to a probe ref name: a branch's, or
    with ``tag`` a git tag's. ``CI_COMMIT_TAG`` is set only in a tag pipeline, so
    ``${CI_COMMIT_TAG:-$CI_COMMIT_REF_NAME}`` is the branch name on every branch."""

    def __init__(self, facts: JobFacts, probe: str, *, tag: bool = False) -> None:
        self.facts = facts
        self.probe = probe
        self.tag = tag
        self.known: dict[str, list[str]] = {}

    def variable(self, name: str, depth: int) -> list[str]:
        if name in RAW_REF_VARIABLES:
            return [self.probe]
        if name == TAG:
            return [self.probe if self.tag else ""]
        if name not in self.known:
            self.known[name] = self._variable(name, depth)
        return self.known[name]

    def _variable(self, name: str, depth: int) -> list[str]:
        facts = self.facts
        if name in facts.shell_assignments:
            results: list[str] = []
            own = re.compile(rf"\$\{{?{name}(?![A-Za-z0-9_])")
            values = [value for value, _ in facts.shell_assignments[name]]
            if any(own.search(value) for value in values):
                # `X="$X more"`, built up step by step: its final value.
                final = facts.shell_values.get(name)
                if final is None or own.search(final):
                    raise UnknownValue
                values = [value for value in values if not own.search(value)] + [final]
            for value in values:
                found = self.word(value, depth + 1)
                if re.fullmatch(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", value.strip()):
                    # `for TAG in $TAGS`: one value per word of the list.
                    found = [part for text in found for part in text.split()] or [""]
                results.extend(found)
            return results[:MAX_RESULTS]
        variable = facts.yaml_variable(name)
        if variable is not None:
            if not variable.expand:
                return [variable.value]
            if YAML_OPERATOR.search(variable.value):
                # GitLab expands only `$V` and `${V}` in `variables:`; what it makes of
                # `${V:-x}` is not documented (gitlab-org epic 7437 asks for it).
                raise UnknownValue
            return self.word(variable.value, depth + 1)
        return [PREDEFINED_PLACEHOLDERS.get(name, PLACEHOLDER)]

    def word(self, text: str, depth: int = 0) -> list[str]:
        """Every value ``text`` (a word, quotes removed) can take."""
        if depth > MAX_DEPTH:
            raise UnknownValue
        results = [""]
        index = 0
        while index < len(text):
            char = text[index]
            pieces: list[str]
            if text.startswith("$(", index) and not text.startswith("$((", index):
                end = _closing(text, index + 1, "(", ")")
                pieces = self.substitution(text[index + 2:end - 1], depth)
            elif char == "`":
                end = text.find("`", index + 1)
                if end == -1:
                    raise UnknownValue
                end += 1
                pieces = self.substitution(text[index + 1:end - 1], depth)
            elif text.startswith("${", index):
                end = _closing(text, index + 1, "{", "}")
                pieces = self.parameter(text[index + 2:end - 1], depth)
            elif char == "$" and (match := re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", text[index:])):
                end = index + match.end()
                pieces = self.variable(match.group(1), depth)
            else:
                end = index + 1
                pieces = [char]
            results = [done + piece for done in results for piece in pieces][:MAX_RESULTS]
            index = end
        return results

    def parameter(self, body: str, depth: int) -> list[str]:
        """``${NAME<operator>...}`` as bash computes it."""
        match = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(.*)", body, re.S)
        if match is None:
            raise UnknownValue
        name, operation = match.groups()
        values = self.variable(name, depth)
        if not operation:
            return values
        results: list[str] = []
        for value in values:
            if not value and re.fullmatch(r":?[-=].*", operation, re.S):
                # Unset (``CI_COMMIT_TAG`` on a branch) or empty: the default's values.
                results.extend(self.word(operation.lstrip(":")[1:], depth + 1))
            elif not value and re.fullmatch(r":?\+.*", operation, re.S):
                results.append("")
            else:
                results.append(_apply(value, operation, lambda text: self.word(text, depth + 1)))
        return results[:MAX_RESULTS]

    def substitution(self, body: str, depth: int) -> list[str]:
        """``$(...)``: a pipeline from ``echo``/``printf`` through ``tr``/``sed``, when it
        reads a raw ref variable; anything else it prints is some name (a placeholder)."""
        if not MENTION.search(body) and not any(
                name in self.facts.shell_assignments or self.facts.yaml_variable(name)
                for name in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", body)):
            return [PLACEHOLDER]
        try:
            lexer = shlex.shlex(body, posix=True, punctuation_chars="|")
            lexer.whitespace_split = True
            tokens = list(lexer)
        except ValueError as error:
            raise UnknownValue from error
        stages: list[list[str]] = [[]]
        for token in tokens:
            if token == "|":
                stages.append([])
            elif set(token) <= set("|;&()<>"):
                raise UnknownValue
            else:
                stages[-1].append(token)
        first, rest = stages[0], stages[1:]
        if first[:1] == ["echo"]:
            arguments = [word for word in first[1:] if word not in ("-n", "-e")]
        elif first[:1] == ["printf"] and len(first) == 3 and first[1] in ("%s", "%s\\n"):
            arguments = first[2:]
        else:
            raise UnknownValue
        outputs = [" ".join(parts) for parts in _product([self.word(argument, depth + 1)
                                                          for argument in arguments])]
        for stage in rest:
            outputs = [_filter(stage, output) for output in outputs]
        return [output.rstrip("\n") for output in outputs]


def _closing(text: str, index: int, opener: str, closer: str) -> int:
    end = closing_index(text, index, opener, closer)
    if end is None:
        raise UnknownValue
    return end


def _product(choices: list[list[str]]) -> list[list[str]]:
    combinations: list[list[str]] = [[]]
    for options in choices:
        combinations = [[*done, option] for done in combinations for option in options]
    return combinations[:MAX_RESULTS]


def _glob(pattern: str, *, shortest: bool = False) -> str:
    """A bash pattern (``*``, ``?``, ``[...]``, ``\\x``) as a Python regex."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        if char == "*":
            out.append(".*?" if shortest else ".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            end = pattern.find("]", index + 2)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[index + 1:end]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                index = end + 1
                continue
        elif char in "'\"":
            pass  # quotes only make the rest literal: the characters stay
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _split_unescaped(text: str, separator: str) -> tuple[str, str | None]:
    index = 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == separator:
            return text[:index], text[index + 1:]
        index += 1
    return text, None


def _apply(value: str, operation: str, word: Callable[[str], list[str]]) -> str:
    """Bash's ``${V<operation>}`` on ``value`` (set and not empty)."""
    for prefix in ("##", "#", "%%", "%"):
        if operation.startswith(prefix):
            pattern = _glob(_single(word(operation[len(prefix):])))
            lengths = range(len(value) + 1)
            if prefix.startswith("#"):
                order = reversed(lengths) if prefix == "##" else lengths
                for cut in order:
                    if re.fullmatch(pattern, value[:cut], re.S):
                        return value[cut:]
            else:
                order = lengths if prefix == "%%" else reversed(lengths)
                for cut in order:
                    if re.fullmatch(pattern, value[cut:], re.S):
                        return value[:cut]
            return value
    if operation.startswith("/"):
        rest = operation[1:]
        mode = ""
        if rest[:1] in ("/", "#", "%"):
            mode, rest = rest[0], rest[1:]
        pattern_text, replacement_text = _split_unescaped(rest, "/")
        pattern_value = _single(word(pattern_text))
        replacement = _single(word(replacement_text or "")) if replacement_text else ""
        if not pattern_value:
            return value
        pattern = _glob(pattern_value)
        if mode == "#":
            pattern = "^(?:" + pattern + ")"
        elif mode == "%":
            pattern = "(?:" + pattern + ")$"
        return re.sub(pattern, lambda _: replacement, value, count=0 if mode == "/" else 1,
                      flags=re.S)
    if operation in (",,", "^^", ",", "^"):
        if operation == ",,":
            return value.lower()
        if operation == "^^":
            return value.upper()
        first = value[:1].lower() if operation == "," else value[:1].upper()
        return first + value[1:]
    if re.fullmatch(r":?[-=?].*", operation, re.S):
        return value
    if re.fullmatch(r":\+.*", operation, re.S):
        return _single(word(operation[2:]))
    substring = re.fullmatch(r":\s*(\d+)(?::\s*(\d+))?", operation)
    if substring:
        start = int(substring.group(1))
        length = substring.group(2)
        return value[start:] if length is None else value[start:start + int(length)]
    raise UnknownValue


def _single(values: list[str]) -> str:
    if len(set(values)) != 1:
        raise UnknownValue
    return values[0]


_CLASSES = {"upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "lower": "abcdefghijklmnopqrstuvwxyz",
            "digit": "0123456789", "space": " \t\n\r\f\v", "blank": " \t",
            "punct": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"}
_CLASSES["alpha"] = _CLASSES["upper"] + _CLASSES["lower"]
_CLASSES["alnum"] = _CLASSES["alpha"] + _CLASSES["digit"]


def _tr_set(text: str) -> str:
    """A ``tr`` set: ranges, ``[:class:]`` and escapes spelt out."""
    out: list[str] = []
    index = 0
    while index < len(text):
        klass = re.match(r"\[:([a-z]+):\]", text[index:])
        if klass:
            if klass.group(1) not in _CLASSES:
                raise UnknownValue
            out.append(_CLASSES[klass.group(1)])
            index += klass.end()
            continue
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            char = {"n": "\n", "t": "\t"}.get(text[index + 1], text[index + 1])
            index += 2
        else:
            index += 1
        if index + 1 < len(text) and text[index] == "-":
            end = text[index + 1]
            out.append("".join(chr(code) for code in range(ord(char), ord(end) + 1)))
            index += 2
            continue
        out.append(char)
    return "".join(out)


def _filter(stage: list[str], text: str) -> str:
    """``text`` through one pipeline stage: ``tr`` or ``sed``; else unknown."""
    name, arguments = (stage[0], stage[1:]) if stage else ("", [])
    if name == "tr":
        options = {argument for argument in arguments if re.fullmatch(r"-[a-zA-Z]+", argument)}
        sets = [_tr_set(argument) for argument in arguments if argument not in options]
        if options - {"-d", "-s", "-c", "-C", "-cd", "-dc", "-cs", "-sc"}:
            raise UnknownValue
        complement = any("c" in option.lower() for option in options)
        delete = any("d" in option for option in options)
        if not sets:
            raise UnknownValue
        first = sets[0]

        def selected(char: str) -> bool:
            return (char not in first) if complement else (char in first)

        if delete:
            return "".join(char for char in text if not selected(char))
        if len(sets) < 2 or not sets[1]:
            if any("s" in option for option in options):
                return re.sub(r"(.)\1+", r"\1", text)  # squeeze only
            raise UnknownValue
        second = sets[1]
        result = []
        for char in text:
            if not selected(char):
                result.append(char)
            elif complement:
                result.append(second[-1])
            else:
                position = first.index(char)
                result.append(second[min(position, len(second) - 1)])
        return "".join(result)
    if name == "sed":
        scripts: list[str] = []
        extended = False
        index = 0
        while index < len(arguments):
            argument = arguments[index]
            if argument in ("-E", "-r", "--regexp-extended"):
                extended = True
            elif argument == "-e" and index + 1 < len(arguments):
                scripts.append(arguments[index + 1])
                index += 1
            elif argument.startswith("-"):
                raise UnknownValue
            elif not scripts:
                scripts.append(argument)
            else:
                raise UnknownValue  # a file name: sed reads it, not the pipe
            index += 1
        lines = text.split("\n")  # sed edits each line without its line break
        for script in scripts:
            for command in re.split(r";\s*|\n", script.strip()):
                if command:
                    lines = [_sed_substitute(command, line, extended) for line in lines]
        return "\n".join(lines)
    raise UnknownValue


def _sed_substitute(command: str, text: str, extended: bool) -> str:
    if len(command) < 4 or command[0] != "s":
        raise UnknownValue
    delimiter = command[1]
    parts: list[str] = []
    current: list[str] = []
    index = 2
    while index < len(command):
        char = command[index]
        if char == "\\" and index + 1 < len(command):
            following = command[index + 1]
            current.append(following if following == delimiter else char + following)
            index += 2
            continue
        if char == delimiter:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    if len(parts) != 3 or not set(parts[2]) <= set("gIi"):
        raise UnknownValue
    pattern, replacement, flags = parts
    regex = pattern if extended else _basic_regex(pattern)
    python_replacement = re.sub(r"\\(\d)|&|\\&|\\(.)",
                                lambda m: ("\\" + m.group(1)) if m.group(1) else
                                "\\g<0>" if m.group(0) == "&" else
                                "&" if m.group(0) == "\\&" else
                                m.group(2).replace("\\", "\\\\"), replacement)
    try:
        return re.sub(regex, python_replacement, text, count=0 if "g" in flags else 1,
                      flags=re.IGNORECASE if set(flags) & set("Ii") else 0)
    except (re.error, IndexError) as error:
        raise UnknownValue from error


def _basic_regex(pattern: str) -> str:
    """A POSIX basic regular expression (GNU flavour) as a Python one."""
    out: list[str] = []
    index = 0
    in_bracket = False
    while index < len(pattern):
        char = pattern[index]
        if in_bracket:
            if char == "]" and not out[-1].endswith(("[", "[^")):
                in_bracket = False
                out.append("]")
            else:
                out.append("\\\\" if char == "\\" else char)
            index += 1
            continue
        if char == "[":
            in_bracket = True
            out.append("[")
            if pattern[index + 1:index + 2] == "^":
                out.append("^")
                index += 1
            index += 1
            continue
        if char == "\\" and index + 1 < len(pattern):
            following = pattern[index + 1]
            out.append(following if following in "(){}+?|" else "\\" + following)
            index += 2
            continue
        out.append("\\" + char if char in "(){}+?|" else char)
        index += 1
    return "".join(out)
