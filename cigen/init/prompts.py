"""The questions `cigen init` asks on a terminal when it is given no options.

Each answer is checked at once with the same model that checks options and
settings files, and asked again with the reason when it does not pass.
Questions and messages go to standard error, so standard output stays clean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from pydantic import ValidationError

from cigen.init.spec import (
    NOT_ON_KUBERNETES,
    STRATEGY_SUMMARIES,
    WITH_ATTESTATIONS,
    WITH_SBOM,
    BuildSpec,
    Executor,
    Strategy,
)


def _problem_with(answers: dict[str, Any], field: str) -> str | None:
    try:
        BuildSpec.model_validate(answers)
    except ValidationError as error:
        for problem in error.errors():
            context = problem.get("ctx") or {}
            at = str(context.get("field") or (problem["loc"][0] if problem["loc"] else ""))
            if at == field:
                return str(context.get("error", problem["msg"]))
    return None


def ask() -> dict[str, Any]:
    """Answers, by field name, to every question that applies."""
    answers: dict[str, Any] = {}

    def question(field: str, text: str, default: Any,
                 convert: Callable[[Any], Any] = lambda value: value, **options: Any) -> None:
        while True:
            value = convert(click.prompt(text, default=default, err=True, **options))
            problem = _problem_with({**answers, field: value}, field)
            if problem is None:
                answers[field] = value
                return
            click.echo(f"  {problem}", err=True)

    def yes_no(field: str, text: str, default: bool) -> None:
        # `confirm` reads y/yes/n/no, shows [Y/n] or [y/N], and asks again on anything else.
        answers[field] = click.confirm(text, default=default, err=True)

    click.echo("Strategies:", err=True)
    for strategy, summary in STRATEGY_SUMMARIES.items():
        click.echo(f"  {strategy.value:<9} {summary}", err=True)
    question("strategy", "Build strategy", Strategy.buildkit.value,
             type=click.Choice([strategy.value for strategy in Strategy]))
    if answers["strategy"] not in {strategy.value for strategy in NOT_ON_KUBERNETES}:
        question("executor", "Runner executor", Executor.docker.value,
                 type=click.Choice([executor.value for executor in Executor]))
    question("image", "Image repository (without tag)", "$CI_REGISTRY_IMAGE")
    question("dockerfile", "Dockerfile", "Dockerfile")
    question("context", "Build context", ".")
    question("platforms", "Platforms, comma-separated (empty: the runner's own)", "",
             lambda text: [part.strip() for part in text.split(",") if part.strip()],
             show_default=False)
    yes_no("cache", "Keep a layer cache between pipelines?", True)
    question("test_command", "Test command to run in the built image (empty: no test job)",
             "", lambda text: text.strip() or None, show_default=False)
    yes_no("release_latest", "Move :latest to the tested image on the default branch?", True)
    if answers["strategy"] in {strategy.value for strategy in WITH_ATTESTATIONS}:
        yes_no("sbom", "Attach an SBOM attestation?", False)
        yes_no("provenance", "Attach a provenance attestation?", False)
    elif answers["strategy"] in {strategy.value for strategy in WITH_SBOM} and len(
            answers["platforms"]) <= 1:
        yes_no("sbom", "Keep an SBOM of the image as a job artifact?", False)
    return answers
