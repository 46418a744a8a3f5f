"""Which tag a CI/CD component's ``@version`` names, as GitLab resolves it.

A component is included as ``<fqdn>/<project path>/<name>@<version>``. The
version is ``~latest`` (the highest semantic version, pre-releases left out),
a partial semantic version (``1`` or ``1.2``: the highest release with that
major, or major and minor, version; GitLab merge request 147910), a full
version or any other tag, branch or commit SHA, which is used as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
PARTIAL = re.compile(r"^(\d+)(?:\.(\d+))?$")
LATEST = "~latest"


def needs_tags(version: str) -> bool:
    """Whether the tag list is needed to know what ``version`` names."""
    return version == LATEST or PARTIAL.match(version) is not None


def resolve_version(version: str, tags: Iterable[str]) -> str | None:
    """The tag ``version`` names among ``tags``; ``None`` when none fits."""
    names = list(tags)
    if version in names and version != LATEST:
        return version
    wanted: tuple[int, ...] = ()
    if version != LATEST:
        partial = PARTIAL.match(version)
        if partial is None:
            return None
        wanted = tuple(int(part) for part in partial.groups() if part is not None)
    best: tuple[tuple[int, int, int], str] | None = None
    for name in names:
        matched = SEMVER.match(name)
        if matched is None or matched.group(4):
            continue  # not a release version, or a pre-release
        numbers = (int(matched.group(1)), int(matched.group(2)), int(matched.group(3)))
        if numbers[:len(wanted)] != wanted:
            continue
        if best is None or numbers > best[0]:
            best = (numbers, name)
    return None if best is None else best[1]
