"""`cigen init` on hostile options and destinations: one line naming the option, exit 2,
and both files written or neither, with no temporary file left behind."""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Cigen = Callable[..., Result]
LONG_NAME = "a" * 300


def raw(data: bytes) -> str:
    """An argument that reaches the command's argv as exactly these bytes."""
    return os.fsdecode(data)


def on_disk(directory: Path) -> list[str]:
    """Every file below ``directory`` but the .git marker, temporary files included."""
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*")
                  if path.name != ".git")


def one_error(result: Result, message: str) -> None:
    assert result.exit_code == 2, result.stderr
    assert result.stderr == f"cigen: error: {message}\n"
    assert result.stdout == ""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    return tmp_path


@pytest.mark.parametrize("option, value, shown", [
    ("--strategy", b"dind\xff", r'"dind\xff"'),
    ("--image", b"registry.example.com/\xe9quipe/app", r'"registry.example.com/\xe9quipe/app"'),
    ("--dockerfile", b"docker/Dockerfile.\xff", r'"docker/Dockerfile.\xff"'),
    ("--context", b"sr\xc3", r'"sr\xc3"'),
    ("--platform", b"linux/amd64\xa0", r'"linux/amd64\xa0"'),
    ("--test-command", b"make test \xff\xfe", r'"make test \xff\xfe"'),
])
def test_a_value_that_is_not_utf8_names_the_option(repo: Path, cigen: Cigen, option: str,
                                                   value: bytes, shown: str) -> None:
    result = cigen("init", option, raw(value), "--runner-config", "runner.toml", cwd=repo)
    one_error(result, f"{option}: {shown} is not valid UTF-8")
    assert on_disk(repo) == []


@pytest.mark.parametrize("arguments, message", [
    (["-o", raw(b"ci\xff.yml")], r'--output: "ci\xff.yml": the path is not valid UTF-8'),
    (["--runner-config", raw(b"runner\xff.toml")],
     r'--runner-config: "runner\xff.toml": the path is not valid UTF-8'),
])
def test_a_destination_that_is_not_utf8_is_refused(repo: Path, cigen: Cigen,
                                                   arguments: list[str], message: str) -> None:
    one_error(cigen("init", *arguments, cwd=repo), message)
    assert on_disk(repo) == []


@pytest.mark.parametrize("option", ["-o", "--runner-config"])
def test_a_file_name_longer_than_the_system_takes(repo: Path, cigen: Cigen,
                                                  option: str) -> None:
    name = "--output" if option == "-o" else option
    result = cigen("init", option, LONG_NAME, cwd=repo)
    one_error(result, f"{name}: {LONG_NAME}: {os.strerror(errno.ENAMETOOLONG)}")
    assert on_disk(repo) == []


@pytest.mark.parametrize("option", ["--dockerfile", "--context"])
def test_a_long_build_path_is_refused_before_anything_is_written(repo: Path, cigen: Cigen,
                                                                 option: str) -> None:
    result = cigen("init", option, f"docker/{LONG_NAME}", "--runner-config", "runner.toml",
                   cwd=repo)
    one_error(result, f'{option}: "docker/{LONG_NAME}": too long for a path (at most 255 '
                      "characters between slashes, 4095 in all)")
    assert on_disk(repo) == []


def test_a_long_name_within_the_limit_is_written(repo: Path, cigen: Cigen) -> None:
    name = "p" * 250
    result = cigen("init", "-o", name, "--dockerfile", "d" * 255, cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert on_disk(repo) == [name]


@pytest.mark.parametrize("spelling", ["./ci.yml", "sub/../ci.yml", "link.yml"])
def test_one_file_for_both_destinations_is_refused(repo: Path, cigen: Cigen,
                                                   spelling: str) -> None:
    (repo / "sub").mkdir()
    (repo / "link.yml").symlink_to("ci.yml")
    result = cigen("init", "-o", "ci.yml", "--runner-config", spelling, "--strategy", "dind",
                   "--force", cwd=repo)
    one_error(result, f"--runner-config: {spelling} is the same file as --output ci.yml")
    assert on_disk(repo) == ["link.yml", "sub"]


def test_a_hard_link_to_the_pipeline_is_the_same_file(repo: Path, cigen: Cigen) -> None:
    (repo / "ci.yml").write_text("mine: true\n", encoding="utf-8")
    os.link(repo / "ci.yml", repo / "runner.toml")
    result = cigen("init", "-o", "ci.yml", "--runner-config", "runner.toml", "--force",
                   cwd=repo)
    one_error(result, "--runner-config: runner.toml is the same file as --output ci.yml")
    assert (repo / "ci.yml").read_text(encoding="utf-8") == "mine: true\n"


@pytest.mark.parametrize("option", ["-o", "--runner-config"])
@pytest.mark.parametrize("path, problem", [
    ("somewhere", "is a directory"),
    ("missing/ci.yml", "directory missing does not exist"),
    ("plain/ci.yml", "plain is not a directory"),
    ("plain/deeper/ci.yml", "plain/deeper is not a directory"),
    ("new/", "names a directory; name the file"),
])
def test_a_destination_that_cannot_be_a_file(repo: Path, cigen: Cigen, option: str,
                                             path: str, problem: str) -> None:
    (repo / "somewhere").mkdir()
    (repo / "plain").write_text("x\n", encoding="utf-8")
    arguments = [option, path] + (["--runner-config", "runner.toml"] if option == "-o" else [])
    name = "--output" if option == "-o" else option
    result = cigen("init", *arguments, "--strategy", "dind", "--force", cwd=repo)
    one_error(result, f"{name}: {path}: {problem}")
    assert on_disk(repo) == ["plain", "somewhere"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_an_unwritable_runner_config_stops_the_pipeline(repo: Path, cigen: Cigen) -> None:
    result = cigen("init", "--strategy", "dind", "--runner-config", "/proc/cigen-runner.toml",
                   cwd=repo)
    one_error(result, "--runner-config: /proc/cigen-runner.toml: cannot write: "
                      f"{os.strerror(errno.ENOENT)}")
    assert on_disk(repo) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in any directory")
def test_a_read_only_directory_stops_both_files(repo: Path, cigen: Cigen) -> None:
    (repo / "locked").mkdir(mode=0o555)
    result = cigen("init", "--strategy", "dind", "--runner-config", "locked/runner.toml",
                   cwd=repo)
    one_error(result, "--runner-config: locked/runner.toml: cannot write in directory locked")
    assert on_disk(repo) == ["locked"]


def test_a_special_file_is_not_replaced_even_with_force(repo: Path, cigen: Cigen) -> None:
    os.mkfifo(repo / "pipe")
    result = cigen("init", "-o", "pipe", "--force", cwd=repo)
    one_error(result, "--output: pipe: is not a regular file")
    assert (repo / "pipe").is_fifo()


def test_a_dangling_symbolic_link_counts_as_existing(repo: Path, cigen: Cigen) -> None:
    (repo / ".gitlab-ci.yml").symlink_to("ci/pipeline.yml")
    one_error(cigen("init", cwd=repo),
              "--output: .gitlab-ci.yml already exists; use --force to overwrite it")
    assert (repo / ".gitlab-ci.yml").is_symlink()
    assert on_disk(repo) == [".gitlab-ci.yml"]


def test_force_writes_through_a_symbolic_link(repo: Path, cigen: Cigen) -> None:
    (repo / "ci").mkdir()
    (repo / "ci" / "pipeline.yml").write_text("mine: true\n", encoding="utf-8")
    (repo / ".gitlab-ci.yml").symlink_to("ci/pipeline.yml")
    result = cigen("init", "--strategy", "shell", "--force", cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert (repo / ".gitlab-ci.yml").is_symlink()
    assert "docker build --pull" in (repo / "ci" / "pipeline.yml").read_text(encoding="utf-8")
    assert on_disk(repo) == [".gitlab-ci.yml", "ci", "ci/pipeline.yml"]


def test_an_existing_pipeline_stops_a_new_runner_config(repo: Path, cigen: Cigen) -> None:
    (repo / ".gitlab-ci.yml").write_text("mine: true\n", encoding="utf-8")
    result = cigen("init", "--strategy", "dind", "--runner-config", "runner.toml", cwd=repo)
    one_error(result, "--output: .gitlab-ci.yml already exists; use --force to overwrite it")
    assert on_disk(repo) == [".gitlab-ci.yml"]


def test_empty_paths_are_refused(repo: Path, cigen: Cigen) -> None:
    one_error(cigen("init", "-o", "", cwd=repo), "--output: the path is empty")
    one_error(cigen("init", "--runner-config", "", cwd=repo),
              "--runner-config: the path is empty")
    assert on_disk(repo) == []


def test_output_dash_prints_the_pipeline_and_writes_the_runner_config(repo: Path,
                                                                      cigen: Cigen) -> None:
    result = cigen("init", "--strategy", "dind", "-o", "-", "--runner-config", "runner.toml",
                   cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Written by `cigen init")
    assert "[[runners]]" in (repo / "runner.toml").read_text(encoding="utf-8")
    assert on_disk(repo) == ["runner.toml"]


def test_a_test_command_the_linter_reports_names_the_option(repo: Path, cigen: Cigen) -> None:
    result = cigen("init", "--test-command", "docker login -p hunter2 registry.example.com",
                   "--runner-config", "runner.toml", cwd=repo)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        'cigen: error: --test-command: "docker login -p hunter2 registry.example.com" fails '
        "the check of the generated .gitlab-ci.yml (")
    assert result.stderr.count("\n") == 1
    assert on_disk(repo) == []


def test_a_test_command_from_settings_names_the_key(repo: Path, cigen: Cigen) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.cigen.init]\ntest-command = "docker login -p hunter2 registry.example.com"\n',
        encoding="utf-8")
    result = cigen("init", cwd=repo)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "cigen: error: pyproject.toml [tool.cigen.init]: test-command: "
        '"docker login -p hunter2 registry.example.com" fails the check of the generated ')
    assert result.stderr.count("\n") == 1
    assert on_disk(repo) == ["pyproject.toml"]


def _full_pipe() -> tuple[int, int]:
    """A pipe whose buffer is already full, so that the next write to it blocks."""
    reading, writing = os.pipe()
    flags = fcntl.fcntl(writing, fcntl.F_GETFL)
    fcntl.fcntl(writing, fcntl.F_SETFL, flags | os.O_NONBLOCK)
    try:
        while True:
            os.write(writing, b"x" * 4096)
    except BlockingIOError:
        pass
    fcntl.fcntl(writing, fcntl.F_SETFL, flags)
    return reading, writing


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_write_leaves_nothing_behind(repo: Path,
                                                    signal_number: signal.Signals) -> None:
    reading, writing = _full_pipe()
    # cigen keeps a signal its parent ignores ignored (as a shell's `nohup` asks):
    # the test is about the default disposition, whatever the test run inherited.
    inherited = signal.getsignal(signal_number)
    process = subprocess.Popen(
        [sys.executable, "-m", "cigen", "init", "--strategy", "dind", "-o", "-",
         "--runner-config", "runner.toml"],
        cwd=repo, stdout=writing, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal_number, signal.SIG_DFL))
    os.close(writing)
    try:
        # The runner config waits complete in its temporary file while the pipeline
        # is printed, which blocks on the full pipe: interrupt it there.
        deadline = time.monotonic() + 20
        while not list(repo.glob(".runner.toml.*.tmp")):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "no temporary file appeared"
            time.sleep(0.05)
        process.send_signal(signal_number)
        with os.fdopen(reading, "rb") as pipe:
            pipe.read()
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0, f"signal {signal_number} was {inherited} in the test run"
    assert b"Traceback" not in stderr
    assert on_disk(repo) == []


def test_a_removed_working_directory_is_one_line(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    target = tmp_path / "ci.yml"
    completed = subprocess.run(
        ["sh", "-c", 'cd "$1" && rmdir "$1" && exec "$2" -m cigen init -o "$3"', "sh",
         str(gone), sys.executable, str(target)],
        capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 2
    assert completed.stderr == ("cigen: error: cannot read the current directory: "
                                f"{os.strerror(errno.ENOENT)}\n")
    assert not target.exists()
