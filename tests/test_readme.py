"""The README stays true: its rule table matches the rules, its quickstart runs."""

from __future__ import annotations

import re
from pathlib import Path

from cigen.lint.rules import all_rules
from tests.conftest import PROJECT, run_cigen

README = PROJECT / "README.md"


def rules_table() -> str:
    """The table `cigen rules --format markdown` prints, without its final newline."""
    result = run_cigen("rules", "--format", "markdown")
    assert result.exit_code == 0
    return result.stdout.removesuffix("\n")


def test_rules_table_lists_every_rule() -> None:
    rows = rules_table().splitlines()
    assert rows[:2] == ["| code | name | severity | summary |", "|---|---|---|---|"]
    assert rows[2:] == [f"| {rule.code} | `{rule.name}` | {rule.severity} | {rule.summary} |"
                        for rule in all_rules()]


def test_rules_table_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- rules:start -->\n(.*?)\n<!-- rules:end -->", text, re.S)
    assert match, "README lost its rules table markers"
    table = rules_table()
    assert match.group(1) == table, (
        "regenerate the table with `cigen rules --format markdown`:\n" + table)


def test_quickstart_example_reports_what_the_readme_shows() -> None:
    result = run_cigen("lint", "--root", "examples/dind-pipeline", "examples/dind-pipeline",
                       "examples/runner", cwd=PROJECT)
    assert result.exit_code == 1
    text = README.read_text(encoding="utf-8")
    shown = [line for line in text.splitlines() if line.startswith("examples/")]
    assert shown
    for line in shown:
        assert line in result.stdout.splitlines()
    rules = set(re.findall(r" CG\d{3}(?: \[\*\])? ([a-z-]+):", result.stdout))
    assert {"privileged-dind", "dind-tls-disabled", "vfs-storage-driver", "ref-name-tag",
            "unconditional-latest", "registry-password-argv", "unpinned-docker-image",
            "ineffective-cache-from", "privileged-runner", "docker-socket-mount"} <= rules


def test_json_example_is_what_cigen_prints(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### json"):text.index("### codequality")]
    pipeline = re.search(r"```yaml\n(.*?)```", section, re.S)
    shown = re.search(r"```json\n(.*?)```", section, re.S)
    command = re.search(r"`cigen (lint [^`]*)` prints", section)
    assert pipeline and shown and command
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitlab-ci.yml").write_text(pipeline.group(1), encoding="utf-8")
    result = run_cigen(*command.group(1).split(), cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout == shown.group(1)


def test_terminal_format_examples_are_what_cigen_prints(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    pipeline = re.search(r"```yaml\n(.*?)```", text[text.index("## Output formats"):], re.S)
    section = text[text.index("### full and concise"):text.index("### json")]
    shown = re.search(r"```text\n(.*?)```", section, re.S)
    assert pipeline and shown
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitlab-ci.yml").write_text(pipeline.group(1), encoding="utf-8")
    runs = re.split(r"^\$ cigen ", shown.group(1), flags=re.M)[1:]
    assert len(runs) == 2
    for run in runs:
        command, _, output = run.partition("\n")
        result = run_cigen(*command.split(), cwd=tmp_path)
        assert result.stdout == output


def test_rules_document_is_current_and_every_link_has_its_heading() -> None:
    document = (PROJECT / "docs" / "rules.md").read_text(encoding="utf-8")
    result = run_cigen("rules", "--format", "docs", cwd=PROJECT)
    assert result.stdout == document, "regenerate: cigen rules --format docs > docs/rules.md"
    # GitLab's heading anchors: lower case, spaces to hyphens.
    anchors = {line[3:].strip().lower().replace(" ", "-")
               for line in document.splitlines() if line.startswith("## ")}
    listed = run_cigen("rules", "--format", "json", cwd=PROJECT).json()
    assert listed and all(rule["url"].rpartition("#")[2] in anchors for rule in listed)
    explained = run_cigen("explain", "ref-name-tag", cwd=PROJECT)
    assert explained.stdout.rstrip().endswith(
        "Documentation: https://gitlab.com/cigen/cigen/-/blob/main/docs/rules.md"
        "#cg107-ref-name-tag")
