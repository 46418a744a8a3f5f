"""How findings read: the concise and full formats, colour, the summary, and the
adoption flags (`--exit-zero`, `--statistics`) and the log of a run that writes
its report to a file."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.test_reports import run_on_terminal

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

# A safe fix (the password), an unsafe one (the unpinned image) and a template
# finding shared by two jobs.
PIPELINE = """\
.login:
  before_script:
    - docker login -u u -p "$PASSWORD" registry.example.com

build:
  extends: .login
  image: docker:latest
  script: [docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA" .]

push:
  extends: .login
  image: docker:29.1-cli
  script: [docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"]
"""


def plain_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items()
            if key not in ("NO_COLOR", "FORCE_COLOR")}


def test_concise_lines_name_the_severity_and_mark_what_fix_would_fix(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    result = cigen("lint", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        ".gitlab-ci.yml:3:25: error CG109 [*] registry-password-argv: `docker login` takes the "
        "password on the command line, where the process list and shell history show it; pipe "
        "it to --password-stdin (jobs: build, push)",
        ".gitlab-ci.yml:7:10: warning CG110 unpinned-docker-image: `docker:latest` is not pinned "
        "to a Docker version; use docker:<version>-cli with the same version for client and "
        "dind (job: build)",
        "Found 2 problems (1 error, 1 warning) in 1 file; 1 fixable with --fix "
        "(1 more with --unsafe-fixes).",
    ]
    assert cigen("lint", "--format", "text", cwd=tmp_path).stdout == result.stdout
    assert cigen("lint", "--format", "concise", cwd=tmp_path).stdout == result.stdout
    unsafe = cigen("lint", "--unsafe-fixes", cwd=tmp_path)
    assert "CG110 [*] unpinned-docker-image" in unsafe.stdout
    assert unsafe.stdout.splitlines()[-1].endswith("; 2 fixable with --fix.")
    only_unsafe = cigen("lint", "--select", "unpinned-docker-image", cwd=tmp_path)
    assert only_unsafe.stdout.splitlines()[-1].endswith(
        "; 1 fixable with --fix --unsafe-fixes.")


def test_full_format_shows_the_line_a_caret_the_jobs_and_the_fix(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    result = cigen("lint", "--format", "full", cwd=tmp_path)
    assert result.exit_code == 1
    blocks = result.stdout.split("\n\n")
    assert blocks[0].splitlines() == [
        "error[CG109] [*] registry-password-argv: `docker login` takes the password on the "
        "command line, where the process list and shell history show it; pipe it to "
        "--password-stdin",
        " --> .gitlab-ci.yml:3:25",
        "  |",
        '3 |     - docker login -u u -p "$PASSWORD" registry.example.com',
        "  |                         ^^",
        "  = jobs: build, push",
        "  = via extends .login at .gitlab-ci.yml:1",
        "  = fix: pipe the password to --password-stdin (safe, applied by --fix)",
    ]
    unsafe = blocks[1].splitlines()
    assert unsafe[3:5] == ["7 |   image: docker:latest", "  |          ^^^^^^^^^^^^^"]
    assert unsafe[-1].endswith("(unsafe, applied by --fix --unsafe-fixes)")
    assert blocks[-1].startswith("Found 2 problems")


def test_full_format_keeps_the_caret_under_escaped_text(write: Write, cigen: Cigen,
                                                        tmp_path: Path) -> None:
    # A tab and a bidirectional override before the span are shown escaped, wider than
    # they were: the caret moves with them.
    write(".gitlab-ci.yml", 'job:\n  script: ["echo \u202e\t", docker login -p $P r]\n')
    result = cigen("lint", "--format", "full", "--select", "registry-password-argv",
                   cwd=tmp_path)
    lines = result.stdout.splitlines()
    source = next(line for line in lines if line.startswith("2 |"))
    caret = lines[lines.index(source) + 1]
    assert source == '2 |   script: ["echo \\u202e\\t", docker login -p $P r]'
    assert caret.index("^") == source.index("-p")
    assert "\u202e" not in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_a_terminal_gets_the_full_format_in_colour(write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    environment = plain_environment()
    on_terminal = run_on_terminal(["lint"], tmp_path, environment)
    assert " --> .gitlab-ci.yml:3:25" in on_terminal.replace("\033[34m-->\033[0m", "-->")
    assert "\033[31m" in on_terminal
    never = run_on_terminal(["lint", "--color", "never"], tmp_path, environment)
    assert "\033[" not in never and "-->" in never
    no_color = run_on_terminal(["lint"], tmp_path, {**environment, "NO_COLOR": "1"})
    assert "\033[" not in no_color
    concise = run_on_terminal(["lint", "--format", "concise"], tmp_path, environment)
    assert "\033[1m.gitlab-ci.yml:3:25:\033[0m \033[31merror\033[0m CG109" in concise


def test_colour_off_a_terminal_only_when_asked(write: Write, cigen: Cigen,
                                               tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    assert "\033[" not in cigen("lint", cwd=tmp_path).stdout
    assert "\033[31merror\033[0m" in cigen("lint", "--color", "always", cwd=tmp_path).stdout
    forced = _run_with({"FORCE_COLOR": "1"}, tmp_path, "lint")
    assert "\033[31merror\033[0m" in forced
    both = _run_with({"FORCE_COLOR": "1", "NO_COLOR": "1"}, tmp_path, "lint")
    assert "\033[" not in both
    # Machine formats are never coloured.
    json.loads(cigen("lint", "--format", "json", "--color", "always", cwd=tmp_path).stdout)


def _run_with(extra: dict[str, str], cwd: Path, *args: str) -> str:
    import subprocess

    completed = subprocess.run([sys.executable, "-m", "cigen", *args], cwd=cwd,
                               env={**plain_environment(), **extra}, capture_output=True,
                               text=True, timeout=60, check=False)
    return completed.stdout


def test_exit_zero_keeps_the_report_but_not_the_failure(write: Write, cigen: Cigen,
                                                        tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    result = cigen("lint", "--exit-zero", cwd=tmp_path)
    assert result.exit_code == 0
    assert "Found 2 problems" in result.stdout
    missing = cigen("lint", "--exit-zero", "nothing.yml", cwd=tmp_path)
    assert missing.exit_code == 2


def test_statistics_count_findings_per_rule(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    write("b.gitlab-ci.yml", PIPELINE.replace("PASSWORD", "TOKEN"))
    result = cigen("lint", "--statistics", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "2  CG109  registry-password-argv  error    [*]",
        "2  CG110  unpinned-docker-image   warning",
    ]
    rows = cigen("lint", "--statistics", "--format", "json", ".", cwd=tmp_path).json()
    assert rows[0] == {"code": "CG109", "rule": "registry-password-argv",
                       "severity": "error", "count": 2, "fixable": 2}
    clean = cigen("lint", "--statistics", "--select", "docker-socket-mount", ".",
                  cwd=tmp_path)
    assert (clean.exit_code, clean.stdout) == (0, "")


def test_a_report_written_to_a_file_still_explains_the_job(write: Write, cigen: Cigen,
                                                           tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    result = cigen("lint", "--format", "sarif", "--output", "gl-sast.sarif", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout == ""
    log = result.stderr.splitlines()
    assert log[0].startswith(".gitlab-ci.yml:3:25: error CG109 [*] registry-password-argv:")
    assert log[-2].startswith("Found 2 problems")
    assert log[-1] == "cigen: sarif report written to gl-sast.sarif"
    json.loads((tmp_path / "gl-sast.sarif").read_text(encoding="utf-8"))
    quiet = cigen("lint", "-q", "--format", "sarif", "--output", "x.sarif", cwd=tmp_path)
    assert quiet.stderr == ""


def _complete(words: str, tmp_path: Path) -> list[str]:
    import subprocess

    script = Path(sys.executable).with_name("cigen")
    if not script.exists():
        pytest.skip("the cigen console script is not installed next to this interpreter")
    environment = {**os.environ, "_CIGEN_COMPLETE": "complete_bash", "COMP_WORDS": words,
                   "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    completed = subprocess.run([str(script)], cwd=tmp_path, env=environment,
                               capture_output=True, text=True, timeout=60, check=False)
    return completed.stdout.split()


def test_shell_completion_offers_rules_and_strategies(tmp_path: Path) -> None:
    assert _complete("cigen lint --select ref-na", tmp_path) == ["ref-name-tag"]
    assert _complete("cigen lint --ignore CG109,unp", tmp_path) == [
        "CG109,unpinned-docker-image"]
    assert "dind-tls-disabled" in _complete("cigen explain dind", tmp_path)
    assert _complete("cigen init --strategy bu", tmp_path) == ["buildkit", "buildah"]


def test_misspelt_rule_names_get_a_suggestion(write: Write, cigen: Cigen,
                                              tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    flag = cigen("lint", "--ignore", "unpined-docker-image", cwd=tmp_path)
    assert flag.exit_code == 2
    assert flag.stderr == ("cigen: error: --ignore: unknown rule 'unpined-docker-image' "
                           "(did you mean 'unpinned-docker-image'?)\n")
    config = write("cigen.toml", 'select = [\n  "docker-socket-mount",\n  "ref-name-tags",\n]\n')
    result = cigen("lint", cwd=tmp_path)
    assert result.stderr == (f"cigen: error: {config}:3: select: unknown rule 'ref-name-tags' "
                             "(did you mean 'ref-name-tag'?)\n")
    write("cigen.toml", '[rules.unpinned-docker-image]\ndocker_version = "29.1"\n')
    key = cigen("lint", cwd=tmp_path)
    assert key.stderr == (f"cigen: error: {config}:2: rules.unpinned-docker-image.docker_version: "
                          "unknown key (did you mean 'docker-version'?)\n")


def test_full_format_says_how_a_template_value_reaches_the_jobs(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write("ci/base.yml", ".docker:\n  image: docker:latest\n")
    write(".gitlab-ci.yml", """\
include: ci/base.yml
.anchors:
  login: &login docker login -u u -p "$PASSWORD" registry.example.com
build:
  extends: .docker
  script:
    - *login
    - docker build .
""")
    result = cigen("lint", "--format", "full", cwd=tmp_path)
    assert "  = via an anchor or !reference in .anchors at .gitlab-ci.yml:2\n" in result.stdout
    assert "  = via extends .docker at ci/base.yml:1\n" in result.stdout
    # A job's own line needs no explanation.
    write(".gitlab-ci.yml", PIPELINE)
    own = cigen("lint", "--format", "full", "--select", "unpinned-docker-image", cwd=tmp_path)
    assert "  = job: build\n" in own.stdout and "via" not in own.stdout
