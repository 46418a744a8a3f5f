"""Which refs (branches, tags, merge requests) a job can run on.

GitLab decides whether a job joins a pipeline from `workflow:rules`, the job's
`rules:` (first match wins; `when: never` excludes, `manual` still runs when
someone clicks) or its `only`/`except` (ref names, `/regex/`, `branches`,
`tags`, `merge_requests`, pipeline sources, `variables`), with `only:
[branches, tags]` when it says nothing. This module plays those decisions for
a handful of representative refs — a branch nobody named, the default branch,
each branch name the files compare with, a few tag names and a merge request
from a branch nobody named — and summarises them as :class:`Refs`.

What does not decide the ref (`$CI_PIPELINE_SOURCE == "web"`, a project
variable, `changes:`) may be either way: the job can run. A schedule runs on
the ref its owner chose, so a job that runs only for schedules does not run on
"a branch nobody named". What decides the
ref by a value the files never give (`$CI_COMMIT_BRANCH == $RELEASE_BRANCH`,
`$CI_COMMIT_REF_PROTECTED`), or comes from a template or `!reference` cigen
could not read, makes the refs unknown. A shell `if` on the branch or tag
around one command narrows that command's refs (:func:`command_refs`).
"""

from __future__ import annotations

import re
import shlex
import weakref
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import Any

from cigen.gitlab.expressions import UNKNOWN, Value, evaluate
from cigen.jobs.facts import JobFacts
from cigen.shell.expansion import VARIABLE
from cigen.shell.words import Command
from cigen.source.positions import YMap, YSeq

# Variables whose value is (part of) the ref, or says which refs are protected.
REF_VARIABLES = frozenset({
    "CI_COMMIT_BRANCH", "CI_COMMIT_REF_NAME", "CI_COMMIT_REF_SLUG", "CI_COMMIT_TAG",
    "CI_COMMIT_REF_PROTECTED", "CI_BUILD_REF_NAME", "CI_BUILD_REF_SLUG", "CI_BUILD_TAG",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
    "CI_DEFAULT_BRANCH",
})
BRANCH_NAME_VARIABLES = frozenset({
    "CI_COMMIT_BRANCH", "CI_COMMIT_REF_NAME", "CI_COMMIT_REF_SLUG", "CI_BUILD_REF_NAME",
    "CI_BUILD_REF_SLUG",
})
TAG_NAME_VARIABLES = frozenset({"CI_COMMIT_TAG", "CI_BUILD_TAG", "CI_COMMIT_REF_NAME",
                                "CI_BUILD_REF_NAME"})
# Sources of pipelines that run for a branch or a tag (not a merge request).
REF_SOURCES = ("push", "web", "schedule", "api", "trigger", "pipeline", "parent_pipeline",
               "chat", "webide", "ondemand_dast_scan", "security_orchestration_policy")
# `only:`/`except:` keywords that match every ref of some pipeline source.
ONLY_SOURCE_KEYWORDS = frozenset({"api", "chat", "external", "pipelines", "pushes", "schedules",
                                  "triggers", "web", "external_pull_requests"})
# Names no real ref is likely to have, standing for "a branch nobody named".
FRESH_BRANCH = "cigen/Unnamed-Branch"
DEFAULT_BRANCH = "cigen-default-branch"
SAMPLE_TAGS = ("cigen-unnamed-tag", "v1.2.3", "1.2.3", "v1.2.3-rc.1", "1.2", "v1", "release-1.2.3")
MAX_NAMED_REFS = 64
# Parts of a regular expression that match nothing but a slash-free character.
_SLASH_FREE_ESCAPES = re.compile(r"\\[dwsDW.\-_+]|\\\\|\[[^\]^/]*\]")


class Outcome(Enum):
    RUN = "run"
    NO = "no"
    UNKNOWN = "unknown"


class Truth(Enum):
    """A condition for one ref: true, false, either (it depends on something other
    than the ref, so some pipeline makes it true) or unknown (it depends on the ref
    through a value cigen cannot know)."""

    TRUE = "true"
    FALSE = "false"
    EITHER = "either"
    UNKNOWN = "unknown"


def _all(truths: Iterable[Truth]) -> Truth:
    result = Truth.TRUE
    for truth in truths:
        if truth is Truth.FALSE:
            return Truth.FALSE
        if truth is Truth.UNKNOWN or result is Truth.UNKNOWN:
            result = Truth.UNKNOWN
        elif truth is Truth.EITHER:
            result = Truth.EITHER
    return result


def _any(truths: Iterable[Truth]) -> Truth:
    result = Truth.FALSE
    for truth in truths:
        if truth is Truth.TRUE:
            return Truth.TRUE
        if truth is Truth.EITHER or result is Truth.EITHER:
            result = Truth.EITHER
        elif truth is Truth.UNKNOWN:
            result = Truth.UNKNOWN
    return result


def _negate(truth: Truth) -> Truth:
    return {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE}.get(truth, truth)


class Scenario:
    """One representative ref and the pipeline it runs in."""

    __slots__ = ("branch", "kind", "name", "values")

    kind: str
    """``branch``, ``tag`` or ``merge_request``."""
    name: str
    branch: str
    """What the scenario stands for: ``fresh``, ``default`` or the branch/tag name."""
    values: dict[str, list[str | None]]
    """Predefined variables with the values they can take here."""

    def __init__(self, kind: str, name: str, branch: str, *, scheduled: bool = True) -> None:
        self.kind = kind
        self.name = name
        self.branch = branch
        # A schedule runs on the ref its owner picked, not on whatever branch is pushed:
        # a job that runs only for schedules does not run on "any branch".
        sources: list[str | None] = [source for source in REF_SOURCES
                                     if scheduled or source != "schedule"]
        none: list[str | None] = [None]
        if kind == "branch":
            self.values = {
                "CI_COMMIT_BRANCH": [name], "CI_COMMIT_REF_NAME": [name],
                "CI_BUILD_REF_NAME": [name], "CI_COMMIT_REF_SLUG": [slug(name)],
                "CI_BUILD_REF_SLUG": [slug(name)], "CI_COMMIT_TAG": none, "CI_BUILD_TAG": none,
                "CI_PIPELINE_SOURCE": sources, "CI_MERGE_REQUEST_IID": none,
                "CI_MERGE_REQUEST_ID": none, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": none,
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": none,
            }
        elif kind == "tag":
            self.values = {
                "CI_COMMIT_BRANCH": none, "CI_COMMIT_REF_NAME": [name],
                "CI_BUILD_REF_NAME": [name], "CI_COMMIT_REF_SLUG": [slug(name)],
                "CI_BUILD_REF_SLUG": [slug(name)], "CI_COMMIT_TAG": [name],
                "CI_BUILD_TAG": [name], "CI_PIPELINE_SOURCE": sources,
                "CI_MERGE_REQUEST_IID": none, "CI_MERGE_REQUEST_ID": none,
                "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": none,
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": none,
            }
        else:
            self.values = {
                "CI_COMMIT_BRANCH": none, "CI_COMMIT_REF_NAME": [name],
                "CI_BUILD_REF_NAME": [name], "CI_COMMIT_REF_SLUG": [slug(name)],
                "CI_BUILD_REF_SLUG": [slug(name)], "CI_COMMIT_TAG": none, "CI_BUILD_TAG": none,
                "CI_PIPELINE_SOURCE": ["merge_request_event"], "CI_MERGE_REQUEST_IID": ["1"],
                "CI_MERGE_REQUEST_ID": ["1"], "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": [name],
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": [DEFAULT_BRANCH, "cigen-other-target"],
            }
        self.values["CI_DEFAULT_BRANCH"] = [DEFAULT_BRANCH]


def slug(name: str) -> str:
    """``CI_COMMIT_REF_SLUG`` of a ref name: lower case, cut to 63 bytes, anything
    outside ``[a-z0-9]`` replaced by ``-``, no ``-`` at either end."""
    return re.sub(r"[^a-z0-9]", "-", name.lower())[:63].strip("-")


# -- CI/CD variable expressions, atom by atom -------------------------------------------

_TOKEN = re.compile(r"""\s*(?:
      (?P<variable>\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)
    | (?P<compare>==|!=|=~|!~)
    | (?P<logic>&&|\|\|)
    | (?P<paren>[()])
    | (?P<null>null)\b
    )""", re.X)
_NAME = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")

Node = tuple[str, Any]
"""``("atom", text)``, ``("all", [nodes])``, ``("any", [nodes])`` or ``("not", node)``."""


def parse_expression(text: str) -> Node | None:
    """``text`` as a tree of tests joined by ``&&``/``||``; ``None`` when it is not an
    expression this reader understands."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position or match.lastgroup is None:
            return None
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    parser = _Parser(tokens)
    try:
        node = parser.disjunction()
    except (ValueError, RecursionError):
        return None
    return node if parser.position == len(tokens) else None


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise ValueError("end of expression")
        self.position += 1
        return token

    def disjunction(self) -> Node:
        nodes = [self.conjunction()]
        while self._peek() == ("logic", "||"):
            self._take()
            nodes.append(self.conjunction())
        return nodes[0] if len(nodes) == 1 else ("any", nodes)

    def conjunction(self) -> Node:
        nodes = [self.test()]
        while self._peek() == ("logic", "&&"):
            self._take()
            nodes.append(self.test())
        return nodes[0] if len(nodes) == 1 else ("all", nodes)

    def test(self) -> Node:
        if self._peek() == ("paren", "("):
            self._take()
            node = self.disjunction()
            if self._take() != ("paren", ")"):
                raise ValueError("unbalanced parenthesis")
            return node
        parts = [self._operand()]
        following = self._peek()
        if following is not None and following[0] == "compare":
            parts.append(self._take()[1])
            parts.append(self._operand())
        return ("atom", " ".join(parts))

    def _operand(self) -> str:
        kind, text = self._take()
        if kind not in ("variable", "string", "regex", "null"):
            raise ValueError("operand expected")
        return text


def _atoms(node: Node) -> Iterable[str]:
    kind, body = node
    if kind == "atom":
        yield body
    elif kind == "not":
        yield from _atoms(body)
    else:
        for child in body:
            yield from _atoms(child)


class Context:
    """The variables the files define, which expressions may test, and the verdicts
    of tests already judged with them."""

    __slots__ = ("defined", "verdicts")

    def __init__(self, defined: Callable[[str], str | None]) -> None:
        self.defined = defined
        self.verdicts: dict[tuple[object, ...], Truth] = {}

    def value(self, name: str) -> Value:
        value = self.defined(name)
        if value is None or "$" in value:
            return UNKNOWN
        return value


def atom_truth(atom: str, scenario: Scenario, context: Context) -> Truth:
    """One test (``$A == "x"``, ``$A =~ /re/``, ``$A``) for ``scenario``."""
    names = _NAME.findall(atom)
    choices: list[list[str | None]] = []
    varying = [name for name in names if name in scenario.values]
    for name in varying:
        choices.append(scenario.values[name])
    # Most scenarios agree on the variables one test reads: judge each set of values once.
    key: tuple[object, ...] = (atom, *(tuple(choice) for choice in choices))
    known = context.verdicts.get(key)
    if known is not None:
        return known
    known = context.verdicts[key] = _atom_truth(atom, names, varying, choices, context)
    return known


def _atom_truth(atom: str, names: list[str], varying: list[str],
                choices: list[list[str | None]], context: Context) -> Truth:
    verdicts: set[object] = set()
    for combination in _product(choices):
        assigned = dict(zip(varying, combination, strict=True))

        def lookup(name: str, assigned: dict[str, str | None] = assigned) -> Value:
            if name in assigned:
                return assigned[name]
            return context.value(name)

        verdicts.add(evaluate(atom, lookup))
    if UNKNOWN in verdicts:
        # Unknown because of the ref (a branch compared with a project variable) or
        # because of something else (a project variable on its own): only the first
        # keeps the ref unknown.
        if any(name in REF_VARIABLES for name in names):
            return Truth.UNKNOWN
        return Truth.EITHER
    if verdicts == {True}:
        return Truth.TRUE
    if verdicts == {False}:
        return Truth.FALSE
    return Truth.EITHER


def _product(choices: list[list[str | None]]) -> Iterable[tuple[str | None, ...]]:
    combinations: list[tuple[str | None, ...]] = [()]
    for options in choices:
        combinations = [(*done, option) for done in combinations for option in options]
    return combinations


def node_truth(node: Node, truth_of_atom: Callable[[str], Truth]) -> Truth:
    kind, body = node
    if kind == "atom":
        return truth_of_atom(body)
    if kind == "not":
        return _negate(node_truth(body, truth_of_atom))
    if kind == "all":
        return _all(node_truth(child, truth_of_atom) for child in body)
    return _any(node_truth(child, truth_of_atom) for child in body)


# -- rules, only/except, workflow ---------------------------------------------------------

class RuleList:
    """A `rules:` list read once: each rule's condition and whether a match runs the job."""

    __slots__ = ("rules", "unreadable")

    rules: list[tuple[Node | None, bool, bool]]
    """(``if`` condition or ``None``, has `changes`/`exists`, a match runs the job)."""
    unreadable: bool

    def __init__(self, rules: Any) -> None:
        self.rules = []
        self.unreadable = False
        items = rules if isinstance(rules, YSeq) else []
        for rule in items:
            if not isinstance(rule, YMap):
                continue
            condition: Node | None = None
            if "if" in rule:
                text = rule.get("if")
                condition = parse_expression(text) if isinstance(text, str) else None
                if condition is None:
                    self.unreadable = True
                    condition = ("atom", "")
            has_files = "changes" in rule or "exists" in rule
            self.rules.append((condition, has_files, rule.get("when") != "never"))

    def atoms(self, running_only: bool = False) -> list[str]:
        """The tests of every rule (of the rules that run the job, with ``running_only``)."""
        return [atom for condition, _, runs in self.rules
                if condition is not None and (runs or not running_only)
                for atom in _atoms(condition)]

    def outcome(self, truth_of_atom: Callable[[str], Truth]) -> Outcome:
        """First match wins; a rule that may or may not match lets the job run
        (when it runs it) or lets the later rules decide (when it is `never`)."""
        for condition, has_files, runs in self.rules:
            truth = Truth.TRUE if condition is None else (
                Truth.UNKNOWN if condition == ("atom", "") else node_truth(condition,
                                                                          truth_of_atom))
            if has_files:
                truth = _all([truth, Truth.EITHER])
            if truth is Truth.TRUE:
                return Outcome.RUN if runs else Outcome.NO
            if truth is Truth.EITHER and runs:
                return Outcome.RUN
            if truth is Truth.UNKNOWN and runs:
                return Outcome.UNKNOWN
        return Outcome.NO


def _listed(value: Any) -> tuple[list[str], list[str], bool]:
    """``only``/``except``: (ref entries, variables expressions, has other conditions)."""
    refs: Any = value
    expressions: list[str] = []
    other = False
    if isinstance(value, YMap):
        refs = value.get("refs")
        variables = value.get("variables")
        if isinstance(variables, list):
            expressions = [item for item in variables if isinstance(item, str)]
        other = any(key in value for key in ("changes", "kubernetes"))
    if isinstance(refs, str):
        refs = [refs]
    entries = [item for item in refs if isinstance(item, str)] if isinstance(refs, list) else []
    return entries, expressions, other


def _ref_entry_truth(entry: str, scenario: Scenario) -> Truth:
    if entry in ("branches",):
        return Truth.TRUE if scenario.kind == "branch" else Truth.FALSE
    if entry == "tags":
        return Truth.TRUE if scenario.kind == "tag" else Truth.FALSE
    if entry == "merge_requests":
        return Truth.TRUE if scenario.kind == "merge_request" else Truth.FALSE
    if entry in ONLY_SOURCE_KEYWORDS:
        if entry == "schedules" and "schedule" not in scenario.values["CI_PIPELINE_SOURCE"]:
            return Truth.FALSE
        return Truth.EITHER if scenario.kind != "merge_request" else Truth.FALSE
    if scenario.kind == "merge_request":
        return Truth.FALSE
    ref_name = scenario.name
    regex = re.fullmatch(r"/(.*)/([a-z]*)", entry, re.S)
    if regex is not None:
        try:
            flags = re.IGNORECASE if "i" in regex.group(2) else 0
            return Truth.TRUE if re.search(regex.group(1), ref_name, flags) else Truth.FALSE
        except re.error:
            return Truth.UNKNOWN
    return Truth.TRUE if entry.split("@", 1)[0] == ref_name else Truth.FALSE


def _only_except_outcome(config: YMap, scenario: Scenario, context: Context) -> Outcome:
    has_only = "only" in config
    if has_only:
        entries, expressions, other = _listed(config["only"])
        if not entries:
            entries = ["branches", "tags"]
        truths = [_any(_ref_entry_truth(entry, scenario) for entry in entries)]
        if expressions:
            truths.append(_any(_expression_truth(text, scenario, context)
                               for text in expressions))
        if other:
            truths.append(Truth.EITHER)
        only_truth = _all(truths)
    else:
        only_truth = _any(_ref_entry_truth(entry, scenario) for entry in ("branches", "tags"))
    except_truth = Truth.FALSE
    if "except" in config:
        entries, expressions, other = _listed(config["except"])
        parts = [_any(_ref_entry_truth(entry, scenario) for entry in entries)] if entries else []
        if expressions:
            parts.append(_any(_expression_truth(text, scenario, context) for text in expressions))
        if other:
            parts.append(Truth.EITHER)
        except_truth = _all(parts) if parts else Truth.FALSE
    truth = _all([only_truth, _negate(except_truth) if except_truth is not Truth.EITHER
                  else Truth.EITHER])
    return {Truth.TRUE: Outcome.RUN, Truth.EITHER: Outcome.RUN, Truth.FALSE: Outcome.NO,
            Truth.UNKNOWN: Outcome.UNKNOWN}[truth]


def _expression_truth(text: str, scenario: Scenario, context: Context) -> Truth:
    node = parse_expression(text)
    if node is None:
        return Truth.UNKNOWN
    return node_truth(node, lambda atom: atom_truth(atom, scenario, context))


def _ref_entries(config: YMap) -> list[str]:
    entries: list[str] = []
    for key in ("only", "except"):
        if key in config:
            entries.extend(_listed(config[key])[0])
    return entries


# -- shell guards ------------------------------------------------------------------------

_SHELL_VARIABLE = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")


def _shell_operand(word: str, facts: JobFacts) -> str | None:
    """A test operand as an expression operand: ``$NAME`` or a quoted string."""
    match = _SHELL_VARIABLE.match(word)
    if match is not None:
        name = match.group(1)
        value = facts.variable(name) if name not in REF_VARIABLES else None
        if value is not None:
            inner = _SHELL_VARIABLE.match(value.strip())
            if inner is not None:
                return "$" + inner.group(1)
            if "$" not in value:
                return _quoted(value)
        return "$" + name
    if "$" in word or "`" in word:
        return None
    return _quoted(word)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _glob_regex(pattern: str) -> str:
    out = []
    for char in pattern:
        out.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return "/^" + "".join(out).replace("/", "\\/") + "$/"


def shell_condition_expression(condition: str, facts: JobFacts) -> Node | None:
    """A shell test (``[ "$CI_COMMIT_BRANCH" = main ]``, ``[[ -n $CI_COMMIT_TAG ]]``,
    ``test -z "$X"``, with ``! `` in front for an ``else`` branch) as an expression
    tree; ``None`` when it is no test this reader knows."""
    negated = False
    text = condition.strip()
    while text.startswith("! "):
        negated = not negated
        text = text[2:].strip()
    try:
        words = shlex.split(text, posix=True)
    except ValueError:
        return None
    double = bool(words) and words[0] == "[["
    if words[:1] in (["["], ["[["]) and words[-1:] in (["]"], ["]]"]):
        words = words[1:-1]
    elif words[:1] == ["test"]:
        words = words[1:]
    elif len(words) == 3 and words[1] == "=":
        case = _case_guard(words[0], words[2], facts)
        return None if case is None else ("not", case) if negated else case
    else:
        return None
    while words[:1] == ["!"]:
        negated = not negated
        words = words[1:]
    node: Node | None = None
    if len(words) == 2 and words[0] in ("-n", "-z"):
        operand = _shell_operand(words[1], facts)
        if operand is None:
            return None
        presence: Node = ("atom", operand)
        node = presence if words[0] == "-n" else ("not", presence)
    elif len(words) == 1:
        operand = _shell_operand(words[0], facts)
        node = None if operand is None else ("atom", operand)
    elif len(words) == 3 and words[1] in ("=", "==", "!=", "=~"):
        left = _shell_operand(words[0], facts)
        if left is None:
            return None
        right_word = words[2]
        if words[1] == "=~" or (double and any(char in right_word for char in "*?[")):
            if "$" in right_word:
                return None
            pattern = ("/" + right_word.replace("/", "\\/") + "/" if words[1] == "=~"
                       else _glob_regex(right_word))
            node = ("atom", f"{left} =~ {pattern}")
        else:
            right = _shell_operand(right_word, facts)
            if right is None:
                return None
            node = ("atom", f"{left} == {right}")
        if words[1] == "!=":
            node = ("not", node)
    if node is None:
        return None
    return ("not", node) if negated else node


def _case_guard(subject: str, patterns: str, facts: JobFacts) -> Node | None:
    """A ``case`` item's guard, ``SUBJECT = pattern|pattern``: glob patterns."""
    left = _shell_operand(subject, facts)
    if left is None or "$" in patterns:
        return None
    nodes: list[Node] = []
    for pattern in patterns.split("|"):
        pattern = pattern.strip().strip("'\"")
        if any(char in pattern for char in "*?["):
            nodes.append(("atom", f"{left} =~ {_glob_regex(pattern)}"))
        else:
            nodes.append(("atom", f"{left} == {_quoted(pattern)}"))
    return nodes[0] if len(nodes) == 1 else ("any", nodes)


def _mentions_ref(text: str) -> bool:
    return any(name in REF_VARIABLES for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


def _guard_truth(conditions: Sequence[Node | None], raw: Sequence[str], scenario: Scenario,
                 context: Context) -> Truth:
    truths = []
    for node, text in zip(conditions, raw, strict=True):
        if node is None:
            truths.append(Truth.UNKNOWN if _mentions_ref(text) else Truth.EITHER)
        else:
            truths.append(node_truth(node, lambda atom: atom_truth(atom, scenario, context)))
    return _all(truths)


# -- the model ---------------------------------------------------------------------------

class Refs:
    """The refs a job (or one of its commands) can run on."""

    __slots__ = ("any_branch", "branches", "default_branch", "merge_requests", "patterns",
                 "tags", "unknown")

    unknown: bool
    any_branch: bool
    """Some branch nobody named (pushed to, or the source of a merge request)."""
    branches: frozenset[str]
    """Branch names it runs on, besides the default branch."""
    patterns: frozenset[str]
    """``/regex/`` patterns of branch names it may run on."""
    default_branch: bool
    tags: bool
    merge_requests: bool

    def __init__(self, unknown: bool = False, any_branch: bool = False,
                 branches: frozenset[str] = frozenset(), patterns: frozenset[str] = frozenset(),
                 default_branch: bool = False, tags: bool = False,
                 merge_requests: bool = False) -> None:
        self.unknown = unknown
        self.any_branch = any_branch
        self.branches = branches
        self.patterns = patterns
        self.default_branch = default_branch
        self.tags = tags
        self.merge_requests = merge_requests

    def __repr__(self) -> str:
        if self.unknown:
            return "Refs(unknown)"
        return (f"Refs(any_branch={self.any_branch}, branches={sorted(self.branches)}, "
                f"patterns={sorted(self.patterns)}, default_branch={self.default_branch}, "
                f"tags={self.tags}, merge_requests={self.merge_requests})")

    @property
    def may_run_on_any_branch(self) -> bool:
        return not self.unknown and self.any_branch

    @property
    def only_tags(self) -> bool:
        return (not self.unknown and self.tags and not self.any_branch and not self.branches
                and not self.patterns and not self.default_branch)

    @property
    def runs_on_tags(self) -> bool:
        return not self.unknown and self.tags

    @property
    def fixed_branches(self) -> frozenset[str] | None:
        """The branch names, when the job runs on named branches only (the default
        branch aside); ``None`` when any branch or a pattern may be among them."""
        if self.unknown or self.any_branch or self.patterns:
            return None
        return self.branches

    def branch_names_may_contain(self, character: str) -> bool | None:
        """Whether the name of a branch it runs on may contain ``character``;
        ``None`` when unknown (the default branch's name is a project setting)."""
        if self.unknown:
            return None
        if self.any_branch or any(character in name for name in self.branches) \
                or any(_pattern_may_match(pattern, character) for pattern in self.patterns):
            return True
        return None if self.default_branch else False


def _pattern_may_match(pattern: str, character: str) -> bool:
    """Whether ``/regex/`` may match a name containing ``character`` (``/``): unless it is
    anchored at both ends and made of nothing that could stand for it."""
    match = re.fullmatch(r"/(.*)/[a-z]*", pattern, re.S)
    if match is None:
        return True
    body = match.group(1)
    if not (body.startswith("^") and body.endswith("$")) or "\\" + character in body:
        return True
    rest = _SLASH_FREE_ESCAPES.sub("", body)
    return any(part in rest for part in (".", character, "\\", "[^"))


_CACHE: weakref.WeakKeyDictionary[JobFacts, Refs] = weakref.WeakKeyDictionary()


def job_refs(facts: JobFacts) -> Refs:
    """The refs ``facts``' job can run on."""
    cached = _CACHE.get(facts)
    if cached is None:
        cached = _CACHE[facts] = _compute(facts, [], [])
    return cached


def command_refs(facts: JobFacts, command: Command) -> Refs:
    """The refs a command runs on: its job's, narrowed by the shell tests around it."""
    conditions = [_through_shell_values(condition, facts) for condition in command.conditions]
    relevant = [condition for condition in conditions if _mentions_ref(condition)]
    if not relevant:
        return job_refs(facts)
    nodes = [shell_condition_expression(condition, facts) for condition in relevant]
    return _compute(facts, nodes, relevant)


def _through_shell_values(condition: str, facts: JobFacts) -> str:
    """``condition`` with the script's variables that hold the ref written as their
    values: ``BRANCH=$CI_COMMIT_BRANCH`` then ``[ "$BRANCH" = main ]`` tests the
    branch, and ``IS_MAIN=$(...)`` computed from it makes a test of it unknown."""
    if "$" not in condition:
        return condition

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in REF_VARIABLES:
            for written, _ in facts.shell_assignments.get(name, []):
                if _mentions_ref(written):
                    return written
        return match.group(0)

    return VARIABLE.sub(value, condition)


def _job_is_incomplete(facts: JobFacts) -> bool:
    # A template cigen cannot read hides the refs only if it may set the job's rules.
    if facts.job.incomplete and facts.job.rules_unknown:
        return True
    span = facts.config.span
    if span is None:
        return False
    for problem in facts.pipeline.unknown_targets:
        if problem.rule != "reference-error":
            continue  # an unread `extends` template is judged by `rules_unknown` above
        where = problem.span
        # Only a `!reference` that could have held the job's rules hides its refs.
        path = re.search(r"\[(.*?)\]", problem.message)
        keys = {part.strip() for part in path.group(1).split(",")} if path else set()
        if where is not None and where.path == span.path \
                and span.line <= where.line <= span.end_line \
                and (len(keys) < 2 or keys & {"rules", "only", "except", "workflow"}):
            return True
    return False


def _yaml_value(facts: JobFacts) -> Callable[[str], str | None]:
    def value(name: str) -> str | None:
        variable = facts.yaml_variable(name)
        return None if variable is None else variable.value

    return value


def _compute(facts: JobFacts, guards: list[Node | None], guard_texts: list[str]) -> Refs:
    if _job_is_incomplete(facts):
        return Refs(unknown=True)
    config = facts.config
    workflow = facts.pipeline.config.get("workflow")
    workflow_rules = RuleList(workflow.get("rules")) if isinstance(workflow, YMap) \
        and isinstance(workflow.get("rules"), YSeq) else None
    job_rules = RuleList(config.get("rules")) if "rules" in config else None
    context = Context(_yaml_value(facts))

    atoms = [*(workflow_rules.atoms() if workflow_rules else []),
             *(job_rules.atoms() if job_rules else [])]
    guard_atoms = [atom for node in guards if node is not None for atom in _atoms(node)]
    atoms.extend(guard_atoms)
    branch_names: set[str] = set()
    tag_names: set[str] = set()
    patterns: set[str] = set()
    running = {*(workflow_rules.atoms(True) if workflow_rules else []),
               *(job_rules.atoms(True) if job_rules else []), *guard_atoms}
    for atom in atoms:
        names = set(_NAME.findall(atom))
        literals = [text[1:-1] for text in re.findall(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'', atom)]
        for name in names - REF_VARIABLES:
            value = context.value(name)
            if isinstance(value, str):
                literals.append(value)
        regexes = re.findall(r"/(?:[^/\\]|\\.)*/[a-z]*", atom)
        if names & BRANCH_NAME_VARIABLES or "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME" in names:
            branch_names.update(literals)
            if atom in running:
                patterns.update(regexes)
        if names & TAG_NAME_VARIABLES:
            tag_names.update(literals)
    if job_rules is None:
        for entry in _ref_entries(config):
            if re.fullmatch(r"/.*/[a-z]*", entry, re.S):
                if "only" in config and entry in _listed(config["only"])[0]:
                    patterns.add(entry)
            elif entry not in ("branches", "tags", "merge_requests") \
                    and entry not in ONLY_SOURCE_KEYWORDS:
                branch_names.add(entry.split("@", 1)[0])
    branch_names.discard("")
    if len(branch_names) + len(tag_names) > MAX_NAMED_REFS:
        return Refs(unknown=True)  # more names than are worth playing one by one

    def outcome(scenario: Scenario) -> Outcome:
        def truth_of_atom(atom: str) -> Truth:
            return atom_truth(atom, scenario, context)

        results = []
        if workflow_rules is not None:
            results.append(Outcome.UNKNOWN if workflow_rules.unreadable and
                           workflow_rules.outcome(truth_of_atom) is not Outcome.NO
                           else workflow_rules.outcome(truth_of_atom))
        elif scenario.kind == "merge_request" and job_rules is None \
                and "merge_requests" not in _ref_entries(config):
            results.append(Outcome.NO)
        if job_rules is not None:
            result = job_rules.outcome(truth_of_atom)
            if job_rules.unreadable and result is not Outcome.NO:
                result = Outcome.UNKNOWN
            results.append(result)
        else:
            results.append(_only_except_outcome(config, scenario, context))
        if guards:
            truth = _guard_truth(guards, guard_texts, scenario, context)
            results.append({Truth.FALSE: Outcome.NO, Truth.UNKNOWN: Outcome.UNKNOWN}.get(
                truth, Outcome.RUN))
        if Outcome.NO in results:
            return Outcome.NO
        if Outcome.UNKNOWN in results:
            return Outcome.UNKNOWN
        return Outcome.RUN

    fresh = outcome(Scenario("branch", FRESH_BRANCH, "fresh", scheduled=False))
    merge_request = outcome(Scenario("merge_request", FRESH_BRANCH, "fresh"))
    default = outcome(Scenario("branch", DEFAULT_BRANCH, "default"))
    named = {name: outcome(Scenario("branch", name, name)) for name in sorted(branch_names)}
    tagged = [outcome(Scenario("tag", name, name))
              for name in (*SAMPLE_TAGS, *sorted(tag_names))]
    everything = [fresh, merge_request, default, *named.values(), *tagged]
    if Outcome.UNKNOWN in everything:
        return Refs(unknown=True)
    any_branch = fresh is Outcome.RUN or merge_request is Outcome.RUN
    return Refs(
        any_branch=any_branch,
        branches=frozenset(name for name, result in named.items() if result is Outcome.RUN),
        patterns=frozenset() if any_branch else frozenset(patterns),
        default_branch=default is Outcome.RUN,
        tags=Outcome.RUN in tagged,
        merge_requests=merge_request is Outcome.RUN,
    )
