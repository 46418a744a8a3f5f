"""A large batch split across forked processes gives exactly what one process
gives: same report, same messages, same exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cigen.lint.parallel import processors
from tests.conftest import CORPUS

Write = Callable[[str, str], Path]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

PIPELINES = CORPUS / "pipelines"


def _run(*args: str, cwd: Path, **extra: str) -> tuple[int, str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("NO_COLOR", "CIGEN_NO_FORK")}
    # Every run checks every file: a cached answer would hide what the split does
    # (and the shared corpus is no place for a cache).
    environment["CIGEN_NO_CACHE"] = "1"
    environment.update(extra)
    completed = subprocess.run([sys.executable, "-m", "cigen", *args], cwd=cwd,
                               capture_output=True, env=environment, timeout=120, check=False)
    return (completed.returncode, completed.stdout.decode("utf-8", "replace"),
            completed.stderr.decode("utf-8", "replace"))


@pytest.mark.skipif(processors() < 2, reason="a batch is split only with two processors")
@pytest.mark.parametrize("args", [
    pytest.param(["lint", "--format", "json", "."], id="whole-corpus-json"),
    pytest.param(["lint", "--quiet", "--select", "privileged-dind,ref-name-tag", "."],
                 id="corpus-selected-text"),
])
def test_a_split_batch_reports_what_one_process_reports(args: list[str]) -> None:
    split = _run(*args, cwd=PIPELINES)
    assert split == _run(*args, cwd=PIPELINES, CIGEN_NO_FORK="1")
    assert split[0] == 1 and split[1]


@pytest.mark.skipif(processors() < 2, reason="a batch is split only with two processors")
def test_a_shared_suppression_used_by_one_share_is_not_reported_unused(write: Write,
                                                                     tmp_path: Path) -> None:
    # One pipeline triggers the suppressed finding in the shared include; the
    # other nineteen do not. Split across processes, the share without that
    # pipeline sees the suppression unused; the run as a whole does not.
    write("ci/shared.yml", ".build:\n  image: docker:29.1-cli\n  script:\n"
          '    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .'
          "  # cigen: ignore[missing-cache-from] small image\n")
    write("00.gitlab-ci.yml", "include: ci/shared.yml\nbuild:\n  extends: .build\n"
          "  services:\n    - docker:29.1-dind\n")
    for number in range(1, 20):
        write(f"{number:02}.gitlab-ci.yml",
              "include: ci/shared.yml\nbuild:\n  extends: .build\n  tags: [docker-shell]\n")
    names = sorted(path.name for path in tmp_path.glob("*.gitlab-ci.yml"))
    code, out, err = _run("lint", "--format", "json", *names, cwd=tmp_path)
    assert (code, out, err) == _run("lint", "--format", "json", *names, cwd=tmp_path,
                                    CIGEN_NO_FORK="1")
    assert [finding["rule"] for finding in json.loads(out)["findings"]] == ["privileged-dind"]


def test_cigen_no_fork_keeps_one_process() -> None:
    script = "from cigen.lint.parallel import forking_allowed; print(forking_allowed())"
    for no_fork, expected in (("1", "False"), ("", "True")):
        environment = {key: value for key, value in os.environ.items()
                       if key != "CIGEN_NO_FORK"}
        if no_fork:
            environment["CIGEN_NO_FORK"] = no_fork
        completed = subprocess.run([sys.executable, "-c", script], capture_output=True,
                                   text=True, env=environment, check=False)
        assert (completed.returncode, completed.stdout.strip()) == (0, expected), \
            completed.stderr
