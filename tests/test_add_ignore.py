"""`cigen lint --add-ignore`: adopt cigen in one commit, then ratchet.

Every current finding gets a suppression comment with a placeholder reason,
placed where it changes nothing but the comments (never inside a block scalar,
where it would be script text); the next run is clean, and once a problem is
fixed its comment is reported as unused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result

Write = Callable[[str, str | bytes], Path]
Cigen = Callable[..., Result]

TODO = "TODO: say why this is accepted"
PIPELINE = """\
.login: &login
  - docker login -u u -p "$PASSWORD" registry.example.com

build:
  image: docker:latest
  script:
    - *login
    - |
      docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME" .
      docker login -u u -p "$P2" r
    - >-
      docker push
      "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME"
"""
EXPECTED = f"""\
.login: &login
  # cigen: ignore[registry-password-argv] {TODO}
  - docker login -u u -p "$PASSWORD" registry.example.com

build:
  # cigen: ignore[unpinned-docker-image] {TODO}
  image: docker:latest
  script:
    - *login
    # cigen: ignore[ref-name-tag,registry-password-argv] {TODO}
    - |
      docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME" .
      docker login -u u -p "$P2" r
    # cigen: ignore[ref-name-tag] {TODO}
    - >-
      docker push
      "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME"
"""


def test_every_finding_gets_a_comment_outside_the_scripts(write: Write, cigen: Cigen,
                                                          tmp_path: Path) -> None:
    path = write(".gitlab-ci.yml", PIPELINE)
    before = cigen("lint", "--format", "json", cwd=tmp_path)
    assert len(before.findings()) == 5
    result = cigen("lint", "--add-ignore", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["No problems found in 1 file.",
                                          "Added 4 suppression comments to 1 file."]
    assert path.read_text(encoding="utf-8") == EXPECTED
    # The scripts GitLab runs are unchanged: the same merged pipeline.
    (tmp_path / "before.yml").write_text(PIPELINE, encoding="utf-8")
    assert cigen("expand", ".gitlab-ci.yml", cwd=tmp_path).stdout == \
        cigen("expand", "before.yml", cwd=tmp_path).stdout
    again = cigen("lint", "--add-ignore", cwd=tmp_path)
    assert again.stdout.splitlines()[-1] == "Added 0 suppression comments to 0 files."
    assert path.read_text(encoding="utf-8") == EXPECTED
    # The placeholder is a reason, so --require-reason accepts the comments as written.
    assert cigen("lint", "--require-reason", cwd=tmp_path).exit_code == 0


def test_a_fixed_problem_leaves_an_unused_comment_to_remove(write: Write, cigen: Cigen,
                                                            tmp_path: Path) -> None:
    path = write(".gitlab-ci.yml", PIPELINE)
    cigen("lint", "--add-ignore", cwd=tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("docker:latest", "docker:29.1-cli"),
                    encoding="utf-8")
    result = cigen("lint", "--format", "json", cwd=tmp_path)
    assert [(finding["rule"], finding["line"]) for finding in result.findings()] == [
        ("unused-suppression", 6)]


def test_included_files_runner_configs_and_line_breaks(write: Write, cigen: Cigen,
                                                       tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "include: ci/login.yml\n")
    included = write("ci/login.yml", "\ufefflogin:\r\n  script:\r\n"
                                     "    - docker login -p \"$P\" r\r\n")
    runner = write("config.toml", '[[runners]]\n  name = "r"\n  executor = "docker"\n'
                                  '  [runners.docker]\n    privileged = true\n'
                                  '    image = "alpine:3.20"\n')
    result = cigen("lint", "--add-ignore", ".gitlab-ci.yml", "config.toml", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert included.read_bytes().decode("utf-8") == (
        "\ufefflogin:\r\n  script:\r\n"
        f"    # cigen: ignore[registry-password-argv] {TODO}\r\n"
        "    - docker login -p \"$P\" r\r\n")
    assert (f"    # cigen: ignore[privileged-runner,runner-dind-certs-volume] {TODO}\n"
            "    privileged = true\n") in runner.read_text(encoding="utf-8")


def test_add_ignore_is_not_combined_with_fixes(write: Write, cigen: Cigen,
                                               tmp_path: Path) -> None:
    path = write(".gitlab-ci.yml", PIPELINE)
    result = cigen("lint", "--add-ignore", "--fix", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == "cigen: error: --add-ignore cannot be combined with --fix or --diff\n"
    assert path.read_text(encoding="utf-8") == PIPELINE
