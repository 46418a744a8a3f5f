"""Files that are not plain files: links, named pipes, devices, and writes that fail.

Every test drives the real command line on a repository written to disk. Only
regular files are read, never more than the size limit; a symbolic link is
followed only to a file inside the repository root (and `--fix` then edits that
file and keeps the link); a file that cannot be read or written costs one
`cigen: error:` line and exit 2 while every other file is still linted and
reported. A hang fails the test through the command's timeout.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result, run_cigen

TIMEOUT = 20
UNPINNED = "build:\n  image: docker:latest\n  script: [echo]\n"
LEAK = "leak:\n  image: docker:latest\n  script: [echo leaked]\n"


def lint(cwd: Path, *args: str, stdin: str | bytes | None = None) -> Result:
    """`cigen lint --format json ARGS` in ``cwd``; never a traceback, never a hang."""
    result = run_cigen("lint", "--format", "json", *args, cwd=cwd, stdin=stdin,
                       timeout=TIMEOUT)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def expand(cwd: Path, *args: str) -> Result:
    result = run_cigen("expand", *args, cwd=cwd, timeout=TIMEOUT)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def where(finding: dict[str, Any]) -> tuple[str, str, int]:
    return finding["rule"], finding["path"], finding["line"]


def error_lines(result: Result) -> list[str]:
    """What went to standard error, but the `Fixed N problems.` count of a JSON run."""
    return [line for line in result.stderr.strip().splitlines()
            if not line.startswith("Fixed ")]


def assert_one_error(result: Result, path: str, reason: str) -> None:
    """Exit 2 and exactly one error line, naming ``path`` and saying ``reason``."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert error_lines(result) == [f"cigen: error: {path}: {reason}"], result.stderr


def make_repository(root: Path) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    return root


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@contextlib.contextmanager
def child_limit(limit: int, value: int) -> Iterator[None]:
    """Lower a soft resource limit while the block runs, for the commands it starts
    (they inherit it); this process only waits for them meanwhile."""
    soft, hard = resource.getrlimit(limit)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(limit, (value, hard))
    try:
        yield
    finally:
        resource.setrlimit(limit, (soft, hard))


# Enough for a cigen process; a process reading /dev/zero into memory stops here.
MEMORY_CAP = 2 * 1024 * 1024 * 1024


# -- symbolic links -------------------------------------------------------------------------------


def test_fix_through_a_symlink_edits_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    target = write(repo / "pipelines" / "main.yml", UNPINNED)
    (repo / ".gitlab-ci.yml").symlink_to("pipelines/main.yml")
    result = lint(repo, "--fix", "--unsafe-fixes")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert (repo / ".gitlab-ci.yml").is_symlink()
    assert os.readlink(repo / ".gitlab-ci.yml") == "pipelines/main.yml"
    fixed = target.read_text(encoding="utf-8")
    assert "docker:latest" not in fixed
    assert fixed.startswith("build:\n  image: docker:")
    assert sorted(path.name for path in (repo / "pipelines").iterdir()) == ["main.yml"]


def test_a_symlink_is_reported_under_its_own_name(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    write(repo / "pipelines" / "main.yml", UNPINNED)
    (repo / ".gitlab-ci.yml").symlink_to("pipelines/main.yml")
    result = lint(repo)
    assert result.exit_code == 1
    assert [where(finding) for finding in result.findings()] == [
        ("unpinned-docker-image", ".gitlab-ci.yml", 2)]


def test_includes_of_a_symlink_resolve_from_the_repository_root(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    write(repo / "pipelines" / "main.yml", "include:\n  - local: common.yml\n")
    write(repo / "common.yml", UNPINNED)
    write(repo / "pipelines" / "common.yml", LEAK)
    (repo / ".gitlab-ci.yml").symlink_to("pipelines/main.yml")
    result = lint(repo)
    assert result.exit_code == 1
    assert [where(finding) for finding in result.findings()] == [
        ("unpinned-docker-image", "common.yml", 2)]


def outside_layout(tmp_path: Path) -> Path:
    """``repo/.gitlab-ci.yml`` links to ``elsewhere/p.yml``, whose include exists
    only next to it, outside the repository."""
    repo = make_repository(tmp_path / "repo")
    write(tmp_path / "elsewhere" / "p.yml", "include: ci/x.yml\n" + UNPINNED)
    write(tmp_path / "elsewhere" / "ci" / "x.yml", LEAK)
    (repo / ".gitlab-ci.yml").symlink_to("../elsewhere/p.yml")
    return repo


OUTSIDE = "symbolic link to a file outside the repository root; not read"


def test_a_symlink_out_of_the_repository_is_not_read(tmp_path: Path) -> None:
    repo = outside_layout(tmp_path)
    result = lint(repo)
    assert_one_error(result, ".gitlab-ci.yml", OUTSIDE)
    assert result.findings() == []
    assert "leak" not in result.stdout


def test_a_symlink_out_of_the_repository_is_not_fixed(tmp_path: Path) -> None:
    repo = outside_layout(tmp_path)
    before = (tmp_path / "elsewhere" / "p.yml").read_bytes()
    result = lint(repo, "--fix", "--unsafe-fixes")
    assert_one_error(result, ".gitlab-ci.yml", OUTSIDE)
    assert (repo / ".gitlab-ci.yml").is_symlink()
    assert (tmp_path / "elsewhere" / "p.yml").read_bytes() == before


def test_expand_does_not_read_a_symlink_out_of_the_repository(tmp_path: Path) -> None:
    repo = outside_layout(tmp_path)
    result = expand(repo)
    assert_one_error(result, ".gitlab-ci.yml", OUTSIDE)
    assert "leak" not in result.stdout


def test_directory_scan_does_not_follow_a_symlink_out_of_the_repository(
        tmp_path: Path) -> None:
    repo = outside_layout(tmp_path)
    (repo / ".gitlab-ci.yml").unlink()
    write(repo / "a.gitlab-ci.yml", UNPINNED)
    (repo / "b.gitlab-ci.yml").symlink_to("../elsewhere/p.yml")
    result = lint(repo, ".")
    assert_one_error(result, "b.gitlab-ci.yml", OUTSIDE)
    assert [where(finding) for finding in result.findings()] == [
        ("unpinned-docker-image", "a.gitlab-ci.yml", 2)]
    assert "leak" not in result.stdout


@pytest.mark.parametrize(("make_link", "reason"), [
    pytest.param(lambda path: path.symlink_to("nowhere.yml"),
                 "broken symbolic link (its target does not exist)", id="dangling"),
    pytest.param(lambda path: path.symlink_to(path.name), "symbolic link loop", id="self-loop"),
])
def test_a_broken_symlink_costs_only_itself(tmp_path: Path, make_link: Callable[[Path], None],
                                            reason: str) -> None:
    repo = make_repository(tmp_path)
    write(repo / "a.gitlab-ci.yml", UNPINNED)
    make_link(repo / "b.gitlab-ci.yml")
    result = lint(repo, ".")
    assert_one_error(result, "b.gitlab-ci.yml", reason)
    assert [where(finding) for finding in result.findings()] == [
        ("unpinned-docker-image", "a.gitlab-ci.yml", 2)]


def test_a_broken_default_pipeline_symlink(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    (repo / ".gitlab-ci.yml").symlink_to("gone.yml")
    assert_one_error(lint(repo), ".gitlab-ci.yml",
                     "broken symbolic link (its target does not exist)")


def test_symlink_to_dev_zero_is_not_read(tmp_path: Path) -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    repo = make_repository(tmp_path)
    (repo / ".gitlab-ci.yml").symlink_to("/dev/zero")
    with child_limit(resource.RLIMIT_AS, MEMORY_CAP):
        outside = lint(repo)
        inside = lint(repo, "--root", "/")
        expanded = expand(repo, "--root", "/")
    assert_one_error(outside, ".gitlab-ci.yml", OUTSIDE)
    device = "not a regular file (a character device)"
    assert_one_error(inside, ".gitlab-ci.yml", device)
    assert_one_error(expanded, ".gitlab-ci.yml", device)


# -- named pipes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [".gitlab-ci.yml", "x.gitlab-ci.yml", "config.toml"])
def test_a_named_pipe_given_as_a_file(tmp_path: Path, name: str) -> None:
    repo = make_repository(tmp_path)
    os.mkfifo(repo / name)
    assert_one_error(lint(repo, name), name, "not a regular file (a named pipe)")


def test_a_named_pipe_given_to_expand(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    os.mkfifo(repo / ".gitlab-ci.yml")
    assert_one_error(expand(repo), ".gitlab-ci.yml", "not a regular file (a named pipe)")


def test_named_pipes_met_in_a_directory_scan(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    write(repo / "a.gitlab-ci.yml", UNPINNED)
    os.mkfifo(repo / "b.gitlab-ci.yml")
    # A TOML file is linted when its text looks like a runner configuration; a pipe
    # has no text to look at, so it is not one.
    os.mkfifo(repo / "config.toml")
    result = lint(repo, ".")
    assert_one_error(result, "b.gitlab-ci.yml", "not a regular file (a named pipe)")
    assert [where(finding) for finding in result.findings()] == [
        ("unpinned-docker-image", "a.gitlab-ci.yml", 2)]


def test_special_files_in_a_large_scan(tmp_path: Path) -> None:
    """Enough files for the batch to be split across processes: the errors of every
    share are reported, in the order of the files."""
    repo = make_repository(tmp_path)
    for index in range(24):
        write(repo / f"p{index:02}.gitlab-ci.yml", UNPINNED)
    os.mkfifo(repo / "p05x.gitlab-ci.yml")
    (repo / "p17x.gitlab-ci.yml").symlink_to("nowhere.yml")
    result = lint(repo, ".")
    assert result.exit_code == 2
    assert error_lines(result) == [
        "cigen: error: p05x.gitlab-ci.yml: not a regular file (a named pipe)",
        "cigen: error: p17x.gitlab-ci.yml: broken symbolic link (its target does not exist)",
    ]
    assert len(result.findings()) == 24


def test_a_named_pipe_as_a_local_include(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    write(repo / ".gitlab-ci.yml", "include:\n  - local: ci/pipe.yml\nbuild:\n  script: [x]\n")
    (repo / "ci").mkdir()
    os.mkfifo(repo / "ci" / "pipe.yml")
    result = lint(repo)
    assert result.exit_code == 1, result.stderr
    [finding] = result.findings()
    assert where(finding) == ("include-error", ".gitlab-ci.yml", 2)
    assert "named pipe" in finding["message"]


def test_diff_reports_an_unreadable_file(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    write(repo / "a.gitlab-ci.yml", UNPINNED)
    os.mkfifo(repo / "b.gitlab-ci.yml")
    result = run_cigen("lint", "--diff", "--unsafe-fixes", ".", cwd=repo, timeout=TIMEOUT)
    assert_one_error(result, "b.gitlab-ci.yml", "not a regular file (a named pipe)")
    assert "+  image: docker:" in result.stdout


# -- NUL in an include path -----------------------------------------------------------------------


@pytest.mark.parametrize("include", [
    pytest.param('include: "ci/a\\0.yml"\n', id="string"),
    pytest.param('include:\n  - local: "ci/a\\0.yml"\n', id="local"),
    pytest.param('include:\n  - local: "ci/*\\0.yml"\n', id="glob"),
])
def test_nul_in_a_local_include_is_a_finding(tmp_path: Path, include: str) -> None:
    repo = make_repository(tmp_path)
    write(repo / "ci" / "a.yml", "a:\n  script: [x]\n")
    write(repo / ".gitlab-ci.yml", include + "build:\n  script: [x]\n")
    result = lint(repo)
    assert result.exit_code == 1, result.stderr
    [finding] = result.findings()
    assert finding["rule"] == "include-error"
    assert finding["path"] == ".gitlab-ci.yml"
    assert finding["line"] in (1, 2)
    assert "NUL" in finding["message"]
    assert "\0" not in result.stdout
    expanded = expand(repo)
    assert expanded.exit_code == 1
    assert "include-error" in expanded.stderr
    assert "internal error" not in expanded.stderr


# -- a fixed file that cannot be written ----------------------------------------------------------


def immutable(path: Path) -> contextlib.AbstractContextManager[None]:
    """``path`` (a directory) refuses new entries, even to root, while the block runs."""
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("chattr is not installed")
    made = subprocess.run([chattr, "+i", str(path)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"this file system has no immutable flag: {made.stderr.decode().strip()}")

    @contextlib.contextmanager
    def block() -> Iterator[None]:
        try:
            yield
        finally:
            subprocess.run([chattr, "-i", str(path)], check=True)

    return block()


def test_fix_when_the_temporary_file_cannot_be_created(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    locked = write(repo / "locked" / "a.gitlab-ci.yml", UNPINNED)
    free = write(repo / "b.gitlab-ci.yml", UNPINNED)
    with immutable(repo / "locked"):
        result = lint(repo, "--fix", "--unsafe-fixes", ".")
        entries = sorted(path.name for path in (repo / "locked").iterdir())
    assert result.exit_code == 2, (result.stdout, result.stderr)
    [line] = error_lines(result)
    assert line.startswith("cigen: error: locked/a.gitlab-ci.yml: cannot write the fixed file: ")
    assert locked.read_text(encoding="utf-8") == UNPINNED
    assert entries == ["a.gitlab-ci.yml"]
    assert "docker:latest" not in free.read_text(encoding="utf-8")
    assert [where(finding) for finding in result.findings()] == [
        ("unpinned-docker-image", "locked/a.gitlab-ci.yml", 2)]


def test_fix_when_the_disk_is_full(tmp_path: Path) -> None:
    """A file size limit makes every write past it fail as a full disk would."""
    repo = make_repository(tmp_path)
    text = "\ufeff" + UNPINNED.replace("\n", "\r\n")
    path = repo / ".gitlab-ci.yml"
    path.write_bytes(text.encode("utf-8"))
    path.chmod(0o640)
    with child_limit(resource.RLIMIT_FSIZE, 16):
        result = lint(repo, "--fix", "--unsafe-fixes")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    [line] = error_lines(result)
    assert line.startswith("cigen: error: .gitlab-ci.yml: cannot write the fixed file: ")
    assert path.read_bytes() == text.encode("utf-8")
    assert sorted(entry.name for entry in repo.iterdir()) == [".git", ".gitlab-ci.yml"]
    # With room again, the same fix keeps the byte-order mark, CRLF and the mode.
    fixed = lint(repo, "--fix", "--unsafe-fixes")
    assert fixed.exit_code == 0, fixed.stderr
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfbuild:\r\n  image: docker:")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert path.stat().st_mode & 0o777 == 0o640


# -- standard input -------------------------------------------------------------------------------


def test_standard_input_still_works(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    result = lint(repo, "-", stdin=UNPINNED)
    assert result.exit_code == 1
    assert [where(finding) for finding in result.findings()] == [
        ("unpinned-docker-image", "-", 2)]


def test_standard_input_over_the_size_limit(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    result = lint(repo, "-", stdin=b"x: " + b"y" * (3 * 1024 * 1024) + b"\n")
    assert result.exit_code == 1
    [finding] = result.findings()
    assert where(finding) == ("invalid-syntax", "-", 1)
    assert "2 MiB" in finding["message"]
