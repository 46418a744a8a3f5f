"""``NAME=value`` files: a project's ``.env`` (read by Compose) and the files a
job's script ``source``s.

Each line ``NAME=value`` or ``export NAME=value`` sets a name; blank lines and
``#`` comments are skipped, and one pair of matching quotes around a value is
removed. A line that is anything else (a command, a condition, a function)
means the file is a script, not a list of settings: :func:`read_env_file`
then returns ``None``, and what the file sets is unknown.
"""

from __future__ import annotations

import re

from cigen.source.files import UnreadableFile, read_regular_file

_SETTING = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*$")
_NOTHING = re.compile(r"^\s*(?:#.*)?$")


def read_env_file(path: str) -> dict[str, str] | None:
    """The names the file at ``path`` sets; ``None`` when it cannot be read or is
    more than settings."""
    try:
        text = read_regular_file(path).decode("utf-8")
    except (UnreadableFile, OSError, UnicodeDecodeError):
        return None
    found: dict[str, str] = {}
    for line in text.splitlines():
        if _NOTHING.match(line):
            continue
        match = _SETTING.match(line)
        if match is None:
            return None
        value = match.group(2)
        if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif value.startswith(("'", '"')) or " #" in value:
            value = value.split(" #", 1)[0].strip()
            if value.startswith(("'", '"')):
                return None  # a quote that does not close on its line
        found[match.group(1)] = value
    return found
