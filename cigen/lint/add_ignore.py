"""`--add-ignore`: a suppression comment for every current finding, to adopt cigen
in one commit and then ratchet.

Each finding gets ``# cigen: ignore[rule] TODO: say why this is accepted`` on
its own line above the entry it is in, indented like that entry (findings of
one entry share one comment). Inline comments rather than a separate baseline
file: they sit next to the code they excuse, show up in review, survive edits
that move lines, and `unused-suppression` reports each one once its problem
is gone, so the list only shrinks.

A comment is placed only where it changes nothing else: the file with it must
read as exactly the same YAML (the same parser events) or TOML (the same
values), and the comment must cover the finding. Inside a block scalar or a
multi-line string a comment line would become data, so the candidate lines
are tried from the finding's line upward until one passes; a finding no line
can take is left as it is and counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cigen.lint.findings import Finding
from cigen.lint.suppressions import SuppressionIndex
from cigen.source.files import write_atomically
from cigen.source.text import SourceText

if TYPE_CHECKING:
    from cigen.lint.engine import LintOptions, LintReport

PLACEHOLDER = "TODO: say why this is accepted"
# Findings about suppressions themselves cannot be suppressed by another one.
NOT_SUPPRESSIBLE = frozenset({"unused-suppression", "missing-suppression-reason",
                              "invalid-syntax"})
# How far above a finding a comment may go: an entry longer than this is left alone.
MAX_LINES_UP = 200


class AddIgnoreOutcome:
    __slots__ = ("added", "changes", "file_errors", "left", "report")

    changes: dict[str, tuple[str, str]]
    """Path -> (text before, text after), for the files that change."""
    added: int
    """Comments written."""
    left: int
    """Findings no comment could be placed for."""

    report: LintReport | None
    """What a run finds once the comments are in place."""
    file_errors: list[str]

    def __init__(self) -> None:
        self.changes = {}
        self.added = 0
        self.left = 0
        self.report = None
        self.file_errors = []


def _reading(source: SourceText) -> Any:
    """What the text means, ignoring comments: YAML parser events, or TOML values."""
    if source.toml:
        import tomllib

        return tomllib.loads(source.text)
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [(type(event).__name__, getattr(event, "anchor", None), getattr(event, "tag", None),
             getattr(event, "value", None), getattr(event, "implicit", None))
            for event in yaml.parse(source.text, Loader=loader)]


def _covered(source: SourceText, comment_line: int, line: int, rules: set[str]) -> bool:
    index = SuppressionIndex()
    index.add_source(source)
    return any(item.line == comment_line and rules <= item.rules
               and item.line <= line <= item.last_line for item in index.all())


def add_comments(source: SourceText, findings: list[Finding]) -> tuple[str, int, int]:
    """``source`` with comments covering ``findings``; the number added and left."""
    by_line: dict[int, set[str]] = {}
    for finding in findings:
        if finding.rule not in NOT_SUPPRESSIBLE:
            by_line.setdefault(finding.span.line, set()).add(finding.rule)
    try:
        meaning = _reading(source)
    except Exception:
        return source.text, 0, sum(len(rules) for rules in by_line.values())
    text, added, left = source.text, 0, 0
    ours: dict[int, set[str]] = {}
    """Line -> rules of the comments added so far, to extend rather than stack them."""
    # From the bottom up, so the lines still to do keep their numbers.
    for line in sorted(by_line, reverse=True):
        rules = by_line[line]
        current = SourceText(source.path, text, toml=source.toml)
        placed = None
        for candidate in range(line, max(line - MAX_LINES_UP, 0), -1):
            written = current.line_text(candidate)
            indent = written[:len(written) - len(written.lstrip(" \t"))]
            start = current.offset(candidate, 1)
            merged = ours.get(candidate - 1, set()) | rules if candidate - 1 in ours else None
            if merged is not None:  # extend the comment just above instead of adding one
                above = current.offset(candidate - 1, 1)
                previous = current.line_text(candidate - 1)
                indent = previous[:len(previous) - len(previous.lstrip(" \t"))]
                comment = f"{indent}# cigen: ignore[{','.join(sorted(merged))}] {PLACEHOLDER}"
                trial_text = f"{text[:above]}{comment}{text[above + len(previous):]}"
                comment_line = candidate - 1
            else:
                comment = f"{indent}# cigen: ignore[{','.join(sorted(rules))}] {PLACEHOLDER}"
                newline = current.line_break(candidate) or "\n"
                trial_text = f"{text[:start]}{comment}{newline}{text[start:]}"
                comment_line = candidate
            trial = SourceText(source.path, trial_text, toml=source.toml)
            try:
                same = _reading(trial) == meaning
            except Exception:
                same = False
            shifted = line + (merged is None)
            if same and _covered(trial, comment_line, shifted, merged or rules):
                placed = trial.text
                if merged is not None:
                    ours[comment_line] = merged
                else:
                    ours = {at + (at >= candidate): found for at, found in ours.items()}
                    ours[candidate] = set(rules)
                    added += 1
                break
        if placed is None:
            left += len(rules)
        else:
            text = placed
    return text, added, left


def add_ignores(findings: list[Finding], sources: dict[str, SourceText]) -> AddIgnoreOutcome:
    """The files with a comment added for each finding that can take one."""
    outcome = AddIgnoreOutcome()
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.span.path, []).append(finding)
    for path, found in sorted(by_path.items()):
        source = sources.get(path)
        if source is None:
            outcome.left += len(found)
            continue
        after, added, left = add_comments(source, found)
        outcome.added += added
        outcome.left += left
        if after != source.text:
            outcome.changes[path] = (source.text, after)
    return outcome


def add_ignore_paths(paths: list[str], options: LintOptions, write: bool) -> AddIgnoreOutcome:
    """Lint ``paths``, add the comments, write each changed file atomically (with
    ``write``), and lint again."""
    from cigen.lint.engine import STDIN, Linter, UsageError, discover

    targets = discover(paths, options)
    if any(target.real == STDIN for target in targets):
        raise UsageError("--add-ignore needs files, not standard input")
    linter = Linter(options)
    report = linter.lint(targets)
    outcome = add_ignores(report.findings, linter.sources)
    outcome.file_errors = list(report.file_errors)
    if write:
        for path, (_, after) in sorted(outcome.changes.items()):
            source = linter.sources[path]
            try:
                write_atomically(path, ("\ufeff" if source.bom else "") + after)
            except OSError as error:
                outcome.file_errors.append(
                    f"{path}: cannot write the file: {error.strerror or error}")
    outcome.report = Linter(options).lint(targets) if write else report
    return outcome
