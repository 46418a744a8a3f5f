"""`include:` with `rules:` (docs: ci/yaml, `include:rules`; ci/jobs/job_rules,
"CI/CD variable expressions"): a file is included when the first rule whose
clauses all hold says so. What can be known offline is judged (`exists:`
against the repository, `if:` on variables the file defines); what cannot
(`changes:`, predefined variables) includes the file, with one info note."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

INCLUDED = "included-job:\n  script: [echo included]\n"
OWN_JOB = "own:\n  script: [make]\n"


def jobs_and_notes(write: Write, cigen: Cigen, pipeline: str) -> tuple[set[str], list[str]]:
    write("ci/extra.yml", INCLUDED)
    root = write(".gitlab-ci.yml", pipeline + OWN_JOB).parent
    expanded = cigen("expand", "--format", "json", cwd=root)
    assert expanded.exit_code == 0, expanded.stderr
    lint = cigen("lint", "--format", "json", "--select", "include-unresolved", cwd=root)
    notes = [f"{finding['line']}: {finding['message']}" for finding in lint.findings()]
    return set(json.loads(expanded.stdout)), notes


@pytest.mark.parametrize(("rules", "included"), [
    pytest.param("- exists: [Dockerfile]", True, id="exists-a-file"),
    pytest.param("- exists: ['**/*.Dockerfile']", True, id="exists-a-glob"),
    pytest.param("- exists: [Missingfile]", False, id="exists-nothing"),
    pytest.param("- exists:\n          paths: [Dockerfile]", True, id="exists-paths"),
    pytest.param("- if: $BUILD_IMAGE == \"yes\"", True, id="if-on-a-file-variable"),
    pytest.param("- if: $BUILD_IMAGE == \"no\"", False, id="if-false"),
    pytest.param("- if: $BUILD_IMAGE =~ /^Y/i && $MODE != \"fast\"", True, id="if-compound"),
    pytest.param("- if: $BUILD_IMAGE == \"yes\"\n        when: never", False, id="when-never"),
    pytest.param("- if: $BUILD_IMAGE == \"no\"\n      - exists: [Dockerfile]", True,
                 id="second-rule-matches"),
    pytest.param("- if: $BUILD_IMAGE == \"yes\"\n        exists: [Missingfile]", False,
                 id="all-clauses-must-hold"),
])
def test_rules_judged_offline(write: Write, cigen: Cigen, rules: str, included: bool) -> None:
    write("Dockerfile", "FROM alpine\n")
    write("images/tool.Dockerfile", "FROM alpine\n")
    pipeline = ("variables:\n  BUILD_IMAGE: \"yes\"\n  MODE: slow\n"
                f"include:\n  - local: ci/extra.yml\n    rules:\n      {rules}\n")
    jobs, notes = jobs_and_notes(write, cigen, pipeline)
    assert ("included-job" in jobs) is included
    assert notes == []


@pytest.mark.parametrize(("rules", "unknown"), [
    pytest.param("- if: $CI_COMMIT_BRANCH == \"main\"", "`if: $CI_COMMIT_BRANCH == \"main\"`",
                 id="predefined-variable"),
    pytest.param("- if: $UNDEFINED_HERE", "`if: $UNDEFINED_HERE`", id="variable-not-in-file"),
    pytest.param("- changes: [Dockerfile]", "`changes:`", id="changes"),
    pytest.param("- exists:\n          project: group/other\n          paths: [Dockerfile]",
                 "`exists:`", id="exists-in-another-project"),
])
def test_rules_not_known_offline_include_the_file_and_say_so(write: Write, cigen: Cigen,
                                                            rules: str, unknown: str) -> None:
    pipeline = f"include:\n  - local: ci/extra.yml\n    rules:\n      {rules}\n"
    jobs, notes = jobs_and_notes(write, cigen, pipeline)
    assert "included-job" in jobs
    assert notes == [f"3: `ci/extra.yml` is included only when its `rules:` match, and "
                     f"{unknown} cannot be known before the pipeline runs; cigen checks it "
                     "as included"]


def test_a_rule_known_false_before_an_unknown_one_does_not_decide(write: Write,
                                                                  cigen: Cigen) -> None:
    pipeline = ("variables:\n  MODE: slow\ninclude:\n  - local: ci/extra.yml\n    rules:\n"
                "      - if: $MODE == \"fast\"\n      - if: $CI_PIPELINE_SOURCE == \"push\"\n")
    jobs, notes = jobs_and_notes(write, cigen, pipeline)
    assert "included-job" in jobs
    assert len(notes) == 1 and "$CI_PIPELINE_SOURCE" in notes[0]
