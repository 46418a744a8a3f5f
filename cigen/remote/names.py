"""The names of files fetched from GitLab, as `exclude` and `per-file-ignores` see them.

A fetched file is named ``group/project@ref:path`` (a project file or a
component), ``template:NAME`` (one of the instance's templates) or by its URL
(a `remote:` include). A project's patterns describe paths in a repository, so
for a project file they match ``path`` as they match a local path from the
configuration's directory: the whole path or its last part, so
``ci/templates/*.yml`` and ``docker.yml`` both match
``platform/ci-templates@main:ci/templates/docker.yml``. The whole name matches
too, to leave out everything from one project (``platform/ci-templates@**``).
A template matches by its name (``Jobs/Build.gitlab-ci.yml``) and a URL by the
whole URL; both by their last part as well.
"""

from __future__ import annotations

import os
import re

PROJECT_FILE = re.compile(r"^(?P<project>[\w.\-]+(?:/[\w.\-]+)+)@(?P<ref>[^:\s]+):(?P<path>.+)$")
"""A project path has a namespace and no ``@`` or ``:``; a Git ref cannot hold ``:``."""
TEMPLATE_PREFIX = "template:"
URL = re.compile(r"^https?://[^/\s]+/\S*$")


def pattern_names(display: str) -> tuple[str, ...] | None:
    """What a pattern is matched against for a fetched file named ``display``;
    ``None`` when ``display`` is not the name of one (a local file)."""
    names: tuple[str, ...] | None = None
    match = PROJECT_FILE.match(display)
    if match is not None:
        path = match["path"].lstrip("/")
        names = path, path.rsplit("/", 1)[-1], display
    elif display.startswith(TEMPLATE_PREFIX) and len(display) > len(TEMPLATE_PREFIX):
        name = display[len(TEMPLATE_PREFIX):]
        names = name, name.rsplit("/", 1)[-1], display
    elif URL.match(display):
        last = display.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        names = display, last
    if names is not None and os.path.lexists(display):
        return None  # a local file whose name only looks like a fetched file's
    return names
