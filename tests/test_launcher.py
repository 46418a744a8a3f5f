"""`cigen lint` run by the process that loaded the lint engine while the
options were parsed gives exactly what one process gives: same report, same
messages, same exit code, same files on disk. And when that process fails,
the user still gets an answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cigen.parallel import processors
from tests.conftest import CORPUS

Write = Callable[[str, str], Path]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

HANDED_OVER = "[handed over: "

# The console script with the engine started whatever the processor count, and
# a line on standard error saying whether the request went to the engine. The
# setup lines in SETUP run before the engine starts, so a child inherits them.
ENGINE_SCRIPT = """
import os, signal, sys
from cigen import launcher
import cigen.lint_command
{setup}
handed = launcher.hand_over
def hand_over(request):
    code = handed(request)
    sys.stderr.write("[handed over: %s]\\n" % (code is not None))
    return code
launcher.hand_over = hand_over
launcher._start_engine()
sys.argv[0] = "cigen"
from cigen.cli import main
main()
"""


def _run(command: list[str], cwd: Path, stdin: bytes | None, environment: dict[str, str]
         ) -> tuple[int, str, str]:
    completed = subprocess.run(command, cwd=cwd, input=stdin, capture_output=True,
                               env=environment, timeout=120, check=False)
    return (completed.returncode, completed.stdout.decode("utf-8", "replace"),
            completed.stderr.decode("utf-8", "replace"))


def _environment(**extra: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("NO_COLOR", "CIGEN_NO_FORK")}
    environment.update(extra)
    return environment


def with_engine(*args: str, cwd: Path, stdin: bytes | None = None, setup: str = ""
                ) -> tuple[int, str, str, bool]:
    """Run `cigen ARGS` with the engine process; the last value says whether
    the request was handed over."""
    code, out, err = _run([sys.executable, "-c", ENGINE_SCRIPT.format(setup=setup), *args],
                          cwd, stdin, _environment())
    lines = err.splitlines(keepends=True)
    marks = [line for line in lines if line.startswith(HANDED_OVER)]
    assert len(marks) <= 1, err
    rest = "".join(line for line in lines if not line.startswith(HANDED_OVER))
    return code, out, rest, bool(marks) and marks[0].startswith(HANDED_OVER + "True")


def one_process(*args: str, cwd: Path, stdin: bytes | None = None) -> tuple[int, str, str]:
    return _run([sys.executable, "-m", "cigen", *args], cwd, stdin,
                _environment(CIGEN_NO_FORK="1"))


PIPELINES = CORPUS / "pipelines"


@pytest.mark.parametrize("args", [
    pytest.param(["lint", "--format", "json", "."], id="whole-corpus-json"),
    pytest.param(["lint", "--quiet", "--select", "privileged-dind,ref-name-tag", "."],
                 id="corpus-selected-text"),
    pytest.param(["lint", "003.gitlab-ci.yml"], id="one-file-text"),
    pytest.param(["lint", "--format", "sarif", "105.gitlab-ci.yml"], id="one-file-sarif"),
    pytest.param(["lint", "missing.gitlab-ci.yml"], id="missing-path"),
    pytest.param(["lint", "--select", "no-such-rule", "003.gitlab-ci.yml"], id="unknown-rule"),
    pytest.param(["lint", "--config", "nowhere.toml", "003.gitlab-ci.yml"], id="missing-config"),
])
def test_the_engine_process_answers_as_one_process_would(args: list[str]) -> None:
    code, out, err, handed = with_engine(*args, cwd=PIPELINES)
    assert handed
    assert (code, out, err) == one_process(*args, cwd=PIPELINES)


def test_standard_input_reaches_the_engine_process() -> None:
    text = (PIPELINES / "003.gitlab-ci.yml").read_bytes()
    args = ("lint", "--format", "json", "--stdin-filename", "ci.yml", "-")
    code, out, err, handed = with_engine(*args, cwd=PIPELINES, stdin=text)
    assert handed and code == 1 and '"path": "ci.yml"' in out
    assert (code, out, err) == one_process(*args, cwd=PIPELINES, stdin=text)


def test_fix_and_output_files_are_written_by_the_engine_process(tmp_path: Path) -> None:
    results = []
    for name, runner in (("engine", with_engine), ("single", one_process)):
        directory = tmp_path / name
        directory.mkdir()
        (directory / ".git").mkdir()
        shutil.copy(PIPELINES / "003.gitlab-ci.yml", directory / ".gitlab-ci.yml")
        outcome = runner("lint", "--fix", "--format", "json", "--output", "report.json",
                         cwd=directory)
        if name == "engine":
            assert outcome[3]
        results.append((outcome[:3], (directory / ".gitlab-ci.yml").read_text("utf-8"),
                        (directory / "report.json").read_text("utf-8")))
    engine, single = results
    assert engine == single
    assert engine[1] != (PIPELINES / "003.gitlab-ci.yml").read_text("utf-8")  # it did fix


def test_a_failed_engine_leaves_the_run_to_the_parent() -> None:
    setup = ("def broken():\n    raise ImportError('engine cannot load')\n"
             "cigen.lint_command.preload = broken")
    code, out, err, handed = with_engine("lint", "003.gitlab-ci.yml", cwd=PIPELINES,
                                         setup=setup)
    assert not handed
    assert (code, out, err) == one_process("lint", "003.gitlab-ci.yml", cwd=PIPELINES)


def test_an_engine_killed_mid_run_is_an_internal_error() -> None:
    setup = ("cigen.lint_command.run_lint = "
             "lambda request: os.kill(os.getpid(), signal.SIGKILL)")
    code, out, err, handed = with_engine("lint", "003.gitlab-ci.yml", cwd=PIPELINES,
                                         setup=setup)
    assert handed and code == 2 and out == ""
    assert err == "cigen: internal error: the lint process was stopped by signal 9\n"


def test_the_engine_stops_when_the_parent_needs_no_lint_run() -> None:
    script = """
import os, sys
from cigen import launcher
launcher._start_engine()
pid = launcher._engine.pid
sys.argv = ["cigen", "lint", "--help"]
from cigen.cli import main
try:
    main()
except SystemExit as exit:
    print("exit", exit.code)
launcher._stop_engine()
try:
    os.kill(pid, 0)
    print("engine still running")
except ProcessLookupError:
    print("engine gone")
"""
    code, out, err = _run([sys.executable, "-c", script], PIPELINES, None, _environment())
    assert code == 0, err
    assert "Usage: cigen lint" in out
    assert out.splitlines()[-2:] == ["exit 0", "engine gone"]


def test_usage_errors_come_from_the_parent_alone(tmp_path: Path) -> None:
    code, _, err, handed = with_engine("lint", "--no-such-option", cwd=tmp_path)
    assert (code, handed) == (2, False)
    assert "No such option: --no-such-option" in err



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
    code, out, err, handed = with_engine("lint", "--format", "json", *names, cwd=tmp_path)
    assert handed
    assert (code, out, err) == one_process("lint", "--format", "json", *names, cwd=tmp_path)
    assert [finding["rule"] for finding in json.loads(out)["findings"]] == ["privileged-dind"]


def test_cigen_no_fork_keeps_one_process() -> None:
    script = "from cigen.parallel import forking_allowed; print(forking_allowed())"
    for environment, expected in ((_environment(CIGEN_NO_FORK="1"), "False"),
                                  (_environment(), "True")):
        code, out, err = _run([sys.executable, "-c", script], PIPELINES, None, environment)
        assert (code, out.strip()) == (0, expected), err
