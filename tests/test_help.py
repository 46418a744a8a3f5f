"""`--help` shows every option's help text exactly as written, square brackets
included, and `-h` is the same as `--help` on every command."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import typer

from tests.conftest import Result

Cigen = Callable[..., Result]
COMMANDS = ("lint", "rules", "explain", "expand", "init")


def _flat(text: str) -> str:
    # The help is wrapped to the terminal's width, at spaces or after hyphens.
    return re.sub(r"\s+", "", text)


def _help_texts(command: str) -> list[str]:
    from cigen.cli import COMMAND_MODULES
    from cigen.cli.app import app

    for name in COMMAND_MODULES:
        __import__(f"cigen.cli.{name}")
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    return [param.help for param in click_command.params if getattr(param, "help", None)]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_text_is_shown_whole(cigen: Cigen, command: str) -> None:
    result = cigen(command, "--help")
    assert result.exit_code == 0, result.stderr
    shown = _flat(result.stdout)
    texts = _help_texts(command)
    assert texts
    for text in texts:
        assert _flat(text) in shown, text


def test_brackets_in_help_survive(cigen: Cigen) -> None:
    shown = _flat(cigen("lint", "--help").stdout)
    assert _flat("pyproject.toml with [tool.cigen] above it") in shown
    assert _flat("exit code 1 [default: warning].") in shown


@pytest.mark.parametrize("command", [(), *((name,) for name in COMMANDS)])
def test_short_help_option(cigen: Cigen, command: tuple[str, ...]) -> None:
    short, long = cigen(*command, "-h"), cigen(*command, "--help")
    assert short.exit_code == long.exit_code == 0
    assert short.stdout == long.stdout
    assert "Usage: cigen" in short.stdout
