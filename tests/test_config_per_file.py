"""Each file is linted and fixed under the nearest configuration above it.

As in ruff, the configuration that applies to a file is the closest
`cigen.toml` (or `pyproject.toml` with `[tool.cigen]`) in its directory or
above it, whatever order the files are named in and however they are reached:
named on the command line, found in a directory scan, or included by another
file (an included file is judged under the configuration of the directory it
lives in). `--config` makes one file apply to everything; `--isolated` none.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

# A ref-name-tag finding (with a safe fix) and an argv password in one job.
JOB = """\
{name}:
  image: docker:29.1-cli
  tags: [shell]
  script:
    - docker login -u u -p "$PASSWORD" registry.example.com
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME" .
"""
ROOT_CONFIG = """\
[project]
name = "demo"

[tool.cigen]
select = ["ref-name-tag", "registry-password-argv"]
"""


def found(result: Result) -> set[tuple[str, str]]:
    return {(finding["path"], finding["rule"]) for finding in result.findings()}


def layout(write: Write) -> None:
    write("pyproject.toml", ROOT_CONFIG)
    write("sub/cigen.toml", 'ignore = ["ref-name-tag"]\n')
    write(".gitlab-ci.yml", JOB.format(name="root"))
    write("sub/x.gitlab-ci.yml", JOB.format(name="sub"))


EXPECTED = {(".gitlab-ci.yml", "ref-name-tag"), (".gitlab-ci.yml", "registry-password-argv"),
            ("sub/x.gitlab-ci.yml", "registry-password-argv")}


def test_the_order_of_the_arguments_does_not_matter(write: Write, cigen: Cigen,
                                                    tmp_path: Path) -> None:
    layout(write)
    forward = cigen("lint", "--format", "json", ".gitlab-ci.yml", "sub/x.gitlab-ci.yml",
                    cwd=tmp_path)
    backward = cigen("lint", "--format", "json", "sub/x.gitlab-ci.yml", ".gitlab-ci.yml",
                     cwd=tmp_path)
    assert found(forward) == found(backward) == EXPECTED
    assert forward.exit_code == backward.exit_code == 1


def test_a_directory_scan_uses_each_files_own_configuration(write: Write, cigen: Cigen,
                                                            tmp_path: Path) -> None:
    layout(write)
    # `sub/cigen.toml` replaces the root's `select` in sub/: every rule but ref-name-tag,
    # so sub/'s unpinned image is reported there and nowhere else.
    write("sub/y.gitlab-ci.yml", "job:\n  image: docker:latest\n  script: [docker info]\n")
    result = cigen("lint", "--format", "json", ".", cwd=tmp_path)
    assert found(result) == EXPECTED | {("sub/y.gitlab-ci.yml", "unpinned-docker-image")}
    from_inside = cigen("lint", "--format", "json", ".", cwd=tmp_path / "sub")
    assert found(from_inside) == {("x.gitlab-ci.yml", "registry-password-argv"),
                                  ("y.gitlab-ci.yml", "unpinned-docker-image")}


def test_fix_leaves_files_whose_configuration_ignores_the_rule(write: Write, cigen: Cigen,
                                                               tmp_path: Path) -> None:
    layout(write)
    result = cigen("lint", "--fix", "sub/x.gitlab-ci.yml", ".gitlab-ci.yml", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    # Both passwords move to standard input; only the root's tag changes.
    sub = (tmp_path / "sub/x.gitlab-ci.yml").read_text()
    assert "--password-stdin" in sub and "$CI_COMMIT_REF_NAME" in sub
    root = (tmp_path / ".gitlab-ci.yml").read_text()
    assert "--password-stdin" in root and "$CI_COMMIT_REF_SLUG" in root


def test_an_included_file_is_judged_under_its_own_configuration(write: Write, cigen: Cigen,
                                                                tmp_path: Path) -> None:
    write("pyproject.toml", ROOT_CONFIG)
    write("ci/cigen.toml", 'select = ["registry-password-argv"]\n'
                           '[severity]\nregistry-password-argv = "info"\n')
    write("ci/build.yml", JOB.format(name="from-ci"))
    write(".gitlab-ci.yml", "include:\n  - local: ci/build.yml\n" + JOB.format(name="here"))
    result = cigen("lint", "--format", "json", ".gitlab-ci.yml", cwd=tmp_path)
    assert {(f["path"], f["rule"], f["severity"]) for f in result.findings()} == {
        (".gitlab-ci.yml", "ref-name-tag", "error"),
        (".gitlab-ci.yml", "registry-password-argv", "error"),
        ("ci/build.yml", "registry-password-argv", "info"),
    }
    # The other way round: the root ignores a rule the included file's directory selects.
    write("pyproject.toml", '[tool.cigen]\nselect = ["registry-password-argv"]\n')
    write("ci/cigen.toml", 'select = ["ref-name-tag"]\n')
    result = cigen("lint", "--format", "json", ".gitlab-ci.yml", cwd=tmp_path)
    assert found(result) == {(".gitlab-ci.yml", "registry-password-argv"),
                             ("ci/build.yml", "ref-name-tag")}


def test_config_flag_and_isolated_apply_to_every_file(write: Write, cigen: Cigen,
                                                      tmp_path: Path) -> None:
    layout(write)
    one = cigen("lint", "--format", "json", "--config", "sub/cigen.toml", ".", cwd=tmp_path)
    assert found(one) == {(".gitlab-ci.yml", "registry-password-argv"),
                          ("sub/x.gitlab-ci.yml", "registry-password-argv")}
    none = cigen("lint", "--format", "json", "--isolated", ".", cwd=tmp_path)
    assert found(none) == EXPECTED | {("sub/x.gitlab-ci.yml", "ref-name-tag")}


def test_a_broken_configuration_below_is_a_usage_error(write: Write, cigen: Cigen,
                                                       tmp_path: Path) -> None:
    layout(write)
    write("sub/cigen.toml", 'ignore = ["ref-name-tag"]\nselct = []\n')
    result = cigen("lint", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"cigen: error: {tmp_path / 'sub' / 'cigen.toml'}:2: selct: unknown key "
        "(did you mean 'select'?)"]
    assert "Traceback" not in result.stderr
    # Reached only through an include, it is reported the same way.
    write(".gitlab-ci.yml", "include:\n  - local: sub/x.gitlab-ci.yml\n")
    included = cigen("lint", ".gitlab-ci.yml", cwd=tmp_path)
    assert included.exit_code == 2
    assert "sub/cigen.toml:2: selct: unknown key (did you mean 'select'?)" in included.stderr
    assert "Traceback" not in included.stderr


def test_flag_exclude_patterns_are_relative_to_the_current_directory(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    layout(write)
    result = cigen("lint", "--format", "json", "--exclude", "sub/*", ".", cwd=tmp_path)
    assert found(result) == {(".gitlab-ci.yml", "ref-name-tag"),
                             (".gitlab-ci.yml", "registry-password-argv")}
