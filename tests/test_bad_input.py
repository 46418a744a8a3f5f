"""Bad input never crashes `cigen lint`: each problem is one clear finding at the right place.

Every test runs the real command line in a separate process on files written to
disk, and checks the exit code, the rule, the path and the line of what is
reported, that nothing is printed as a Python traceback, that pathological
input is handled in bounded time and memory, and that linting writes nothing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Result

    Cigen = Callable[..., Result]
    Write = Callable[[str, str | bytes], Path]

# Seconds after which a run on pathological input counts as hung (a normal run takes
# about 0.3 s). A bound on the subprocess, not a timing: bench/pathological.py times.
HANG_BOUND = 10.0
# Peak resident memory a cigen process may reach on pathological input (a normal run
# needs about 25 MiB).
MEMORY_LIMIT_KIB = 256 * 1024


def lint(cigen: Cigen, cwd: Path, *args: str, stdin: str | bytes | None = None,
         timeout: float = 60) -> Result:
    """`cigen lint --format json ARGS` in ``cwd``; never a traceback."""
    result = cigen("lint", "--format", "json", *args, cwd=cwd, stdin=stdin, timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def where(finding: dict[str, Any]) -> tuple[str, str, int]:
    return finding["rule"], finding["path"], finding["line"]


def only_finding(result: Result) -> dict[str, Any]:
    """The single finding of a run that must report exactly one problem."""
    findings = result.findings()
    assert len(findings) == 1, findings
    return findings[0]


def assert_usage_error(result: Result) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cigen: error:"), result.stderr


def peak_memory_kib(cwd: Path, *args: str) -> int:
    """Peak resident memory, in KiB, of one `cigen lint ARGS` process run in ``cwd``."""
    process = subprocess.Popen([sys.executable, "-m", "cigen", "lint", *args], cwd=cwd,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1)


def repository(write: Write, tmp_path: Path) -> Path:
    """A repository root ``repo/`` with files outside it in ``tmp_path``."""
    write("repo/.git/HEAD", "ref: refs/heads/main\n")
    write("outside.yml", "leak:\n  image: docker:latest\n  script:\n    - echo leaked\n")
    return tmp_path / "repo"


# -- YAML that does not parse ----------------------------------------------------------------


@pytest.mark.parametrize(("text", "line", "column"), [
    pytest.param("job:\n\tscript: [echo]\n", 2, 1, id="tab-indentation"),
    pytest.param("job:\n  script:\n    - echo hi\n   bad: x\n", 4, 4, id="bad-indentation"),
    pytest.param("job:\n  script: a: b\n", 2, 12, id="mapping-in-plain-value"),
    pytest.param("job:\n  script: [echo]\n  image: &a x\n  other: *b\n", 4, 10,
                 id="unknown-alias"),
    pytest.param("job:\n  script: [echo]\n- item\n", 3, 1, id="list-item-in-mapping"),
])
def test_invalid_yaml_is_reported_at_the_error(cigen: Cigen, write: Write, tmp_path: Path,
                                               text: str, line: int, column: int) -> None:
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    finding = only_finding(result)
    assert where(finding) == ("invalid-syntax", ".gitlab-ci.yml", line)
    assert finding["column"] == column
    assert finding["severity"] == "error"


def test_invalid_yaml_on_stdin(cigen: Cigen, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    result = lint(cigen, tmp_path, "-", stdin="job:\n  script:\n    - echo hi\n   bad: x\n")
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("invalid-syntax", "-", 4)


def test_stdin_filename_names_the_finding(cigen: Cigen, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    result = lint(cigen, tmp_path, "-", "--stdin-filename", "ci/.gitlab-ci.yml",
                  stdin=b"job:\n\tscript: [echo]\n")
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("invalid-syntax", "ci/.gitlab-ci.yml", 2)


def test_valid_yaml_on_stdin(cigen: Cigen, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    result = lint(cigen, tmp_path, "-", stdin="build:\n  image: docker:latest\n  script: [x]\n")
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("unpinned-docker-image", "-", 2)


# -- bytes that are not YAML text ------------------------------------------------------------


def test_non_utf8_is_reported_at_the_bad_byte(cigen: Cigen, write: Write,
                                              tmp_path: Path) -> None:
    write(".gitlab-ci.yml", b"job:\n  script:\n    - echo caf\xe9\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    finding = only_finding(result)
    assert where(finding) == ("invalid-syntax", ".gitlab-ci.yml", 3)
    assert finding["column"] == len("    - echo caf") + 1


def test_binary_file_is_reported_at_the_nul_byte(cigen: Cigen, write: Write,
                                                 tmp_path: Path) -> None:
    write(".gitlab-ci.yml", b"job:\n  script:\n    - echo \x00\x01\x02\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("invalid-syntax", ".gitlab-ci.yml", 3)


def test_file_with_utf8_bom_works(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "\ufeffbuild:\n  image: docker:latest\n  script:\n    - echo hi\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    finding = only_finding(result)
    assert where(finding) == ("unpinned-docker-image", ".gitlab-ci.yml", 2)
    assert finding["column"] == len("  image: ") + 1
    assert finding["jobs"] == ["build"]


def test_crlf_line_endings_keep_line_numbers(cigen: Cigen, write: Write,
                                             tmp_path: Path) -> None:
    text = ("# a comment\n"
            "build:\n"
            "  image: docker:latest\n"
            "  script:\n"
            "    - echo start\n"
            "    - |\n"
            "      echo one\n"
            "      docker login -u user -p hunter2 registry.example.com\n"
            "    - docker build -t img:$CI_COMMIT_REF_NAME .\n")
    write(".gitlab-ci.yml", text.replace("\n", "\r\n").encode())
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert sorted(where(finding) for finding in result.findings()) == [
        ("ref-name-tag", ".gitlab-ci.yml", 9),
        ("registry-password-argv", ".gitlab-ci.yml", 8),
        ("unpinned-docker-image", ".gitlab-ci.yml", 3),
    ]


def test_tab_inside_a_value_is_fine(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml",
          "build:\n  image: docker:latest\n  script:\n    - \"echo\\tone\"\n"
          "    - echo\ttwo && docker login -u u -p secret registry\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert sorted(where(finding) for finding in result.findings()) == [
        ("registry-password-argv", ".gitlab-ci.yml", 5),
        ("unpinned-docker-image", ".gitlab-ci.yml", 2),
    ]


# -- documents that are not a pipeline -------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here\n", "---\n...\n"])
def test_empty_file(cigen: Cigen, write: Write, tmp_path: Path, text: str) -> None:
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("invalid-syntax", ".gitlab-ci.yml", 1)


def test_top_level_list(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "- build\n- test\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    finding = only_finding(result)
    assert where(finding) == ("invalid-syntax", ".gitlab-ci.yml", 1)
    assert "list" in finding["message"]


def test_top_level_list_after_comments_is_reported_where_it_starts(
        cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "# pipeline\n\n- build\n- test\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("invalid-syntax", ".gitlab-ci.yml", 3)


def test_duplicate_keys(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml",
          "build:\n  script: [echo one]\n  script: [echo two]\n"
          "test:\n  script: [echo]\nbuild:\n  script: [echo three]\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert sorted(where(finding) for finding in result.findings()) == [
        ("duplicate-key", ".gitlab-ci.yml", 3),
        ("duplicate-key", ".gitlab-ci.yml", 6),
    ]


def test_merge_key_override_is_not_a_duplicate(cigen: Cigen, write: Write,
                                               tmp_path: Path) -> None:
    write(".gitlab-ci.yml",
          ".base: &base\n  image: docker:latest\n  script: [echo]\n"
          "build:\n  <<: *base\n  image: docker:24.0-cli\n")
    result = lint(cigen, tmp_path)
    assert "duplicate-key" not in result.rules()
    assert "invalid-syntax" not in result.rules()


def test_spec_header_then_jobs_is_valid(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml",
          "spec:\n  inputs:\n    tag:\n      default: latest\n---\n"
          "build:\n  image: docker:latest\n  script: [echo]\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("unpinned-docker-image", ".gitlab-ci.yml", 7)


def test_three_documents_are_invalid(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml",
          "a:\n  script: [echo]\n---\nb:\n  script: [echo]\n---\nc:\n  script: [echo]\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    finding = only_finding(result)
    assert finding["rule"] == "invalid-syntax"
    assert finding["line"] in (3, 4)  # the second document: its `---` or its first key


def test_spec_header_and_two_documents_report_the_third(cigen: Cigen, write: Write,
                                                        tmp_path: Path) -> None:
    write(".gitlab-ci.yml",
          "spec:\n  inputs: {}\n---\nb:\n  script: [echo]\n---\nc:\n  script: [echo]\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    finding = only_finding(result)
    assert finding["rule"] == "invalid-syntax"
    assert finding["line"] in (6, 7)  # the third document: its `---` or its first key


# -- limits: size, nesting, aliases ----------------------------------------------------------


def test_file_over_2mb(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    lines = "".join(f"    - echo {'x' * 60} {index}\n" for index in range(45_000))
    text = "build:\n  image: docker:latest\n  script:\n" + lines
    assert len(text.encode()) > 3 * 1000 * 1000
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path, timeout=HANG_BOUND)
    assert result.exit_code == 1
    finding = only_finding(result)
    assert where(finding) == ("invalid-syntax", ".gitlab-ci.yml", 1)
    assert "MiB" in finding["message"] or "MB" in finding["message"]


@pytest.mark.parametrize("text", [
    pytest.param("x: " + "[" * 100_000 + "]" * 100_000 + "\n", id="flow-sequences"),
    pytest.param("x: " + "[" * 100_000 + "\n", id="unclosed-flow-sequences"),
    pytest.param("x: " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n", id="flow-mappings"),
    pytest.param("- " * 100_000 + "x\n", id="block-sequences"),
])
def test_absurd_nesting_on_one_line(cigen: Cigen, write: Write, tmp_path: Path,
                                    text: str) -> None:
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path, timeout=HANG_BOUND)
    assert result.exit_code == 1
    finding = only_finding(result)
    assert where(finding) == ("invalid-syntax", ".gitlab-ci.yml", 1)
    assert "100" in finding["message"]
    assert peak_memory_kib(tmp_path) < MEMORY_LIMIT_KIB


def test_deep_block_mappings_are_reported_where_the_limit_is_crossed(
        cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "".join(" " * level + "k:\n" for level in range(2_000)))
    result = lint(cigen, tmp_path, timeout=HANG_BOUND)
    assert result.exit_code == 1
    finding = only_finding(result)
    assert finding["rule"] == "invalid-syntax"
    assert 100 <= finding["line"] <= 102


def test_moderate_nesting_is_accepted(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml",
          ".deep: " + "{a: " * 40 + "1" + "}" * 40 + "\n"
          "build:\n  image: docker:latest\n  script: [echo]\n")
    result = lint(cigen, tmp_path)
    assert where(only_finding(result)) == ("unpinned-docker-image", ".gitlab-ci.yml", 3)


def test_billion_laughs(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    lines.append("build:\n  script: *i")
    write(".gitlab-ci.yml", "\n".join(lines) + "\n")
    result = lint(cigen, tmp_path, timeout=HANG_BOUND)
    assert result.exit_code == 1
    finding = only_finding(result)
    assert finding["rule"] == "invalid-syntax"
    assert finding["path"] == ".gitlab-ci.yml"
    assert 2 <= finding["line"] <= 11  # an alias line, not the top of the file
    assert peak_memory_kib(tmp_path) < MEMORY_LIMIT_KIB


def test_alias_bomb_through_merge_keys(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    lines = ["a: &a {x: 1, y: 2, z: 3}"]
    previous = "a"
    for name in "bcdefghijklmnopqrstu":
        lines.append(f".{name}: &{name}\n  <<: *{previous}\n  k{name}: *{previous}\n"
                     f"  l{name}: *{previous}\n  m{name}: *{previous}")
        previous = name
    lines.append(f"build:\n  <<: *{previous}\n  script: [echo]")
    write(".gitlab-ci.yml", "\n".join(lines) + "\n")
    result = lint(cigen, tmp_path, timeout=HANG_BOUND)
    assert result.exit_code == 1
    assert where(only_finding(result))[:2] == ("invalid-syntax", ".gitlab-ci.yml")
    assert peak_memory_kib(tmp_path) < MEMORY_LIMIT_KIB


# -- includes ----------------------------------------------------------------------------------


def test_missing_local_include(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml",
          "include:\n  - ci/missing.yml\n  - local: /ci/also-missing.yml\n"
          "build:\n  script: [echo]\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert sorted(where(finding) for finding in result.findings()) == [
        ("include-error", ".gitlab-ci.yml", 2),
        ("include-error", ".gitlab-ci.yml", 3),
    ]


def test_include_as_a_single_string(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "build:\n  script: [echo]\ninclude: ci/missing.yml\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("include-error", ".gitlab-ci.yml", 3)


def test_include_cycle(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "include:\n  - local: ci/a.yml\nbuild:\n  script: [echo]\n")
    write("ci/a.yml", "a:\n  script: [echo]\ninclude:\n  - local: ci/b.yml\n")
    write("ci/b.yml", "include:\n  - local: ci/a.yml\nb:\n  script: [echo]\n")
    result = lint(cigen, tmp_path, timeout=HANG_BOUND)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("include-error", "ci/b.yml", 2)


def test_file_including_itself(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "include: /.gitlab-ci.yml\nbuild:\n  script: [echo]\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("include-error", ".gitlab-ci.yml", 1)


def test_problems_inside_included_files(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml",
          "include:\n  - ci/empty.yml\n  - local: ci/broken.yml\n  - ci/duplicate.yml\n"
          "  - ci/latin1.yml\nbuild:\n  script: [echo]\n")
    write("ci/empty.yml", "")
    write("ci/broken.yml", "a:\n  script:\n    - echo hi\n   bad: x\n")
    write("ci/duplicate.yml", "d:\n  script: [echo]\nd:\n  script: [echo]\n")
    write("ci/latin1.yml", b"l:\n  script:\n    - echo caf\xe9\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert sorted(where(finding) for finding in result.findings()) == [
        ("duplicate-key", "ci/duplicate.yml", 3),
        ("include-error", ".gitlab-ci.yml", 2),
        ("invalid-syntax", "ci/broken.yml", 4),
        ("invalid-syntax", "ci/latin1.yml", 3),
    ]


def test_include_escaping_the_root_is_not_read(cigen: Cigen, write: Write,
                                               tmp_path: Path) -> None:
    repo = repository(write, tmp_path)
    write("repo/.gitlab-ci.yml",
          "include:\n  - local: ../../etc/passwd\n  - local: ../outside.yml\n"
          "  - /../outside.yml\nbuild:\n  script: [echo]\n")
    result = lint(cigen, repo)
    assert result.exit_code == 1
    assert sorted(where(finding) for finding in result.findings()) == [
        ("include-error", ".gitlab-ci.yml", 2),
        ("include-error", ".gitlab-ci.yml", 3),
        ("include-error", ".gitlab-ci.yml", 4),
    ]
    assert "leak" not in result.stdout
    assert "root:" not in result.stdout


def test_symlink_out_of_the_repository_is_not_read(cigen: Cigen, write: Write,
                                                   tmp_path: Path) -> None:
    repo = repository(write, tmp_path)
    (repo / "ci").mkdir()
    (repo / "ci" / "link.yml").symlink_to(tmp_path / "outside.yml")
    (repo / "ci" / "dir").symlink_to(tmp_path, target_is_directory=True)
    write("repo/.gitlab-ci.yml",
          "include:\n  - local: ci/link.yml\n  - local: ci/dir/outside.yml\n"
          "build:\n  script: [echo]\n")
    result = lint(cigen, repo)
    assert result.exit_code == 1
    assert sorted(where(finding) for finding in result.findings()) == [
        ("include-error", ".gitlab-ci.yml", 2),
        ("include-error", ".gitlab-ci.yml", 3),
    ]
    assert "leak" not in result.stdout


def test_glob_include_skips_a_symlink_out_of_the_repository(cigen: Cigen, write: Write,
                                                             tmp_path: Path) -> None:
    repo = repository(write, tmp_path)
    write("repo/ci/real.yml", "real:\n  image: docker:latest\n  script: [echo]\n")
    (repo / "ci" / "link.yml").symlink_to(tmp_path / "outside.yml")
    write("repo/.gitlab-ci.yml", "include:\n  - local: 'ci/*.yml'\n")
    result = lint(cigen, repo)
    assert "leak" not in result.stdout
    assert ("unpinned-docker-image", "ci/real.yml", 2) in [
        where(finding) for finding in result.findings()]
    assert all(finding["path"] != "ci/link.yml" for finding in result.findings())
    assert all("outside" not in finding["path"] for finding in result.findings())


def test_glob_include_matching_nothing(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "include:\n  - local: 'ci/*.yml'\nbuild:\n  script: [echo]\n")
    write("ci/readme.md", "not yaml\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("include-error", ".gitlab-ci.yml", 2)


def test_include_of_a_directory(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write("ci/a.yml", "a:\n  script: [echo]\n")
    write(".gitlab-ci.yml", "include:\n  - local: ci\nbuild:\n  script: [echo]\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("include-error", ".gitlab-ci.yml", 2)


@pytest.mark.parametrize("count", [150, 151])
def test_include_limit(cigen: Cigen, write: Write, tmp_path: Path, count: int) -> None:
    for index in range(count):
        write(f"ci/part{index}.yml", f"job{index}:\n  script: [echo {index}]\n")
    write(".gitlab-ci.yml",
          "include:\n" + "".join(f"  - local: ci/part{index}.yml\n" for index in range(count))
          + "build:\n  script: [echo]\n")
    result = lint(cigen, tmp_path, timeout=HANG_BOUND)
    if count == 150:
        assert result.exit_code == 0
        assert result.findings() == []
    else:
        assert result.exit_code == 1
        # Line 1 is `include:`, the 151st entry is on line 152.
        assert where(only_finding(result)) == ("include-error", ".gitlab-ci.yml", 152)


def test_network_includes_are_unresolved_info(cigen: Cigen, write: Write,
                                               tmp_path: Path) -> None:
    write(".gitlab-ci.yml",
          "include:\n"
          "  - project: group/project\n"       # line 2
          "    file: /ci.yml\n"
          "  - remote: https://example.com/ci.yml\n"       # line 4
          "  - https://example.com/other.yml\n"            # line 5
          "  - template: Docker.gitlab-ci.yml\n"           # line 6
          "  - component: gitlab.example.com/group/component@1.0\n"  # line 7
          "build:\n  extends: .defined-in-a-remote-include\n  script: [echo]\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 0
    assert [where(finding) for finding in result.findings()] == [
        ("include-unresolved", ".gitlab-ci.yml", line) for line in (2, 4, 5, 6, 7)]
    assert {finding["severity"] for finding in result.findings()} == {"info"}
    assert lint(cigen, tmp_path, "--fail-on", "info").exit_code == 1


# -- extends and !reference that lead nowhere ----------------------------------------------------


def test_extends_cycle(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml",
          ".a:\n  extends: .b\n.b:\n  extends: .a\nbuild:\n  extends: .a\n  script: [echo]\n")
    result = lint(cigen, tmp_path, timeout=HANG_BOUND)
    assert result.exit_code == 1
    finding = only_finding(result)
    assert finding["rule"] == "extends-error"
    assert finding["line"] in (2, 4)


def test_job_extending_itself(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "build:\n  extends: build\n  script: [echo]\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("extends-error", ".gitlab-ci.yml", 2)


def test_extends_unknown_job(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "build:\n  extends:\n    - .nowhere\n  script: [echo]\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("extends-error", ".gitlab-ci.yml", 3)


def extends_chain(entries: int, job_first: bool) -> tuple[str, int]:
    """A job extending ``.t1`` -> ``.t2`` -> ...: ``entries`` mappings in the chain.

    Returns the text and the line of the job's `extends:`, where a chain deeper
    than GitLab's 11 levels is reported, or 0 when the chain is within them.
    """
    templates = [f".t{index}:\n" + (f"  extends: .t{index + 1}\n" if index < entries - 1
                                     else "  variables:\n    LEAF: 'yes'\n")
                 for index in range(1, entries)]
    job = "build:\n  extends: .t1\n  script: [echo]\n"
    text = job + "".join(templates) if job_first else "".join(templates) + job
    lines = text.splitlines()
    rejected = lines.index("build:") + 2 if entries > 11 else 0
    return text + "\n", rejected


@pytest.mark.parametrize("job_first", [True, False], ids=["job-first", "templates-first"])
def test_eleven_levels_of_extends_are_allowed(cigen: Cigen, write: Write, tmp_path: Path,
                                              job_first: bool) -> None:
    text, _ = extends_chain(11, job_first)
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert result.exit_code == 0, result.stdout
    assert result.findings() == []


def test_twelve_levels_of_extends_are_too_deep(cigen: Cigen, write: Write,
                                               tmp_path: Path) -> None:
    text, line = extends_chain(12, job_first=True)
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("extends-error", ".gitlab-ci.yml", line)


def test_twelve_levels_of_extends_are_too_deep_whatever_the_order(
        cigen: Cigen, write: Write, tmp_path: Path) -> None:
    text, line = extends_chain(12, job_first=False)
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert where(only_finding(result)) == ("extends-error", ".gitlab-ci.yml", line)


def test_unknown_reference(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml",
          ".setup:\n  script: [echo]\nbuild:\n  script:\n    - echo first\n"
          "    - !reference [.setup, before_script]\n"
          "  variables: !reference [.nowhere, variables]\n")
    result = lint(cigen, tmp_path)
    assert result.exit_code == 1
    assert sorted(where(finding) for finding in result.findings()) == [
        ("reference-error", ".gitlab-ci.yml", 6),
        ("reference-error", ".gitlab-ci.yml", 7),
    ]


# -- paths on the command line ----------------------------------------------------------------


def test_directory_argument(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write("proj/.gitlab-ci.yml", "build: [\n")
    write("proj/deploy/prod.gitlab-ci.yml", "prod:\n  image: docker:latest\n  script: [x]\n")
    write("proj/deploy/stage.gitlab-ci.yaml", "stage:\n  image: docker:latest\n  script: [x]\n")
    write("proj/deploy/other.yml", "other:\n  image: docker:latest\n  script: [x]\n")
    write("proj/node_modules/pkg/.gitlab-ci.yml", "vendored:\n  image: docker:latest\n")
    write("proj/runner/config.toml",
          'concurrent = 1\n\n[[runners]]\n  name = "r"\n  executor = "docker"\n'
          '  [runners.docker]\n    image = "alpine:3.20"\n    privileged = true\n')
    write("proj/pyproject.toml", '[project]\nname = "x"\nprivileged = true\n')
    result = lint(cigen, tmp_path, "proj")
    assert result.exit_code == 1
    paths = {finding["path"] for finding in result.findings()}
    assert paths == {"proj/.gitlab-ci.yml", "proj/deploy/prod.gitlab-ci.yml",
                     "proj/deploy/stage.gitlab-ci.yaml", "proj/runner/config.toml"}
    assert ("invalid-syntax", "proj/.gitlab-ci.yml", 1) in [
        where(finding) for finding in result.findings()]
    keys = [(finding["path"], finding["line"]) for finding in result.findings()]
    assert keys == sorted(keys)


def test_default_path_is_gitlab_ci_yml(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "build:\n  image: docker:latest\n  script: [x]\n")
    write("other.gitlab-ci.yml", "other: [\n")
    result = lint(cigen, tmp_path)
    assert where(only_finding(result)) == ("unpinned-docker-image", ".gitlab-ci.yml", 2)


def test_nonexistent_path(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "build:\n  script: [x]\n")
    assert_usage_error(lint(cigen, tmp_path, "nope/.gitlab-ci.yml"))
    assert_usage_error(lint(cigen, tmp_path, ".gitlab-ci.yml", "missing.yml"))


def test_no_gitlab_ci_yml_in_current_directory(cigen: Cigen, tmp_path: Path) -> None:
    assert_usage_error(lint(cigen, tmp_path))


def test_root_that_is_not_a_directory(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "build:\n  script: [x]\n")
    assert_usage_error(lint(cigen, tmp_path, "--root", "nowhere"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    path = write(".gitlab-ci.yml", "build:\n  script: [x]\n")
    path.chmod(0)
    try:
        assert_usage_error(lint(cigen, tmp_path))
    finally:
        path.chmod(0o644)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_include(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", "include:\n  - local: ci/secret.yml\nbuild:\n  script: [x]\n")
    path = write("ci/secret.yml", "a:\n  script: [x]\n")
    path.chmod(0)
    try:
        result = lint(cigen, tmp_path)
        assert result.exit_code == 1
        assert where(only_finding(result)) == ("include-error", ".gitlab-ci.yml", 2)
    finally:
        path.chmod(0o644)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs unix sockets")
def test_file_that_cannot_be_read_even_by_root(cigen: Cigen, write: Write,
                                               tmp_path: Path) -> None:
    """Opening a unix socket fails (ENXIO) whoever you are: an unreadable path."""
    write("build.gitlab-ci.yml", "build:\n  script: [x]\n")
    path = tmp_path / "sock.gitlab-ci.yml"
    if len(str(path)) > 100:
        pytest.skip("socket path too long")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        assert_usage_error(lint(cigen, tmp_path, "sock.gitlab-ci.yml"))
    finally:
        server.close()


def test_default_path_that_is_a_directory(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    (tmp_path / ".gitlab-ci.yml").mkdir()
    assert_usage_error(lint(cigen, tmp_path))


# -- linting writes nothing ----------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            if path.is_symlink():
                continue
            files[str(path.relative_to(root))] = (path.read_bytes(), path.stat().st_mtime_ns)
    return files


def test_lint_modifies_no_file(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    repo = repository(write, tmp_path)
    write("repo/.gitlab-ci.yml",
          "\ufeffinclude:\n  - local: ci/a.yml\n  - local: ../outside.yml\n  - 'ci/*.yml'\n"
          "build:\n  image: docker:latest\n  services:\n    - docker:24.0-dind\n  script:\n"
          "    - docker login -u u -p secret registry\n"
          "    - docker build -t img:$CI_COMMIT_REF_NAME .\n")
    write("repo/ci/a.yml", "include: ci/b.yml\na:\n  script: [echo]\na:\n  script: [echo]\n")
    write("repo/ci/b.yml", "include: ci/a.yml\nb:\n  extends: .missing\n".replace("\n", "\r\n"))
    write("repo/ci/binary.gitlab-ci.yml", b"\x00\x01\x02")
    write("repo/ci/latin1.gitlab-ci.yml", b"x:\n  script: [caf\xe9]\n")
    write("repo/config.toml", '[[runners]]\n  name = "r"\n  [runners.docker]\n'
                              '    privileged = true\n')
    before = snapshot(tmp_path)
    assert lint(cigen, repo, ".").exit_code == 1
    assert lint(cigen, repo).exit_code == 1
    assert lint(cigen, repo, str(repo)).exit_code == 1
    assert lint(cigen, repo, "-", stdin=(repo / ".gitlab-ci.yml").read_bytes()).exit_code == 1
    text_run = cigen("lint", cwd=repo)
    assert "Traceback" not in text_run.stderr, text_run.stderr
    assert text_run.exit_code == 1
    assert snapshot(tmp_path) == before
