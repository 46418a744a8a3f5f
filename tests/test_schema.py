"""GitLab schema and structure checks at the written line, and `cigen expand`
compared with an independent implementation (gitlab-ci-local)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import CORPUS, Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]
SCHEMA_RULES = {"unknown-keyword", "invalid-value", "missing-keyword"}


def lint(cigen: Cigen, directory: Path, *args: str) -> list[tuple[str, int, int, str]]:
    result = cigen("lint", "--format", "json", "--fail-on", "info", *args, cwd=directory)
    assert result.exit_code in (0, 1), result.stderr
    assert result.stderr == ""
    return [(f["rule"], f["line"], f["column"], f["message"]) for f in result.findings()]


def test_messages_and_positions(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", """\
variables:
  EMPTY:
build:
  scirpt: [make]
  script: [make]
  when: sometimes
  image: 5
  needs: [{jbo: build-it}]
build-it:
  script: [make]
  retry: 10
""")
    assert lint(cigen, tmp_path) == [
        ("invalid-value", 2, 9, "'EMPTY' in 'variables' must be true or false, a number, a "
                                "string or a mapping, not empty"),
        ("unknown-keyword", 4, 3, "unknown keyword 'scirpt' in job 'build' (did you mean "
                                  "'script'?)"),
        ("invalid-value", 6, 9, "'when' of job 'build' must be one of on_success, on_failure, "
                                "always, never, manual, delayed"),
        ("invalid-value", 7, 10, "'image' of job 'build' must be a string or a mapping, not a "
                                 "number"),
        ("missing-keyword", 8, 11, "'needs[0]' of job 'build' needs 'job'"),
        ("unknown-keyword", 8, 12, "unknown keyword 'jbo' in 'needs[0]' of job 'build' (did you "
                                   "mean 'job'?)"),
        ("invalid-value", 11, 10, "'retry' of job 'build-it': is greater than the maximum of 2"),
    ]


def test_errors_in_templates_and_includes_point_where_written(write: Write, cigen: Cigen,
                                                             tmp_path: Path) -> None:
    write("ci/base.yml", ".base:\n  artifact:\n    paths: [dist/]\n")
    write(".gitlab-ci.yml", "include: ci/base.yml\nbuild:\n  extends: .base\n  script: [make]\n")
    result = cigen("lint", "--format", "json", cwd=tmp_path)
    assert [(f["path"], f["line"], f["rule"], f["jobs"]) for f in result.findings()] == [
        ("ci/base.yml", 2, "unknown-keyword", [])]


def test_no_false_alarm_on_tags_templates_headers_and_anchors(write: Write, cigen: Cigen,
                                                             tmp_path: Path) -> None:
    write("templates/job.yml", """\
spec:
  inputs:
    stage:
      default: test
---
.rules: &rules
  rules:
    - if: $CI_COMMIT_BRANCH
.anything:
  this: is not a job
  - neither: is this
""".replace("  - neither: is this\n", ""))
    write(".gitlab-ci.yml", """\
include:
  - local: templates/job.yml
.setup:
  script:
    - echo setup
  variables:
    A: a
.anchor: &defaults
  image: alpine:3.20
  retry: 1
test:
  <<: *defaults
  script:
    - !reference [.setup, script]
    - make test
  variables: !reference [.setup, variables]
  rules: !reference [.rules, rules]
""")
    assert lint(cigen, tmp_path) == []


def test_script_colon_pitfall(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", """\
upload:
  script:
    - echo "start"
    - curl -H "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file a.tgz "$URL"
    - 'curl -H "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file b.tgz "$URL"'
""")
    findings = lint(cigen, tmp_path)
    assert [(rule, line, column) for rule, line, column, _ in findings] == [
        ("script-line-is-mapping", 4, 7)]
    assert "quote the whole line" in findings[0][3]


def test_structure_checks(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", """\
.template:
  script: [echo]
build:
  stage: build
  script: [make]
test:
  stage: tests
  needs: [build, biuld, .template, {job: lint, optional: true}, "matrix: [a, b]"]
  dependencies: [deploy]
  script: [make test]
matrix:
  parallel:
    matrix:
      - V: [a, b]
  script: [echo]
nothing:
  image: alpine:3.20
""")
    assert [(rule, line, column, message) for rule, line, column, message
            in lint(cigen, tmp_path)] == [
        ("undefined-stage", 7, 10, "test job: chosen stage tests does not exist; available "
                                   "stages are .pre, build, test, deploy, .post"),
        ("undefined-need", 8, 18, "test job: undefined need: biuld"),
        ("undefined-need", 8, 25, "test job: undefined need: .template (a hidden template is "
                                  "not a job)"),
        ("undefined-need", 9, 18,
         "test job: undefined dependency: deploy"),
        ("job-without-script", 16, 1, "jobs:nothing config should implement the script:, run:, "
                                      "or trigger: keyword"),
    ]


def test_structure_checks_skip_fragments_and_unreadable_includes(write: Write, cigen: Cigen,
                                                                tmp_path: Path) -> None:
    fragment = "build:\n  stage: images\n  needs: [elsewhere]\n"
    write("build.gitlab-ci.yml", fragment)
    assert lint(cigen, tmp_path, "build.gitlab-ci.yml") == []
    write(".gitlab-ci.yml", "include:\n  - project: group/ci\n    file: base.yml\n" + fragment)
    assert [rule for rule, *_ in lint(cigen, tmp_path)] == ["include-unresolved"]


@pytest.mark.skipif(not (CORPUS / "pipelines").is_dir(), reason="shared corpus not present")
def test_corpus_agrees_with_check_jsonschema(cigen: Cigen) -> None:
    """Every file check-jsonschema rejects, cigen rejects (now with a line), and no file
    it accepts gets a schema finding. Documented exception: check-jsonschema checks
    `coverage` regexes with ECMAScript rules, where `\\%` is an error; GitLab's regex
    engine accepts it (GitLab's own docs use `\\d+\\%`)."""
    pipelines = CORPUS / "pipelines"
    names = sorted(path.name for path in pipelines.glob("*.gitlab-ci.yml"))
    checker = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci",
         "--output-format", "json", *names], cwd=pipelines, capture_output=True, text=True,
        check=False)
    report = json.loads(checker.stdout)
    rejected = {Path(error["filename"]).name for error in report["errors"]
                if "is not a 'regex'" not in error["message"]}
    unparsable = {Path(error["filename"]).name for error in report["parse_errors"]}
    result = cigen("lint", "--format", "json", "--select",
                   ",".join(SCHEMA_RULES), *names, cwd=pipelines)
    flagged = {Path(finding["path"]).name for finding in result.findings()}
    assert rejected == {"029.gitlab-ci.yml", "105.gitlab-ci.yml"}
    assert flagged - unparsable == rejected


# -- cigen expand ----------------------------------------------------------------------

EXPAND_FIXTURE = {
    "ci/base.yml": """\
include:
  - local: ci/nested/deep.yml
.base:
  variables:
    B: from-base
    SHARED: base
  tags: [docker]
  before_script:
    - echo base
""",
    "ci/nested/deep.yml": """\
.other:
  tags: [other]
  retry: 1
  cache:
    key: deps
    paths: [vendor/]
""",
    ".gitlab-ci.yml": """\
include:
  - local: ci/base.yml
variables:
  GLOBAL: g
default:
  image: alpine:3.20
  after_script: [echo done]
stages: [build, test, deploy]
.setup:
  script:
    - echo setup
  variables:
    FROM_SETUP: "1"
.anchored: &anchored
  interruptible: true
  variables:
    ANCHORED: "yes"
build:
  extends: [.base, .other]
  stage: build
  cache:
    paths: [node_modules/]
  script:
    - !reference [.setup, script]
    - make
  variables:
    A: !reference [.setup, variables, FROM_SETUP]
    SHARED: job
test:
  <<: *anchored
  extends: build
  stage: test
  inherit:
    default: false
  script: [make test]
deploy:
  stage: deploy
  image: alpine:3.21
  script:
    - !reference [build, script]
    - ./deploy
""",
}


def _normalise(config: dict[str, object]) -> dict[str, object]:
    """Undo what gitlab-ci-local adds by design: `.pre`/`.post` stages, `image: {name: x}`,
    and `cache` as a list of entries with GitLab's default `policy` and `when` spelled out."""
    result = copy.deepcopy(config)
    stages = result.get("stages")
    if isinstance(stages, list):
        result["stages"] = [stage for stage in stages if stage not in (".pre", ".post")]
    for value in result.values():
        if not isinstance(value, dict):
            continue
        if isinstance(value.get("image"), dict) and set(value["image"]) == {"name"}:
            value["image"] = value["image"]["name"]
        cache = value.get("cache")
        if isinstance(cache, dict | list):
            entries = cache if isinstance(cache, list) else [cache]
            value["cache"] = [{"policy": "pull-push", "when": "on_success", **entry}
                              for entry in entries]
    return result


def preview(command: list[str], repository: Path) -> str:
    """`gitlab-ci-local --preview` of a directory, made a git repository first."""
    for arguments in (["init", "-q"], ["add", "-A"],
                      ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit",
                       "-qm", "fixture"]):
        subprocess.run(["git", *arguments], cwd=repository, check=True, capture_output=True)
    result = subprocess.run([*command, "--preview"], cwd=repository, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    # Progress lines come first; the merged configuration follows `---`.
    return result.stdout.split("\n---\n", 1)[-1]


def test_expand_matches_gitlab_ci_local(write: Write, cigen: Cigen, tmp_path: Path,
                                        gitlab_ci_local: list[str]) -> None:
    for name, text in EXPAND_FIXTURE.items():
        write(name, text)
    ours = cigen("expand", "--format", "json", cwd=tmp_path)
    assert ours.exit_code == 0, ours.stderr
    expanded = json.loads(ours.stdout)
    theirs = YAML(typ="safe", pure=True).load(preview(gitlab_ci_local, tmp_path))
    assert _normalise(expanded) == _normalise(theirs)
    # The fixture really exercised what it claims to.
    assert expanded["build"]["tags"] == ["other"]  # arrays replaced, later parent wins
    assert expanded["build"]["cache"] == {"key": "deps", "paths": ["node_modules/"]}
    assert expanded["build"]["variables"]["A"] == "1"
    assert "image" not in expanded["test"]  # inherit: default: false
    assert expanded["deploy"]["script"] == ["echo setup", "make", "./deploy"]


def test_expand_yaml_output_and_hidden_jobs(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    for name, text in EXPAND_FIXTURE.items():
        write(name, text)
    text = cigen("expand", cwd=tmp_path).stdout
    data = YAML(typ="safe", pure=True).load(text)
    assert list(data) == ["variables", "stages", "build", "test", "deploy"]
    assert not re.search(r"^\.", text, re.M)
    hidden = json.loads(cigen("expand", "--format", "json", "--keep-hidden", cwd=tmp_path).stdout)
    assert {".base", ".other", ".setup", ".anchored"} <= set(hidden)
    assert "image" not in hidden[".base"]  # templates get no defaults: GitLab never runs them


def test_expand_reports_problems_on_stderr(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "build:\n  extends: .missing\n  script: [make]\n")
    result = cigen("expand", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr == (".gitlab-ci.yml:2:12: extends-error: `build`: unknown keys in "
                             "`extends` (.missing)\n")
    assert "build:" in result.stdout
    broken = write("broken.yml", "a: [\n")
    result = cigen("expand", str(broken.name), cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("broken.yml:1:5: invalid-syntax: invalid YAML")
    bad_format = cigen("expand", "--format", "toml", cwd=tmp_path)
    assert bad_format.exit_code == 2
    assert bad_format.stderr == "cigen: error: --format: expected yaml or json, not 'toml'\n"
    missing = cigen("expand", "nope.yml", cwd=tmp_path)
    assert missing.exit_code == 2
    assert missing.stderr == "cigen: error: nope.yml: no such file or directory\n"
