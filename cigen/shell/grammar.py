"""A job's scripts walked along the bash grammar into the commands its shell runs.

tree-sitter-bash parses the script items of one shell (a job's
``before_script`` and ``script`` joined, each item its own line; its
``after_script`` apart). The walk then follows the shell's data flow: the
guards each command runs under (``if``/``elif``/``else``, ``case``,
``while``, ``&&``/``||``), the values a variable takes (assignments, ``export``,
``read``, ``for`` loops), the bodies of functions at each call with ``$1``,
``$@`` bound to the call's words, and the command strings other commands run
(``sh -c``, ``eval``, ``ssh host ...``, ``su -c``, heredocs fed to a shell or to
``ssh``, and a command kept in a variable run as ``$cmd``), each mapped back to
the exact characters of the item it was written in. Nothing here recurses
without a bound: 10,000 nested ``$(`` or a function calling itself stop at a
fixed depth.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from cigen.shell.locator import Locator
from cigen.shell.words import Command, Word, unquote
from cigen.source.positions import Span

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Tree

MAX_DEPTH = 100
"""Syntax nodes walked inside one another; deeper ones are skipped."""
MAX_STRING_DEPTH = 8
"""Command strings inside command strings (``ssh h "sh -c '...'"``)."""
MAX_CALL_DEPTH = 16
MAX_CALLS = 2000
"""Function bodies emitted for one shell: calls that call several functions
each could otherwise multiply without end."""
LOOKAHEAD = 32
"""Items tried together to close a construct spread over several items (an
``if`` on one, ``fi`` on another) once the joined script has an error."""
MAX_CHAIN = 32
# Nodes whose commands run in a shell of their own: an `exit` there ends only that one.
_OTHER_SHELLS = frozenset({"subshell", "command_substitution", "process_substitution", "pipeline"})
"""Earlier commands of an ``&&``/``||`` chain kept as conditions of a later one."""
MAX_CONDITION = 2000
"""Characters kept of a condition's text."""

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "ksh", "mksh"})
IMAGE_TOOLS = frozenset({"docker", "podman", "buildah", "skopeo", "crane", "helm", "oras",
                         "nerdctl", "regctl", "buildctl", "depot", "executor", "kaniko"})
# Commands that print, match, store or fetch their arguments rather than run them;
# a tool's name among their arguments (`apk add docker`, `cd docker`) is data.
NOT_WRAPPERS = frozenset({
    "echo", "printf", "grep", "egrep", "fgrep", "rg", "sed", "awk", "gawk", "cat", "test", "[",
    "[[", "jq", "yq", "tee", "cut", "tr", "sort", "uniq", "head", "tail", "wc", "envsubst",
    "expr", "true", "false", "read", "which", "type", "hash", "printenv", "basename", "dirname",
    "cd", "pushd", "ls", "cp", "mv", "rm", "mkdir", "rmdir", "touch", "chmod", "chown", "ln",
    "find", "tar", "zip", "unzip", "gzip", "stat", "file", "readlink", "realpath", "source", ".",
    "apk", "apt", "apt-get", "yum", "dnf", "microdnf", "zypper", "pacman", "brew", "pip", "pip3",
    "npm", "yarn", "pnpm", "gem", "go", "cargo", "curl", "wget", "git", "install", "kubectl",
    "oc", "ssh", "scp", "rsync", "su", "eval", "exec", "trap", "alias", "complete", "man",
    "set", "unset", "export", "local", "declare", "readonly", "typeset", "logger", "mail",
    "notify", "sleep", "wait", "kill", "systemctl", "service",
})
_WRAPPER_VALUES = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user",
                       "--group", "--prompt", "--host", "--chdir"}),
    "exec": frozenset({"-a"}),
    "command": frozenset(),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p", "-P", "-u", "--class", "--classdata"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "xargs": frozenset({"-n", "-I", "-i", "-d", "-L", "-l", "-P", "-s", "-E", "-e", "-a",
                        "--max-args", "--max-procs", "--delimiter", "--arg-file"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
}
_SSH_VALUES = frozenset({"-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m",
                         "-O", "-o", "-p", "-Q", "-R", "-S", "-W", "-w", "-B"})
_READ_VALUES = frozenset({"-a", "-d", "-i", "-n", "-N", "-p", "-t", "-u"})
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SHELL_C = re.compile(r"^-[A-Za-z]*c[A-Za-z]*$")
_RUN_VARIABLE = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$")
"""A command word that is one unquoted variable: the shell runs its value's words."""
_NOT_PLAIN = re.compile(r"""['"`\\;&|<>()]|\$\(""")
_POSITIONAL = re.compile(r'^("?)\$(?:\{([1-9@*])\}|([1-9@*]))\1$')
READ_VALUE = "$(read)"
"""What ``read X`` assigns: input, unknown like any command's output."""

_NOT_ARGUMENTS = frozenset({"file_redirect", "herestring_redirect", "heredoc_redirect",
                            "comment"})
# Nodes that hold no command the walk follows: words, and the substitutions inside them.
_NO_COMMANDS = frozenset({
    "word", "string", "raw_string", "concatenation", "simple_expansion", "expansion", "number",
    "command_substitution", "process_substitution", "arithmetic_expansion", "ansi_c_string",
    "translated_string", "comment", "test_command", "variable_name", "file_redirect",
    "herestring_redirect", "heredoc_body", "heredoc_start", "heredoc_end", "extglob_pattern",
    "regex", "brace_expression", "special_variable_name",
})


@cache
def _parser() -> Parser:
    # Imported on first use: `cigen lint --help` and jobs that name no tool never pay for it.
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


class Item(NamedTuple):
    """One script item of the shell: its section and where its characters are."""

    section: str
    locator: Locator


class _Text:
    """One text the grammar parsed, and where its characters are in the shell's items.

    The shell's joined items are one; a command string or heredoc read as a
    script is another, inside its parent: exactly at ``base`` + offset when it
    was written without escapes, else at ``base`` (the string's start).
    """

    __slots__ = ("_byte_at", "_extra", "ascii", "base", "exact", "first", "parent", "starts",
                 "text", "tree")

    def __init__(self, text: str, starts: Sequence[int] = (0,), first: int = 0,
                 parent: _Text | None = None, base: int = 0, exact: bool = True) -> None:
        self.text = text
        self.starts = starts
        """Where each item starts in ``text``; the first is item number ``first``."""
        self.first = first
        self.parent = parent
        self.base = base
        self.exact = exact
        data = text.encode("utf-8", "surrogatepass")
        self.tree: Tree = _parser().parse(data)
        # Byte offsets of the characters written in more than one byte, and the
        # extra bytes up to and including each: tree-sitter counts bytes.
        self._byte_at: list[int] = []
        self._extra: list[int] = []
        if not text.isascii():
            extra = 0
            for match in re.finditer(r"[^\x00-\x7f]", text):
                size = len(match.group().encode("utf-8", "surrogatepass"))
                self._byte_at.append(match.start() + extra)
                extra += size - 1
                self._extra.append(extra)
        self.ascii = not self._byte_at

    def char(self, byte: int) -> int:
        if not self._byte_at:
            return byte
        index = bisect_left(self._byte_at, byte) - 1
        return byte - (self._extra[index] if index >= 0 else 0)

    def bounds(self, node: Node) -> tuple[int, int]:
        if self.ascii:
            return node.start_byte, node.end_byte
        return self.char(node.start_byte), self.char(node.end_byte)

    def source(self, node: Node) -> str:
        start, end = self.bounds(node)
        return self.text[start:end]

    def position(self, offset: int) -> tuple[int, int]:
        """The item a character is in, and its offset in that item's value."""
        if self.parent is not None:
            return self.parent.position(self.base + offset if self.exact else self.base)
        index = bisect_right(self.starts, offset) - 1
        return self.first + index, offset - self.starts[index]


class _Arg(NamedTuple):
    """A word of a command while the walk reads it."""

    word: Word
    item: int
    origin: _Text
    """The text it was read from, for reading it again as a script."""
    at: int
    """Its character offset in ``origin``."""


class _Context(NamedTuple):
    conditions: tuple[str, ...] = ()
    via: str = ""
    start: _Arg | None = None
    """The first word of the command that runs this text (``ssh``, the function call)."""
    arguments: tuple[_Arg, ...] | None = None
    """``$1``, ``$2``...: the words of the function call whose body is walked."""
    calls: tuple[str, ...] = ()
    strings: int = 0

    def reached(self, how: str, start: _Arg, arguments: tuple[_Arg, ...] | None = None,
                calls: tuple[str, ...] | None = None) -> _Context:
        """The context of a command run by the one starting with ``start``."""
        return self._replace(via=f"{self.via} > {how}" if self.via else how,
                             start=self.start or start,
                             arguments=self.arguments if arguments is None else arguments,
                             calls=self.calls if calls is None else calls)


def _condition(text: str) -> str:
    return text if len(text) <= MAX_CONDITION else text[:MAX_CONDITION]


class ShellWalk:
    """The commands one shell runs, from its script items in order."""

    def __init__(self, items: list[Item], values: list[str]) -> None:
        self.items = items
        self.values = values
        self.commands: list[Command] = []
        self.functions: dict[str, tuple[_Text, Node]] = {}
        self.calls = 0
        self.command_strings: dict[str, _Arg] = {}
        """The last value written to each variable, for ``$cmd`` run as a command."""
        self.survived: tuple[str, ...] = ()
        """Conditions every later command runs under because the shell did not exit
        before it (``[ "$CI_COMMIT_BRANCH" = main ] || exit 0``)."""

    def run(self) -> list[Command]:
        count = len(self.values)
        joined = self._text(0, count)
        if not joined.tree.root_node.has_error or count == 1:
            self._walk(joined.tree.root_node, joined, _Context(), 0)
            return self.commands
        # A broken item (an unclosed quote) must not swallow the items after it:
        # read the items in the smallest runs that parse, each broken one alone.
        # A construct spread over items (`if ...; then` ... `fi`) fails on its
        # first and last item alone, so only such items can close a run.
        alone = [self._text(index, index + 1) for index in range(count)]
        failing = [index for index in range(count) if alone[index].tree.root_node.has_error
                   or _CLOSING.match(self.values[index])]
        index = 0
        guards: list[str] = []
        # Runs tried together are parsed again: bound that work to a few times the script.
        budget = 4 * len(joined.text) + 65536
        offsets = [0]
        for value in self.values:
            offsets.append(offsets[-1] + len(value) + 1)
        while index < count:
            text = alone[index]
            last = index
            if _CLOSER.match(self.values[index]):
                _open_guard(self.values[index], guards)
                index += 1
                continue
            if text.tree.root_node.has_error:
                after = bisect_right(failing, index)
                for end in failing[after:after + LOOKAHEAD]:
                    budget -= offsets[end + 1] - offsets[index]
                    if budget < 0:
                        break
                    run = self._text(index, end + 1)
                    if not run.tree.root_node.has_error:
                        text, last = run, end
                        break
                else:
                    # Still open: keep the guard of an `if` or `while` line in
                    # force until the line that closes it.
                    if _open_guard(self.values[index], guards):
                        index += 1
                        continue
            self._walk(text.tree.root_node, text, _Context(tuple(guards[-MAX_CHAIN:])), 0)
            index = last + 1
        return self.commands

    def _text(self, first: int, stop: int) -> _Text:
        starts: list[int] = []
        offset = 0
        for value in self.values[first:stop]:
            starts.append(offset)
            offset += len(value) + 1
        return _Text("\n".join(self.values[first:stop]), starts, first)

    # -- statements ---------------------------------------------------------------

    def _walk(self, node: Node, text: _Text, context: _Context, depth: int,
              piped_from: str = "") -> None:
        if depth > MAX_DEPTH:
            return
        kind = node.type
        if kind == "command":
            self._command(node, text, context, depth, piped_from)
        elif kind in ("declaration_command", "variable_assignment", "variable_assignments"):
            self._assignments(node, text, context)
        elif kind == "list":
            self._list(node, text, context, depth)
        elif kind == "pipeline":
            self._pipeline(list(_statements(node)), text, context, depth, piped_from)
        elif kind in ("if_statement", "elif_clause", "else_clause"):
            self._if(node, text, context, depth)
        elif kind == "while_statement":
            self._while(node, text, context, depth)
        elif kind == "for_statement":
            self._for(node, text, context, depth)
        elif kind == "case_statement":
            self._case(node, text, context, depth)
        elif kind == "function_definition":
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if name is not None and body is not None:
                self.functions[text.source(name)] = (text, body)
        elif kind == "redirected_statement":
            self._redirected(node, text, context, depth, piped_from)
        elif kind not in _NO_COMMANDS:
            for child in _statements(node):
                self._walk(child, text, context, depth + 1)

    def _list(self, node: Node, text: _Text, context: _Context, depth: int) -> None:
        # `a && b || c` nests to the left: flatten it without recursion.
        parts: list[Node] = []
        operators: list[str] = []
        while node.type == "list":
            children = [child for child in node.children if child.type != "comment"]
            if len(children) != 3:
                break
            parts.append(children[2])
            operators.append(children[1].type)
            node = children[0]
        parts.append(node)
        parts.reverse()
        operators.reverse()
        earlier: list[str] = []
        for index, part in enumerate(parts):
            self._walk(part, text, context._replace(conditions=context.conditions
                                                    + tuple(earlier)), depth + 1)
            if index < len(operators):
                negated = "! " if operators[index] == "||" else ""
                earlier.append(_condition(negated + text.source(part)))
                del earlier[:-MAX_CHAIN]

    def _pipeline(self, stages: list[Node], text: _Text, context: _Context, depth: int,
                  piped_from: str) -> None:
        for stage in stages:
            self._walk(stage, text, context, depth + 1, piped_from)
            piped_from = text.source(stage)

    def _if(self, node: Node, text: _Text, context: _Context, depth: int) -> None:
        tests: list[str] = []
        condition: list[Node] = []
        body: list[Node] = []
        branches: list[tuple[str | None, list[Node]]] = []
        in_test = False
        clauses: list[Node] = [node]
        while clauses:
            clause = clauses.pop(0)
            for child in clause.children:
                kind = child.type
                if kind in ("if", "elif"):
                    in_test, condition, body = True, [], []
                elif kind == "then":
                    in_test = False
                    test = "; ".join(text.source(part) for part in condition)
                    branches.append((test, body))
                    for part in condition:
                        self._walk(part, text, context._replace(
                            conditions=context.conditions + tuple(f"! {earlier}"
                                                                  for earlier in tests)),
                            depth + 1)
                    tests.append(_condition(test))
                elif kind == "else":
                    body = []
                    branches.append((None, body))
                elif kind in ("elif_clause", "else_clause"):
                    clauses.append(child)
                elif child.is_named and kind != "comment":
                    (condition if in_test else body).append(child)
        done: list[str] = []
        for branch_test, statements in branches:
            guards = tuple(f"! {earlier}" for earlier in done)
            if branch_test is not None:
                guards += (_condition(branch_test),)
                done.append(_condition(branch_test))
            for statement in statements:
                self._walk(statement, text,
                           context._replace(conditions=context.conditions + guards), depth + 1)

    def _while(self, node: Node, text: _Text, context: _Context, depth: int) -> None:
        negated = "! " if node.children and node.children[0].type == "until" else ""
        tests = [child for index, child in enumerate(node.children)
                 if node.field_name_for_child(index) == "condition" and child.is_named]
        for part in tests:
            self._walk(part, text, context, depth + 1)
        test = _condition(negated + "; ".join(text.source(part) for part in tests))
        body = node.child_by_field_name("body")
        if body is not None:
            self._walk(body, text, context._replace(conditions=(*context.conditions, test)),
                       depth + 1)

    def _for(self, node: Node, text: _Text, context: _Context, depth: int) -> None:
        variable = node.child_by_field_name("variable")
        values = [child for index, child in enumerate(node.children)
                  if node.field_name_for_child(index) == "value"]
        if variable is not None and values:
            name = text.source(variable)
            words = [arg for value in values for arg in self._args(value, text, context)]
            loop = "for " + name + " in " + " ".join(arg.word.raw for arg in words)
            for arg in words:
                # One assignment per value: every value the loop variable takes is known.
                self._emit([], {name: arg.word.text}, [arg], context, loop)
        body = node.child_by_field_name("body")
        if body is not None:
            self._walk(body, text, context, depth + 1)

    def _case(self, node: Node, text: _Text, context: _Context, depth: int) -> None:
        subject = node.child_by_field_name("value")
        written = text.source(subject) if subject is not None else ""
        for item in node.named_children:
            if item.type != "case_item":
                continue
            patterns: list[str] = []
            statements: list[Node] = []
            for index, child in enumerate(item.children):
                if item.field_name_for_child(index) == "value":
                    patterns.append(text.source(child))
                elif child.is_named and child.type != "comment":
                    statements.append(child)
            guard = _condition(f"{written} = {'|'.join(patterns)}")
            for statement in statements:
                self._walk(statement, text,
                           context._replace(conditions=(*context.conditions, guard)),
                           depth + 1)

    def _redirected(self, node: Node, text: _Text, context: _Context, depth: int,
                    piped_from: str) -> None:
        body = node.child_by_field_name("body")
        if body is not None:
            self._walk(body, text, context, depth + 1, piped_from)
        body_text = text.source(body) if body is not None else ""
        for redirect in node.children:
            if redirect.type != "heredoc_redirect":
                continue
            content = next((child for child in redirect.children
                            if child.type == "heredoc_body"), None)
            reader = body
            chained = False
            for child in redirect.children:
                if child.type in ("&&", "||"):
                    chained = True
                elif child.type == "pipeline":
                    stages = list(_statements(child))
                    self._pipeline(stages, text, context, depth, body_text)
                    if stages and body_text.strip() == "cat":  # `cat <<EOF | sh`
                        reader = stages[0]
                elif child.is_named and child.type not in _NO_COMMANDS:
                    guards = (_condition(body_text),) if chained else ()
                    self._walk(child, text, context._replace(
                        conditions=context.conditions + guards), depth + 1)
            if content is not None and reader is not None and reader.type == "command":
                self._heredoc(reader, content, text, context, depth)

    def _heredoc(self, reader: Node, content: Node, text: _Text, context: _Context,
                 depth: int) -> None:
        """A heredoc fed to a shell (``sh <<EOF``) or to ``ssh host``, read as a script."""
        args = self._strip(self._command_args(reader, text, context)[1])
        how = self._reads_script(args, "heredoc")
        if how is not None:
            start, end = text.bounds(content)
            self._script(text, start, text.text[start:end], True,
                         context.reached(how, args[0]), depth)

    def _reads_script(self, args: list[_Arg], redirect: str) -> str | None:
        """How a command runs the script on its standard input (``sh``, ``ssh host``)."""
        if not args:
            return None
        name = args[0].word.text.rsplit("/", 1)[-1]
        operands = [arg for arg in args[1:] if not arg.word.text.startswith(("-", "+"))]
        if name in SHELLS and not operands:
            return redirect
        if name == "ssh" and len(args) > 1 and not self._ssh_command(args):
            return "ssh"
        return None

    # -- simple commands ----------------------------------------------------------

    def _assignments(self, node: Node, text: _Text, context: _Context) -> None:
        """``X=1``, ``export X=1 Y``, ``local``, ``readonly``, ``declare -x``."""
        assignments: dict[str, str] = {}
        words: list[_Arg] = []
        nodes = node.named_children if node.type != "variable_assignment" else [node]
        for child in nodes:
            if child.type == "variable_assignment":
                assignments.update(self._assignment(child, text, context))
            words.extend(self._args(child, text, context))
        if node.type == "declaration_command" and node.children:
            words[:0] = [self._arg(node.children[0], text)]
        if words:
            self._emit([], assignments, words, context,
                       " ".join(arg.word.raw for arg in words))

    def _assignment(self, node: Node, text: _Text, context: _Context) -> dict[str, str]:
        name = node.child_by_field_name("name")
        if name is None:
            return {}
        value = node.child_by_field_name("value")
        written = unquote(text.source(value)) if value is not None else ""
        if value is not None:
            self.command_strings[text.source(name)] = self._arg(value, text)
        else:
            self.command_strings.pop(text.source(name), None)
        if context.arguments is not None and value is not None:
            bound = self._positional(text.source(value), context)
            if bound is not None:
                written = " ".join(arg.word.text for arg in bound)
        return {text.source(name): written}

    def _command_args(self, node: Node, text: _Text, context: _Context
                      ) -> tuple[dict[str, str], list[_Arg], list[_Arg]]:
        """The command's assignments, its words, and all it wrote (for its text)."""
        assignments: dict[str, str] = {}
        words: list[_Arg] = []
        written: list[_Arg] = []
        for child in node.children:
            kind = child.type
            if kind == "variable_assignment":
                assignments.update(self._assignment(child, text, context))
                written.append(self._arg(child, text))
            elif child.is_named and kind not in _NOT_ARGUMENTS:
                if context.arguments is not None:
                    found = self._args(child, text, context)
                    words.extend(found)
                    written.extend(found)
                    continue
                if kind == "command_name" and child.child_count:
                    child = child.children[0]
                arg = self._arg(child, text)
                words.append(arg)
                written.append(arg)
        return assignments, words, written

    def _command(self, node: Node, text: _Text, context: _Context, depth: int,
                 piped_from: str) -> None:
        assignments, words, written = self._command_args(node, text, context)
        line = " ".join(arg.word.raw for arg in written)
        start = written[0] if written else None
        args = self._strip(words, assignments)
        if args and args[0].word.text == "read":
            names = _read_names(args)
            assignments.update(dict.fromkeys(names, READ_VALUE))
        if not args:
            if assignments and start is not None:
                self._emit([], assignments, [start], context, line)
            return
        self._emit(args, assignments, [start or args[0]], context, line, piped_from)
        if args[0].word.text == "exit":
            self._exit(node, context)
            return
        self._reached(args, context, depth)
        for child in node.children:
            if child.type == "herestring_redirect" and child.named_child_count:
                how = self._reads_script(args, "herestring")  # `sh <<< "docker ..."`
                if how is not None:
                    self._string(self._arg(child.named_children[-1], text),
                                 context.reached(how, args[0]), depth)

    def _exit(self, node: Node, context: _Context) -> None:
        """Commands after an ``exit`` run only where it did not: under the negation of its
        one condition. An ``exit`` in a subshell, a pipeline or a command string ends
        another shell; one under several conditions is not followed."""
        if context.via or len(context.conditions) != 1:
            return
        parent = node.parent
        while parent is not None:
            if parent.type in _OTHER_SHELLS:
                return
            parent = parent.parent
        condition = context.conditions[0]
        negation = condition[2:] if condition.startswith("! ") else f"! {condition}"
        self.survived = (*self.survived, _condition(negation))[-MAX_CHAIN:]

    def _reached(self, args: list[_Arg], context: _Context, depth: int) -> None:
        """Commands that ``args`` runs in turn: a function's body, a command string,
        the command a wrapper (``retry 3 docker push``) is given."""
        if depth > MAX_DEPTH:
            return
        name = args[0].word.text
        tool = name.rsplit("/", 1)[-1]
        stored = _RUN_VARIABLE.match(args[0].word.raw)
        if stored is not None:
            # `$cmd` unquoted runs the words of the variable's value: what it was
            # assigned, when that is plain words (no quotes or operators to re-read).
            value = self.command_strings.get(stored.group(1) or stored.group(2))
            if value is not None and len(args) == 1 and not _NOT_PLAIN.search(value.word.text):
                self._string(value, context.reached(f"variable ${name[1:].strip('{}')}",
                                                    args[0]), depth)
            return
        if name in self.functions:
            if name in context.calls or len(context.calls) >= MAX_CALL_DEPTH \
                    or self.calls >= MAX_CALLS:
                return
            self.calls += 1
            origin, body = self.functions[name]
            self._walk(body, origin, context.reached(f"function {name}", args[0],
                                                     arguments=tuple(args[1:]),
                                                     calls=(*context.calls, name)),
                       depth + 1)
        elif tool in SHELLS:
            script = _shell_command(args)
            if script is not None:
                self._string(script, context.reached(f"{tool} -c", args[0]), depth)
        elif tool == "eval" and len(args) == 2:
            self._string(args[1], context.reached("eval", args[0]), depth)
        elif tool == "eval" and len(args) > 2:
            self._commands_of(args[1:], context.reached("eval", args[0]), depth)
        elif tool == "su":
            script = next((args[index + 1] for index in range(1, len(args) - 1)
                           if args[index].word.text in ("-c", "--command")), None)
            if script is not None:
                self._string(script, context.reached("su -c", args[0]), depth)
        elif tool == "ssh":
            remote = self._ssh_command(args)
            if len(remote) == 1:
                self._string(remote[0], context.reached("ssh", args[0]), depth)
            elif remote:
                self._commands_of(remote, context.reached("ssh", args[0]), depth)
        elif tool not in IMAGE_TOOLS and tool not in NOT_WRAPPERS:
            for index in range(1, len(args) - 1):
                if _is_image_tool(args[index].word.text):
                    self._commands_of(args[index:],
                                      context.reached(f"wrapper {name}", args[0]), depth)
                    break

    def _commands_of(self, args: list[_Arg], context: _Context, depth: int) -> None:
        stripped = self._strip(args)
        if stripped:
            self._emit(stripped, {}, [args[0]], context,
                       " ".join(arg.word.raw for arg in args))
            self._reached(stripped, context, depth + 1)

    def _ssh_command(self, args: list[_Arg]) -> list[_Arg]:
        """The remote command of ``ssh [options] host [command...]``."""
        index = 1
        while index < len(args) and args[index].word.text.startswith("-"):
            option = args[index].word.text
            index += 2 if option in _SSH_VALUES else 1
        return args[index + 1:]

    def _string(self, arg: _Arg, context: _Context, depth: int) -> None:
        """A word that another command runs as a script (``sh -c '...'``)."""
        raw, value = arg.word.raw, arg.word.text
        quoted = len(raw) >= 2 and raw[0] in "'\"" and raw[-1] == raw[0] and raw[1:-1] == value
        exact = quoted or raw == value
        self._script(arg.origin, arg.at + (1 if quoted else 0), value, exact, context, depth)

    def _script(self, parent: _Text, base: int, script: str, exact: bool,
                context: _Context, depth: int) -> None:
        if context.strings >= MAX_STRING_DEPTH or depth > MAX_DEPTH or not script.strip():
            return
        inner = _Text(script, parent=parent, base=base, exact=exact)
        self._walk(inner.tree.root_node, inner,
                   context._replace(strings=context.strings + 1), depth + 1)

    def _strip(self, words: list[_Arg], assignments: dict[str, str] | None = None
               ) -> list[_Arg]:
        """``words`` without leading wrappers (``sudo -u x``, ``env A=1``, ``timeout 5``);
        ``env``'s settings go into ``assignments``, as ``A=1 command`` would."""
        while words:
            head = words[0].word.text
            values = _WRAPPER_VALUES.get(head)
            if values is None or (head == "timeout" and len(words) == 1):
                break
            index = 1
            while index < len(words):
                option = words[index].word.text
                if option == "--":
                    index += 1
                    break
                if head == "env" and _ASSIGNMENT.match(option):
                    if assignments is not None:
                        name, _, value = option.partition("=")
                        assignments[name] = value
                    index += 1
                elif option.startswith("-") and len(option) > 1:
                    if head == "command" and option in ("-v", "-V"):
                        return []  # `command -v docker` looks a command up
                    index += 2 if option in values else 1
                else:
                    break
            if head == "timeout" and index < len(words):
                index += 1  # the duration
            words = words[index:]
        return words

    def _positional(self, raw: str, context: _Context) -> list[_Arg] | None:
        match = _POSITIONAL.match(raw)
        if match is None or context.arguments is None:
            return None
        which = match.group(2) or match.group(3)
        if which in "@*":
            return list(context.arguments)
        number = int(which)
        return [context.arguments[number - 1]] if number <= len(context.arguments) else []

    def _arg(self, node: Node, text: _Text) -> _Arg:
        # The walk's hottest path: the common case (ASCII, written directly) inline.
        if text.ascii:
            start, end = node.start_byte, node.end_byte
        else:
            start, end = text.bounds(node)
        raw = text.text[start:end]
        if text.parent is None:
            starts = text.starts
            index = bisect_right(starts, start) - 1
            item, offset = text.first + index, start - starts[index]
        else:
            item, offset = text.position(start)
        written = unquote(raw) if "'" in raw or '"' in raw or "\\" in raw else raw
        # tuple.__new__ skips the generated constructors: this runs for every word.
        word = tuple.__new__(Word, (written, raw, offset))
        return tuple.__new__(_Arg, (word, item, text, start))

    def _args(self, node: Node, text: _Text, context: _Context) -> list[_Arg]:
        """The words ``node`` stands for: one, or the call's words for ``"$@"`` in a function."""
        if context.arguments is not None:
            bound = self._positional(text.source(node), context)
            if bound is not None:
                return bound
        if node.type == "command_name" and node.child_count:
            node = node.children[0]
        return [self._arg(node, text)]

    def _emit(self, args: list[_Arg], assignments: dict[str, str], firsts: list[_Arg],
              context: _Context, line: str, piped_from: str = "") -> None:
        everything = args or firsts
        first = everything[0]
        outer = context.start or firsts[0]
        items = sorted({arg.item for arg in everything})
        if len(items) == 1:
            section, locator = self.items[items[0]]
            words = [arg.word for arg in args]
            first_word = first.word
            start = outer.word if args else None
        else:
            # The words come from several items (a function body given a call's
            # words): one locator over those items, the offsets shifted into it.
            section = self.items[first.item].section
            locator, shifts = _spanning([self.items[index].locator for index in items], items)
            words = [_shifted(arg.word, shifts[arg.item]) for arg in args]
            first_word = _shifted(first.word, shifts[first.item])
            start = _shifted(outer.word, shifts[outer.item]) if outer.item in shifts \
                else outer.word
            start = start if args else None
        if context.start is not None and args and start == first_word:
            start = None  # not written where it starts: no edit may assume it is
        self.commands.append(Command(words, assignments,
                                     [*self.survived, *context.conditions], locator,
                                     first_word, section, line, piped_from, start,
                                     context.via))


def _shifted(word: Word, shift: int) -> Word:
    return Word(word.text, word.raw, word.offset + shift)


def _spanning(locators: list[Locator], items: list[int]) -> tuple[Locator, dict[int, int]]:
    shifts: dict[int, int] = {}
    offset = 0
    for item, locator in zip(items, locators, strict=True):
        shifts[item] = offset
        offset += len(locator.value) + 1
    return SpanningLocator(locators, list(shifts.values())), shifts


class SpanningLocator(Locator):
    """Several items' values joined by line breaks, each offset found in its own item."""

    def __init__(self, locators: list[Locator], starts: list[int]) -> None:
        first = locators[0]
        same_file = all(locator.source is first.source for locator in locators)
        super().__init__("\n".join(locator.value for locator in locators), first.span,
                         first.source if same_file else None)
        self.locators = locators
        self.starts = starts

    def _part(self, offset: int, length: int) -> tuple[Locator, int] | None:
        index = bisect_right(self.starts, offset) - 1
        if index < 0:
            return None
        locator, start = self.locators[index], self.starts[index]
        if offset + length > start + len(locator.value):
            return None
        return locator, offset - start

    def locate(self, offset: int, word: str) -> Span:
        part = self._part(offset, len(word))
        if part is None:
            return self.span
        return part[0].locate(part[1], word)

    def replace(self, offset: int, length: int, new: str, *, after: bool = False,
                spanning: bool = False) -> tuple[int, int] | None:
        part = self._part(offset, length)
        if part is None or self.source is None:
            return None
        return part[0].replace(part[1], length, new, after=after, spanning=spanning)


_OPENER = re.compile(r"^\s*(if|elif|while|until)\s+(.*?)\s*;?\s*(then|do)\s*$", re.S)
_CLOSING = re.compile(r"^\s*(fi|done|esac|\})(\s|;|$)")
_CLOSER = re.compile(r"^\s*(fi|done|else|then|do)\s*;?\s*$")


def _open_guard(line: str, guards: list[str]) -> bool:
    """Whether ``line`` only opens, switches or closes a guard spread over items;
    ``guards`` follows it."""
    opener = _OPENER.match(line)
    if opener is not None:
        keyword, test = opener.group(1), _condition(opener.group(2))
        if keyword == "elif" and guards:
            guards[-1] = f"! {guards[-1]}"
            guards.append(test)
        else:
            guards.append(f"! {test}" if keyword == "until" else test)
        return True
    closer = _CLOSER.match(line)
    if closer is None:
        return False
    keyword = closer.group(1)
    if keyword == "else" and guards:
        guards[-1] = f"! {guards[-1]}"
    elif keyword in ("fi", "done"):
        # An `elif` left its earlier tests negated on the stack: drop them too.
        while len(guards) > 1 and guards[-2].startswith("! ") and keyword == "fi" \
                and guards[-1].startswith("! "):
            guards.pop()
        if guards:
            guards.pop()
    return True


def _statements(node: Node) -> Iterator[Node]:
    for child in node.named_children:
        if child.type != "comment":
            yield child


def _is_image_tool(name: str) -> bool:
    tool = name.rsplit("/", 1)[-1]
    return tool in IMAGE_TOOLS and (tool != "executor" or "kaniko" in name)


def _shell_command(args: list[_Arg]) -> _Arg | None:
    """The script of ``sh -c '...'`` (also ``-ec``, ``-lc``, ``-o pipefail -c``)."""
    index = 1
    runs_string = False
    while index < len(args):
        option = args[index].word.text
        if option in ("-o", "+o", "-O", "+O"):
            index += 2
        elif _SHELL_C.match(option):
            runs_string = True
            index += 1
        elif option.startswith(("-", "+")) and option != "-":
            index += 1
        else:
            break
    return args[index] if runs_string and index < len(args) else None


def _read_names(args: list[_Arg]) -> list[str]:
    names = []
    index = 1
    while index < len(args):
        word = args[index].word.text
        if word.startswith("-"):
            index += 2 if word in _READ_VALUES else 1
            continue
        if _NAME.match(word):
            names.append(word)
        index += 1
    return names or ["REPLY"]
