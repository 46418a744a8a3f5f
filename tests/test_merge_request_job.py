"""The ready-made merge-request job: the CI/CD component and the plain include.

Both must be valid GitLab CI by GitLab's own JSON schema, lint clean with
cigen itself, run on merge-request pipelines and publish the report their
`cigen lint` command writes as a Code Quality artifact. The lint command in
each job's script is run here as written, on a real pipeline.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from tests.conftest import PROJECT, Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

COMPONENT = PROJECT / "templates" / "lint.yml"
INCLUDE = PROJECT / "ci" / "cigen-lint.gitlab-ci.yml"
REPORT = "gl-code-quality-report.json"
JUNIT = "cigen-junit.xml"
INPUT = re.compile(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]")
BAD = """\
build:
  image: docker:29.1-cli
  script:
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
"""


def gitlab_schema() -> dict[str, Any]:
    path = resources.files("check_jsonschema").joinpath(
        "builtin_schemas/vendor/gitlab-ci.json")
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def load(text: str) -> Any:
    return YAML(typ="safe").load(text)


def component_documents() -> tuple[dict[str, Any], str]:
    """The component's spec header and its body text (inputs not yet filled in)."""
    header, separator, body = COMPONENT.read_text(encoding="utf-8").partition("\n---\n")
    assert separator, "the component needs a `spec:` header followed by `---`"
    return load(header), body


def component_with_defaults(**overrides: str) -> dict[str, Any]:
    """The component's jobs as GitLab would see them with default (or given) inputs."""
    header, body = component_documents()
    values = {name: str(spec["default"]) for name, spec in header["spec"]["inputs"].items()}
    values.update(overrides)
    return load(INPUT.sub(lambda match: values[match.group(1)], body))  # type: ignore[no-any-return]


def include_with_defaults() -> dict[str, Any]:
    return load(INCLUDE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_both_files_match_gitlab_ci_schema() -> None:
    schema = gitlab_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    header, _ = component_documents()
    for name, document in (("component header", header),
                           ("component body", component_with_defaults()),
                           ("include", include_with_defaults())):
        errors = [error.message for error in validator.iter_errors(document)]
        assert errors == [], name
    assert list(validator.iter_errors({"cigen-lint": {"script": 1}})), "schema rejects nothing"


def test_component_declares_the_documented_inputs() -> None:
    header, body = component_documents()
    inputs = header["spec"]["inputs"]
    defaults = {name: spec["default"] for name, spec in inputs.items()}
    assert {name: defaults[name] for name in ("paths", "fail-on", "stage")} == {
        "paths": ".", "fail-on": "warning", "stage": "test"}
    # The reports are fixed by what GitLab reads: no format to choose, so none can be
    # published under the wrong report type.
    assert "format" not in inputs
    assert re.fullmatch(r"python:\d+\.\d+-slim", defaults["image"])
    assert set(INPUT.findall(body)) <= set(inputs)


def test_both_files_lint_clean(cigen: Cigen) -> None:
    result = cigen("lint", "--format", "json", "--fail-on", "warning", str(COMPONENT),
                   str(INCLUDE), cwd=PROJECT)
    assert result.exit_code == 0, result.stdout
    assert [finding for finding in result.findings() if finding["severity"] != "info"] == []


@pytest.mark.parametrize("jobs", [component_with_defaults(), include_with_defaults()],
                         ids=["component", "include"])
def test_job_runs_on_merge_requests_and_publishes_code_quality(jobs: dict[str, Any]) -> None:
    job = jobs["cigen-lint"]
    # Once per push, as GitLab documents for avoiding duplicate pipelines with
    # $CI_OPEN_MERGE_REQUESTS (docs.gitlab.com/ci/yaml/workflow/#switch-between-branch-
    # pipelines-and-merge-request-pipelines): the merge request pipeline when there is
    # one, else the branch pipeline.
    assert job["rules"] == [
        {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
        {"if": "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", "when": "never"},
        {"if": "$CI_COMMIT_BRANCH"}]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"] == {"codequality": REPORT, "junit": JUNIT}
    assert any("pip install" in line for line in job["script"])
    lint_lines = [line for line in job["script"] if line.startswith("cigen lint ")]
    assert len(lint_lines) == 2
    assert "--format junit" in lint_lines[0] and f"--output {JUNIT}" in lint_lines[0]
    assert "--exit-zero" in lint_lines[0]
    assert "--format codequality" in lint_lines[1] and f"--output {REPORT}" in lint_lines[1]


def lint_command(jobs: dict[str, Any], report: str = REPORT) -> list[str]:
    """The job's `cigen lint` line writing ``report`` as argv, its variables expanded."""
    job = jobs["cigen-lint"]
    line = next(line for line in job["script"]
                if line.startswith("cigen lint ") and f"--output {report}" in line)
    variables = job.get("variables", {})
    # The lint line uses $NAME and "$NAME" only; an unquoted list expands to words.
    expanded = re.sub(r"\$(\w+)", lambda match: str(variables.get(match.group(1), match.group(0))),
                      line)
    return shlex.split(expanded)


@pytest.mark.parametrize("jobs", [component_with_defaults(paths="ci app/.gitlab-ci.yml"),
                                  include_with_defaults()], ids=["component", "include"])
def test_the_job_command_writes_a_code_quality_report(
        jobs: dict[str, Any], write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", BAD)
    write("ci/build.gitlab-ci.yml", BAD)
    write("app/.gitlab-ci.yml", BAD)
    argv = lint_command(jobs)
    assert argv[:2] == ["cigen", "lint"]
    result = cigen(*argv[1:], cwd=tmp_path)
    assert result.exit_code == 1
    issues = json.loads((tmp_path / REPORT).read_text(encoding="utf-8"))
    assert issues and all(issue["check_name"] == "registry-password-argv" for issue in issues)
    paths = {issue["location"]["path"] for issue in issues}
    assert paths == ({"ci/build.gitlab-ci.yml", "app/.gitlab-ci.yml"} if "ci" in argv
                     else {".gitlab-ci.yml", "ci/build.gitlab-ci.yml", "app/.gitlab-ci.yml"})
    # The log explains the failure without opening the report.
    assert "error CG109 [*] registry-password-argv:" in result.stderr
    junit = lint_command(jobs, JUNIT)
    first = cigen(*junit[1:], cwd=tmp_path)
    assert (first.exit_code, first.stdout, first.stderr) == (0, "", "")
    assert "<failure" in (tmp_path / JUNIT).read_text(encoding="utf-8")
