"""ShellCheck's findings on the jobs' scripts, at the YAML line they were written on.

## What it does
Runs [ShellCheck](https://www.shellcheck.net/) over each job's script as
GitLab runs it — `before_script` and `script` as one shell, `after_script` as
another, with anchors, `!reference`, `extends` and `default:` applied — and
reports each of its comments at the file, line and column where that part of
the script was written, through block scalars, folded scalars and quoted
strings. The finding's code is ShellCheck's (`SC2086`); the rule is
`shellcheck`. Variables the job's `variables:` define count as set, and
SC2154 ("referenced but not assigned") is left out unless asked for: a
variable no file defines may be a project or group CI/CD variable.

Off by default: turn it on with `--extend-select shellcheck` or `select`/
`extend-select` in the configuration. It needs the ShellCheck program
(`pip install 'cigen[shellcheck]'` installs it, or any `shellcheck` on
`PATH`). Silence one code with `# cigen: ignore[SC2086] reason`, all of them
with `ignore[shellcheck]`, or inside the script with ShellCheck's own
`# shellcheck disable=SC2086` line; exclude codes everywhere with
`[tool.cigen.rules.shellcheck] exclude = ["SC2086"]` (the list replaces the
default `["SC2154"]`), and check for POSIX `sh` rather than bash with
`shell = "sh"`.

## Why is this bad?
Most failed jobs are shell mistakes: an unquoted variable split into two
arguments, a `cd` that fails silently, a `[ $A == $B ]` that is a syntax error
when a variable is empty. ShellCheck finds them; inside YAML nobody runs it.

## Example
```yaml
deploy:
  image: alpine:3.20
  script:
    - cd $DEPLOY_DIR
    - cp build/* $TARGET
```

## Use instead
```yaml
deploy:
  image: alpine:3.20
  script:
    - cd "$DEPLOY_DIR" || exit 1
    - cp build/* "$TARGET"
```

## Fix safety
No fix: ShellCheck's suggestions are for a script file, and quoting changes
what a command receives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from cigen.lint.findings import Severity
from cigen.lint.rules import Hit, PipelineContext, RuleCannotRun
from cigen.shell.locator import Locator
from cigen.source.positions import Span

if TYPE_CHECKING:
    from cigen.lint.shellcheck_tool import Checker, Comment

CODE = "CG112"
NAME = "shellcheck"
SEVERITY = Severity.WARNING
SUMMARY = "ShellCheck reports a problem in a job's script"
DEFAULT_ENABLED = False
EXAMPLE_ARGS = ("--extend-select", "shellcheck")

LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO,
          "style": Severity.INFO}
DEFAULT_EXCLUDE = ("SC2154",)
""""referenced but not assigned": in GitLab a variable no file defines may be a
project or group CI/CD variable, which cigen cannot see."""
TAB_STOP = 8
# A component input GitLab interpolates into the script before any shell reads it.
INTERPOLATION = re.compile(r"\$\[\[[^\]]*\]\]")
"""ShellCheck counts a tab as reaching the next multiple of eight columns."""


class ScriptUnit:
    """One shell GitLab starts for a job, its text, and where each line came from."""

    __slots__ = ("header", "index", "jobs", "lines", "text")

    text: str
    header: int
    """Lines added before the job's own (declarations of its variables)."""
    lines: list[tuple[Locator, str, int]]
    """For each of the job's lines: its item's locator, the item's value, and the
    offset in that value where the line starts."""
    jobs: list[str]
    index: int
    """Which of the checker's scripts this is."""

    def __init__(self, text: str, header: int, lines: list[tuple[Locator, str, int]],
                 jobs: list[str], index: int) -> None:
        self.text = text
        self.header = header
        self.lines = lines
        self.jobs = jobs
        self.index = index


class Gathered:
    """The scripts of one pipeline, handed to the checker that checks them."""

    __slots__ = ("checker", "units")

    def __init__(self, units: list[ScriptUnit], checker: Checker) -> None:
        self.units = units
        self.checker = checker


_open_checkers: dict[tuple[str, tuple[str, ...]], Checker] = {}
"""The checker of the run under way for each set of options. ShellCheck starts on
the first scripts while the rest of the files are still being read; the run's
:func:`check_gathered` collects the answers and closes it."""


def gather(context: PipelineContext) -> Iterator[Gathered]:
    from cigen.lint.shellcheck_tool import Checker

    options = context.options.get(NAME, {})
    shell = str(options.get("shell", "bash"))
    exclude = tuple(str(code) for code in options.get("exclude", DEFAULT_EXCLUDE))
    checker: Checker | None = None
    units: dict[tuple[object, ...], ScriptUnit] = {}
    for facts in context.jobs:
        groups: dict[bool, list[tuple[str, Span]]] = {False: [], True: []}
        for section, value, span in facts.script_items:
            groups[section == "after_script"].append((value, span))
        declared = sorted(name for name in facts.job.variables
                          if not name.isupper() and name.isidentifier())
        header = [f"export {' '.join(declared)}"] if declared else []
        for items in groups.values():
            if not items:
                continue
            key = (tuple(declared), *((value, span) for value, span in items))
            if key in units:
                units[key].jobs.append(facts.name)
                continue
            lines: list[tuple[Locator, str, int]] = []
            for value, span in items:
                locator = Locator(value, span, context.pipeline.sources.get(span.path))
                offset = 0
                for line in value.split("\n"):
                    lines.append((locator, value, offset))
                    offset += len(line) + 1
            text = "\n".join([*header, *(_without_interpolations(value)
                                          for value, _ in items)]) + "\n"
            if checker is None:
                checker = _open_checkers.get((shell, exclude))
                if checker is None:
                    checker = _open_checkers[(shell, exclude)] = Checker(shell, exclude)
            units[key] = ScriptUnit(text, len(header), lines, [facts.name],
                                    checker.submit(text))
    if checker is not None:
        yield Gathered(list(units.values()), checker)


def _without_interpolations(value: str) -> str:
    """``value`` with each ``$[[ inputs.x ]]`` that no value replaced (an input cigen
    cannot know) written as a shell variable of the same length: GitLab puts text
    there, ShellCheck must not read the brackets as shell, and columns stay put."""
    if "$[[" not in value:
        return value
    return INTERPOLATION.sub(lambda match: "${" + "_" * (len(match.group(0)) - 3) + "}", value)


def check_gathered(gathered: list[Gathered]) -> Iterator[Hit]:
    from cigen.lint.shellcheck_tool import ShellCheckError

    checkers = {id(item.checker): item.checker for item in gathered}
    for key, checker in list(_open_checkers.items()):
        if id(checker) in checkers:
            del _open_checkers[key]
    answers = {}
    for number, checker in checkers.items():
        try:
            answers[number] = checker.results()
        except ShellCheckError as error:
            raise RuleCannotRun(str(error)) from None
    for item in gathered:
        results = answers[id(item.checker)]
        for unit in item.units:
            for comment in results[unit.index]:
                span = _span(unit, comment)
                if span is not None:
                    yield Hit(span, comment.message, unit.jobs,
                              code=f"SC{comment.code}",
                              severity=LEVELS.get(comment.level, Severity.INFO))


def _index(line: str, column: int) -> int:
    """The character index of a ShellCheck column (tabs to the next multiple of 8)."""
    reached = 1
    for index, character in enumerate(line):
        if reached >= column:
            return index
        reached = (reached - 1) // TAB_STOP * TAB_STOP + TAB_STOP + 1 \
            if character == "\t" else reached + 1
    return len(line)


def _span(unit: ScriptUnit, comment: Comment) -> Span | None:
    """Where in the file a comment's start was written; ``None`` in the header."""
    number = comment.line - 1 - unit.header
    if not 0 <= number < len(unit.lines):
        return None
    locator, value, start = unit.lines[number]
    end_of_line = value.find("\n", start)
    line = value[start:end_of_line if end_of_line != -1 else len(value)]
    first = _index(line, comment.column)
    last = _index(line, comment.end_column) if comment.end_line == comment.line else len(line)
    word = line[first:max(last, first + 1)] or line[first:first + 1]
    return locator.locate(start + first, word)
