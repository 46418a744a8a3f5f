"""`--remote`: project, component, template and remote includes read from GitLab.

A stub GitLab API on 127.0.0.1 (tests/gitlab_stub.py) serves fixture
repositories; the real command line reads them. The fixture pipeline is a thin
one, as in companies: its image-building jobs live in a project include and in
a component with inputs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result, run_cigen
from tests.gitlab_stub import GitLabStub

TOKEN = "glpat-s3cret-t0ken-value"

DOCKER_TEMPLATE = """\
.docker-build:
  image: docker:24.0.7
  services:
    - docker:24.0.7-dind
  variables:
    DOCKER_TLS_CERTDIR: ""

build-image:
  extends: .docker-build
  stage: build
  script:
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .
"""


def component_template(version: str) -> str:
    return f"""\
spec:
  inputs:
    stage:
      default: build
    docker_version:
      default: "24.0.7"
---
component-build-{version.replace('.', '-')}:
  stage: $[[ inputs.stage ]]
  image: docker:$[[ inputs.docker_version ]]
  script:
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
"""


PIPELINE = """\
include:
  - project: platform/ci-templates
    ref: main
    file: /templates/docker.yml
  - component: $CI_SERVER_FQDN/platform/docker-build/build@2.1
    inputs:
      docker_version: latest
stages: [build, test]
test:
  stage: test
  script: [make test]
"""


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitLabStub]:
    server = GitLabStub(token=TOKEN).start()
    server.add_project("platform/ci-templates", {"templates/docker.yml": DOCKER_TEMPLATE})
    component = server.add_project("platform/docker-build")
    for version in ("2.0.0", "2.1.0", "2.1.3", "3.0.0-rc.1"):
        component.add_commit(version, {"templates/build.yml": component_template(version)},
                             tag=True)
    for name in ("CIGEN_GITLAB_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN", "CI_SERVER_URL",
                 "CIGEN_GITLAB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI_SERVER_URL", server.url)
    yield server
    server.stop()


@pytest.fixture
def repo(write: Callable[[str, str], Path]) -> Path:
    return write(".gitlab-ci.yml", PIPELINE).parent


def lint(repo: Path, *args: str, cache: bool = True) -> Result:
    return run_cigen("lint", "--format", "json", "--cache-dir", str(repo / ".cache"), *args,
                     cwd=repo, cache=cache, timeout=60)


def places(result: Result) -> list[tuple[str, str, int]]:
    return [(finding["rule"], finding["path"], finding["line"])
            for finding in result.findings()]


REMOTE_FINDINGS = [
    ("privileged-dind", "platform/ci-templates@main:templates/docker.yml", 4),
    ("dind-tls-disabled", "platform/ci-templates@main:templates/docker.yml", 6),
    ("missing-cache-from", "platform/ci-templates@main:templates/docker.yml", 12),
    # `docker:$[[ inputs.docker_version ]]` with the input the include gives.
    ("unpinned-docker-image", "platform/docker-build@2.1.3:templates/build.yml", 10),
    ("registry-password-argv", "platform/docker-build@2.1.3:templates/build.yml", 12),
]


def test_offline_the_remote_includes_are_noted_and_nothing_is_fetched(
        stub: GitLabStub, repo: Path) -> None:
    result = lint(repo)
    assert result.exit_code == 0, result.stderr
    assert places(result) == [("include-unresolved", ".gitlab-ci.yml", 2),
                              ("include-unresolved", ".gitlab-ci.yml", 5)]
    assert all(finding["severity"] == "info" for finding in result.findings())
    assert "--remote" in result.findings()[0]["message"]
    assert stub.requests == []


def test_remote_reports_the_findings_at_their_remote_lines(stub: GitLabStub,
                                                           repo: Path) -> None:
    result = lint(repo, "--remote")
    assert result.exit_code == 1, result.stderr
    assert places(result) == REMOTE_FINDINGS
    # A file on a server is not one `--fix` could write.
    assert not any(finding["fixable"] for finding in result.findings())
    text = run_cigen("lint", "--remote", "--no-cache", cwd=repo, timeout=60)
    assert "platform/ci-templates@main:templates/docker.yml:6:25: error CG103" in text.stdout


def test_a_second_run_is_served_from_the_cache_with_the_server_stopped(
        stub: GitLabStub, repo: Path) -> None:
    assert places(lint(repo, "--remote")) == REMOTE_FINDINGS
    stub.stop()
    again = lint(repo, "--remote")
    assert again.exit_code == 1, again.stderr
    assert places(again) == REMOTE_FINDINGS


def test_without_a_cache_and_the_server_stopped_the_includes_are_noted(
        stub: GitLabStub, repo: Path) -> None:
    stub.stop()
    result = lint(repo, "--remote", "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert [rule for rule, _, _ in places(result)] == ["include-unresolved"] * 2
    assert "cannot connect" in result.findings()[0]["message"]
    assert "Traceback" not in result.stderr


def test_a_file_at_a_commit_is_fetched_once_and_a_branch_is_revalidated(
        stub: GitLabStub, repo: Path) -> None:
    lint(repo, "--remote")
    stub.requests.clear()
    lint(repo, "--remote")
    paths = stub.paths()
    # The branch is asked again (answered 304), the tag list too (`@2.1` may move);
    # the component file at its commit comes from the cache.
    assert paths.count("/api/v4/projects/platform%2Fci-templates/repository/files/"
                       "templates%2Fdocker.yml/raw") == 1
    assert not any("build.yml" in path for path in paths)


def test_the_result_cache_never_serves_a_stale_remote_answer(stub: GitLabStub,
                                                             repo: Path) -> None:
    assert ("dind-tls-disabled", "platform/ci-templates@main:templates/docker.yml", 6) \
        in places(lint(repo, "--remote"))
    # The branch moves on: the fix is merged upstream.
    stub.projects["platform/ci-templates"].add_commit("main", {
        "templates/docker.yml": DOCKER_TEMPLATE.replace('""', '"/certs"')})
    after = places(lint(repo, "--remote"))
    assert not any(rule == "dind-tls-disabled" for rule, _, _ in after)


def test_remote_true_in_the_configuration_turns_it_on(stub: GitLabStub, repo: Path) -> None:
    (repo / "cigen.toml").write_text("remote = true\n", encoding="utf-8")
    assert places(lint(repo)) == REMOTE_FINDINGS


def test_remote_cannot_be_combined_with_fix(stub: GitLabStub, repo: Path) -> None:
    before = (repo / ".gitlab-ci.yml").read_bytes()
    result = run_cigen("lint", "--remote", "--fix", cwd=repo, timeout=60)
    assert result.exit_code == 2
    assert "--remote cannot be combined with --fix" in result.stderr
    assert (repo / ".gitlab-ci.yml").read_bytes() == before
    assert stub.requests == []


@pytest.mark.parametrize(("version", "resolved"), [
    ("~latest", "2.1.3"),  # 3.0.0-rc.1 is a pre-release
    ("2", "2.1.3"),
    ("2.0", "2.0.0"),
    ("2.1.0", "2.1.0"),
])
def test_component_versions_resolve_as_gitlab_resolves_them(
        stub: GitLabStub, repo: Path, version: str, resolved: str) -> None:
    # docs.gitlab.com/ci/components/#component-versions: ~latest and partial versions.
    (repo / ".gitlab-ci.yml").write_text(
        PIPELINE.replace("build@2.1", f"build@{version}"), encoding="utf-8")
    paths = {path for _, path, _ in places(lint(repo, "--remote"))}
    assert f"platform/docker-build@{resolved}:templates/build.yml" in paths


def test_tags_are_read_across_pages(stub: GitLabStub, repo: Path) -> None:
    component = stub.projects["platform/docker-build"]
    for minor in range(150):
        component.add_commit(f"1.{minor}.0", {"templates/build.yml": "x: 1\n"}, tag=True)
    component.add_commit("2.9.1", {"templates/build.yml": component_template("2.9.1")},
                         tag=True)
    (repo / ".gitlab-ci.yml").write_text(PIPELINE.replace("@2.1", "@~latest"),
                                         encoding="utf-8")
    paths = {path for _, path, _ in places(lint(repo, "--remote"))}
    assert "platform/docker-build@2.9.1:templates/build.yml" in paths
    pages = [request for request in stub.requests if request.path.endswith("/tags")]
    assert len(pages) == 2


def test_a_version_that_matches_no_release_is_noted(stub: GitLabStub, repo: Path) -> None:
    (repo / ".gitlab-ci.yml").write_text(PIPELINE.replace("@2.1", "@4"), encoding="utf-8")
    result = lint(repo, "--remote")
    notes = [finding for finding in result.findings() if finding["rule"] == "include-unresolved"]
    assert [(note["path"], note["line"]) for note in notes] == [(".gitlab-ci.yml", 5)]
    assert "no released version of platform/docker-build matches `4`" in notes[0]["message"]
    # The rest of the pipeline is still checked.
    assert ("dind-tls-disabled", "platform/ci-templates@main:templates/docker.yml", 6) \
        in places(result)


def test_template_remote_and_nested_local_includes(stub: GitLabStub, write: Any,
                                                   repo: Path) -> None:
    stub.templates["Docker"] = "docker-template-job:\n  image: docker\n  script: [make]\n"
    stub.pages["/ci/shared.yml"] = "shared-job:\n  image: docker:latest\n  script: [make]\n"
    stub.add_project("platform/nested", {
        "ci/main.yml": "include:\n  - local: ci/jobs/*.yml\nmain-job:\n  script: [make]\n",
        "ci/jobs/build.yml": "nested-job:\n  image: docker:stable\n  script: [make]\n"})
    write(".gitlab-ci.yml", f"""\
include:
  - template: Docker.gitlab-ci.yml
  - remote: {stub.url}/ci/shared.yml
  - project: platform/nested
    file: ci/main.yml
""")
    result = lint(repo, "--remote", "--select", "unpinned-docker-image,include-unresolved")
    assert places(result) == [
        ("unpinned-docker-image", f"{stub.url}/ci/shared.yml", 2),
        ("unpinned-docker-image", "platform/nested@main:ci/jobs/build.yml", 2),
        ("unpinned-docker-image", "template:Docker.gitlab-ci.yml", 2),
    ]
    expanded = run_cigen("expand", "--remote", "--cache-dir", str(repo / ".cache"), cwd=repo,
                         timeout=60)
    assert expanded.exit_code == 0, expanded.stderr
    for job in ("docker-template-job:", "shared-job:", "main-job:", "nested-job:"):
        assert job in expanded.stdout


def test_failures_are_findings_and_the_rest_is_still_checked(
        stub: GitLabStub, monkeypatch: pytest.MonkeyPatch, write: Any, repo: Path) -> None:
    stub.pages["/not-yaml.yml"] = "job: [unclosed\n"
    stub.add_project("platform/slow", {"ci.yml": "slow-job:\n  script: [make]\n"})
    stub.add_project("platform/forbidden", {"ci.yml": "x:\n  script: [make]\n"})
    stub.add_project("platform/missing", {"other.yml": "x:\n  script: [make]\n"})
    stub.delays["/api/v4/projects/platform%2Fslow/repository/files/ci.yml/raw"] = 4
    stub.statuses["/api/v4/projects/platform%2Fforbidden/repository/files/ci.yml/raw"] = 403
    monkeypatch.setenv("CIGEN_GITLAB_TIMEOUT", "1")
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    write(".gitlab-ci.yml", f"""\
include:
  - remote: {stub.url}/not-yaml.yml
  - project: platform/slow
    file: ci.yml
  - project: platform/forbidden
    file: ci.yml
  - project: platform/missing
    file: ci.yml
  - project: platform/unknown
    file: ci.yml
  - component: gitlab.example.com/platform/docker-build/build@2.1
build:
  image: docker:latest
  script: [make]
""")
    result = lint(repo, "--remote")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    by_line = {(finding["path"], finding["line"]): finding for finding in result.findings()}
    assert by_line[(f"{stub.url}/not-yaml.yml", 1)]["rule"] == "invalid-syntax"
    # Each note is at the `file:` it is about.
    assert "no answer within 1 s" in by_line[(".gitlab-ci.yml", 4)]["message"]
    assert "the token from GITLAB_TOKEN cannot read it (403)" in \
        by_line[(".gitlab-ci.yml", 6)]["message"]
    assert "`ci.yml` not found in platform/missing" in by_line[(".gitlab-ci.yml", 8)]["message"]
    assert "platform%2Funknown: not found (404)" in by_line[(".gitlab-ci.yml", 10)]["message"]
    assert "is on gitlab.example.com" in by_line[(".gitlab-ci.yml", 11)]["message"]
    assert all(by_line[(".gitlab-ci.yml", line)]["rule"] == "include-unresolved"
               for line in (4, 6, 8, 10, 11))
    assert by_line[(".gitlab-ci.yml", 13)]["rule"] == "unpinned-docker-image"
    assert TOKEN not in result.stdout + result.stderr


def test_a_rate_limit_is_waited_out(stub: GitLabStub, repo: Path) -> None:
    raw = "/api/v4/projects/platform%2Fci-templates/repository/files/templates%2Fdocker.yml/raw"
    stub.rate_limits[raw] = 1
    assert places(lint(repo, "--remote", "--no-cache")) == REMOTE_FINDINGS
    assert stub.paths().count(raw) == 2


def test_a_long_rate_limit_is_a_finding(stub: GitLabStub, repo: Path) -> None:
    raw = "/api/v4/projects/platform%2Fci-templates/repository/files/templates%2Fdocker.yml/raw"
    stub.rate_limits[raw] = 100
    result = lint(repo, "--remote", "--no-cache")
    messages = [finding["message"] for finding in result.findings()
                if finding["rule"] == "include-unresolved"]
    assert len(messages) == 1 and "limits requests (429)" in messages[0]
    assert stub.paths().count(raw) == 3  # bounded


def test_the_token_goes_to_the_api_only_and_never_into_output_or_cache(
        stub: GitLabStub, monkeypatch: pytest.MonkeyPatch, write: Any, repo: Path) -> None:
    stub.projects["platform/ci-templates"].private = True
    stub.pages["/ci/shared.yml"] = "shared-job:\n  script: [make]\n"
    write(".gitlab-ci.yml", PIPELINE.replace(
        "include:\n", f"include:\n  - remote: {stub.url}/ci/shared.yml\n"))
    anonymous = lint(repo, "--remote")
    assert "CIGEN_GITLAB_TOKEN" in " ".join(
        finding["message"] for finding in anonymous.findings())
    monkeypatch.setenv("CIGEN_GITLAB_TOKEN", TOKEN)
    with_token = lint(repo, "--remote")
    assert ("dind-tls-disabled", "platform/ci-templates@main:templates/docker.yml", 6) \
        in places(with_token)
    api = [request for request in stub.requests if request.path.startswith("/api/v4/")]
    assert any(request.headers.get("private-token") == TOKEN for request in api)
    pages = [request for request in stub.requests if request.path == "/ci/shared.yml"]
    assert pages and all(TOKEN not in str(request.headers) for request in pages)
    monkeypatch.setenv("CIGEN_GITLAB_TOKEN", "wrong-" + TOKEN)
    wrong = lint(repo, "--remote", "--no-cache")
    assert "the token from CIGEN_GITLAB_TOKEN cannot read it (401)" in wrong.stdout
    for result in (anonymous, with_token, wrong):
        assert TOKEN not in result.stdout + result.stderr
    for directory, _, files in os.walk(repo / ".cache"):
        for name in files:
            assert TOKEN.encode() not in (Path(directory) / name).read_bytes()


def test_a_job_token_is_sent_as_job_token(stub: GitLabStub, monkeypatch: pytest.MonkeyPatch,
                                          repo: Path) -> None:
    stub.projects["platform/ci-templates"].private = True
    monkeypatch.setenv("CI_JOB_TOKEN", TOKEN)
    assert places(lint(repo, "--remote", "--no-cache")) == REMOTE_FINDINGS
    api = [request for request in stub.requests if request.path.startswith("/api/v4/")]
    assert api and all(request.headers.get("job-token") == TOKEN for request in api)
    assert not any("private-token" in request.headers for request in api)


def test_ci_reports_name_remote_files_by_their_address_at_the_commit(
        stub: GitLabStub, repo: Path) -> None:
    sha = stub.projects["platform/ci-templates"].refs["main"]
    address = f"{stub.url}/platform/ci-templates/-/blob/{sha}/templates/docker.yml#L6"
    sarif = run_cigen("lint", "--remote", "--no-cache", "--format", "sarif", cwd=repo,
                      timeout=60).json()
    uris = {result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for result in sarif["runs"][0]["results"]}
    assert address in uris
    quality = run_cigen("lint", "--remote", "--no-cache", "--format", "codequality", cwd=repo,
                        timeout=60)
    paths = {issue["location"]["path"] for issue in json.loads(quality.stdout)}
    assert address in paths


def test_a_tls_failure_is_a_finding(stub: GitLabStub, repo: Path) -> None:
    # The stub speaks plain HTTP: a TLS handshake with it fails.
    result = lint(repo, "--remote", "--no-cache", "--gitlab-url",
                  stub.url.replace("http://", "https://"))
    assert result.exit_code == 0, result.stderr
    notes = result.findings()
    assert [note["rule"] for note in notes] == ["include-unresolved"] * 2
    assert all("the TLS connection to 127.0.0.1" in note["message"] for note in notes)
    assert "Traceback" not in result.stderr


def test_a_list_of_files_a_variable_and_a_cycle(stub: GitLabStub, write: Any,
                                                repo: Path) -> None:
    stub.add_project("platform/many", {
        "a.yml": "a-job:\n  image: docker:latest\n  script: [make]\n",
        "loop.yml": "include:\n  - project: platform/many\n    ref: main\n    file: loop.yml\n"
                    "loop-job:\n  script: [make]\n"})
    write(".gitlab-ci.yml", """\
include:
  - project: platform/many
    ref: main
    file:
      - a.yml
      - missing.yml
      - loop.yml
  - project: $CI_PROJECT_NAMESPACE/templates
    file: ci.yml
""")
    stub.requests.clear()
    result = lint(repo, "--remote")
    found = {(rule, path, line) for rule, path, line in places(result)}
    assert ("unpinned-docker-image", "platform/many@main:a.yml", 2) in found
    assert ("include-unresolved", ".gitlab-ci.yml", 6) in found  # missing.yml
    assert ("include-error", "platform/many@main:loop.yml", 4) in found
    message = next(finding["message"] for finding in result.findings()
                   if finding["line"] == 8)
    assert "names a CI/CD variable" in message
    assert not any("CI_PROJECT_NAMESPACE" in path or "templates" in path
                   for path in stub.paths())


def expand(repo: Path, *args: str) -> Result:
    return run_cigen("expand", "--cache-dir", str(repo / ".cache"), *args, cwd=repo,
                     cache=True, timeout=60)


def test_expand_reads_remote_includes_when_the_configuration_says_remote(
        stub: GitLabStub, repo: Path) -> None:
    (repo / "cigen.toml").write_text("remote = true\n", encoding="utf-8")
    result = expand(repo)
    assert result.exit_code == 0, result.stderr
    for job in ("build-image:", "component-build-2-1-3:", "test:"):
        assert job in result.stdout
    assert stub.requests


def test_no_remote_wins_over_the_configuration(stub: GitLabStub, repo: Path) -> None:
    (repo / "cigen.toml").write_text("remote = true\n", encoding="utf-8")
    linted = lint(repo, "--no-remote")
    assert linted.exit_code == 0, linted.stderr
    assert places(linted) == [("include-unresolved", ".gitlab-ci.yml", 2),
                              ("include-unresolved", ".gitlab-ci.yml", 5)]
    expanded = expand(repo, "--no-remote")
    assert expanded.exit_code == 0, expanded.stderr
    assert "test:" in expanded.stdout and "build-image:" not in expanded.stdout
    assert stub.requests == []
    # Without the configuration, `--remote` still turns it on for one run.
    (repo / "cigen.toml").unlink()
    assert "build-image:" in expand(repo, "--remote").stdout


def test_expand_reports_a_configuration_it_cannot_use(stub: GitLabStub, repo: Path) -> None:
    (repo / "cigen.toml").write_text("remote = 'yes'\n", encoding="utf-8")
    result = expand(repo)
    assert result.exit_code == 2
    assert result.stderr.startswith("cigen: error: ") and "cigen.toml:1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert stub.requests == []


def test_per_file_ignores_and_exclude_match_fetched_files(stub: GitLabStub,
                                                          repo: Path) -> None:
    # Patterns are paths in a repository: a fetched file's path in its own project.
    (repo / "cigen.toml").write_text("""\
remote = true
exclude = ["platform/docker-build@**"]

[per-file-ignores]
"templates/docker.yml" = ["privileged-dind"]
"templates/*.yml" = ["dind-tls-disabled"]
"ci/*.yml" = ["missing-cache-from"]
""", encoding="utf-8")
    assert places(lint(repo)) == [
        ("missing-cache-from", "platform/ci-templates@main:templates/docker.yml", 12)]
    # A flag pattern matches the same way.
    (repo / "cigen.toml").write_text("remote = true\n", encoding="utf-8")
    flagged = places(lint(repo, "--exclude", "templates/docker.yml"))
    assert flagged == [path for path in REMOTE_FINDINGS if "docker-build" in path[1]]


def test_per_file_ignores_match_templates_and_urls(stub: GitLabStub, write: Any,
                                                   repo: Path) -> None:
    stub.templates["Jobs/Docker"] = "template-job:\n  image: docker\n  script: [make]\n"
    stub.pages["/ci/shared.yml"] = "shared-job:\n  image: docker:latest\n  script: [make]\n"
    write(".gitlab-ci.yml", f"""\
include:
  - template: Jobs/Docker.gitlab-ci.yml
  - remote: {stub.url}/ci/shared.yml
""")
    write("cigen.toml", f"""\
[per-file-ignores]
"Jobs/*.gitlab-ci.yml" = ["unpinned-docker-image"]
"{stub.url}/**" = ["unpinned-docker-image"]
""")
    assert places(lint(repo, "--remote", "--select", "unpinned-docker-image")) == []


def component_in_a_directory(stub: GitLabStub) -> str:
    """A component kept as `templates/build/template.yml`: `templates/build.yml` is
    asked for first and is not there."""
    component = stub.projects["platform/docker-build"]
    component.add_commit("2.2.0", {"templates/build/template.yml": component_template("2.2.0")},
                         tag=True)
    return "/api/v4/projects/platform%2Fdocker-build/repository/files/templates%2Fbuild.yml/raw"


def test_a_file_missing_at_a_commit_is_asked_for_once(stub: GitLabStub, repo: Path) -> None:
    missing = component_in_a_directory(stub)
    (repo / ".gitlab-ci.yml").write_text(PIPELINE.replace("@2.1", "@2.2"), encoding="utf-8")
    first = places(lint(repo, "--remote"))
    assert ("registry-password-argv", "platform/docker-build@2.2.0:templates/build/template.yml",
            12) in first
    assert places(lint(repo, "--remote")) == first
    assert stub.paths().count(missing) == 1


def test_a_file_missing_on_a_branch_is_asked_for_every_run(stub: GitLabStub, write: Any,
                                                          repo: Path) -> None:
    write(".gitlab-ci.yml", "include:\n  - project: platform/ci-templates\n    ref: main\n"
                            "    file: later.yml\n")
    missing = "/api/v4/projects/platform%2Fci-templates/repository/files/later.yml/raw"
    assert places(lint(repo, "--remote")) == [("include-unresolved", ".gitlab-ci.yml", 4)]
    assert places(lint(repo, "--remote")) == [("include-unresolved", ".gitlab-ci.yml", 4)]
    assert stub.paths().count(missing) == 2
    # The branch moves on and the file is there.
    stub.projects["platform/ci-templates"].add_commit("main", {"later.yml": LATER})
    assert places(lint(repo, "--remote")) == [
        ("unpinned-docker-image", "platform/ci-templates@main:later.yml", 2)]


LATER = "later-job:\n  image: docker:latest\n  script: [make]\n"


def test_a_project_hidden_at_a_commit_is_asked_again_with_a_token(
        stub: GitLabStub, monkeypatch: pytest.MonkeyPatch, write: Any, repo: Path) -> None:
    # GitLab answers `404 Project Not Found` for a private project it hides from an
    # anonymous reader: that says nothing about the file at the commit.
    project = stub.projects["platform/ci-templates"]
    project.private = True
    sha = project.add_commit("main", {"later.yml": LATER})
    write(".gitlab-ci.yml", f"include:\n  - project: platform/ci-templates\n    ref: {sha}\n"
                            "    file: later.yml\n")
    assert places(lint(repo, "--remote")) == [("include-unresolved", ".gitlab-ci.yml", 4)]
    monkeypatch.setenv("CIGEN_GITLAB_TOKEN", TOKEN)
    assert places(lint(repo, "--remote")) == [
        ("unpinned-docker-image", f"platform/ci-templates@{sha}:later.yml", 2)]


def test_a_rate_limit_without_retry_after_is_retried_once(stub: GitLabStub,
                                                          repo: Path) -> None:
    raw = "/api/v4/projects/platform%2Fci-templates/repository/files/templates%2Fdocker.yml/raw"
    stub.rate_limits[raw] = 1
    stub.retry_after[raw] = None
    assert places(lint(repo, "--remote", "--no-cache")) == REMOTE_FINDINGS
    assert stub.paths().count(raw) == 2


def test_a_lasting_rate_limit_without_retry_after_is_a_finding(stub: GitLabStub,
                                                               repo: Path) -> None:
    raw = "/api/v4/projects/platform%2Fci-templates/repository/files/templates%2Fdocker.yml/raw"
    stub.rate_limits[raw] = 100
    stub.retry_after[raw] = None
    result = lint(repo, "--remote", "--no-cache")
    messages = [finding["message"] for finding in result.findings()
                if finding["rule"] == "include-unresolved"]
    assert len(messages) == 1 and "limits requests (429)" in messages[0]
    assert "asks to wait" not in messages[0]
    assert stub.paths().count(raw) == 2  # one retry, not the full number of attempts


def test_the_rule_summary_speaks_of_both_modes() -> None:
    table = run_cigen("rules", "--format", "markdown").stdout
    row = next(line for line in table.splitlines() if "`include-unresolved`" in line)
    assert "offline" in row and "--remote" in row
