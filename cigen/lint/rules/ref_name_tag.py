r"""An image tag is built from the raw branch name.

## What it does
Reports image references built, tagged or pushed (by `docker`/`podman`
`build -t`, `tag`, `push`, `buildx`, kaniko `--destination`, buildah,
buildctl `name=`, depot, crane/skopeo `copy`) that `$CI_COMMIT_REF_NAME`,
`$CI_COMMIT_BRANCH` or the merge-request source branch reaches — directly,
through `variables:` at any level, shell assignments, exports or `for`
loops — in a form that breaks the reference for some branch the job runs
on. The value is computed as the shell would for names like
`feature/login`: `${VAR//\//-}`, `${VAR##*/}`, `tr / -`, `tr -d /` and
`sed 's|/|-|g'` clean every slash; `${VAR/\//-}` (the first slash only),
`sed` without `g`, `${VAR#feature/}` or only lower-casing do not. A job
that runs only on named branches without `/` (`only: [main, develop]`) has
clean names. In a job that runs only for git tags the variable is the tag's
name — which git also lets contain `/` — and `$CI_COMMIT_TAG` is the variable
that names it. A value cigen cannot compute (a command other than
`echo`/`printf` piped to `tr`/`sed`) or refs it cannot know (the default
branch's name, a template from an unread include) is not reported.

## Why is this bad?
Branch names may contain `/`, upper case and other characters an image
reference cannot: `feature/login` makes `docker build -t app:feature/login`
fail, and only on those branches. `CI_COMMIT_REF_SLUG` is the same name
lowercased, cut to 63 bytes, with everything outside `[a-z0-9]` replaced by
`-`.

## Example
```yaml
build:
  image: docker:29.1-cli
  script:
    - docker build --pull -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME" .
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME"
preview:
  image: docker:29.1-cli
  script:
    - TAG=$(echo "$CI_COMMIT_BRANCH" | sed 's/\//-/')
    - docker push "$CI_REGISTRY_IMAGE:$TAG"
```

## Use instead
```yaml
build:
  image: docker:29.1-cli
  script:
    - docker build --pull -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG" .
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG"
preview:
  image: docker:29.1-cli
  script:
    - TAG=$(echo "$CI_COMMIT_BRANCH" | sed 's/\//-/g')
    - docker push "$CI_REGISTRY_IMAGE:$TAG"
release:
  image: docker:29.1-cli
  rules:
    - if: $CI_COMMIT_TAG
  script:
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG"
```

## Fix safety
Safe: the variable is replaced by `CI_COMMIT_REF_SLUG` (in a job that runs
only for tags, by `CI_COMMIT_TAG`, which holds the same name there, so a
release tag `v1.2.3` stays `v1.2.3`) where it forms the image reference (in
the command, or in the `variables:` entry the reference is built from).
Every branch that could be tagged before gets the same tag, lower-cased;
branches that broke the build now get a valid one. A
`variables:` entry is only changed when it is defined once, in the file
being fixed, and read nowhere else in the pipeline's files but by this image
reference: a value shared with another command, job, variable or rule
(`git push origin HEAD:$BRANCH`) is left alone, and no fix is offered. The
lines of one image reference are fixed together or not at all: when one of
them is suppressed, cannot be edited, or another command reads the same
reference (`docker pull`, `docker run`), none is offered, so that no tag is
pushed that was never built. A variable inside an expansion or a command
substitution (`${CI_COMMIT_REF_NAME/\//-}`) gets no fix. In a tag pipeline
the slug of `v1.2.3` is `v1-2-3`: a job that also publishes release tags and
must keep them as written wants `$CI_COMMIT_TAG` on those pipelines.
"""

import re
import shlex
from collections.abc import Callable, Iterator

from cigen.gitlab.pipeline import Pipeline
from cigen.jobs.facts import RAW_REF_VARIABLES, JobFacts
from cigen.jobs.image_outputs import ImageOutput
from cigen.jobs.refs import Refs, command_refs
from cigen.lint.findings import Finding, Severity
from cigen.lint.fix import Edit, Fix, fix_of, value_edit, word_edit
from cigen.lint.rules import Hit, PipelineContext
from cigen.lint.suppressions import SuppressionIndex
from cigen.shell.expansion import mask_substitutions
from cigen.source.positions import Span

CODE = "CG107"
NAME = "ref-name-tag"
SEVERITY = Severity.ERROR
FIXABLE = True
SUMMARY = "An image tag uses CI_COMMIT_REF_NAME/CI_COMMIT_BRANCH, which may contain '/'"

_NAMES = "|".join(RAW_REF_VARIABLES)
# A raw ref variable, plainly (`$V`, `${V}`) or with an operator (`${V//\//-}`).
MENTION = re.compile(rf"\$(?:\{{({_NAMES})(?![A-Za-z0-9_])|({_NAMES})(?![A-Za-z0-9_]))")
PLAIN = re.compile(rf"\$(?:\{{({_NAMES})\}}|({_NAMES})(?![A-Za-z0-9_]))")
SLUG = "CI_COMMIT_REF_SLUG"
# A shell operator inside `${...}`, which GitLab's own expansion does not have.
YAML_OPERATOR = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*[^A-Za-z0-9_}]")
# `${NAME:-` or `${NAME-` right before a raw ref variable that is the whole default.
DEFAULT_OPENING = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-$")
TAG = "CI_COMMIT_TAG"
# Branch names that break an image reference in some position: a slash, upper case.
ANY_BRANCH_PROBES = ("feature/login", "Feature/Login", "user/feature/x")
# A name every position of a reference accepts.
PLAIN_PROBE = "main"
TAG_PROBES = ("release/1.0",)
PLACEHOLDER = "x0"
PREDEFINED_PLACEHOLDERS = {"CI_REGISTRY_IMAGE": "registry.example.com/group/project",
                           "CI_REGISTRY": "registry.example.com"}
MAX_DEPTH = 8
MAX_RESULTS = 32
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
VALID_REFERENCE = re.compile(
    rf"(?:(?:[A-Za-z0-9-]+\.[A-Za-z0-9.-]+|localhost)(?::\d+)?/|[A-Za-z0-9.-]+:\d+/)?"
    rf"{_COMPONENT}(?:/{_COMPONENT})*(?::\w[\w.-]{{0,127}})?(?:@[A-Za-z0-9]+:[A-Fa-f0-9]+)?")

# The raw ref variable, and the YAML variables it reached the word through
# (outermost first); ``None`` in that list when a shell assignment was a link.
Found = tuple[str, list[str | None]]


# -- what a word's value can be, for a given branch name ------------------------------

class _Unknown(Exception):
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
                    raise _Unknown
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
                raise _Unknown
            return self.word(variable.value, depth + 1)
        return [PREDEFINED_PLACEHOLDERS.get(name, PLACEHOLDER)]

    def word(self, text: str, depth: int = 0) -> list[str]:
        """Every value ``text`` (a word, quotes removed) can take."""
        if depth > MAX_DEPTH:
            raise _Unknown
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
                    raise _Unknown
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
            raise _Unknown
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
            raise _Unknown from error
        stages: list[list[str]] = [[]]
        for token in tokens:
            if token == "|":
                stages.append([])
            elif set(token) <= set("|;&()<>"):
                raise _Unknown
            else:
                stages[-1].append(token)
        first, rest = stages[0], stages[1:]
        if first[:1] == ["echo"]:
            arguments = [word for word in first[1:] if word not in ("-n", "-e")]
        elif first[:1] == ["printf"] and len(first) == 3 and first[1] in ("%s", "%s\\n"):
            arguments = first[2:]
        else:
            raise _Unknown
        outputs = [" ".join(parts) for parts in _product([self.word(argument, depth + 1)
                                                          for argument in arguments])]
        for stage in rest:
            outputs = [_filter(stage, output) for output in outputs]
        return [output.rstrip("\n") for output in outputs]


def _product(choices: list[list[str]]) -> list[list[str]]:
    combinations: list[list[str]] = [[]]
    for options in choices:
        combinations = [[*done, option] for done in combinations for option in options]
    return combinations[:MAX_RESULTS]


def _closing(text: str, index: int, opener: str, closer: str) -> int:
    """Index just after the ``closer`` matching the ``opener`` at ``index``."""
    depth = 0
    quote = ""
    position = index
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
            continue
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"" and opener == "(":
            quote = char
        elif char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    raise _Unknown


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
    raise _Unknown


def _single(values: list[str]) -> str:
    if len(set(values)) != 1:
        raise _Unknown
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
                raise _Unknown
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
            raise _Unknown
        complement = any("c" in option.lower() for option in options)
        delete = any("d" in option for option in options)
        if not sets:
            raise _Unknown
        first = sets[0]

        def selected(char: str) -> bool:
            return (char not in first) if complement else (char in first)

        if delete:
            return "".join(char for char in text if not selected(char))
        if len(sets) < 2 or not sets[1]:
            if any("s" in option for option in options):
                return re.sub(r"(.)\1+", r"\1", text)  # squeeze only
            raise _Unknown
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
                raise _Unknown
            elif not scripts:
                scripts.append(argument)
            else:
                raise _Unknown  # a file name: sed reads it, not the pipe
            index += 1
        lines = text.split("\n")  # sed edits each line without its line break
        for script in scripts:
            for command in re.split(r";\s*|\n", script.strip()):
                if command:
                    lines = [_sed_substitute(command, line, extended) for line in lines]
        return "\n".join(lines)
    raise _Unknown


def _sed_substitute(command: str, text: str, extended: bool) -> str:
    if len(command) < 4 or command[0] != "s":
        raise _Unknown
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
        raise _Unknown
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
        raise _Unknown from error


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


# -- where the raw ref reaches an image reference ---------------------------------------

def _raw_ref(facts: JobFacts, text: str, depth: int = 0) -> Found | None:
    match = MENTION.search(text)
    if match:
        return match.group(1) or match.group(2), []
    if depth > 6:
        return None
    for variable_match in re.finditer(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text):
        name = variable_match.group(1)
        if name in RAW_REF_VARIABLES:
            continue
        for value, _ in facts.shell_assignments.get(name, []):
            found = _raw_ref(facts, value, depth + 1)
            if found:
                return found[0], [None, *found[1]]
        variable = facts.yaml_variable(name)
        if variable is not None and name not in facts.shell_assignments:
            found = _raw_ref(facts, variable.value, depth + 1)
            if found:
                return found[0], [name, *found[1]]
    return None


def _probes(refs: Refs) -> list[str]:
    """Names the job's raw ref variables can hold, as far as they matter here: any
    branch, or the named ones; for a job that runs only for tags, a tag's name,
    which git lets contain `/` as well (`release/1.0`)."""
    if refs.any_branch or refs.patterns:
        return list(ANY_BRANCH_PROBES)
    if refs.only_tags:
        return list(TAG_PROBES)
    return sorted(refs.branches)


def breaks_reference(facts: JobFacts, text: str, refs: Refs) -> bool:
    """Whether some branch the job runs on makes ``text`` an invalid image reference,
    while a plain name (``main``) makes it a valid one. Unknown: ``False``."""
    if refs.unknown:
        return False
    probes = _probes(refs)
    if not probes:
        return False
    tag = refs.only_tags and not (refs.any_branch or refs.patterns or refs.branches)
    try:
        plain = Values(facts, PLAIN_PROBE, tag=tag).word(text)
        for probe in probes:
            values = Values(facts, probe, tag=tag).word(text)
            if len(values) != len(plain):
                return False
            if any(_breaks(before, after) for before, after in zip(plain, values, strict=True)):
                return True
    except (_Unknown, RecursionError, ValueError, re.error):
        return False
    return False


def _breaks(plain: str, probed: str) -> bool:
    """Whether a word of ``probed`` is an invalid reference where ``plain`` has a valid one
    (the shell splits an unquoted value at blanks: each word stands alone)."""
    plain_words, probed_words = plain.split(), probed.split()
    if len(plain_words) != len(probed_words):
        return False
    return any(_valid(before) and not _valid(after)
               for before, after in zip(plain_words, probed_words, strict=True))


def _valid(reference: str) -> bool:
    for prefix in ("docker://", "docker-daemon:", "containers-storage:"):
        reference = reference.removeprefix(prefix)
    return VALID_REFERENCE.fullmatch(reference.strip()) is not None


def _plain_names(written: str) -> list[tuple[int, int]] | None:
    """Where the raw ref variables' names are written plainly in ``written``; ``None``
    when one is inside an operator or a command substitution (no fix there)."""
    masked = mask_substitutions(written)
    spans = []
    for match in MENTION.finditer(written):
        plain = PLAIN.match(written, match.start())
        if plain is None:
            return None
        if masked[match.start()] != "$" and not (
                DEFAULT_OPENING.search(written, 0, match.start())
                and written.startswith("}", plain.end())):
            # Inside an operator or `$(...)`; the whole default of `${CI_COMMIT_TAG:-$V}`
            # is the value itself on the pipelines that reach it, so it is fixed alike.
            return None
        spans.append(plain.span(1) if plain.group(1) else plain.span(2))
    return spans


class _Candidate:
    __slots__ = ("chain", "facts", "key", "output", "refs", "span", "variable")

    span: Span

    def __init__(self, facts: JobFacts, output: ImageOutput, variable: str,
                 chain: list[str | None], span: Span, refs: Refs, key: str) -> None:
        self.facts = facts
        self.output = output
        self.variable = variable
        self.chain = chain
        self.span = span
        self.refs = refs
        self.key = key


def check(context: PipelineContext) -> Iterator[Hit]:
    candidates: list[_Candidate] = []
    for facts in context.jobs:
        for output in facts.image_outputs:
            found = _raw_ref(facts, output.reference)
            if found is None:
                continue
            refs = command_refs(facts, output.command)
            if not breaks_reference(facts, output.reference, refs):
                continue
            variable, chain = found
            word_span = output.command.locate(output.word)
            defined = facts.yaml_variable(chain[-1]) if chain and chain[-1] else None
            where = defined.span if defined is not None and defined.span else word_span
            candidates.append(_Candidate(facts, output, variable, chain, where, refs,
                                         facts.expand(output.reference)))
    fixes = _consistent_fixes(context, candidates)
    for candidate, fix in zip(candidates, fixes, strict=True):
        if candidate.refs.only_tags:
            message = (f"image tag uses ${candidate.variable} in a job that runs only for "
                       f"git tags, where it is the tag's name (which may contain '/'); "
                       f"name it ${TAG}")
        else:
            message = (f"image tag uses ${candidate.variable}, which can contain '/' and "
                       f"upper case; use ${SLUG}")
        yield Hit(candidate.span, message, [candidate.facts.name], fix)


def _consistent_fixes(context: PipelineContext, candidates: list[_Candidate]
                      ) -> list[Fix | None]:
    """A fix for each finding, or none for every finding of an image reference when one
    of its lines would stay as it is: suppressed, not fixable, or a line that reads the
    same reference (`docker pull`, `docker run`) without pushing it. A build fixed
    without its push (or the reverse) would push a tag that was never built."""
    fixes = [_fix(context, candidate) for candidate in candidates]
    suppressions = SuppressionIndex()
    for source in context.pipeline.sources.values():
        suppressions.add_source(source)
    blocked: set[str] = set()
    for candidate, fix in zip(candidates, fixes, strict=True):
        finding = Finding(CODE, NAME, SEVERITY, "", candidate.span)
        suppressed = any(item.covers(finding)
                         for item in suppressions.by_path.get(candidate.span.path, ()))
        if fix is None or suppressed:
            blocked.add(candidate.key)
    outputs = {(id(candidate.output.command), candidate.output.word.offset)
               for candidate in candidates}
    keys = {candidate.key for candidate in candidates}
    for facts in context.jobs:
        for command in facts.commands:
            for word in command.words:
                if (id(command), word.offset) in outputs or "$" not in word.text:
                    continue
                expanded = facts.expand(word.text)
                if expanded in keys:
                    blocked.add(expanded)
        for image in (facts.image, *facts.services):
            if image is not None and image.name in keys:
                blocked.add(image.name)
    return [None if candidate.key in blocked else fix
            for candidate, fix in zip(candidates, fixes, strict=True)]


def _fix(context: PipelineContext, candidate: _Candidate) -> Fix | None:
    output, chain, facts = candidate.output, candidate.chain, candidate.facts
    safe = True
    # In a tags-only job the tag's name stays as it is: `v1.2.3` must not become `v1-2-3`.
    replacement = TAG if candidate.refs.only_tags else SLUG
    description = f"use {replacement}"
    if not chain:
        spans = _plain_names(output.word.raw)
        if not spans:
            return None
        edits: list[Edit | None] = [word_edit(output.command, output.word, replacement,
                                              start, end)
                                    for start, end in spans]
        return fix_of(description, safe, *edits)
    if None in chain:
        return None
    names = [name for name in chain if name is not None]
    variable = facts.yaml_variable(names[-1])
    word_path = output.command.locate(output.word).path
    if variable is None or variable.span is None or variable.span.path != word_path \
            or not _read_only_here(context.pipeline, names):
        return None
    spans = _plain_names(variable.value)
    if not spans:
        return None
    source = context.pipeline.sources.get(word_path)
    return fix_of(description, safe, *[
        value_edit(source, variable.span, variable.value, start, end, replacement)
        for start, end in spans])


def _read_only_here(pipeline: Pipeline, names: list[str]) -> bool:
    """Every variable of the chain is written exactly twice in all of the pipeline's
    files: where it is defined and where the next link (or the image reference)
    reads it. Anything more is another reader, or another definition, that
    changing the value would affect."""
    if pipeline.unresolved_includes or not pipeline.is_whole_pipeline():
        return False
    for name in names:
        written = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")
        if sum(len(written.findall(source.text)) for source in pipeline.sources.values()) != 2:
            return False
    return True
