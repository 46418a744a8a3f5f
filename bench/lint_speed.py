#!/usr/bin/env python3
"""Wall-clock benchmark of `cigen lint` against `check-jsonschema` on the same files.

Usage (from the project root, with cigen and check-jsonschema installed):

    python bench/lint_speed.py [--corpus DIR] [--runs N]

It times, as separate processes (what a pre-commit hook pays), the two tools
alternately:
  * the whole corpus in one call, for both tools;
  * one typical file (the median-sized one), for both tools;
and prints the medians and the ratios. The targets are a ratio of at most
1/3 for the whole corpus and 1/2 for a single file.

``--one-process`` sets ``CIGEN_NO_FORK=1``: cigen then runs as it does on a
machine with one processor (no parallel share of a large batch). cigen's
result cache is off (every run checks every file, as a first run does) unless
``--warm-cache`` is given: then every timed run after the warm-up is answered
from the cache, as a re-run over unchanged files is.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CORPUS = os.path.join(HERE, "..", "..", "shared", "corpus", "pipelines")


# Installed tools run from byte-compiled modules (pip compiles them at install
# time); an environment that forbids writing bytecode would time the compiler.
ENVIRONMENT = {key: value for key, value in os.environ.items()
               if key not in ("PYTHONDONTWRITEBYTECODE", "CIGEN_NO_CACHE")}


def run_seconds(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=ENVIRONMENT, check=False)
    return time.perf_counter() - start


def compare(ours: list[str], theirs: list[str], cwd: str, runs: int) -> tuple[float, float]:
    """Median seconds of both commands, run alternately so that drift in the
    machine's load affects both alike; the first pair is a warm-up."""
    our_times, their_times = [], []
    for run in range(runs + 1):
        ours_now, theirs_now = run_seconds(ours, cwd), run_seconds(theirs, cwd)
        if run:
            our_times.append(ours_now)
            their_times.append(theirs_now)
    return statistics.median(our_times), statistics.median(their_times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--one-process", action="store_true",
                        help="run cigen with CIGEN_NO_FORK=1")
    parser.add_argument("--warm-cache", action="store_true",
                        help="let cigen answer from its result cache")
    args = parser.parse_args()
    if args.one_process:
        ENVIRONMENT["CIGEN_NO_FORK"] = "1"
    if not args.warm_cache:
        ENVIRONMENT["CIGEN_NO_CACHE"] = "1"
    corpus = os.path.abspath(args.corpus)
    files = sorted(os.path.basename(path) for path in glob.glob(os.path.join(corpus, "*.yml")))
    if not files:
        print(f"no *.yml files in {corpus}", file=sys.stderr)
        return 2
    cigen = shutil.which("cigen")
    checker = shutil.which("check-jsonschema")
    if cigen is None or checker is None:
        print("needs both `cigen` and `check-jsonschema` on PATH", file=sys.stderr)
        return 2
    typical = sorted(files, key=lambda name: os.path.getsize(os.path.join(corpus, name)))[
        len(files) // 2]
    reference = [checker, "--builtin-schema", "vendor.gitlab-ci"]
    rows = []
    for label, names in (("whole corpus", files), (f"one file ({typical})", [typical])):
        ours, theirs = compare([cigen, "lint", "--format", "json", *names], [*reference, *names],
                               corpus, args.runs)
        rows.append((label, len(names), ours, theirs))
    print(f"{'case':<32} {'files':>5} {'cigen':>9} {'check-jsonschema':>17} {'ratio':>6}")
    for label, count, ours, theirs in rows:
        print(f"{label:<32} {count:>5} {ours * 1000:>7.0f}ms {theirs * 1000:>15.0f}ms "
              f"{ours / theirs:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
