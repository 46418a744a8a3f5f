#!/usr/bin/env python3
"""Wall-clock time and peak memory of cigen on small inputs that make naive resolution explode.

Usage (from the project root, with cigen installed):

    python bench/pathological.py [--timeout SECONDS] [--case NAME ...]

Each case is written into a fresh temporary directory (a git repository root),
then `cigen lint` and `cigen expand` run on it as separate processes. The table
gives the input size, each command's exit code, seconds and peak resident
memory. Every case should finish in well under a second:

  * reference-fanout: `!reference` lists ten wide and twenty deep;
  * variable-nesting: `A: $B$B$B`, `B: $C$C$C`, ... used by a docker command;
  * extends-wide: one job extending 8,000 templates;
  * glob-misses: 3,000 glob includes matching nothing in a 300-file repository.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

# Installed tools run from byte-compiled modules; an environment that forbids
# writing bytecode would time the compiler.
ENVIRONMENT = {key: value for key, value in os.environ.items()
               if key not in ("PYTHONDONTWRITEBYTECODE", "NO_COLOR")}


def reference_fanout(root: str, width: int = 10, depth: int = 20) -> str:
    lines = [".a0: [x]"]
    for level in range(1, depth + 1):
        items = ", ".join([f"!reference [.a{level - 1}]"] * width)
        lines.append(f".a{level}: [{items}]")
    lines += ["job:", "  script:", f"    - !reference [.a{depth}]",
              "    - docker login -p secret registry.example.com"]
    return _write(root, "\n".join(lines) + "\n")


def variable_nesting(root: str, depth: int = 26) -> str:
    names = [f"V{index:02d}" for index in range(depth)]
    lines = ["variables:"]
    for name, following in itertools.pairwise(names):
        lines.append(f"  {name}: ${following}${following}${following}")
    lines.append(f"  {names[-1]}: xyz")
    lines += ["build:", "  image: docker:24.0.5", "  script:",
              f"    - docker build -t ${names[0]} .", f"    - docker push ${names[0]}",
              "    - docker login -p secret registry.example.com"]
    return _write(root, "\n".join(lines) + "\n")


def extends_wide(root: str, templates: int = 8000) -> str:
    lines = [f".t{index}: {{variables: {{V{index}: x}}}}" for index in range(templates)]
    lines += ["job:", "  extends:"]
    lines += [f"    - .t{index}" for index in range(templates)]
    lines += ["  script:", "    - docker login -p secret registry.example.com"]
    return _write(root, "\n".join(lines) + "\n")


def glob_misses(root: str, includes: int = 3000, files: int = 300) -> str:
    for index in range(files):
        directory = os.path.join(root, f"dir{index % 30}", f"sub{index % 7}")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, f"file{index}.txt"), "w", encoding="utf-8") as handle:
            handle.write("content\n")
    lines = ["include:"]
    lines += [f"  - local: 'missing{index}/**/*.yml'" for index in range(includes)]
    lines += ["job:", "  script:", "    - docker login -p secret registry.example.com"]
    return _write(root, "\n".join(lines) + "\n")


def _write(root: str, text: str) -> str:
    path = os.path.join(root, ".gitlab-ci.yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


CASES: dict[str, Callable[[str], str]] = {
    "reference-fanout": reference_fanout,
    "variable-nesting": variable_nesting,
    "extends-wide": extends_wide,
    "glob-misses": glob_misses,
}


def run(command: list[str], cwd: str, timeout: float) -> tuple[str, float, float]:
    """Exit code (or "timeout"), seconds and peak memory in MB of one command."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=ENVIRONMENT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        seconds = time.perf_counter() - start
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return str(process.returncode), seconds, usage.ru_maxrss / 1024
        if seconds > timeout:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return "timeout", seconds, float("nan")
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds before a command counts as hung (default 120)")
    parser.add_argument("--case", action="append", choices=sorted(CASES),
                        help="run only this case (repeatable)")
    options = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cigen = [sys.executable, "-m", "cigen"]
    header = f"{'case':<18} {'input':>9}  {'command':<7} {'exit':>7} {'seconds':>8} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    for name in options.case or CASES:
        with tempfile.TemporaryDirectory() as root:
            os.mkdir(os.path.join(root, ".git"))
            path = CASES[name](root)
            size = os.path.getsize(path)
            for command in ("lint", "expand"):
                code, seconds, peak = run([*cigen, command, path], root, options.timeout)
                print(f"{name:<18} {size:>8,}B  {command:<7} {code:>7} {seconds:>8.2f} "
                      f"{peak:>8.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
