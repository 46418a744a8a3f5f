"""The README stays true: its rule table matches the rules, its quickstart runs."""

from __future__ import annotations

import re

from cigen.rules import all_rules
from tests.conftest import PROJECT, run_cigen

README = PROJECT / "README.md"


def rules_table() -> str:
    rows = ["| code | name | severity | summary |", "|---|---|---|---|"]
    for rule in all_rules():
        rows.append(f"| {rule.code} | `{rule.name}` | {rule.severity} | {rule.summary} |")
    return "\n".join(rows)


def test_rules_table_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- rules:start -->\n(.*?)\n<!-- rules:end -->", text, re.S)
    assert match, "README lost its rules table markers"
    assert match.group(1) == rules_table(), "regenerate the table:\n" + rules_table()


def test_quickstart_example_reports_what_the_readme_shows() -> None:
    result = run_cigen("lint", "--root", "examples/dind-pipeline", "examples/dind-pipeline",
                       "examples/runner", cwd=PROJECT)
    assert result.exit_code == 1
    text = README.read_text(encoding="utf-8")
    shown = [line for line in text.splitlines() if line.startswith("examples/")]
    assert shown
    for line in shown:
        assert line in result.stdout.splitlines()
    rules = set(re.findall(r" CG\d{3} ([a-z-]+) ", result.stdout))
    assert {"privileged-dind", "dind-tls-disabled", "vfs-storage-driver", "ref-name-tag",
            "unconditional-latest", "registry-password-argv", "unpinned-docker-image",
            "ineffective-cache-from", "privileged-runner", "docker-socket-mount"} <= rules
