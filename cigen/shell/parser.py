"""Script items read as shell commands, each with the file position it came from.

GitLab runs ``before_script`` and ``script`` as one shell script, and
``after_script`` as another, so rules match parsed arguments (``docker login
-p X``) of the commands that shell runs rather than substrings.
:func:`parse_sections` hands a job's items to the bash grammar walk
(:mod:`.grammar`) one shell at a time and caches the result for the jobs that
inherit the same items. The words and commands are :mod:`.words`, their
positions in the file :mod:`.locator`, and variable expansion :mod:`.expansion`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cigen.shell.locator import Locator
from cigen.shell.words import Command
from cigen.source.positions import Span
from cigen.source.text import SourceText

ParseCache = dict[tuple[tuple[str, str, Span], ...], list[Command]]
"""A job's script items (section, value, span) and the commands they run."""

SEPARATE_SHELL = "after_script"
"""The section GitLab runs in a shell of its own: nothing set before carries into it."""


def parse_sections(sections: Iterable[tuple[str, str, Span]],
                   source_for: Callable[[str], SourceText | None],
                   cache: ParseCache | None = None) -> list[Command]:
    """Commands of a job's script items, in the order its shells run them.

    ``cache`` lets jobs that inherit the same script lines from one template
    share the parsed commands.
    """
    items = tuple(sections)
    cached = cache.get(items) if cache is not None else None
    if cached is not None:
        return cached
    # Imported here: the grammar loads tree-sitter, which only jobs with scripts need.
    from cigen.shell.grammar import Item, ShellWalk

    commands: list[Command] = []
    for separate in (False, True):
        shell = [(section, value, span) for section, value, span in items
                 if (section == SEPARATE_SHELL) is separate]
        if shell:
            walk = ShellWalk([Item(section, Locator(value, span, source_for(span.path)))
                              for section, value, span in shell],
                             [value for _, value, _ in shell])
            commands.extend(walk.run())
    if cache is not None:
        cache[items] = commands
    return commands
