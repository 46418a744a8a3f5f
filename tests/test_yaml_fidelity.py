"""YAML is read as GitLab reads it: with libyaml (Psych is libyaml), so a file
is valid exactly when libyaml accepts it, and an invalid one is reported at
the line libyaml names.

The idioms below are valid YAML that an older libyaml (0.1.7) rejects: a
colon inside a plain scalar in a flow sequence. GitLab accepts them (its own
docs write `needs: [build:linux]`-style job names in flow lists).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import CORPUS, Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

FLOW_COLONS = """\
stages: [build]
.rule:x:
  rules:
    - if: $CI_COMMIT_BRANCH
build:linux:
  stage: build
  image: docker:29.1-cli
  services: [docker:29.1-dind]
  rules: !reference [.rule:x, rules]
  script:
    - docker info
test:
  stage: build
  needs: [build:linux]
  script: [make test]
"""


def test_colons_inside_flow_sequences_are_read(write: Write, cigen: Cigen) -> None:
    root = write(".gitlab-ci.yml", FLOW_COLONS).parent
    result = cigen("lint", "--format", "json", cwd=root)
    rules = result.rules()
    assert "invalid-syntax" not in rules, result.stdout
    # The file is read, so its dind service is checked (privileged dind, no TLS settings).
    assert "privileged-dind" in rules
    assert "undefined-need" not in rules
    expanded = cigen("expand", "--format", "json", cwd=root)
    assert expanded.exit_code == 0, expanded.stderr
    jobs = json.loads(expanded.stdout)
    assert jobs["build:linux"]["services"] == ["docker:29.1-dind"]
    assert jobs["build:linux"]["rules"] == [{"if": "$CI_COMMIT_BRANCH"}]
    assert jobs["test"]["needs"] == ["build:linux"]


def _libyaml_verdict(text: str) -> int | None:
    """None when libyaml accepts the text, else the 1-based line of its error."""
    try:
        list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        return mark.line + 1 if mark is not None else 1
    return None


@pytest.mark.skipif(not (CORPUS / "pipelines").is_dir(), reason="needs the shared corpus")
@pytest.mark.skipif(not yaml.__with_libyaml__, reason="needs PyYAML built with libyaml")
def test_every_corpus_file_is_valid_exactly_when_libyaml_says_so(cigen: Cigen) -> None:
    paths = sorted((CORPUS / "pipelines").glob("*.yml")) + \
        sorted((CORPUS / "batch2" / "pipelines").glob("*.yml"))
    result = cigen("lint", "--isolated", "--format", "json", "--select", "invalid-syntax",
                   *map(str, paths), timeout=120)
    reported: dict[str, list[int]] = {}
    for finding in result.findings():
        reported.setdefault(finding["path"], []).append(finding["line"])
    rejected = 0
    for path in paths:
        line = _libyaml_verdict(path.read_text(encoding="utf-8"))
        if line is None:
            assert str(path) not in reported, (path.name, reported.get(str(path)))
        else:
            rejected += 1
            assert reported.get(str(path)) == [line], path.name
    assert len(paths) > 150
    assert rejected < len(paths) // 10
