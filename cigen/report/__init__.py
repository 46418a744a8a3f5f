"""Output formats: one module per format, each rendering a :class:`~cigen.lint.LintReport`."""

from __future__ import annotations

from collections.abc import Callable

from cigen.lint import LintReport

Renderer = Callable[[LintReport, bool], str]


def renderer(name: str) -> Renderer:
    if name == "json":
        from cigen.report.json_format import render as render_json

        return render_json
    from cigen.report.text import render as render_text

    return render_text


FORMATS = ("text", "json")
