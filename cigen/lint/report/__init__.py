"""Output formats: one module per format, each rendering a :class:`~cigen.lint.engine.LintReport`.

This package owns the choice of renderer and the options every renderer
receives. A format's module is imported only when that format is asked for,
so the XML and hashing code of the CI formats costs nothing to a plain
``cigen lint`` in a pre-commit hook.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from cigen.lint.engine import LintReport
from cigen.lint.findings import Severity


class RenderOptions:
    __slots__ = ("colour", "fail_on", "summary")

    colour: bool
    """Terminal colours (text only)."""
    summary: bool
    """The closing summary line (text only)."""
    fail_on: Severity
    """The exit-code threshold; JUnit marks only findings at or above it as failures."""

    def __init__(self, colour: bool = False, summary: bool = True,
                 fail_on: Severity = Severity.WARNING) -> None:
        self.colour = colour
        self.summary = summary
        self.fail_on = fail_on


Renderer = Callable[[LintReport, RenderOptions], str]

# Format name -> (module, function).
_RENDERERS = {
    "full": ("text", "render_full"),
    "concise": ("text", "render"),
    "text": ("text", "render"),
    "json": ("json_format", "render"),
    "codequality": ("codequality", "render"),
    "sarif": ("sarif", "render"),
    "junit": ("junit", "render"),
    "github": ("github", "render"),
}

FORMATS = tuple(_RENDERERS)


def renderer(name: str) -> Renderer:
    """The render function of format ``name`` (one of :data:`FORMATS`)."""
    module, function = _RENDERERS[name]
    return cast(Renderer, getattr(importlib.import_module(f"cigen.lint.report.{module}"),
                                  function))
