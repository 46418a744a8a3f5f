#!/usr/bin/env python3
"""`cigen expand` against `cigen lint` on a generated monorepo, at 1x, 2x and 4x size.

Usage (from the project root, with cigen installed):

    python bench/expand_speed.py [--includes N] [--jobs-per-include N] [--runs N]

The repository has a root `.gitlab-ci.yml` including N local files (GitLab
allows 150 includes, so sizes grow by jobs per file); each file defines hidden
templates (an `extends` chain three deep and a `!reference`
to a shared script) and jobs that extend them. Both commands run as separate
processes, alternately; the medians are printed with the expand/lint ratio and
each command's time per job, which stays flat when the work is linear.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ENVIRONMENT = {key: value for key, value in os.environ.items()
               if key != "PYTHONDONTWRITEBYTECODE"}


def write_monorepo(root: str, includes: int, jobs_per_include: int) -> int:
    os.makedirs(os.path.join(root, ".git"), exist_ok=True)
    os.makedirs(os.path.join(root, "ci"), exist_ok=True)
    shared = [
        ".shared:",
        "  script:",
        "    - echo shared one",
        "    - echo shared two",
        "",
    ]
    with open(os.path.join(root, "ci", "shared.yml"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(shared))
    root_lines = ["stages: [build, test, deploy]", "include:", "  - local: ci/shared.yml"]
    for index in range(includes):
        root_lines.append(f"  - local: ci/part{index:04}.yml")
        lines = [
            f".base{index}:",
            "  image: docker:29.1-cli",
            "  tags: [docker]",
            "  variables:",
            f"    PART: part{index}",
            f".middle{index}:",
            f"  extends: .base{index}",
            "  before_script:",
            "    - !reference [.shared, script]",
            f".top{index}:",
            f"  extends: .middle{index}",
            "  retry: 1",
        ]
        for job in range(jobs_per_include):
            lines += [
                f"job-{index}-{job}:",
                f"  extends: .top{index}",
                "  stage: build",
                "  script:",
                f'    - docker build -t "$CI_REGISTRY_IMAGE/part{index}:$CI_COMMIT_SHA" .',
                "    - |",
                f"      echo job {job}",
                "      make test",
            ]
        path = os.path.join(root, "ci", f"part{index:04}.yml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    with open(os.path.join(root, ".gitlab-ci.yml"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(root_lines) + "\n")
    return includes * jobs_per_include


def timed(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=ENVIRONMENT, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--includes", type=int, default=120)
    parser.add_argument("--jobs-per-include", type=int, default=45)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    cigen = [sys.executable, "-m", "cigen"]
    print(f"{'size':>4} {'jobs':>6} {'lint s':>8} {'expand s':>9} {'ratio':>6} "
          f"{'lint ms/job':>12} {'expand ms/job':>14}")
    for factor in (1, 2, 4):
        with tempfile.TemporaryDirectory() as root:
            jobs = write_monorepo(root, arguments.includes,
                                  arguments.jobs_per_include * factor)
            lint, expand = [], []
            for _ in range(arguments.runs):
                lint.append(timed([*cigen, "lint", "-q", ".gitlab-ci.yml"], root))
                expand.append(timed([*cigen, "expand", ".gitlab-ci.yml"], root))
            lint_s, expand_s = statistics.median(lint), statistics.median(expand)
            print(f"{factor:>3}x {jobs:>6} {lint_s:>8.2f} {expand_s:>9.2f} "
                  f"{expand_s / lint_s:>6.2f} {lint_s / jobs * 1000:>12.3f} "
                  f"{expand_s / jobs * 1000:>14.3f}")


if __name__ == "__main__":
    main()
