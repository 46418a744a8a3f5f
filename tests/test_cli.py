"""The command line as a user meets it: formats, exit codes, options, discovery."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from cigen import __version__
from tests.conftest import Result

BAD = """\
build:
  image: docker:29.1-cli
  tags: [shell]
  script:
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME" .
"""
GOOD = """\
build:
  image: docker:29.1-cli
  tags: [shell]
  script:
    - echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG" .
"""
INCLUDING_PIPELINE = """\
include: ci/build.yml
check:
  image: docker:29.1-cli
  tags: [shell]
  script:
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
"""
Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]


def test_version(cigen: Cigen) -> None:
    result = cigen("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"cigen {__version__}"


def test_text_output_names_file_line_column_code_rule_and_job(write: Write, cigen: Cigen) -> None:
    path = write(".gitlab-ci.yml", BAD)
    result = cigen("lint", cwd=path.parent)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        '.gitlab-ci.yml:5:43: error CG109 [*] registry-password-argv: `docker login` takes the '
        'password '
        "on the command line, where the process list and shell history show it; pipe it to "
        "--password-stdin (job: build)")
    assert lines[1].startswith(".gitlab-ci.yml:6:23: error CG107 [*] ref-name-tag: image tag uses "
                               "$CI_COMMIT_REF_NAME")
    assert lines[-1] == "Found 2 problems (2 errors) in 1 file; 2 fixable with --fix."
    assert "\033[" not in result.stdout  # no colour when not on a terminal


def test_clean_file_exits_zero(write: Write, cigen: Cigen) -> None:
    path = write(".gitlab-ci.yml", GOOD)
    result = cigen("lint", ".gitlab-ci.yml", cwd=path.parent)
    assert result.exit_code == 0
    assert result.stdout == "No problems found in 1 file.\n"


def test_json_contract(write: Write, cigen: Cigen) -> None:
    path = write("ci/.gitlab-ci.yml", BAD)
    result = cigen("lint", "--format", "json", "ci/.gitlab-ci.yml", cwd=path.parent.parent)
    document = result.json()
    assert document["version"] == 1
    first = document["findings"][0]
    assert first == {
        "code": "CG109", "rule": "registry-password-argv", "severity": "error",
        "message": first["message"], "path": "ci/.gitlab-ci.yml", "line": 5, "column": 43,
        "end_line": 5, "end_column": 45, "jobs": ["build"], "fixable": True,
    }
    lines = [(finding["path"], finding["line"]) for finding in document["findings"]]
    assert lines == sorted(lines)


def test_absolute_paths_stay_absolute(write: Write, cigen: Cigen) -> None:
    path = write(".gitlab-ci.yml", BAD)
    result = cigen("lint", "--format", "json", str(path))
    assert {finding["path"] for finding in result.findings()} == {str(path)}


def test_output_format_is_the_same_option_as_format(write: Write, cigen: Cigen) -> None:
    # `--output-format` is what ruff users type.
    path = write(".gitlab-ci.yml", BAD)
    spelled = cigen("lint", "--output-format", "json", str(path))
    assert spelled.exit_code == 1
    assert spelled.findings() == cigen("lint", "--format", "json", str(path)).findings()


def test_fail_on_threshold(write: Write, cigen: Cigen) -> None:
    path = write(".gitlab-ci.yml", """\
include:
  - template: Jobs/Build.gitlab-ci.yml
test:
  script: [make test]
""")
    assert cigen("lint", cwd=path.parent).exit_code == 0  # info does not fail by default
    failing = cigen("lint", "--fail-on", "info", cwd=path.parent)
    assert failing.exit_code == 1
    assert "CG004 include-unresolved" in failing.stdout
    assert failing.stdout.endswith("Found 1 problem (1 info) in 1 file.\n")


def test_select_and_ignore_by_name_or_code(write: Write, cigen: Cigen) -> None:
    path = write(".gitlab-ci.yml", BAD)
    selected = cigen("lint", "--format", "json", "--select", "CG107", cwd=path.parent)
    assert selected.rules() == ["ref-name-tag"]
    ignored = cigen("lint", "--format", "json", "--ignore", "ref-name-tag,CG109",
                    cwd=path.parent)
    assert ignored.rules() == []
    assert ignored.exit_code == 0
    prefix = cigen("lint", "--format", "json", "--select", "CG1", cwd=path.parent)
    assert sorted(prefix.rules()) == ["ref-name-tag", "registry-password-argv"]
    assert cigen("lint", "--format", "json", "--select", "CG2", cwd=path.parent).rules() == []
    unknown = cigen("lint", "--select", "nope", cwd=path.parent)
    assert unknown.exit_code == 2
    assert unknown.stderr == "cigen: error: --select: unknown rule 'nope' (see `cigen rules`)\n"


def test_quiet_prints_findings_only(write: Write, cigen: Cigen) -> None:
    path = write(".gitlab-ci.yml", BAD)
    result = cigen("lint", "--quiet", cwd=path.parent)
    assert len(result.stdout.splitlines()) == 2
    assert "Found" not in result.stdout


def test_directory_discovery(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", GOOD)
    write("ci/build.gitlab-ci.yml", BAD)
    write("ci/other.yml", BAD)  # not a pipeline by name: only linted when included
    write("runners/config.toml", '[[runners]]\n  name = "r"\n  executor = "docker"\n'
                                 "  [runners.docker]\n    privileged = true\n"
                                 '    volumes = ["/certs/client"]\n')
    write("pyproject.toml", "[project]\nname = 'x'\n")
    write("node_modules/x/.gitlab-ci.yml", BAD)
    result = cigen("lint", "--format", "json", ".", cwd=tmp_path)
    paths = sorted({finding["path"] for finding in result.findings()})
    assert paths == ["ci/build.gitlab-ci.yml", "runners/config.toml"]


def test_default_path_is_gitlab_ci_yml(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    missing = cigen("lint", cwd=tmp_path)
    assert missing.exit_code == 2
    assert missing.stderr == "cigen: error: .gitlab-ci.yml: no such file or directory\n"
    write(".gitlab-ci.yml", BAD)
    assert cigen("lint", cwd=tmp_path).exit_code == 1


def test_stdin(cigen: Cigen, tmp_path: Path) -> None:
    result = cigen("lint", "--format", "json", "-", stdin=BAD, cwd=tmp_path)
    assert {finding["path"] for finding in result.findings()} == {"-"}
    named = cigen("lint", "--format", "json", "--stdin-filename", "ci.yml", "-", stdin=BAD,
                  cwd=tmp_path)
    assert {finding["path"] for finding in named.findings()} == {"ci.yml"}


def test_rules_listing(cigen: Cigen) -> None:
    text = cigen("rules")
    assert text.exit_code == 0
    assert any(line.startswith("CG101  privileged-dind") for line in text.stdout.splitlines())
    listing = json.loads(cigen("rules", "--format", "json").stdout)
    names = {rule["name"] for rule in listing}
    assert {"privileged-dind", "docker-socket-mount", "privileged-runner", "dind-tls-disabled",
            "vfs-storage-driver", "missing-cache-from", "ineffective-cache-from",
            "ref-name-tag", "unconditional-latest", "registry-password-argv",
            "unpinned-docker-image", "docker-version-mismatch"} <= names
    assert len({rule["code"] for rule in listing}) == len(listing)


def test_unknown_option_value_is_a_usage_error(cigen: Cigen) -> None:
    result = cigen("lint", "--format", "yaml")
    assert result.exit_code == 2
    assert "'yaml' is not one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_console_script_is_installed(tmp_path: Path) -> None:
    import subprocess

    script = Path(sys.executable).parent / "cigen"  # installed beside this interpreter
    assert script.exists()
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                            cwd=tmp_path, check=False)
    assert result.stdout.strip() == f"cigen {__version__}"


def test_many_files_in_parallel_match_one_by_one(write: Write, cigen: Cigen,
                                                 tmp_path: Path) -> None:
    names = []
    for index in range(20):
        names.append(f"p{index:02}.gitlab-ci.yml")
        write(names[-1], BAD if index % 2 else GOOD)
    together = cigen("lint", "--format", "json", *names, cwd=tmp_path)
    alone = [finding for name in names
             for finding in cigen("lint", "--format", "json", name, cwd=tmp_path).findings()]
    assert together.findings() == alone
    text = cigen("lint", *names, cwd=tmp_path)
    # Counted are the files the findings are in: the ten BAD pipelines.
    assert text.stdout.splitlines()[-1] == ("Found 20 problems (20 errors) in 10 files; 20 "
                                            "fixable with --fix.")


def test_summary_counts_the_included_files_findings_are_in(write: Write, cigen: Cigen) -> None:
    write("ci/build.yml", BAD)
    write(".gitlab-ci.yml", INCLUDING_PIPELINE)
    result = cigen("lint", ".gitlab-ci.yml", cwd=write(".keep", "").parent)
    paths = {line.split(":", 1)[0] for line in result.stdout.splitlines()[:-1]}
    assert paths == {".gitlab-ci.yml", "ci/build.yml"}
    assert result.stdout.splitlines()[-1].split(";")[0].endswith(" in 2 files")


def test_exclude_also_covers_included_files(write: Write, cigen: Cigen) -> None:
    write("ci/build.yml", BAD)
    root = write(".gitlab-ci.yml", INCLUDING_PIPELINE).parent
    everything = cigen("lint", "--format", "json", ".gitlab-ci.yml", cwd=root)
    assert {finding["path"] for finding in everything.findings()} == {".gitlab-ci.yml",
                                                                      "ci/build.yml"}
    excluded = cigen("lint", "--format", "json", "--exclude", "ci/*", ".", cwd=root)
    assert {finding["path"] for finding in excluded.findings()} == {".gitlab-ci.yml"}
    before = (root / "ci" / "build.yml").read_text(encoding="utf-8")
    fixed = cigen("lint", "--fix", "--exclude", "ci/*", ".gitlab-ci.yml", cwd=root)
    assert fixed.exit_code == 0, fixed.stdout
    assert (root / "ci" / "build.yml").read_text(encoding="utf-8") == before


def test_server_without_pygls_is_one_line(tmp_path: Path) -> None:
    # The language server is an extra (`cigen[lsp]`): without pygls, say how to get it.
    import subprocess

    script = ("import sys; sys.modules['pygls'] = None; sys.argv = ['cigen', 'server']; "
              "from cigen.cli import main; main()")
    completed = subprocess.run([sys.executable, "-c", script], cwd=tmp_path,
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 2
    assert completed.stderr == ("cigen: error: the language server needs pygls: "
                                "pip install 'cigen[lsp]'\n")
