"""CI/CD inputs (docs: ci/inputs): `spec: inputs:` headers, `include: inputs:`,
and `$[[ inputs.NAME ]]` interpolated in keys and values, with types, options,
patterns, defaults and functions; mistakes reported where they are written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

COMPONENT = """\
spec:
  inputs:
    stage:
      default: test
    image-tag:
      regex: ^v\\d+
    replicas:
      type: number
      default: 1
    push:
      type: boolean
      default: false
    envs:
      type: array
      default: [dev]
    mode:
      options: [fast, slow]
      default: fast
---
"build-$[[ inputs.stage ]]":
  stage: $[[ inputs.stage ]]
  image: docker:$[[ inputs.image-tag | truncate(1,4) ]]
  variables:
    REPLICAS: $[[ inputs.replicas ]]
    MODE: "mode-$[[ inputs.mode ]]"
  parallel:
    matrix:
      - ENV: $[[ inputs.envs ]]
  script:
    - echo "$[[ inputs.stage ]] $[[ inputs.mode ]]"
"""


def project(write: Write, inputs: str) -> Path:
    write("ci/component.yml", COMPONENT)
    return write(".gitlab-ci.yml", "stages: [test, build]\ninclude:\n  - local: ci/component.yml\n"
                 f"    inputs:\n{inputs}").parent


def expand(cigen: Cigen, root: Path) -> dict[str, Any]:
    result = cigen("expand", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def findings(cigen: Cigen, root: Path, path: str = ".gitlab-ci.yml") -> list[tuple[str, str,
                                                                                   int, str]]:
    result = cigen("lint", "--format", "json", "--select", "input-error,input-unset", path,
                   cwd=root)
    return [(f["rule"], f["path"], f["line"], f["message"]) for f in result.findings()]


def test_inputs_are_interpolated_in_keys_and_values(write: Write, cigen: Cigen) -> None:
    root = project(write, "      stage: build\n      image-tag: v29.1-cli\n      replicas: 3\n"
                          "      envs: [dev, prod]\n")
    config = expand(cigen, root)
    assert config["build-build"] == {
        "stage": "build",
        "image": "docker:29.1",
        "variables": {"REPLICAS": 3, "MODE": "mode-fast"},
        "parallel": {"matrix": [{"ENV": ["dev", "prod"]}]},
        "script": ['echo "build fast"'],
    }
    assert findings(cigen, root) == []


@pytest.mark.parametrize(("inputs", "line", "message"), [
    pytest.param("      image-tag: v1\n      colour: red\n", 6,
                 "unknown input `colour` for `ci/component.yml` (declared: envs, image-tag, "
                 "mode, push, replicas, stage)", id="unknown-input"),
    pytest.param("      stage: build\n", 4,
                 "`ci/component.yml` requires input `image-tag`, which is not given",
                 id="missing-required"),
    pytest.param("      image-tag: v1\n      replicas: many\n", 6,
                 "input `replicas`: `many` is not a number", id="wrong-type"),
    pytest.param("      image-tag: v1\n      push: 'yes'\n", 6,
                 "input `push`: `yes` is not a boolean", id="string-for-boolean"),
    pytest.param("      image-tag: v1\n      mode: turbo\n", 6,
                 "input `mode`: `turbo` is not one of the options (fast, slow)",
                 id="not-an-option"),
    pytest.param("      image-tag: latest\n", 5,
                 "input `image-tag`: `latest` does not match the pattern ^v\\d+",
                 id="regex"),
])
def test_input_mistakes_are_reported_where_written(write: Write, cigen: Cigen, inputs: str,
                                                   line: int, message: str) -> None:
    root = project(write, inputs)
    assert findings(cigen, root) == [("input-error", ".gitlab-ci.yml", line, message)]


def test_a_component_linted_alone_uses_defaults_and_notes_the_unset(write: Write,
                                                                    cigen: Cigen) -> None:
    root = project(write, "      image-tag: v1\n")
    assert findings(cigen, root, "ci/component.yml") == [
        ("input-unset", "ci/component.yml", 22,
         "input `image-tag` is not known (it has no default and nothing gives it a value "
         "here); where it is used, cigen checks the text as written")]
    result = cigen("expand", "--format", "json", "ci/component.yml", cwd=root)
    config = json.loads(result.stdout)
    assert config["build-test"]["image"] == "docker:$[[ inputs.image-tag | truncate(1,4) ]]"
    assert config["build-test"]["stage"] == "test"


def test_a_bad_default_is_reported_in_the_header(write: Write, cigen: Cigen) -> None:
    root = write(".gitlab-ci.yml", "spec:\n  inputs:\n    replicas:\n      type: number\n"
                 "      default: three\n---\njob:\n  script:\n    - echo $[[ inputs.replicas ]]\n"
                 ).parent
    assert findings(cigen, root) == [("input-error", ".gitlab-ci.yml", 5,
                                      "input `replicas`: default `three` is not a number")]


def test_inputs_for_a_file_without_a_header(write: Write, cigen: Cigen) -> None:
    write("ci/plain.yml", "job:\n  script: [make]\n")
    root = write(".gitlab-ci.yml", "include:\n  - local: ci/plain.yml\n    inputs:\n"
                 "      stage: build\n").parent
    assert findings(cigen, root) == [(
        "input-error", ".gitlab-ci.yml", 3,
        "`ci/plain.yml` declares no inputs (it has no `spec:` header), but the include "
        "gives some")]


def test_the_same_file_included_with_different_inputs(write: Write, cigen: Cigen) -> None:
    write("ci/component.yml", COMPONENT)
    root = write(".gitlab-ci.yml", "stages: [test, build]\ninclude:\n"
                 "  - local: ci/component.yml\n    inputs: {image-tag: v1, stage: test}\n"
                 "  - local: ci/component.yml\n    inputs: {image-tag: v2, stage: build}\n"
                 ).parent
    config = expand(cigen, root)
    assert (config["build-test"]["stage"], config["build-build"]["stage"]) == ("test", "build")


@pytest.mark.parametrize(("content", "message"), [
    pytest.param("job:\n  script:\n    - echo $[[ inputs.stage | upper ]]\n",
                 "`upper` is not an interpolation function (expected truncate(offset, length), "
                 "expand_vars or posix_quote)", id="unknown-function"),
    pytest.param("job:\n  script:\n    - echo $[[ stage ]]\n",
                 "`$[[ stage ]]`: expected `inputs.NAME`", id="not-an-input"),
    pytest.param("job:\n  script:\n    - echo $[[ inputs.colour ]]\n",
                 "`$[[ inputs.colour ]]`: unknown input `colour`", id="undeclared-in-use"),
])
def test_interpolation_mistakes_are_reported_at_the_use(write: Write, cigen: Cigen,
                                                        content: str, message: str) -> None:
    root = write(".gitlab-ci.yml", "spec:\n  inputs:\n    stage:\n      default: test\n---\n"
                 + content).parent
    assert findings(cigen, root) == [("input-error", ".gitlab-ci.yml", 8, message)]


def test_inputs_that_are_not_a_mapping(write: Write, cigen: Cigen) -> None:
    write("ci/component.yml", COMPONENT)
    root = write(".gitlab-ci.yml", "include:\n  - local: ci/component.yml\n"
                 "    inputs: [stage, build]\n").parent
    # Read as no inputs at all: the required one is then missing too.
    assert findings(cigen, root) == [
        ("input-error", ".gitlab-ci.yml", 3,
         "`ci/component.yml` requires input `image-tag`, which is not given"),
        ("input-error", ".gitlab-ci.yml", 3,
         "`inputs:` must be a mapping of input names to values")]
