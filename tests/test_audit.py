"""`cigen audit`: a fixture group of 50 projects on a stub GitLab API, linted through
the real command line, in one run and in 4 shards merged."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result, run_cigen
from tests.gitlab_stub import GitLabStub

TOKEN = "glpat-audit-t0ken"
CHROMIUM = "/usr/bin/chromium"

TLS_OFF = """\
build:
  image: docker:24.0.7
  services: [docker:24.0.7-dind]
  variables:
    DOCKER_TLS_CERTDIR: ""
  script:
    - docker build --cache-from "$CI_REGISTRY_IMAGE:cache" .
"""
CLEAN = "test:\n  image: python:3.12\n  script: [make test]\n"
LATEST = "build:\n  image: docker:latest\n  script: [docker info]\n"
INCLUDES_TEMPLATE = """\
include:
  - project: platform/ci-templates
    file: templates/docker.yml
test:
  script: [make test]
"""
LOCAL_GLOB = "include:\n  - local: ci/*.yml\ntest:\n  script: [make test]\n"


def build_group(stub: GitLabStub) -> list[str]:
    """50 projects in `acme` (3 of them in a subgroup), an archived one, and the
    template project they include; returns the 50 paths."""
    stub.add_project("platform/ci-templates", {"templates/docker.yml": TLS_OFF})
    paths = []
    for index in range(50):
        path = f"acme/team/svc-{index:02d}" if index >= 47 else f"acme/app-{index:02d}"
        paths.append(path)
        variant = index % 5
        files: dict[str, str] = {
            0: {".gitlab-ci.yml": TLS_OFF},
            1: {".gitlab-ci.yml": INCLUDES_TEMPLATE},
            2: {".gitlab-ci.yml": CLEAN},
            3: {".gitlab-ci.yml": LOCAL_GLOB, "ci/build.yml": LATEST, "ci/README": "x"},
            4: {".gitlab-ci.yml": LATEST,
                "cigen.toml": 'ignore = ["unpinned-docker-image"]\n'},
        }[variant]
        settings: dict[str, Any] = {}
        if index == 7:
            files = {"README.md": "no pipeline here\n"}
        if index == 11:
            files = {}
            settings["branch"] = ""
        if index == 17:
            settings["private"] = True
        if index == 19:
            files = {"ci/pipeline.yml": TLS_OFF}
            settings["ci_config_path"] = "ci/pipeline.yml"
        stub.add_project(path, files or None, **settings)
        if index == 13:
            stub.statuses[f"/api/v4/projects/{path.replace('/', '%2F')}/repository/files/"
                          ".gitlab-ci.yml/raw"] = 403
    stub.add_project("acme/old", {".gitlab-ci.yml": TLS_OFF}, archived=True)
    return paths


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitLabStub]:
    server = GitLabStub(token=TOKEN).start()
    for name in ("CIGEN_GITLAB_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN", "CI_NODE_INDEX",
                 "CI_NODE_TOTAL", "CIGEN_GITLAB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI_SERVER_URL", server.url)
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    build_group(server)
    yield server
    server.stop()


def audit(tmp_path: Path, output: str, *args: str) -> Result:
    return run_cigen("audit", "--group", "acme", "--include-subgroups", "--output-dir",
                     str(tmp_path / output), "--cache-dir", str(tmp_path / "cache"), *args,
                     cwd=tmp_path, cache=True, timeout=300)


def report(tmp_path: Path, output: str) -> dict[str, Any]:
    return json.loads((tmp_path / output / "audit.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def by_project(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["project"]: entry for entry in document["projects"]}


def test_four_shards_merged_give_the_report_of_one_run(
        stub: GitLabStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = audit(tmp_path, "whole", "--jobs", "3")
    assert whole.exit_code == 0, whole.stderr
    for shard in (1, 2, 3):
        assert audit(tmp_path, f"shard-{shard}", "--shard", f"{shard}/4").exit_code == 0
    # The fourth shard as a `parallel: 4` job runs it: from CI_NODE_INDEX/CI_NODE_TOTAL.
    monkeypatch.setenv("CI_NODE_INDEX", "4")
    monkeypatch.setenv("CI_NODE_TOTAL", "4")
    assert audit(tmp_path, "shard-4").exit_code == 0
    monkeypatch.delenv("CI_NODE_INDEX")
    monkeypatch.delenv("CI_NODE_TOTAL")
    sizes = [len(report(tmp_path, f"shard-{shard}")["projects"]) for shard in (1, 2, 3, 4)]
    assert sizes == [13, 13, 12, 12]
    merged = run_cigen("audit", "merge", "--output-dir", str(tmp_path / "merged"),
                       *(str(tmp_path / f"shard-{shard}") for shard in (1, 2, 3, 4)),
                       cwd=tmp_path, timeout=60)
    assert merged.exit_code == 0, merged.stderr
    for name in ("audit.json", "audit.csv", "audit.html"):
        assert (tmp_path / "merged" / name).read_bytes() == \
            (tmp_path / "whole" / name).read_bytes(), name


def test_each_project_is_linted_at_its_default_branch(stub: GitLabStub,
                                                      tmp_path: Path) -> None:
    result = audit(tmp_path, "out")
    assert result.exit_code == 0, result.stderr
    assert "Auditing" not in result.stderr  # no progress bar outside a terminal
    document = report(tmp_path, "out")
    assert document["version"] == 1
    projects = by_project(document)
    assert len(projects) == 50 and "acme/old" not in projects
    assert [entry["project"] for entry in document["projects"]] == sorted(projects)
    sha = stub.projects["acme/app-00"].refs["main"]
    own = projects["acme/app-00"]
    assert (own["ref"], own["sha"], own["status"]) == ("main", sha, "ok")
    assert [(finding["rule"], finding["path"], finding["line"]) for finding in own["findings"]
            ] == [("privileged-dind", "acme/app-00@main:.gitlab-ci.yml", 3),
                  ("dind-tls-disabled", "acme/app-00@main:.gitlab-ci.yml", 5)]
    assert set(own["findings"][0]) >= {"code", "rule", "severity", "message", "path", "line",
                                       "column", "end_line", "end_column", "jobs", "fixable"}
    # A project include, read remotely.
    included = [(finding["rule"], finding["path"], finding["line"])
                for finding in projects["acme/app-01"]["findings"]]
    assert ("dind-tls-disabled", "platform/ci-templates@main:templates/docker.yml", 5) \
        in included
    # A local glob, read from the project's tree at the same commit.
    assert [(finding["rule"], finding["path"]) for finding in projects["acme/app-03"]["findings"]
            ] == [("unpinned-docker-image", "acme/app-03@main:ci/build.yml")]
    assert projects["acme/app-02"]["findings"] == []
    # The project's own cigen.toml ignores the rule.
    assert projects["acme/app-04"]["findings"] == []
    assert projects["acme/app-07"]["status"] == "no-ci"
    assert projects["acme/app-11"]["status"] == "empty"
    assert projects["acme/app-13"]["status"] == "error"
    assert "cannot read it (403)" in projects["acme/app-13"]["message"]
    assert projects["acme/app-17"]["status"] == "ok"  # private: read with the token
    assert projects["acme/app-19"]["findings"][0]["path"] == "acme/app-19@main:ci/pipeline.yml"
    assert projects["acme/team/svc-47"]["status"] == "ok"
    rows = list(csv.DictReader(io.StringIO(
        (tmp_path / "out" / "audit.csv").read_text(encoding="utf-8"))))
    assert len(rows) == sum(len(entry["findings"]) for entry in document["projects"])
    first = next(row for row in rows if row["project"] == "acme/app-00")
    assert first["url"] == f"{stub.url}/acme/app-00/-/blob/{sha}/.gitlab-ci.yml#L3"
    # A finding in an included file links to that file at the commit that was read.
    template_sha = stub.projects["platform/ci-templates"].refs["main"]
    included_row = next(row for row in rows if row["project"] == "acme/app-01")
    assert included_row["url"] == \
        f"{stub.url}/platform/ci-templates/-/blob/{template_sha}/templates/docker.yml#L3"
    page = (tmp_path / "out" / "audit.html").read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page
    assert f'href="{stub.url}/acme/app-00/-/blob/{sha}/.gitlab-ci.yml#L3"' in page
    for output in (result.stdout, result.stderr, page, json.dumps(document)):
        assert TOKEN not in output


def test_archived_projects_and_subgroups_only_when_asked(stub: GitLabStub,
                                                         tmp_path: Path) -> None:
    result = run_cigen("audit", "--group", "acme", "--archived", "--output-dir",
                       str(tmp_path / "out"), "--jobs", "1", cwd=tmp_path, timeout=300)
    assert result.exit_code == 0, result.stderr
    projects = by_project(report(tmp_path, "out"))
    assert "acme/old" in projects
    assert not any(name.startswith("acme/team/") for name in projects)


def test_resume_skips_the_projects_already_audited(stub: GitLabStub, tmp_path: Path) -> None:
    assert audit(tmp_path, "out", "--shard", "1/4").exit_code == 0
    done = report(tmp_path, "out")
    journal = tmp_path / "out" / "audit.partial.jsonl"
    # An interrupted run: the report of shard 1, and two more projects in the journal.
    journal.write_text("".join(json.dumps({**entry, "project": name}) + "\n"
                               for name, entry in (("acme/app-01", done["projects"][0]),
                                                   ("acme/app-02", done["projects"][0]))),
                       encoding="utf-8")
    stub.requests.clear()
    result = audit(tmp_path, "out", "--resume")
    assert result.exit_code == 0, result.stderr
    fetched = {request.path.split("/")[4].replace("%2F", "/") for request in stub.requests
               if request.path.startswith("/api/v4/projects/acme")}
    assert fetched.isdisjoint({entry["project"] for entry in done["projects"]})
    assert "acme/app-01" not in fetched and "acme/app-02" not in fetched
    assert len(report(tmp_path, "out")["projects"]) == 50
    assert not journal.exists()


@pytest.mark.parametrize("shard", ["5/4", "0/4", "x", "1/0"])
def test_a_bad_shard_is_a_usage_error(stub: GitLabStub, tmp_path: Path, shard: str) -> None:
    result = audit(tmp_path, "out", "--shard", shard)
    assert result.exit_code == 2
    assert result.stderr.startswith("cigen: error: --shard: expected I/N")
    assert "Traceback" not in result.stderr


def test_a_group_that_cannot_be_listed_is_a_usage_error(stub: GitLabStub,
                                                        tmp_path: Path) -> None:
    stub.statuses["/api/v4/groups/nobody/projects"] = 404
    result = run_cigen("audit", "--group", "nobody", "--output-dir", str(tmp_path / "out"),
                       cwd=tmp_path, timeout=60)
    assert result.exit_code == 2
    assert "cannot list the projects of group nobody" in result.stderr
    assert "Traceback" not in result.stderr


def test_merge_needs_audit_reports(tmp_path: Path) -> None:
    (tmp_path / "shard").mkdir()
    (tmp_path / "shard" / "audit.json").write_text("[]", encoding="utf-8")
    result = run_cigen("audit", "merge", "--output-dir", str(tmp_path / "out"),
                       str(tmp_path / "shard"), cwd=tmp_path, timeout=60)
    assert result.exit_code == 2
    assert "not a cigen audit report" in result.stderr


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")
def test_the_html_report_opens_in_headless_chromium(stub: GitLabStub, tmp_path: Path) -> None:
    assert audit(tmp_path, "out").exit_code == 0
    document = report(tmp_path, "out")
    page = tmp_path / "out" / "audit.html"
    profile = tmp_path / "chromium-profile"
    shown = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    shutil.rmtree(profile, ignore_errors=True)
    assert shown.returncode == 0, shown.stderr
    findings = [finding for entry in document["projects"] for finding in entry["findings"]]
    assert f'<span id="finding-count">{len(findings)}</span>' in shown.stdout
    tls = sum(1 for finding in findings if finding["rule"] == "dind-tls-disabled")
    assert f'data-rule="dind-tls-disabled">{tls}</td>' in shown.stdout


def test_the_audit_component_runs_the_shards_then_merges_them(
        write: Any, tmp_path: Path) -> None:
    # The component as a project that includes it sees it (GitLab reads
    # templates/<name>.yml of the component project).
    shutil.copy(Path(__file__).parent.parent / "templates" / "audit.yml",
                write("templates/.keep", "").parent / "audit.yml")
    write(".gitlab-ci.yml", "include:\n  - local: templates/audit.yml\n    inputs:\n"
          "      group: acme\n      parallel: 3\nstages: [test]\n")
    lint = run_cigen("lint", "--format", "json", ".gitlab-ci.yml", cwd=tmp_path, timeout=60)
    assert lint.exit_code == 0 and lint.findings() == []
    expanded = run_cigen("expand", "--format", "json", cwd=tmp_path, timeout=60).json()
    shards, merge = expanded["cigen-audit"], expanded["cigen-audit-report"]
    assert shards["parallel"] == 3
    assert '--group "acme" --output-dir "audit-shard-$CI_NODE_INDEX"' in shards["script"][1]
    assert merge["needs"] == ["cigen-audit"]
    assert "cigen audit merge --output-dir cigen-audit audit-shard-*" in merge["script"]


def test_a_projects_own_patterns_match_its_files(stub: GitLabStub, tmp_path: Path) -> None:
    # `per-file-ignores` and `exclude` in a project's cigen.toml are paths in that
    # project, the audited files included.
    stub.add_project("solo/ignores", {
        ".gitlab-ci.yml": LOCAL_GLOB, "ci/build.yml": LATEST,
        "cigen.toml": '[per-file-ignores]\n"ci/*.yml" = ["unpinned-docker-image"]\n'})
    stub.add_project("solo/excludes", {
        ".gitlab-ci.yml": LOCAL_GLOB, "ci/build.yml": LATEST, "ci/other.yml": LATEST,
        "cigen.toml": 'exclude = ["ci/build.yml"]\n'})
    result = run_cigen("audit", "--group", "solo", "--output-dir", str(tmp_path / "out"),
                       "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path, timeout=120)
    assert result.exit_code == 0, result.stderr
    projects = by_project(report(tmp_path, "out"))
    assert projects["solo/ignores"]["status"] == "ok"
    assert projects["solo/ignores"]["findings"] == []
    assert [(finding["rule"], finding["path"]) for finding in
            projects["solo/excludes"]["findings"]] == [
        ("unpinned-docker-image", "solo/excludes@main:ci/other.yml")]


def test_the_templates_readme_lists_every_component() -> None:
    templates = Path(__file__).parent.parent / "templates"
    listed = (templates / "README.md").read_text(encoding="utf-8")
    for component in sorted(templates.glob("*.yml")):
        assert f"`{component.name}`" in listed, component.name
