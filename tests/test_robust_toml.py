"""Runner `config.toml` files and TOML settings files that are odd, malformed or
hostile: every key is found where TOML puts it (never inside a string), a fix
lands on the real value or is not offered, and what cannot be read is a finding
or a one-line error at its line, never an internal error."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Write = Callable[[str, str | bytes], Path]
Cigen = Callable[..., Result]

# Text that looks like `volumes = [...]` but sits inside strings of the docker
# section: an escaped quote in a multi-line basic string, a `]` line in a
# multi-line string inside an array, a `'''` literal, an escaped quote in a
# one-line string.
STRING_TRAPS = '''\
concurrent = 1

[[runners]]
  name = "escaped"
  executor = "docker"
  [runners.docker]
    privileged = true  # cigen: ignore[privileged-runner] dind
    volumes = ["/cache"]
    labels = """
echo \\"""
volumes = ["/x"]
"""

[[runners]]
  name = "in-array"
  executor = "docker"
  [runners.docker]
    privileged = true  # cigen: ignore[privileged-runner] dind
    volumes = [
      "/cache",
    ]
    entrypoint = ["sh", """
]
volumes = ["/y"]
"""]

[[runners]]
  name = "literal"
  executor = "docker"
  [runners.docker]
    privileged = true  # cigen: ignore[privileged-runner] dind
    shm_size = 0
    labels = \'\'\'
privileged = true
volumes = ["/z"]
\'\'\'
    command = "volumes = [\\"/w\\"]"
'''


def findings(result: Result) -> list[tuple[str, int, int]]:
    return [(item["rule"], item["line"], item["column"]) for item in result.findings()]


def fix_twice(cigen: Cigen, tmp_path: Path, config: Path) -> tuple[Result, bytes]:
    """``--fix`` once, check the result parses, and check a second ``--fix`` is a no-op."""
    fixed = cigen("lint", "--fix", "--format", "json", config.name, cwd=tmp_path, timeout=20)
    assert "Traceback" not in fixed.stderr, fixed.stderr
    after = config.read_bytes()
    tomllib.loads(after.decode("utf-8-sig"))
    again = cigen("lint", "--fix", config.name, cwd=tmp_path, timeout=20)
    assert config.read_bytes() == after
    assert "Fixed" not in again.stdout
    return fixed, after


def test_certs_volume_fix_skips_keys_written_inside_strings(write: Write, cigen: Cigen,
                                                             tmp_path: Path) -> None:
    config = write("config.toml", STRING_TRAPS)
    result = cigen("lint", "--format", "json", "config.toml", cwd=tmp_path, timeout=20)
    assert result.exit_code == 1, result.stderr
    assert findings(result) == [("runner-dind-certs-volume", 8, 5),
                                ("runner-dind-certs-volume", 19, 5),
                                ("runner-dind-certs-volume", 31, 5)]

    fixed, after = fix_twice(cigen, tmp_path, config)
    assert findings(fixed) == []
    expected = (STRING_TRAPS
                .replace('    volumes = ["/cache"]\n', '    volumes = ["/certs/client", "/cache"]\n')
                .replace("    volumes = [\n", '    volumes = ["/certs/client",\n')
                .replace("dind\n    shm_size = 0\n",
                         'dind\n    volumes = ["/certs/client"]\n    shm_size = 0\n'))
    assert after.decode("utf-8") == expected
    volumes = [runner["docker"]["volumes"] for runner in tomllib.loads(expected)["runners"]]
    assert volumes == [["/certs/client", "/cache"]] * 2 + [["/certs/client"]]


def test_certs_volume_fix_follows_inline_tables_and_dotted_keys(write: Write, cigen: Cigen,
                                                                tmp_path: Path) -> None:
    text = ('[[runners]]\r\n'
            '  name = "inline"\r\n'
            '  docker = { privileged = true, volumes = [ "/cache" ] }  '
            '# cigen: ignore[privileged-runner] dind\r\n'
            '[[runners]]\r\n'
            '  name = "dotted"\r\n'
            '  docker.privileged = true  # cigen: ignore[privileged-runner] dind\r\n'
            '  docker.volumes = []\r\n'
            '[[runners]]\r\n'
            '  name = "no-volumes"\r\n'
            '  docker.privileged = true  # cigen: ignore[privileged-runner] dind\r\n'
            '[["runners"]]\r\n'
            '  name = "quoted"\r\n'
            "  [ 'runners' . \"docker\" ]\r\n"
            '\tprivileged\t=\ttrue  # cigen: ignore[privileged-runner] dind\r\n'
            '\tshm_size = 0\r\n')
    config = write("config.toml", text.encode("utf-8"))
    fixed, after = fix_twice(cigen, tmp_path, config)
    # Where no line can be added inside the docker section, the finding stays, unfixed.
    assert findings(fixed) == [("runner-dind-certs-volume", 10, 3)]
    assert after.decode("utf-8") == (
        text.replace('volumes = [ "/cache" ]', 'volumes = [ "/certs/client", "/cache" ]')
        .replace("docker.volumes = []", 'docker.volumes = ["/certs/client"]')
        .replace("dind\r\n\tshm_size", 'dind\r\n\tvolumes = ["/certs/client"]\r\n\tshm_size'))


@pytest.mark.parametrize(("value", "column", "message"), [
    ("9" * 5000, 11, "invalid TOML: integer out of range: TOML integers are 64-bit"),
    ("-9223372036854775809", 11, "invalid TOML: integer out of range: TOML integers are 64-bit"),
    ("[" * 500 + "]" * 500, 111,
     "invalid TOML: arrays or inline tables nested more than 100 deep"),
    ("{ a = " * 500 + "1" + " }" * 500, 611,
     "invalid TOML: arrays or inline tables nested more than 100 deep"),
])
def test_unreadable_values_are_findings_at_their_line(write: Write, cigen: Cigen,
                                                      tmp_path: Path, value: str,
                                                      column: int, message: str) -> None:
    write("bad/config.toml", f'concurrent = 1\n[[runners]]\n  name = "r"\n  limit = {value}\n')
    write("good/config.toml", '[[runners]]\n  name = "ok"\n  [runners.docker]\n'
                              '    privileged = true\n    volumes = ["/certs/client"]\n')
    result = cigen("lint", "--format", "json", "bad/config.toml", "good/config.toml",
                   cwd=tmp_path, timeout=20)
    assert result.exit_code == 1
    assert result.stderr == ""
    assert [(item["path"], item["rule"], item["line"], item["column"], item["message"])
            for item in result.findings()] == [
        ("bad/config.toml", "invalid-syntax", 4, column, message),
        ("good/config.toml", "privileged-runner", 4, 5,
         "runner 'ok' (docker executor) runs job and service containers privileged: "
         "every job it picks up is root on the host")]


def test_deep_nesting_over_several_lines_names_the_line(write: Write, cigen: Cigen,
                                                        tmp_path: Path) -> None:
    write("config.toml", '[[runners]]\n  name = "r"\n  x = [\n' + "[\n" * 300 + "]\n" * 300
          + "]\n")
    result = cigen("lint", "--format", "json", "config.toml", cwd=tmp_path, timeout=20)
    assert result.exit_code == 1 and result.stderr == ""
    assert findings(result) == [("invalid-syntax", 103, 1)]


def test_long_dotted_keys_are_refused_before_parsing(write: Write, cigen: Cigen,
                                                     tmp_path: Path) -> None:
    key = ".".join(["a"] * 200_000)
    write("config.toml", f'[[runners]]\n  name = "r"\n[runners.{key}]\n')
    result = cigen("lint", "--format", "json", "config.toml", cwd=tmp_path, timeout=20)
    assert result.exit_code == 1 and result.stderr == ""
    assert [(item["line"], item["message"]) for item in result.findings()] == [
        (3, "invalid TOML: key with more than 32 dotted parts")]


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("cigen.toml", 'fail-on = "error"\n\n[severity]\nx = ' + "1" * 4400 + "\n",
     "cigen.toml:4:5: invalid TOML: integer out of range: TOML integers are 64-bit"),
    ("cigen.toml", "exclude = " + "[" * 600 + "]" * 600 + "\n",
     "cigen.toml:1:111: invalid TOML: arrays or inline tables nested more than 100 deep"),
    ("pyproject.toml", '[project]\nname = "x"\n\n[tool.cigen]\nexclude = ['
     + "[" * 600 + "]" * 600 + "]\n",
     "pyproject.toml:5:111: invalid TOML: arrays or inline tables nested more than 100 deep"),
    ("pyproject.toml", "[tool.cigen]\nfail-on = " + "7" * 5000 + "\n",
     "pyproject.toml:2:11: invalid TOML: integer out of range: TOML integers are 64-bit"),
    ("cigen.toml", "[" + ".".join(["rules"] * 40) + "]\n",
     "cigen.toml:1:2: invalid TOML: key with more than 32 dotted parts"),
])
def test_lint_settings_that_cannot_be_read_are_one_line_errors(
        write: Write, cigen: Cigen, tmp_path: Path, name: str, content: str,
        expected: str) -> None:
    write(name, content)
    write(".gitlab-ci.yml", "build:\n  script: [make]\n")
    result = cigen("lint", cwd=tmp_path, timeout=20)
    assert result.exit_code == 2
    assert result.stderr.startswith("cigen: error: ") and result.stderr.endswith(
        f"{expected}\n"), result.stderr
    assert result.stderr.count("\n") == 1


def test_lint_settings_nested_past_the_validator_name_their_line(write: Write, cigen: Cigen,
                                                                 tmp_path: Path) -> None:
    # Each part is within bounds; together they go past what the schema validator takes.
    value = "1"
    for _ in range(9):
        value = "{ " + ".".join(["c"] * 30) + " = " + value + " }"
    write("cigen.toml", 'fail-on = "error"\n[' + ".".join(["a"] * 30) + f"]\nb = {value}\n")
    write(".gitlab-ci.yml", "build:\n  script: [make]\n")
    result = cigen("lint", cwd=tmp_path, timeout=20)
    assert result.exit_code == 2
    assert result.stderr == (f"cigen: error: {tmp_path / 'cigen.toml'}:3: "
                             + ".".join(["a"] * 30) + ".b.c.c: nested more than 32 deep\n")


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("cigen.toml", "[init]\ncache = true\nplatforms = " + "1" * 4400 + "\n",
     "cigen.toml: invalid TOML: integer out of range: TOML integers are 64-bit "
     "(at line 3, column 13)"),
    ("pyproject.toml", "[tool.cigen.init]\nplatforms = " + "[" * 800 + "]" * 800 + "\n",
     "pyproject.toml: invalid TOML: arrays or inline tables nested more than 100 deep "
     "(at line 2, column 113)"),
])
def test_init_settings_that_cannot_be_read_are_one_line_errors(
        cigen: Cigen, tmp_path: Path, name: str, content: str, expected: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    result = cigen("init", "-o", "-", cwd=tmp_path, timeout=20)
    assert result.exit_code == 2
    assert result.stderr == f"cigen: error: {expected}\n"
    assert result.stdout == ""


RUNNER = ('concurrent = 1\n'
          '[[runners]]\n'
          '  name = "dind"\n'
          '  executor = "docker"\n'
          '  [runners.docker]\n'
          '    privileged = true\n'
          '    volumes = ["/cache", "/var/run/docker.sock:/var/run/docker.sock"]\n')
ALL_THREE = [("privileged-runner", 6, 5), ("runner-dind-certs-volume", 7, 5),
             ("docker-socket-mount", 7, 27)]


@pytest.mark.parametrize(("content", "exit_code", "expected"), [
    (RUNNER.replace("privileged = true", 'privileged = "true"'), 1,
     [("docker-socket-mount", 7, 27)]),
    (RUNNER.replace('["/cache", "/var/run/docker.sock:/var/run/docker.sock"]', '"x"'), 1,
     [("privileged-runner", 6, 5), ("runner-dind-certs-volume", 7, 5)]),
    (RUNNER.replace("[runners.docker]", "[[runners.docker]]"), 0, []),
    ("runners = 3\n", 0, []),
    ('runners = [1, { name = "x", docker = { volumes = ["/var/run/docker.sock"] } }]\n', 1,
     [("docker-socket-mount", 1, 52)]),
    ("\ufeff" + RUNNER, 1, ALL_THREE),
    (RUNNER.replace("\n", "\r\n"), 1, ALL_THREE),
    (RUNNER.replace("\n", "\r"), 1, [("invalid-syntax", 1, 15)]),
    (RUNNER + "    privileged = false\n", 1, [("invalid-syntax", 8, 23)]),
    (RUNNER.replace("[runners.docker]", '["runners".docker]'), 1, ALL_THREE),
    # NEL, LS and PS are ordinary characters to TOML: no line break, no shifted line.
    (RUNNER.replace('"dind"', '"d\u0085i\u2028n\u2029d"  # \u0085 \u2028'), 1, ALL_THREE),
    (RUNNER.replace('"dind"', '"""d\ni\r\nnd"""'), 1,
     [(rule, line + 2, column) for rule, line, column in ALL_THREE]),
])
def test_malformed_runner_configs_are_findings(write: Write, cigen: Cigen, tmp_path: Path,
                                               content: str, exit_code: int,
                                               expected: list[tuple[str, int, int]]) -> None:
    write("config.toml", content.encode("utf-8"))
    result = cigen("lint", "--format", "json", "config.toml", cwd=tmp_path, timeout=20)
    assert result.stderr == ""
    assert result.exit_code == exit_code
    assert findings(result) == expected
