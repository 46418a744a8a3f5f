"""cigen as a pre-commit hook: the hook manifest, and the hook run by pre-commit itself.

`pre-commit try-repo` installs cigen from a git repository into an environment
of its own, exactly as a project's `.pre-commit-config.yaml` would, and runs
the hook on the files given. The repository handed to it is a snapshot of
this checkout (tracked and new files, committed), so the test behaves the
same in a clean clone and in a working tree with uncommitted changes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pre_commit.clientlib import load_manifest

from tests.conftest import PROJECT

MANIFEST = PROJECT / ".pre-commit-hooks.yaml"
BAD = """\
build:
  image: docker:29.1-cli
  script:
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
"""
GOOD = """\
build:
  image: docker:29.1-cli
  script:
    - echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
"""
# pip's words when the package index cannot be reached; anything else is a real failure.
INDEX_UNREACHABLE = re.compile(
    r"No matching distribution|Could not find a version|NewConnectionError|"
    r"Temporary failure in name resolution|Network is unreachable|ConnectTimeout")
GIT_ENVIRONMENT = {
    "GIT_AUTHOR_NAME": "cigen tests", "GIT_AUTHOR_EMAIL": "tests@cigen.invalid",
    "GIT_COMMITTER_NAME": "cigen tests", "GIT_COMMITTER_EMAIL": "tests@cigen.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str, cwd: Path) -> str:
    environment = {**os.environ, **GIT_ENVIRONMENT, "HOME": str(cwd)}
    completed = subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=cwd,
                               env=environment, capture_output=True, text=True, check=True)
    return completed.stdout


def test_manifest_is_valid_and_matches_ci_files() -> None:
    hooks = {hook["id"]: hook for hook in load_manifest(str(MANIFEST))}
    assert set(hooks) == {"cigen-lint", "cigen-lint-fix"}
    assert hooks["cigen-lint"]["entry"] == "cigen lint"
    assert hooks["cigen-lint-fix"]["entry"] == "cigen lint --fix"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is True
        files = re.compile(hook["files"])
        for name in (".gitlab-ci.yml", ".gitlab-ci.yaml", "sub/dir/.gitlab-ci.yml",
                     "ci/build.gitlab-ci.yml", "deploy.gitlab-ci.yaml", "config.toml",
                     "runners/config.toml"):
            assert files.search(name), name
        for name in ("gitlab-ci.yml", ".gitlab-ci.yml.orig", "ci/build.yml", "pyproject.toml",
                     "myconfig.toml", "README.md"):
            assert not files.search(name), name


def project_snapshot(destination: Path) -> Path:
    """A one-commit git repository holding this checkout's files as they are on disk."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=PROJECT, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("the checkout is not a git repository, which pre-commit needs")
    for name in listed.stdout.decode().split("\0"):
        source = PROJECT / name
        if name and source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git("init", "--quiet", cwd=destination)
    git("add", "--all", cwd=destination)
    git("commit", "--quiet", "--message", "snapshot", cwd=destination)
    return destination


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_snapshot(tmp_path_factory.mktemp("cigen-checkout"))


def try_repo(repository: Path, user_project: Path, *files: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **GIT_ENVIRONMENT,
                   "PRE_COMMIT_HOME": str(user_project.parent / "pre-commit-home")}
    environment.pop("NO_COLOR", None)
    completed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(repository), "cigen-lint",
         "--color", "never", "--files", *files],
        cwd=user_project, env=environment, capture_output=True, text=True, timeout=900,
        check=False)
    output = completed.stdout + completed.stderr
    if "An unexpected error has occurred" in output and INDEX_UNREACHABLE.search(output):
        pytest.skip("pre-commit could not create the hook's environment: the package index "
                    "is unreachable")
    return completed


def user_repository(root: Path) -> Path:
    root.mkdir()
    git("init", "--quiet", cwd=root)
    (root / ".gitlab-ci.yml").write_text(BAD, encoding="utf-8")
    (root / "ci").mkdir()
    (root / "ci" / "build.gitlab-ci.yml").write_text(GOOD, encoding="utf-8")
    git("add", "--all", cwd=root)
    return root


def test_try_repo_fails_on_a_bad_file_and_passes_a_good_one(
        hook_repository: Path, tmp_path: Path) -> None:
    project = user_repository(tmp_path / "project")

    bad = try_repo(hook_repository, project, ".gitlab-ci.yml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert re.search(r"cigen lint\.+Failed", bad.stdout)
    assert ".gitlab-ci.yml:4:43: error CG109 [*] registry-password-argv:" in bad.stdout

    good = try_repo(hook_repository, project, "ci/build.gitlab-ci.yml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"cigen lint\.+Passed", good.stdout)
    assert "CG109" not in good.stdout
