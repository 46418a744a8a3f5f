"""One representative `cigen init` output per strategy, compared with a reviewed copy.

The files under tests/golden/ were read line by line when they were written;
a template change shows up here as a diff to review. After reviewing, refresh
them with CIGEN_UPDATE_GOLDEN=1 python -m pytest tests/test_init_golden.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Cigen = Callable[..., Result]
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CIGEN_UPDATE_GOLDEN") == "1"

REPRESENTATIVE = {
    "shell": ["--test-command", "make test"],
    "dind": ["--test-command", "make test", "--platform", "linux/amd64", "--platform",
             "linux/arm64", "--sbom", "--provenance", "--sign"],
    "socket": ["--test-command", "make test"],
    "depot": ["--test-command", "make test", "--platform", "linux/amd64", "--platform",
              "linux/arm64", "--sbom", "--provenance"],
    "buildkit": ["--test-command", "make test", "--dockerfile", "docker/Dockerfile",
                 "--platform", "linux/amd64", "--platform", "linux/arm64", "--provenance",
                 "--scan", "--build-arg", "PYTHON_VERSION=3.13"],
    "buildah": ["--test-command", "make test", "--image", "registry.example.com/team/app",
                "--target", "runtime", "--build-arg", "APP_VERSION", "--no-release-latest"],
}


def _compare(path: Path, text: str) -> None:
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path.name} is missing; CIGEN_UPDATE_GOLDEN=1 writes it"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} changed; review the diff, then refresh with CIGEN_UPDATE_GOLDEN=1")


@pytest.mark.parametrize("strategy", list(REPRESENTATIVE))
def test_output_matches_the_reviewed_copy(tmp_path: Path, cigen: Cigen, strategy: str) -> None:
    result = cigen("init", "--strategy", strategy, *REPRESENTATIVE[strategy],
                   "--runner-config", "config.toml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    _compare(GOLDEN / f"{strategy}.gitlab-ci.yml",
             (tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    _compare(GOLDEN / f"{strategy}.config.toml",
             (tmp_path / "config.toml").read_text(encoding="utf-8"))


def test_golden_files_lint_clean(cigen: Cigen) -> None:
    result = cigen("lint", "--root", str(GOLDEN), str(GOLDEN))
    assert result.exit_code == 0, result.stdout
    assert len([path for path in GOLDEN.iterdir() if path.is_file()]) == 2 * len(REPRESENTATIVE)
