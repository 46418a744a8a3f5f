"""Include semantics as GitLab's docs state them.

docs.gitlab.com/ci/yaml/includes, "Use nested includes with duplicate include
entries": a file may be included more than once; "the last time the
configuration is included overrides any previous times".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

JOB = "build:\n  script: [make]\n"


def expanded(cigen: Cigen, root: Path) -> dict[str, object]:
    result = cigen("expand", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_last_inclusion_of_a_file_wins(write: Write, cigen: Cigen) -> None:
    write("ci/a.yml", "variables:\n  FROM: a\n  ONLY_A: 'yes'\n")
    write("ci/b.yml", "variables:\n  FROM: b\n  ONLY_B: 'yes'\n")
    root = write(".gitlab-ci.yml", "include: [ci/a.yml, ci/b.yml, ci/a.yml]\n" + JOB).parent
    assert expanded(cigen, root)["variables"] == {"FROM": "a", "ONLY_A": "yes",
                                                  "ONLY_B": "yes"}


def test_a_file_included_once_keeps_its_place(write: Write, cigen: Cigen) -> None:
    write("ci/a.yml", "variables:\n  FROM: a\n")
    write("ci/b.yml", "variables:\n  FROM: b\n")
    root = write(".gitlab-ci.yml", "include: [ci/a.yml, ci/b.yml]\n" + JOB).parent
    assert expanded(cigen, root)["variables"] == {"FROM": "b"}


def test_a_diamond_of_nested_includes_is_read_without_error(write: Write,
                                                            cigen: Cigen) -> None:
    write("ci/base.yml", ".base:\n  image: alpine:3.20\n")
    write("ci/one.yml", "include: ci/base.yml\none:\n  extends: .base\n  script: [a]\n")
    write("ci/two.yml", "include: ci/base.yml\ntwo:\n  extends: .base\n  script: [b]\n")
    root = write(".gitlab-ci.yml", "include: [ci/one.yml, ci/two.yml]\n").parent
    lint = cigen("lint", "--format", "json", "--select", "include-error", cwd=root)
    assert lint.exit_code == 0, lint.stdout
    config = expanded(cigen, root)
    assert config["one"] == {"image": "alpine:3.20", "script": ["a"]}
    assert config["two"] == {"image": "alpine:3.20", "script": ["b"]}


def test_a_problem_in_a_file_included_twice_is_reported_once(write: Write,
                                                             cigen: Cigen) -> None:
    write("ci/a.yml", "variables:\n  X: 1\n  X: 2\n")
    root = write(".gitlab-ci.yml", "include: [ci/a.yml, ci/a.yml]\n" + JOB).parent
    result = cigen("lint", "--format", "json", "--select", "duplicate-key", cwd=root)
    assert [(f["path"], f["line"]) for f in result.findings()] == [("ci/a.yml", 3)]


UNREADABLE_INCLUDE = """\
include:
  - project: group/templates
    file: /ci/base.yml
build:
  extends: .from-template
  script:
    - !reference [.shared, script]
    - make
"""


def test_expand_says_what_an_unreadable_include_may_have_held(write: Write,
                                                              cigen: Cigen) -> None:
    root = write(".gitlab-ci.yml", UNREADABLE_INCLUDE).parent
    result = cigen("expand", cwd=root)
    assert result.exit_code == 0
    assert result.stdout == "build:\n  script:\n  - make\n"
    notes = result.stderr.splitlines()
    assert notes[0].startswith(".gitlab-ci.yml:5:12: note: `build`: unknown keys in `extends` "
                               "(.from-template); it may be defined in an include")
    assert notes[1].startswith(".gitlab-ci.yml:7:7: note: !reference [.shared, script] could "
                               "not be found; it may be defined in an include")
    assert notes[2].startswith(".gitlab-ci.yml:2:14: note: project include `group/templates`")
    assert len(notes) == 3


def test_expand_is_silent_when_nothing_is_missing(write: Write, cigen: Cigen) -> None:
    text = UNREADABLE_INCLUDE.replace("  extends: .from-template\n", "").replace(
        "    - !reference [.shared, script]\n", "")
    root = write(".gitlab-ci.yml", text).parent
    result = cigen("expand", cwd=root)
    assert (result.exit_code, result.stderr) == (0, "")


NESTED_LISTS = """\
.shared:
  stages: [build, test]
  needs: [build:linux]
  tags: [docker]
stages:
  - !reference [.shared, stages]
  - deploy
build:linux:
  stage: build
  script: [make]
test:
  stage: test
  needs:
    - !reference [.shared, needs]
  script: [make test]
deploy:
  stage: deploy
  tags:
    - !reference [.shared, tags]
  script: [make deploy]
"""


def test_needs_and_stages_from_references_are_flattened(write: Write, cigen: Cigen) -> None:
    # GitLab flattens nested `needs` and `stages` (merge request 142916: "nested array of
    # strings with maximum depth as 10 and flatten it"), but not `tags`.
    root = write(".gitlab-ci.yml", NESTED_LISTS).parent
    config = expanded(cigen, root)
    assert config["stages"] == ["build", "test", "deploy"]
    assert config["test"]["needs"] == ["build:linux"]  # type: ignore[index]
    assert config["deploy"]["tags"] == [["docker"]]  # type: ignore[index]
    lint = cigen("lint", "--format", "json", cwd=root)
    found = {(finding["rule"], finding["line"]) for finding in lint.findings()}
    assert not any(rule in ("undefined-stage", "undefined-need") for rule, _ in found)


ORACLE_FILES = {
    "ci/a.yml": "variables:\n  FROM: a\n",
    "ci/b.yml": "variables:\n  FROM: b\n",
    "ci/component.yml": ("spec:\n  inputs:\n    stage:\n      default: test\n    tag:\n---\n"
                         '"build-$[[ inputs.stage ]]":\n  stage: $[[ inputs.stage ]]\n'
                         "  image: alpine:$[[ inputs.tag ]]\n  script:\n"
                         "    - echo $[[ inputs.tag ]]\n"),
    "ci/exists.yml": "exists-job:\n  script: [echo exists]\n",
    "ci/never.yml": "never-job:\n  script: [echo never]\n",
    "Dockerfile": "FROM alpine\n",
    ".gitlab-ci.yml": """\
stages: [build, test]
variables:
  MODE: slow
include:
  - local: ci/a.yml
  - local: ci/b.yml
  - local: ci/a.yml
  - local: ci/component.yml
    inputs:
      stage: build
      tag: "3.20"
  - local: ci/exists.yml
    rules:
      - exists: [Dockerfile]
  - local: ci/never.yml
    rules:
      - if: $MODE == "fast"
.shared:
  needs: [build-build]
test:
  stage: test
  needs:
    - !reference [.shared, needs]
  script: [make test]
""",
}


def test_include_semantics_match_gitlab_ci_local(write: Write, cigen: Cigen, tmp_path: Path,
                                                 gitlab_ci_local: list[str]) -> None:
    # gitlab-ci-local reads the same semantics independently. It spells `needs` out as
    # objects; it does not implement the interpolation functions (`truncate`), which
    # tests/test_inputs.py checks against GitLab's docs instead.
    from ruamel.yaml import YAML

    from tests.test_schema import _normalise, preview

    for name, text in ORACLE_FILES.items():
        write(name, text)
    ours = expanded(cigen, tmp_path)
    theirs = _normalise(YAML(typ="safe", pure=True).load(preview(gitlab_ci_local, tmp_path)))
    for job in theirs.values():
        if isinstance(job, dict) and isinstance(job.get("needs"), list):
            job["needs"] = [need["job"] if isinstance(need, dict) else need
                            for need in job["needs"]]
    assert _normalise(ours) == theirs
    assert ours["variables"] == {"FROM": "a", "MODE": "slow"}
    assert set(ours) == {"stages", "variables", "build-build", "exists-job", "test"}
