"""Findings point where the offending text was written, whatever way it reached a job.

Each test writes a pipeline (and its local includes) to disk, runs the real
`cigen lint --format json` in a separate process and checks the rule, the file,
the exact line and the jobs of every finding, when the problem reaches jobs
through `extends:`, YAML anchors and `<<` merges, `!reference`, nested local
includes, `default:`/`inherit:`, global and job `variables:`, and inside
block scalars (`|`, `>`, backslash continuations).

Probes: `registry-password-argv` (`docker login -p`), `unpinned-docker-image`
(`docker:latest`), `privileged-dind` (a `docker:*-dind` service),
`ref-name-tag` (`-t img:$CI_COMMIT_REF_NAME`) and `dind-tls-disabled`
(`DOCKER_TLS_CERTDIR: ""` in a dind job).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Result

    Cigen = Callable[..., Result]
    Write = Callable[[str, str | bytes], Path]

LOADER_RULES = frozenset({"invalid-syntax", "duplicate-key", "include-error",
                          "include-unresolved", "extends-error", "reference-error"})
LOGIN = "docker login -u ci -p hunter2 registry.example.com"
REF_TAG = "img:$CI_COMMIT_REF_NAME"


def lint(cigen: Cigen, cwd: Path, *args: str) -> Result:
    result = cigen("lint", "--format", "json", *args, cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.exit_code in (0, 1), (result.exit_code, result.stderr)
    loader = [finding for finding in result.findings() if finding["rule"] in LOADER_RULES]
    assert loader == [], loader
    return result


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only occurrence of ``needle`` in ``text``."""
    assert text.count(needle) == 1, f"{needle!r} must occur once"
    return text[:text.index(needle)].count("\n") + 1


def hits(result: Result, rule: str) -> list[tuple[str, int, list[str]]]:
    """``(path, line, jobs)`` of every finding of ``rule``."""
    return [(finding["path"], finding["line"], finding["jobs"])
            for finding in result.findings() if finding["rule"] == rule]


def finding_of(result: Result, rule: str) -> dict[str, Any]:
    found = [finding for finding in result.findings() if finding["rule"] == rule]
    assert len(found) == 1, result.findings()
    return found[0]


def text_at(cwd: Path, finding: dict[str, Any]) -> str:
    """The source text from a finding's line and column to the end of that line."""
    lines = (cwd / finding["path"]).read_text(encoding="utf-8").splitlines()
    return lines[finding["line"] - 1][finding["column"] - 1:]


# -- extends ------------------------------------------------------------------------------------


def test_extends_string(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = f"""\
.build-template:
  image: docker:latest
  script:
    - echo start
    - {LOGIN}
build:
  extends: .build-template
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert hits(result, "unpinned-docker-image") == [
        (".gitlab-ci.yml", line_of(text, "docker:latest"), ["build"])]
    assert hits(result, "registry-password-argv") == [
        (".gitlab-ci.yml", line_of(text, LOGIN), ["build"])]


def test_extends_list_later_parent_wins(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = """\
.old:
  image: docker:latest
.new:
  image: docker:27.3-cli
new-wins:
  extends: [.old, .new]
  script: [echo]
old-wins:
  extends:
    - .new
    - .old
  script: [echo]
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "unpinned-docker-image") == [
        (".gitlab-ci.yml", line_of(text, "docker:latest"), ["old-wins"])]


def test_extends_replaces_arrays_and_merges_mappings(cigen: Cigen, write: Write,
                                                     tmp_path: Path) -> None:
    text = f"""\
.login:
  image: docker:27.3-cli
  services:
    - docker:27.3-dind
  variables:
    DOCKER_TLS_CERTDIR: ""
    OTHER: one
  script:
    - {LOGIN}
own-script:
  extends: .login
  script:
    - echo no login here
own-variables:
  extends: .login
  variables:
    OTHER: two
inherits-all:
  extends: .login
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "registry-password-argv") == [
        (".gitlab-ci.yml", line_of(text, LOGIN), ["inherits-all", "own-variables"])]
    assert hits(result, "dind-tls-disabled") == [
        (".gitlab-ci.yml", line_of(text, 'DOCKER_TLS_CERTDIR: ""'),
         ["inherits-all", "own-script", "own-variables"])]


def test_extends_problem_in_grandparent(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = f"""\
.grand:
  services:
    - docker:27.3-dind
  script:
    - echo building
    - docker build -t {REF_TAG} .
.parent:
  extends: .grand
  image: docker:27.3-cli
  variables:
    DOCKER_TLS_CERTDIR: ""
child:
  extends: .parent
other-child:
  extends: .parent
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
unrelated:
  image: docker:27.3-cli
  script: [echo]
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "privileged-dind") == [
        (".gitlab-ci.yml", line_of(text, "docker:27.3-dind"), ["child", "other-child"])]
    assert hits(result, "ref-name-tag") == [
        (".gitlab-ci.yml", line_of(text, REF_TAG), ["child", "other-child"])]
    assert hits(result, "dind-tls-disabled") == [
        (".gitlab-ci.yml", line_of(text, 'DOCKER_TLS_CERTDIR: ""'), ["child"])]


def test_extends_four_levels(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = """\
deploy:
  extends: .level3
  script: [echo deploy]
.level3:
  extends: .level2
.level2:
  extends: .level1
.level1:
  extends: .level0
.level0:
  image: docker:latest
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "unpinned-docker-image") == [
        (".gitlab-ci.yml", line_of(text, "docker:latest"), ["deploy"])]


def test_hidden_template_used_by_two_jobs_is_one_finding(cigen: Cigen, write: Write,
                                                         tmp_path: Path) -> None:
    text = f"""\
.docker:
  image: docker:latest
  before_script:
    - {LOGIN}
build:
  extends: .docker
  script: [echo build]
test:
  extends: .docker
  script: [echo test]
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "unpinned-docker-image") == [
        (".gitlab-ci.yml", line_of(text, "docker:latest"), ["build", "test"])]
    assert hits(result, "registry-password-argv") == [
        (".gitlab-ci.yml", line_of(text, LOGIN), ["build", "test"])]
    assert len(result.findings()) == 2


def test_unused_hidden_template_is_still_checked(cigen: Cigen, write: Write,
                                                 tmp_path: Path) -> None:
    text = ".unused:\n  image: docker:latest\nbuild:\n  script: [echo]\n"
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    finding = finding_of(result, "unpinned-docker-image")
    assert (finding["path"], finding["line"]) == (".gitlab-ci.yml", 2)
    assert "build" not in finding["jobs"]


# -- anchors and merge keys ------------------------------------------------------------------------


def test_merge_key_problem_is_reported_at_the_anchor(cigen: Cigen, write: Write,
                                                     tmp_path: Path) -> None:
    text = f"""\
.defaults: &defaults
  image: docker:latest
  script:
    - {LOGIN}
build:
  <<: *defaults
test:
  <<: *defaults
  image: docker:27.3-cli
deploy:
  <<: *defaults
  script:
    - echo deploy
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "unpinned-docker-image") == [
        (".gitlab-ci.yml", line_of(text, "docker:latest"), ["build", "deploy"])]
    assert hits(result, "registry-password-argv") == [
        (".gitlab-ci.yml", line_of(text, LOGIN), ["build", "test"])]


def test_merge_key_list_first_mapping_wins(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = """\
.a: &a
  image: docker:latest
.b: &b
  image: docker:27.3-cli
first-latest:
  <<: [*a, *b]
  script: [echo]
first-pinned:
  <<: [*b, *a]
  script: [echo]
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "unpinned-docker-image") == [
        (".gitlab-ci.yml", line_of(text, "docker:latest"), ["first-latest"])]


def test_anchored_scalar_and_sequence(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = f"""\
.definitions:
  image: &image docker:latest
  tag-script: &tag-script
    - echo tagging
    - docker build -t {REF_TAG} .
build:
  image: *image
  script: *tag-script
release:
  image: docker:27.3-cli
  script:
    - echo first
    - *tag-script
    - echo last
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "unpinned-docker-image") == [
        (".gitlab-ci.yml", line_of(text, "docker:latest"), ["build"])]
    assert hits(result, "ref-name-tag") == [
        (".gitlab-ci.yml", line_of(text, REF_TAG), ["build", "release"])]


# -- !reference ------------------------------------------------------------------------------------


def test_reference_in_script(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = f"""\
.login:
  script:
    - echo logging in
    - {LOGIN}
build:
  image: docker:27.3-cli
  script:
    - echo before
    - !reference [.login, script]
    - echo after
test:
  image: docker:27.3-cli
  before_script: !reference [.login, script]
  script: [echo]
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "registry-password-argv") == [
        (".gitlab-ci.yml", line_of(text, LOGIN), ["build", "test"])]


def test_reference_to_a_string_script(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = f"""\
.login:
  script: {LOGIN}
build:
  image: docker:27.3-cli
  script:
    - echo before
    - !reference [.login, script]
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "registry-password-argv") == [
        (".gitlab-ci.yml", line_of(text, LOGIN), ["build"])]


def test_reference_to_a_variables_block(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = """\
.tls:
  variables:
    DOCKER_TLS_CERTDIR: ""
build:
  image: docker:27.3-cli
  services:
    - docker:27.3-dind
  variables: !reference [.tls, variables]
  script: [docker info]
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "dind-tls-disabled") == [
        (".gitlab-ci.yml", line_of(text, 'DOCKER_TLS_CERTDIR: ""'), ["build"])]


def test_reference_to_one_variable(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = """\
.tls:
  variables:
    NO_TLS: ""
build:
  image: docker:27.3-cli
  services:
    - docker:27.3-dind
  variables:
    DOCKER_TLS_CERTDIR: !reference [.tls, variables, NO_TLS]
  script: [docker info]
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "dind-tls-disabled") == [
        (".gitlab-ci.yml", line_of(text, 'NO_TLS: ""'), ["build"])]


def test_reference_across_included_files(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    templates = f"""\
.login:
  before_script:
    - echo hello
    - {LOGIN}
.tag:
  script:
    - docker build -t {REF_TAG} .
"""
    write("ci/templates.yml", templates)
    write(".gitlab-ci.yml", """\
include:
  - local: ci/templates.yml
build:
  image: docker:27.3-cli
  before_script:
    - !reference [.login, before_script]
  script:
    - !reference [.tag, script]
""")
    result = lint(cigen, tmp_path)
    assert hits(result, "registry-password-argv") == [
        ("ci/templates.yml", line_of(templates, LOGIN), ["build"])]
    assert hits(result, "ref-name-tag") == [
        ("ci/templates.yml", line_of(templates, REF_TAG), ["build"])]


# -- local includes ----------------------------------------------------------------------------------


def nested_includes(write: Write, prefix: str = "") -> dict[str, str]:
    """``.gitlab-ci.yml`` -> ``ci/build.yml`` -> ``ci/docker/login.yml``, a problem in each."""
    files = {
        ".gitlab-ci.yml": "include:\n  - local: ci/build.yml\n"
                          "top:\n  image: docker:latest\n  script: [echo]\n",
        "ci/build.yml": "include: '/ci/docker/login.yml'\n"
                        "build:\n  extends: .login\n  image: docker:latest\n",
        "ci/docker/login.yml": f".login:\n  script:\n    - echo hi\n    - {LOGIN}\n",
    }
    for name, text in files.items():
        write(prefix + name, text)
    return files


def included_hits(result: Result) -> list[tuple[str, str, int, list[str]]]:
    return sorted((finding["rule"], finding["path"], finding["line"], finding["jobs"])
                  for finding in result.findings())


def test_nested_includes_from_the_root(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    nested_includes(write)
    result = lint(cigen, tmp_path)
    assert included_hits(result) == [
        ("registry-password-argv", "ci/docker/login.yml", 4, ["build"]),
        ("unpinned-docker-image", ".gitlab-ci.yml", 4, ["top"]),
        ("unpinned-docker-image", "ci/build.yml", 4, ["build"]),
    ]


def test_nested_includes_from_outside_the_repository(cigen: Cigen, write: Write,
                                                     tmp_path: Path) -> None:
    write("repo/.git/HEAD", "ref: refs/heads/main\n")
    nested_includes(write, "repo/")
    result = lint(cigen, tmp_path, "repo/.gitlab-ci.yml")
    assert included_hits(result) == [
        ("registry-password-argv", "repo/ci/docker/login.yml", 4, ["build"]),
        ("unpinned-docker-image", "repo/.gitlab-ci.yml", 4, ["top"]),
        ("unpinned-docker-image", "repo/ci/build.yml", 4, ["build"]),
    ]


def test_nested_includes_from_a_subdirectory(cigen: Cigen, write: Write,
                                             tmp_path: Path) -> None:
    nested_includes(write)
    result = lint(cigen, tmp_path / "ci", "../.gitlab-ci.yml")
    assert included_hits(result) == [
        ("registry-password-argv", "docker/login.yml", 4, ["build"]),
        ("unpinned-docker-image", "../.gitlab-ci.yml", 4, ["top"]),
        ("unpinned-docker-image", "build.yml", 4, ["build"]),
    ]


def test_nested_includes_from_a_deeper_subdirectory(cigen: Cigen, write: Write,
                                                    tmp_path: Path) -> None:
    nested_includes(write)
    result = lint(cigen, tmp_path / "ci" / "docker", "../../.gitlab-ci.yml")
    assert included_hits(result) == [
        ("registry-password-argv", "login.yml", 4, ["build"]),
        ("unpinned-docker-image", "../../.gitlab-ci.yml", 4, ["top"]),
        ("unpinned-docker-image", "../build.yml", 4, ["build"]),
    ]


def test_nested_includes_with_an_absolute_path(cigen: Cigen, write: Write,
                                               tmp_path: Path) -> None:
    nested_includes(write)
    root = os.path.realpath(tmp_path)
    main = os.path.join(root, ".gitlab-ci.yml")
    result = lint(cigen, tmp_path / "ci", main)
    assert included_hits(result) == sorted([
        ("registry-password-argv", os.path.join(root, "ci", "docker", "login.yml"), 4,
         ["build"]),
        ("unpinned-docker-image", main, 4, ["top"]),
        ("unpinned-docker-image", os.path.join(root, "ci", "build.yml"), 4, ["build"]),
    ])


def test_including_file_overrides_included_jobs(cigen: Cigen, write: Write,
                                                tmp_path: Path) -> None:
    write("ci/build.yml", "build:\n  image: docker:latest\n  script:\n    - " + LOGIN + "\n")
    write(".gitlab-ci.yml", "include: ci/build.yml\nbuild:\n  image: docker:27.3-cli\n")
    result = lint(cigen, tmp_path)
    assert included_hits(result) == [
        ("registry-password-argv", "ci/build.yml", 4, ["build"])]


def test_glob_includes(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write("ci/a.yml", "a:\n  image: docker:latest\n  script: [echo]\n")
    write("ci/deep/b.yml", "b:\n  script: [echo]\n  image: docker:latest\n")
    write("ci/c.txt", "c:\n  image: docker:latest\n")
    write(".gitlab-ci.yml", "include:\n  - local: 'ci/**.yml'\n")
    result = lint(cigen, tmp_path)
    assert included_hits(result) == [
        ("unpinned-docker-image", "ci/a.yml", 2, ["a"]),
        ("unpinned-docker-image", "ci/deep/b.yml", 3, ["b"]),
    ]


def test_includes_of_a_pipeline_read_from_stdin(cigen: Cigen, write: Write,
                                                tmp_path: Path) -> None:
    write("ci/templates.yml", ".docker:\n  image: docker:latest\n")
    pipeline = "include: ci/templates.yml\nbuild:\n  extends: .docker\n  script: [echo]\n"
    result = cigen("lint", "--format", "json", "-", cwd=tmp_path, stdin=pipeline)
    assert "Traceback" not in result.stderr
    assert included_hits(result) == [
        ("unpinned-docker-image", "ci/templates.yml", 2, ["build"])]


def test_root_option_sets_where_local_includes_start(cigen: Cigen, write: Write,
                                                     tmp_path: Path) -> None:
    write("project/templates/docker.yml", ".docker:\n  image: docker:latest\n")
    write("project/pipelines/.gitlab-ci.yml",
          "include:\n  - local: /templates/docker.yml\nbuild:\n  extends: .docker\n"
          "  script: [echo]\n")
    result = lint(cigen, tmp_path, "--root", "project", "project/pipelines/.gitlab-ci.yml")
    assert included_hits(result) == [
        ("unpinned-docker-image", "project/templates/docker.yml", 2, ["build"])]


def test_image_and_service_mappings(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = """\
build:
  image:
    name: docker:latest
    entrypoint: [""]
  services:
    - name: docker:27.3-dind
      alias: dockerd
      variables:
        DOCKER_TLS_CERTDIR: ""
  script: [echo]
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "unpinned-docker-image") == [(".gitlab-ci.yml", 3, ["build"])]
    assert hits(result, "privileged-dind") == [(".gitlab-ci.yml", 6, ["build"])]
    assert hits(result, "dind-tls-disabled") == [(".gitlab-ci.yml", 9, ["build"])]


# -- default: and inherit: ---------------------------------------------------------------------------


def test_default_image_and_services(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = """\
default:
  image: docker:latest
  services:
    - docker:27.3-dind
build:
  script: [echo]
own-image:
  image: docker:27.3-cli
  script: [echo]
no-defaults:
  inherit:
    default: false
  script: [echo]
image-only:
  inherit:
    default: [image]
  script: [echo]
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "unpinned-docker-image") == [
        (".gitlab-ci.yml", line_of(text, "docker:latest"), ["build", "image-only"])]
    assert hits(result, "privileged-dind") == [
        (".gitlab-ci.yml", line_of(text, "docker:27.3-dind"), ["build", "own-image"])]


def test_legacy_top_level_image(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = """\
image: docker:latest
build:
  script: [echo]
pinned:
  image: docker:27.3-cli
  script: [echo]
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "unpinned-docker-image") == [(".gitlab-ci.yml", 1, ["build"])]


def test_default_applies_to_jobs_from_extends_and_includes(cigen: Cigen, write: Write,
                                                           tmp_path: Path) -> None:
    included = "default:\n  before_script:\n    - " + LOGIN + "\n"
    write("ci/defaults.yml", included)
    write(".gitlab-ci.yml", """\
include: ci/defaults.yml
.template:
  image: docker:27.3-cli
build:
  extends: .template
  script: [echo]
own-before:
  extends: .template
  before_script: [echo]
  script: [echo]
""")
    result = lint(cigen, tmp_path)
    assert hits(result, "registry-password-argv") == [
        ("ci/defaults.yml", line_of(included, LOGIN), ["build"])]


# -- variables ---------------------------------------------------------------------------------------


GLOBAL_NO_TLS = """\
variables:
  DOCKER_TLS_CERTDIR: ""
build:
  image: docker:27.3-cli
  services:
    - docker:27.3-dind
  script: [docker info]
"""


def test_global_variable_reaches_dind_job(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", GLOBAL_NO_TLS + "no-dind:\n  script: [echo]\n")
    result = lint(cigen, tmp_path)
    assert hits(result, "dind-tls-disabled") == [(".gitlab-ci.yml", 2, ["build"])]


@pytest.mark.parametrize("job_keys", [
    pytest.param('  variables:\n    DOCKER_TLS_CERTDIR: "/certs"\n', id="job-overrides"),
    pytest.param("  inherit:\n    variables: false\n", id="inherit-false"),
    pytest.param("  inherit:\n    variables: [OTHER]\n", id="inherit-list"),
    pytest.param("  extends: .tls\n.tls:\n  variables:\n    DOCKER_TLS_CERTDIR: /certs\n",
                 id="template-overrides"),
])
def test_job_variables_win_over_global_ones(cigen: Cigen, write: Write, tmp_path: Path,
                                            job_keys: str) -> None:
    write(".gitlab-ci.yml", GLOBAL_NO_TLS + job_keys)
    result = lint(cigen, tmp_path)
    assert hits(result, "dind-tls-disabled") == []


def test_job_variable_problem_is_at_the_job_line(cigen: Cigen, write: Write,
                                                 tmp_path: Path) -> None:
    text = """\
variables:
  DOCKER_TLS_CERTDIR: "/certs"
build:
  image: docker:27.3-cli
  services:
    - docker:27.3-dind
  variables:
    DOCKER_TLS_CERTDIR: ""
  script: [docker info]
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "dind-tls-disabled") == [(".gitlab-ci.yml", 8, ["build"])]


def test_variable_used_in_image_tag(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = """\
variables:
  TAG: $CI_COMMIT_REF_NAME
build:
  image: docker:27.3-cli
  script:
    - docker build -t img:$TAG .
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "ref-name-tag") == [(".gitlab-ci.yml", 2, ["build"])]


# -- block scalars -----------------------------------------------------------------------------------




def block_pipeline(script: str) -> str:
    return "build:\n  image: docker:27.3-cli\n  script:\n" + script


@pytest.mark.parametrize("script", [
    pytest.param(f"""\
    - |
      echo start
      # a comment

      {LOGIN}
      echo done
""", id="literal"),
    pytest.param(f"""\
    - | # keep going
      echo start
      {LOGIN}
""", id="literal-header-comment"),
    pytest.param(f"""\
    - |+
      echo start
      {LOGIN}

    - echo next
""", id="literal-keep"),
    pytest.param(f"""\
    - |
      if [ -n "$CI" ]; then
        echo inside
        {LOGIN}
      fi
""", id="literal-if"),
    pytest.param(f"""\
    - |
      echo one \\
        two \\
        three
      {LOGIN}
""", id="literal-continuations-before"),
    pytest.param(f"""\
    - |
      echo start
      {LOGIN} \\
        --verbose
""", id="literal-command-with-continuation"),
    pytest.param(f"""\
    - >
      echo start

      {LOGIN}
""", id="folded-paragraphs"),
    pytest.param(f"""\
    - >
      echo start &&
      echo more

      {LOGIN}
""", id="folded-joined-lines"),
    pytest.param(f"""\
    - echo first
    - {LOGIN}
""", id="plain"),
    pytest.param(f"""\
    - "{LOGIN}"
""", id="double-quoted"),
])
def test_command_in_block_scalar(cigen: Cigen, write: Write, tmp_path: Path,
                                 script: str) -> None:
    text = block_pipeline(script)
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "registry-password-argv") == [
        (".gitlab-ci.yml", line_of(text, LOGIN), ["build"])]


def test_script_as_one_literal_block(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text = f"""\
build:
  image: docker:27.3-cli
  script: |
    echo start

    {LOGIN}
"""
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "registry-password-argv") == [(".gitlab-ci.yml", 6, ["build"])]


@pytest.mark.parametrize("script", [
    pytest.param(f"    - |-\n      {LOGIN}\n", id="literal-strip"),
    pytest.param(f"    - >-\n      {LOGIN}\n", id="folded-strip"),
])
def test_command_in_stripped_one_line_block(cigen: Cigen, write: Write, tmp_path: Path,
                                            script: str) -> None:
    text = block_pipeline(script)
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert hits(result, "registry-password-argv") == [
        (".gitlab-ci.yml", line_of(text, LOGIN), ["build"])]


@pytest.mark.parametrize("script", [
    pytest.param(f"""\
    - |
      docker build \\
        -t {REF_TAG} .
""", id="literal-continuation"),
    pytest.param(f"""\
    - >
      docker build \\
        -t {REF_TAG} .
""", id="folded-continuation"),
    pytest.param(f"""\
    - >
      docker build
      --pull
      -t {REF_TAG}
      .
""", id="folded-lines"),
    pytest.param(f"""\
    - | # build {REF_TAG}
      docker build -t img:latest .
      docker build -t {REF_TAG}.x .
""", id="literal-word-in-header-comment"),
])
def test_word_position_in_block_scalars(cigen: Cigen, write: Write, tmp_path: Path,
                                     script: str) -> None:
    text = block_pipeline(script)
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    finding = finding_of(result, "ref-name-tag")
    assert finding["jobs"] == ["build"]
    assert finding["line"] == max(number for number, line in enumerate(text.splitlines(), 1)
                                  if REF_TAG in line)
    assert text_at(tmp_path, finding).startswith((REF_TAG, "-t " + REF_TAG))


@pytest.mark.parametrize("script", [
    pytest.param(f"""\
    - docker build
      -t {REF_TAG} .
""", id="plain-multiline"),
    pytest.param(f"""\
    - "docker build
      -t {REF_TAG} ."
""", id="double-quoted-multiline"),
    pytest.param(f"""\
    - >-
      docker build
      -t {REF_TAG} .
""", id="folded-strip-multiline"),
    pytest.param(f"""\
    - >  # tags {REF_TAG}
      docker build -t {REF_TAG} .
""", id="folded-word-in-header-comment"),
    pytest.param(f"""\
    - |2
          echo indented first line
        docker build -t {REF_TAG} .
""", id="literal-indentation-indicator"),
])
def test_word_position_in_other_scalar_styles(cigen: Cigen, write: Write, tmp_path: Path,
                                              script: str) -> None:
    text = block_pipeline(script)
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    finding = finding_of(result, "ref-name-tag")
    assert finding["line"] == max(number for number, line in enumerate(text.splitlines(), 1)
                                  if REF_TAG in line)
    assert text_at(tmp_path, finding).startswith((REF_TAG, "-t " + REF_TAG))


def test_findings_are_sorted_by_path_and_line(cigen: Cigen, write: Write,
                                              tmp_path: Path) -> None:
    write("ci/z.yml", "z:\n  image: docker:latest\n  script: [echo]\n")
    write("ci/a.yml", "a:\n  script: [echo]\n  image: docker:latest\n")
    write(".gitlab-ci.yml", "include: [ci/z.yml, ci/a.yml]\n"
                            "main:\n  image: docker:latest\n  script:\n    - " + LOGIN + "\n")
    result = lint(cigen, tmp_path)
    keys = [(finding["path"], finding["line"]) for finding in result.findings()]
    assert keys == sorted(keys)
    assert keys == [(".gitlab-ci.yml", 3), (".gitlab-ci.yml", 5), ("ci/a.yml", 3),
                    ("ci/z.yml", 2)]
