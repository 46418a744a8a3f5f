"""`cigen lint --diff` prints a patch that `git apply` takes at the repository
root, wherever cigen was run from, and whatever characters the lines hold."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Write = Callable[[str, str | bytes], Path]
Cigen = Callable[..., Result]

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

TEMPLATE = """\
.docker:
  image: docker:29.1-cli
  script:
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
"""
PIPELINE = "include: ci/templates.yml\nbuild:\n  extends: .docker\n  tags: [shell]\n"


def _git_repository(root: Path) -> None:
    shutil.rmtree(root / ".git")
    for command in (["init", "-q"], ["add", "."],
                    ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=root, check=True, capture_output=True)


def _applies_at_root(root: Path, patch: str) -> None:
    applied = subprocess.run(["git", "apply", "--check", "-"], cwd=root, input=patch,
                             text=True, capture_output=True, check=False)
    assert applied.returncode == 0, applied.stderr


def test_diff_from_a_subdirectory_names_files_from_the_root(write: Write, cigen: Cigen) -> None:
    write("ci/templates.yml", TEMPLATE)
    pipeline = write(".gitlab-ci.yml", PIPELINE)
    root = pipeline.parent
    write("sub/README", "x\n")
    _git_repository(root)
    result = cigen("lint", "--diff", "../.gitlab-ci.yml", cwd=root / "sub")
    assert result.exit_code == 1, result.stderr
    assert "--- a/ci/templates.yml\n+++ b/ci/templates.yml\n" in result.stdout
    assert "../" not in result.stdout
    _applies_at_root(root, result.stdout)
    # The same patch from the root.
    assert cigen("lint", "--diff", ".gitlab-ci.yml", cwd=root).stdout == result.stdout


def test_diff_keeps_lines_git_keeps_whole(write: Write, cigen: Cigen) -> None:
    # NEL and U+2028 inside a quoted scalar break a line for YAML, not for git or patch.
    text = TEMPLATE.replace(".docker:\n", '.docker:\n  variables:\n    NOTE: "a\x85b \u2028 c"\n')
    write("ci/templates.yml", text)
    pipeline = write(".gitlab-ci.yml", PIPELINE)
    root = pipeline.parent
    _git_repository(root)
    result = cigen("lint", "--diff", ".gitlab-ci.yml", cwd=root)
    assert result.exit_code == 1, result.stderr
    _applies_at_root(root, result.stdout)
