"""Positions, suppressions and scalars on unusual YAML text, through the command line.

libyaml ends a line at LF, CRLF, a lone CR, NEL, LS and PS; every line cigen
reports and every byte `--fix` changes must follow the same lines, in CRLF
files and behind a byte-order mark too. A suppression is a real comment only,
never the same words inside a string. Each test checks the exact line reported,
the exact bytes on disk after `--fix`, and that a second `--fix` changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Result

    Cigen = Callable[..., Result]
    Write = Callable[[str, str | bytes], Path]

BOM = b"\xef\xbb\xbf"
DIND_JOB = (b"build:\n  image: docker:29.1-cli\n  services: [\"docker:29.1-dind\"]\n"
            b"  script: [docker info]\n")


def lint(cigen: Cigen, cwd: Path, *args: str) -> Result:
    """`cigen lint --format json ARGS` in ``cwd``; never a traceback."""
    result = cigen("lint", "--format", "json", *args, cwd=cwd, timeout=30)
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    return result


def where(result: Result) -> list[tuple[str, int, int]]:
    return [(finding["rule"], finding["line"], finding["column"])
            for finding in result.findings()]


def fix(cigen: Cigen, path: Path, *args: str) -> bytes:
    """The file's bytes after `cigen lint --fix`, checked to be final: a second
    `--fix` changes nothing."""
    result = cigen("lint", "--fix", *args, path.name, cwd=path.parent, timeout=30)
    assert "Traceback" not in result.stderr, result.stderr
    fixed = path.read_bytes()
    again = cigen("lint", "--fix", *args, path.name, cwd=path.parent, timeout=30)
    assert "Traceback" not in again.stderr, again.stderr
    assert path.read_bytes() == fixed
    return fixed


# -- lines end where the YAML scanner ends them -------------------------------------------


def test_lone_cr_does_not_move_a_fix_to_the_next_line(cigen: Cigen, write: Write,
                                                      tmp_path: Path) -> None:
    text = (b"variables:\r\r\n  DOCKER_DRIVER: vfs\n  OTHER_DRIVERS: vfs\n" + DIND_JOB)
    path = write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path, "--select", "vfs-storage-driver")
    assert where(result) == [("vfs-storage-driver", 3, 18)]
    assert fix(cigen, path, "--select", "vfs-storage-driver") == text.replace(
        b"DOCKER_DRIVER: vfs", b"DOCKER_DRIVER: overlay2")


@pytest.mark.parametrize("line_break", ["\r", "\r\r\n", "\x85", "\u2028", "\u2029"],
                         ids=["cr", "cr-crlf", "nel", "ls", "ps"])
def test_every_yaml_line_break_counts(cigen: Cigen, write: Write, tmp_path: Path,
                                      line_break: str) -> None:
    lines = 1 + (2 if line_break == "\r\r\n" else 1)
    text = (f"stages: [build]{line_break}build:\n  script:\n    - echo Status: ok\n"
            "    - make\n").encode()
    path = write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path, "--select", "script-line-is-mapping")
    assert where(result) == [("script-line-is-mapping", lines + 2, 7)]
    assert fix(cigen, path) == text.replace(b"- echo Status: ok", b"- 'echo Status: ok'")


def test_crlf_file_with_a_bom_keeps_positions_and_bytes(cigen: Cigen, write: Write,
                                                        tmp_path: Path) -> None:
    text = BOM + (b"# first\r\nstages: [build]\r\r\n\r\nbuild:\r\n  image: alpine:3.20\r\n"
                  b"  script:\r\n    - echo Status: ok\r\n    - make\r\n")
    path = write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path, "--select", "script-line-is-mapping")
    assert where(result) == [("script-line-is-mapping", 8, 7)]
    assert fix(cigen, path) == text.replace(b"- echo Status: ok", b"- 'echo Status: ok'")


def test_nul_and_utf8_errors_are_on_the_yaml_line(cigen: Cigen, write: Write,
                                                  tmp_path: Path) -> None:
    write("nul.yml", b"a: 1\rb: 2\r\nc: \x00\n")
    write("utf8.yml", BOM + b"a: 1\r\nb: \xc3\xa9\xff\n")
    result = lint(cigen, tmp_path, "nul.yml", "utf8.yml")
    assert [(finding["path"], finding["line"], finding["column"], finding["message"])
            for finding in result.findings()] == [
        ("nul.yml", 3, 4, "binary file (contains a NUL byte), not YAML"),
        ("utf8.yml", 2, 5, "not valid UTF-8 (byte 0xff)"),
    ]


def test_a_control_character_is_reported_where_it_is(cigen: Cigen, write: Write,
                                                     tmp_path: Path) -> None:
    write(".gitlab-ci.yml", 'build:\r\n  script: ["é\x0b"]\n')
    result = lint(cigen, tmp_path)
    assert where(result) == [("invalid-syntax", 2, 14)]


# -- a suppression is a comment, never the words inside a string ---------------------------


@pytest.mark.parametrize("script", [
    '  script: |\n    echo "# cigen: ignore[CG101] demo"\n    make\n',
    '  script: >-\n    echo "# cigen: ignore[CG101] demo"\n    make\n',
    '  script:\n    - "echo \\"a\n      # cigen: ignore[CG101] demo\\""\n',
    "  script:\n    - 'echo \"a\n      # cigen: ignore[CG101] demo\"'\n",
    '  script:\n    - "echo a # cigen: ignore[x]"\n',
    "  script: [\"make\", 'echo # cigen: ignore[CG101]']\n",
], ids=["literal", "folded", "double-quoted", "single-quoted", "one-line", "flow"])
def test_directive_inside_a_string_is_data(cigen: Cigen, write: Write, tmp_path: Path,
                                           script: str) -> None:
    text = f"build:\n  image: alpine:3.20\n{script}".encode()
    path = write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert (result.exit_code, result.findings()) == (0, [])
    assert fix(cigen, path) == text


def test_directive_inside_a_toml_string_is_data(cigen: Cigen, write: Write,
                                                tmp_path: Path) -> None:
    text = (b'concurrent = 1\r\n\r\n[[runners]]\r\n  name = "r # cigen: ignore[x] y"\r\n'
            b"  executor = \"docker\"\r\n  [runners.docker]\r\n"
            b'    image = """alpine # cigen: ignore[privileged-runner]"""\r\n'
            b"    privileged = true  # cigen: ignore[privileged-runner] dedicated host\r\n"
            b'    volumes = ["/certs/client"]\r\n')
    path = write("config.toml", text)
    result = lint(cigen, tmp_path, "config.toml")
    assert (result.exit_code, result.findings()) == (0, [])
    assert fix(cigen, path) == text


def test_toml_lines_end_only_at_lf(cigen: Cigen, write: Write, tmp_path: Path) -> None:
    # TOML (unlike YAML) keeps NEL, LS and PS inside a comment or string.
    text = ('concurrent = 1  # one\u2028two\x85three\r\n\r\n[[runners]]\r\n'
            '  name = "r\u2029"\r\n  executor = "docker"\r\n  [runners.docker]\r\n'
            '    privileged = true  # cigen: ignore[CG101] stale\r\n'
            '    volumes = ["/certs/client"]\r\n').encode()
    path = write("config.toml", text)
    result = lint(cigen, tmp_path, "config.toml")
    assert where(result) == [("privileged-runner", 7, 5), ("unused-suppression", 7, 24)]
    assert fix(cigen, path) == text.replace(
        b"  # cigen: ignore[CG101] stale", b"")


def test_comments_around_strings_still_suppress(cigen: Cigen, write: Write,
                                                tmp_path: Path) -> None:
    text = BOM + ("build:\r\n  image: alpine:3.20\r\n"
                  "  script: |  # cigen: ignore[CG101] header comment\r\n"
                  '    echo "# cigen: ignore[CG101] data"\r\n'
                  "  # cigen: ignore[CG101] below a block\r\n"
                  '  after_script:\r\n    - "a # b"  # cigen: ignore[x]\r\n'
                  "    - echo\u2028 # cigen: ignore[CG101] after a LS\r\n").encode()
    path = write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert where(result) == [
        ("unused-suppression", 3, 14),
        ("unused-suppression", 5, 3),
        ("unused-suppression", 7, 16),
        ("unused-suppression", 9, 2),
    ]
    assert fix(cigen, path) == BOM + (
        "build:\r\n  image: alpine:3.20\r\n  script: |\r\n"
        '    echo "# cigen: ignore[CG101] data"\r\n'
        '  after_script:\r\n    - "a # b"  # cigen: ignore[x]\r\n'
        "    - echo\u2028").encode()


def test_suppression_covers_a_block_with_hash_lines(cigen: Cigen, write: Write,
                                                    tmp_path: Path) -> None:
    # A line of the block starting with `#` is data: the entry goes on below it.
    text = (b"build:\n  image: alpine:3.20\n  # cigen: ignore[registry-password-argv] test\n"
            b"  script: |\n    # log in\n    docker login -p secret registry.example.com\n")
    path = write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert result.exit_code == 0, result.stdout
    assert fix(cigen, path) == text


# -- a directive at the end of a longer comment goes alone ---------------------------------


def test_directive_ending_a_comment_is_removed_alone(cigen: Cigen, write: Write,
                                                     tmp_path: Path) -> None:
    text = BOM + (b"build:\r\n"
                  b"  # Build with the pinned image; see docs/ci.md  "
                  b"# cigen: ignore[CG101] not needed\r\n"
                  b"  image: alpine:3.20  # pinned by the mirror # cigen: ignore[CG110] old\r\n"
                  b"  script: [make]  # cigen: ignore[CG101] stale # keep this note\r\n"
                  b"  stage: test  #  # cigen: ignore[CG101]\r\n")
    path = write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert where(result) == [
        ("unused-suppression", 2, 50),
        ("unused-suppression", 3, 46),
        ("unused-suppression", 4, 19),
        ("unused-suppression", 5, 19),
    ]
    assert fix(cigen, path) == BOM + (
        b"build:\r\n"
        b"  # Build with the pinned image; see docs/ci.md\r\n"
        b"  image: alpine:3.20  # pinned by the mirror\r\n"
        b"  script: [make]  # keep this note\r\n"
        b"  stage: test\r\n")


# -- a syntax error at the end of the file is on its last line ------------------------------


@pytest.mark.parametrize(("text", "line", "column"), [
    (b"build: [\n", 1, 9),
    (b"build: [", 1, 9),
    (b"a: 1\r\nb: [1,\r\n\r\n\r\n", 2, 7),
    (BOM + b"a: 1\nb: 'x\n  \n", 2, 6),
], ids=["newline", "no-newline", "crlf-blank-lines", "bom-quote"])
def test_syntax_error_at_end_of_file(cigen: Cigen, write: Write, tmp_path: Path,
                                     text: bytes, line: int, column: int) -> None:
    write(".gitlab-ci.yml", text)
    result = lint(cigen, tmp_path)
    assert where(result) == [("invalid-syntax", line, column)]
    expanded = cigen("expand", cwd=tmp_path, timeout=30)
    assert expanded.exit_code == 1
    assert expanded.stderr.startswith(f".gitlab-ci.yml:{line}:{column}: invalid-syntax: ")


# -- integers Python cannot read are kept as the text GitLab would use ----------------------


LONG_DECIMAL = "1" * 5000
LONG_HEX = "0x" + "f" * 5000


@pytest.mark.parametrize(("written", "value"), [
    ("0x_", "0x_"),
    ("0b_", "0b_"),
    ("-0x__", "-0x__"),
    ("!!int 0x_", "0x_"),
    (LONG_DECIMAL, LONG_DECIMAL),
    (LONG_HEX, LONG_HEX),
    (f"!!int {LONG_DECIMAL}", LONG_DECIMAL),
    ("0x_1F", 31),
    ("-0b_101", -5),
    ("0_17", 15),
], ids=["hex", "binary", "signed", "tagged", "long-decimal", "long-hex", "tagged-long",
        "hex-digits", "binary-digits", "octal"])
def test_integers_python_cannot_read(cigen: Cigen, write: Write, tmp_path: Path,
                                     written: str, value: Any) -> None:
    write(".gitlab-ci.yml", f"variables:\n  A: {written}\nbuild:\n  script: [make]\n")
    expanded = cigen("expand", "--format", "json", cwd=tmp_path, timeout=30)
    assert expanded.exit_code == 0, expanded.stderr
    assert expanded.stderr == ""
    assert expanded.json()["variables"] == {"A": value}
    result = lint(cigen, tmp_path)
    assert result.exit_code == 0, result.stdout


def test_many_standalone_suppressions_above_one_entry(cigen: Cigen, write: Write,
                                                     tmp_path: Path) -> None:
    # Each comment covers the same entry below all of them: found once, not once each.
    count = 40_000
    write(".gitlab-ci.yml", "# cigen: ignore[CG101] r\n" * count + "build:\n  script: [make]\n")
    result = cigen("lint", "--format", "json", cwd=tmp_path, timeout=20)
    assert "Traceback" not in result.stderr, result.stderr
    findings = result.findings()
    assert len(findings) == count
    assert {finding["rule"] for finding in findings} == {"unused-suppression"}
    assert (findings[0]["line"], findings[-1]["line"]) == (1, count)
