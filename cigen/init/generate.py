"""From a :class:`~cigen.init.spec.BuildSpec` to the text of a pipeline and its runner settings.

This module owns the templates: where they are (package data when installed,
the repository's ``templates/init/`` in a source checkout), how values reach
them (every ``{{ value }}`` is written as a quoted YAML or TOML string, so no
value can change the document's structure), and the self-check each text
passes before it is handed out: it parses, and ``cigen lint`` reports nothing
at warning or error level on it. The runner settings come as a ``config.toml``
snippet or, for a runner the gitlab-runner Helm chart installs, as chart
values that carry the same TOML in ``runners.config``.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from cigen.init.pins import pinned, through_dependency_proxy
from cigen.init.spec import BuildSpec

PIPELINE = "pipeline"
RUNNER = "runner"
HELM_VALUES = "helm"
# The file names the self-check lints each kind of text under.
CHECKED_AS = {PIPELINE: ".gitlab-ci.yml", RUNNER: "config.toml", HELM_VALUES: "values.yaml"}


class SelfCheckError(Exception):
    """Generated text failed its own check: a bug in a template, or a value (a test
    command) that cigen lint itself would report."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"the generated {name} fails its own check ({detail})")
        self.name = name
        self.detail = detail


def templates_directory() -> Path:
    """The packaged templates in an installed wheel, else the source tree's."""
    package = Path(__file__).resolve().parents[1]
    packaged = package / "_data" / "templates" / "init"
    if packaged.is_dir():
        return packaged
    return package.parent / "templates" / "init"


def quote(text: str, *, toml: bool = False) -> str:
    """``text`` as a double-quoted YAML (or TOML) string using only printable ASCII.

    Everything outside printable ASCII is escaped, so that no parser can read a
    line break, a byte-order mark or a lookalike quote into it.
    """
    parts = ['"']
    for character in text:
        code = ord(character)
        if character in '"\\':
            parts.append("\\" + character)
        elif 0x20 <= code < 0x7F:
            parts.append(character)
        elif code <= 0xFF and not toml:
            parts.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            parts.append(f"\\u{code:04x}")
        else:
            parts.append(f"\\U{code:08x}")
    parts.append('"')
    return "".join(parts)


@functools.cache
def _environment(toml: bool) -> Environment:
    def finalize(value: Any) -> Any:
        # Macro output and `| safe` template text are Markup; anything else is a value.
        if isinstance(value, Markup):
            return value
        return Markup(quote(str(value), toml=toml))

    return Environment(
        loader=FileSystemLoader(templates_directory()), undefined=StrictUndefined,
        autoescape=True, finalize=finalize, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)


def _context(spec: BuildSpec, helm: bool = False) -> dict[str, Any]:
    return {"spec": spec, "versions": pinned(spec.versions), "helm": helm}


def render_pipeline(spec: BuildSpec) -> str:
    template = _environment(toml=False).get_template(f"{spec.strategy.value}.yml.j2")
    context = _context(spec)
    if spec.dependency_proxy:
        # Job images only: the runner's own settings cannot expand CI/CD variables.
        context["versions"] = through_dependency_proxy(context["versions"])
    return _tidy(template.render(context))


def render_runner_config(spec: BuildSpec, helm: bool = False) -> str:
    template = _environment(toml=True).get_template(f"{spec.strategy.value}.toml.j2")
    return _tidy(template.render(_context(spec, helm)))


def render_helm_values(spec: BuildSpec) -> str:
    """Chart values whose ``runners.config`` literal block holds the runner settings.

    The TOML is indented into the block as it is: its values are quoted strings of
    printable ASCII, so no line of it can end the block early.
    """
    toml = render_runner_config(spec, helm=True)
    block = "\n".join(f"    {line}" if line else "" for line in toml.splitlines())
    template = _environment(toml=False).get_template("_helm_values.yaml.j2")
    return _tidy(template.render({**_context(spec, helm=True), "config": Markup(block)}))


def _tidy(text: str) -> str:
    """Blank lines only before top-level entries, one newline at the end.

    Templates leave blank lines where optional parts were left out; inside a
    job they would only spread it out (generated block scalars have none).
    """
    lines = [line.rstrip() for line in text.splitlines()]
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line:
            kept.append(line)
            continue
        following = next((later for later in lines[index + 1:] if later), "")
        if kept and kept[-1] and following and not following[0].isspace():
            kept.append(line)
    return "\n".join(kept) + "\n"


def self_check(text: str, kind: str) -> None:
    """Raise :class:`SelfCheckError` unless ``cigen lint`` finds nothing to warn about."""
    from cigen.lint.engine import LintOptions, lint_paths
    from cigen.lint.findings import Severity

    name = CHECKED_AS[kind]
    with tempfile.TemporaryDirectory(prefix="cigen-check-") as directory:
        path = os.path.join(directory, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        report = lint_paths([path], LintOptions(root=directory))
    problems = [finding for finding in report.findings if finding.severity >= Severity.WARNING]
    if problems or report.internal_errors:
        first = problems[0] if problems else None
        detail = (f"line {first.span.line}: {first.rule}: {first.message}" if first
                  else report.internal_errors[0])
        raise SelfCheckError(name, " ".join(detail.split()))


def generate(spec: BuildSpec, kind: str) -> str:
    """The checked text of the pipeline or the runner settings for ``spec``."""
    if kind == PIPELINE:
        text = render_pipeline(spec)
    elif kind == HELM_VALUES:
        text = render_helm_values(spec)
    else:
        text = render_runner_config(spec)
    self_check(text, kind)
    return text
