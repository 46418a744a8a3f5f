"""Every rule's documentation runs: its bad example triggers exactly that rule,
its good example lints clean, and `cigen explain` prints it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from cigen.lint.rules import Rule, all_rules
from tests.conftest import Result

CODE_BLOCK = re.compile(r"```(?P<language>\w+)\n(?P<body>.*?)```", re.S)
RULES = all_rules()


def examples(rule: Rule) -> dict[str, tuple[str, str]]:
    """The first code block of each `## Section`, by section title."""
    found = {}
    for section in rule.doc.split("\n## ")[1:]:
        title, _, text = section.partition("\n")
        match = CODE_BLOCK.search(text)
        if match:
            found[title.strip()] = (match.group("language"), match.group("body"))
    return found


def lint_example(write: Callable[[str, str], Path], cigen: Callable[..., Result],
                 language: str, body: str, args: tuple[str, ...] = ()) -> Result:
    name = "config.toml" if language == "toml" else ".gitlab-ci.yml"
    path = write(name, body)
    return cigen("lint", "--format", "json", "--fail-on", "info", *args, str(path),
                 cwd=path.parent)


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_documentation_has_the_sections_users_expect(rule: Rule) -> None:
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead",
                    "## Fix safety"):
        assert heading in rule.doc, f"{rule.name}: missing {heading}"
    assert re.fullmatch(r"CG\d{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    assert rule.summary and not rule.summary.endswith(".")


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_bad_example_triggers_exactly_this_rule(rule: Rule, write: Callable[[str, str], Path],
                                                cigen: Callable[..., Result]) -> None:
    language, body = examples(rule)["Example"]
    result = lint_example(write, cigen, language, body, rule.example_args)
    assert result.exit_code == 1, result.stderr
    assert set(result.rules()) == {rule.name}, result.stdout


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_good_example_is_clean(rule: Rule, write: Callable[[str, str], Path],
                               cigen: Callable[..., Result]) -> None:
    language, body = examples(rule)["Use instead"]
    result = lint_example(write, cigen, language, body, rule.example_args)
    assert result.findings() == [], result.stdout
    assert result.exit_code == 0


def test_explain_prints_the_documentation(cigen: Callable[..., Result]) -> None:
    result = cigen("explain", "ref-name-tag")
    assert result.exit_code == 0
    assert "CI_COMMIT_REF_SLUG" in result.stdout
    assert result.stdout.startswith("CG107 ref-name-tag (error, fixable)")
    by_code = cigen("explain", "CG107")
    assert by_code.stdout == result.stdout


def test_explain_unknown_rule_is_a_usage_error(cigen: Callable[..., Result]) -> None:
    result = cigen("explain", "no-such-rule")
    assert result.exit_code == 2
    assert result.stderr.strip() == "cigen: error: unknown rule 'no-such-rule' (see `cigen rules`)"
