"""The result cache: a file nobody changed is not checked again, and a change to
anything its findings depend on — the file, a file it includes, the
configuration — is never answered from the cache.

Each test marks a cached entry (its message is rewritten in place), so that a
run answered from the cache shows the mark and a fresh check does not.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

MARK = "answered from the cache"
PIPELINE = """\
include:
  - local: ci/login.yml
build:
  extends: .login
  image: docker:29.1-cli
  script: [docker build .]
"""
LOGIN = ".login:\n  before_script:\n    - docker login -u u -p $P registry.example.com\n"


def messages(cigen: Cigen, root: Path, *args: str) -> list[str]:
    result = cigen("lint", "--format", "json", *args, cwd=root, cache=True)
    assert result.exit_code in (0, 1), result.stderr
    return [finding["message"] for finding in result.findings()]


def mark_entries(root: Path) -> int:
    """Rewrite every cached finding's message; how many entries there were."""
    entries = [path for path in (root / ".cigen_cache").glob("*/*") if path.is_file()]
    for entry in entries:
        document = json.loads(entry.read_text(encoding="utf-8"))
        for finding in document["findings"]:
            finding["message"] = MARK
        entry.write_text(json.dumps(document), encoding="utf-8")
    return len(entries)


def test_an_unchanged_file_is_answered_from_the_cache(write: Write, cigen: Cigen,
                                                      tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    write("ci/login.yml", LOGIN)
    first = messages(cigen, tmp_path)
    assert first and MARK not in first
    assert mark_entries(tmp_path) == 1
    assert (tmp_path / ".cigen_cache" / ".gitignore").read_text().endswith("*\n")
    assert messages(cigen, tmp_path) == [MARK]
    assert messages(cigen, tmp_path, "--no-cache") == first
    no_cache = {**os.environ, "CIGEN_NO_CACHE": "1"}  # the variable, as a user sets it
    import subprocess
    import sys

    completed = subprocess.run([sys.executable, "-m", "cigen", "lint", "--format", "json"],
                               cwd=tmp_path, env=no_cache, capture_output=True, text=True,
                               timeout=60, check=False)
    assert [item["message"] for item in json.loads(completed.stdout)["findings"]] == first


def test_any_change_it_depends_on_checks_again(write: Write, cigen: Cigen,
                                              tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    write("ci/login.yml", LOGIN)
    first = messages(cigen, tmp_path)
    changes: list[Callable[[], object]] = [
        lambda: write("ci/login.yml", LOGIN + "# a comment\n"),  # an included file
        lambda: write(".gitlab-ci.yml", PIPELINE + "# a comment\n"),  # the file itself
        lambda: write("cigen.toml", 'severity = { registry-password-argv = "info" }\n'),
        lambda: write("ci/cigen.toml", "ignore = []\n"),  # the included file's own config
    ]
    for change in changes:
        mark_entries(tmp_path)
        change()
        assert MARK not in messages(cigen, tmp_path)
    # Flags are options too.
    mark_entries(tmp_path)
    assert messages(cigen, tmp_path, "--ignore", "unpinned-docker-image") == first


def test_suppressions_apply_to_cached_findings(write: Write, cigen: Cigen,
                                               tmp_path: Path) -> None:
    # The cache keeps what the rules found, before inline suppressions: those are
    # applied to every run afresh, to cached findings as to fresh ones.
    write(".gitlab-ci.yml", PIPELINE.replace("docker:29.1-cli", "docker:latest"))
    write("ci/login.yml", LOGIN.replace(
        "    - docker login", "    # cigen: ignore[registry-password-argv] a test registry\n"
                              "    - docker login"))
    first = cigen("lint", "--format", "json", cwd=tmp_path, cache=True).findings()
    assert [finding["rule"] for finding in first] == ["unpinned-docker-image"]
    assert mark_entries(tmp_path) == 1
    cached = cigen("lint", "--format", "json", cwd=tmp_path, cache=True).findings()
    # Only the unsuppressed finding shows (marked: from the cache); the suppression
    # was used, so it is not reported as unused.
    assert [(finding["rule"], finding["message"]) for finding in cached] == [
        ("unpinned-docker-image", MARK)]


def test_what_depends_on_which_files_exist_is_never_cached(write: Write, cigen: Cigen,
                                                           tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "include: 'ci/*.yml'\n" + PIPELINE.split("\n", 2)[2])
    write("ci/login.yml", LOGIN)
    messages(cigen, tmp_path)
    assert mark_entries(tmp_path) == 0
    # A new file matching the glob is seen at once.
    write("ci/more.yml", ".other:\n  image: docker:latest\n")
    assert any("docker:latest" in message for message in messages(cigen, tmp_path))


def test_fixes_always_check_afresh_and_a_read_only_cache_is_skipped(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    write("ci/login.yml", LOGIN)
    messages(cigen, tmp_path)
    mark_entries(tmp_path)
    fixed = cigen("lint", "--fix", cwd=tmp_path, cache=True)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert "--password-stdin" in (tmp_path / "ci" / "login.yml").read_text()
    elsewhere = tmp_path / "unwritable"
    elsewhere.write_text("a file, not a directory")
    result = cigen("lint", "--cache-dir", str(elsewhere / "cache"), cwd=tmp_path, cache=True)
    assert result.exit_code == 0 and result.stderr == ""


def test_remote_includes_do_not_stop_caching_but_a_missing_local_one_does(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    # A project include is not read offline either way: the answer does not change
    # with the files on disk, so it is cached.
    write(".gitlab-ci.yml", "include:\n  - project: group/ci\n    file: base.yml\n"
          + PIPELINE.split("\n", 2)[2] + LOGIN)
    messages(cigen, tmp_path)
    assert mark_entries(tmp_path) == 1
    # A local include that is not there may be created: never cached.
    write(".gitlab-ci.yml", "include:\n  - local: ci/later.yml\n"
          + PIPELINE.split("\n", 2)[2] + LOGIN)
    messages(cigen, tmp_path)
    write("ci/later.yml", ".later:\n  image: docker:latest\n")
    assert any("docker:latest" in message for message in messages(cigen, tmp_path))
