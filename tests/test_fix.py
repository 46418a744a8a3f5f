"""`cigen lint --fix`/`--diff`: only the offending text changes, nothing is lost,
a second run is a no-op, and broken files are never written."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CORPUS, Result

Write = Callable[[str, str | bytes], Path]
Cigen = Callable[..., Result]

PIPELINE = """\
# Build and publish the image.
variables:
  DOCKER_DRIVER: vfs     # slow, but "safe"
  IMAGE: "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME"

.login: &login
  - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" $CI_REGISTRY

build:
  tags: [shell]
  before_script: *login
  script:
    - docker build -t $IMAGE .
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_BRANCH"   # branch tag
    - |
      docker login --username=ci --password=$TOKEN registry.example.com
      echo done
"""
FIXED = """\
# Build and publish the image.
variables:
  DOCKER_DRIVER: overlay2     # slow, but "safe"
  IMAGE: "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG"

.login: &login
  - echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" --password-stdin $CI_REGISTRY

build:
  tags: [shell]
  before_script: *login
  script:
    - docker build -t $IMAGE .
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG"   # branch tag
    - |
      echo "$TOKEN" | docker login --username=ci --password-stdin registry.example.com
      echo done
"""


def test_safe_fixes_change_only_the_offending_text(write: Write, cigen: Cigen,
                                                   tmp_path: Path) -> None:
    path = write(".gitlab-ci.yml", PIPELINE)
    result = cigen("lint", "--fix", cwd=tmp_path)
    assert path.read_text() == FIXED
    assert result.exit_code == 0, result.stdout
    assert "Fixed 5 problems" in result.stdout
    again = cigen("lint", "--fix", cwd=tmp_path)
    assert path.read_text() == FIXED
    assert "Fixed" not in again.stdout


def test_diff_writes_nothing(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    path = write(".gitlab-ci.yml", PIPELINE)
    result = cigen("lint", "--diff", cwd=tmp_path)
    assert path.read_text() == PIPELINE
    assert result.exit_code == 1
    assert result.stdout.startswith("--- a/.gitlab-ci.yml\n+++ b/.gitlab-ci.yml\n")
    assert "-  DOCKER_DRIVER: vfs     # slow, but \"safe\"\n" in result.stdout
    assert "+  DOCKER_DRIVER: overlay2     # slow, but \"safe\"\n" in result.stdout
    clean = write("clean.gitlab-ci.yml", "a:\n  script: [make]\n")
    nothing = cigen("lint", "--diff", clean.name, cwd=tmp_path)
    assert nothing.exit_code == 0
    assert nothing.stdout == ""


def test_unsafe_fixes_only_when_asked(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    text = """\
.dind:
  image: docker:latest
  services:
    - docker:dind   # cigen: ignore[privileged-dind] dedicated runner
  variables:
    DOCKER_HOST: tcp://docker:2375
    DOCKER_TLS_CERTDIR: ""
build:
  extends: .dind
  script:
    - docker build --cache-from "$CI_REGISTRY_IMAGE:latest" -t "$CI_REGISTRY_IMAGE:dev" .
    - docker build -t "$CI_REGISTRY_IMAGE:other" other/
"""
    path = write(".gitlab-ci.yml", text)
    safe_only = cigen("lint", "--fix", cwd=tmp_path)
    assert path.read_text() == text
    assert safe_only.exit_code == 1
    fixed = cigen("lint", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert fixed.exit_code == 0, fixed.stdout
    assert path.read_text() == text.replace(
        "docker:latest", "docker:29.1-cli").replace(
        "docker:dind ", "docker:29.1-dind ").replace(
        "2375", "2376").replace('DOCKER_TLS_CERTDIR: ""', 'DOCKER_TLS_CERTDIR: "/certs"').replace(
        ':latest" -t', ':latest" --build-arg BUILDKIT_INLINE_CACHE=1 -t').replace(
        "docker build -t \"$CI_REGISTRY_IMAGE:other\"",
        "docker build --cache-from \"$CI_REGISTRY_IMAGE:other\" "
        "--build-arg BUILDKIT_INLINE_CACHE=1 -t \"$CI_REGISTRY_IMAGE:other\"")


def test_fixes_in_included_files_edit_those_files(write: Write, cigen: Cigen,
                                                  tmp_path: Path) -> None:
    included = write("ci/login.yml", ".login:\n  before_script:\n"
                                     "    - docker login -p $PASS registry.example.com\n")
    main = write(".gitlab-ci.yml", "include: ci/login.yml\nbuild:\n  extends: .login\n"
                                   "  tags: [shell]\n  script: [make]\n")
    before = main.read_bytes()
    cigen("lint", "--fix", cwd=tmp_path)
    assert main.read_bytes() == before
    assert included.read_text().endswith(
        '    - echo "$PASS" | docker login --password-stdin registry.example.com\n')


def test_crlf_bom_and_file_mode_are_kept(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    text = "\ufeffa:\r\n  variables:\r\n    DOCKER_DRIVER: vfs\r\n  script: [make]\r\n"
    path = write(".gitlab-ci.yml", text.encode("utf-8"))
    path.chmod(0o640)
    cigen("lint", "--fix", cwd=tmp_path)
    assert path.read_bytes() == text.replace("vfs", "overlay2").encode("utf-8")
    assert path.stat().st_mode & 0o777 == 0o640
    assert [item.name for item in tmp_path.iterdir() if item.name.startswith(".cigen-")] == []


def test_broken_files_are_never_written(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    broken = "a:\n  variables:\n    DOCKER_DRIVER: vfs\n  script: [make\n"
    path = write(".gitlab-ci.yml", broken)
    result = cigen("lint", "--fix", cwd=tmp_path)
    assert path.read_text() == broken
    assert result.exit_code == 1
    assert "invalid-syntax" in result.stdout


def test_quoted_scalars_with_escapes_are_not_guessed_at(write: Write, cigen: Cigen,
                                                        tmp_path: Path) -> None:
    text = 'a:\n  tags: [shell]\n  script:\n    - "docker login -p \\"$P\\" r"\n'
    path = write(".gitlab-ci.yml", text)
    result = cigen("lint", "--fix", cwd=tmp_path)
    assert path.read_text() == text
    assert "registry-password-argv" in result.stdout


CORPUS_FILES = ["003", "005", "034", "113", "124", "145", "183"]


@pytest.mark.skipif(not (CORPUS / "pipelines").is_dir(), reason="shared corpus not present")
@pytest.mark.parametrize("number", CORPUS_FILES)
def test_real_files(number: str, cigen: Cigen, tmp_path: Path) -> None:
    """On real files: the fixed rules go away, the result parses, lines more than
    three lines away from a finding are byte-identical, and a second run is a no-op."""
    (tmp_path / ".git").mkdir()
    source = CORPUS / "pipelines" / f"{number}.gitlab-ci.yml"
    path = tmp_path / source.name
    shutil.copyfile(source, path)
    before = cigen("lint", "--format", "json", "--select",
                   "registry-password-argv,ref-name-tag", path.name, cwd=tmp_path).findings()
    assert before, "the file should have something to fix"
    cigen("lint", "--fix", "--select", "registry-password-argv,ref-name-tag", path.name,
          cwd=tmp_path)
    after = cigen("lint", "--format", "json", "--select", "registry-password-argv,ref-name-tag",
                  "--select", "invalid-syntax", path.name, cwd=tmp_path)
    leftover = [finding for finding in after.findings() if finding["fixable"]]
    assert leftover == []
    assert "invalid-syntax" not in [finding["rule"] for finding in after.findings()]
    original = source.read_text().splitlines(keepends=True)
    fixed = path.read_text().splitlines(keepends=True)
    assert len(original) == len(fixed)
    near = {finding["line"] + offset for finding in before for offset in range(-3, 4)}
    for number_, (old, new) in enumerate(zip(original, fixed, strict=True), start=1):
        if number_ not in near:
            assert old == new, number_
    snapshot = path.read_bytes()
    cigen("lint", "--fix", "--select", "registry-password-argv,ref-name-tag", path.name,
          cwd=tmp_path)
    assert path.read_bytes() == snapshot


@pytest.mark.skipif(not (CORPUS / "batch2" / "pipelines").is_dir(),
                    reason="shared corpus not present")
def test_every_corpus_file_fixed_at_once_changes_only_what_was_reported(
        cigen: Cigen, tmp_path: Path) -> None:
    """Both batches in one `--fix` run: every safe fix applies, no file stops
    parsing, the line count stays, and only lines near a finding change."""
    (tmp_path / ".git").mkdir()
    originals: dict[str, bytes] = {}
    for folder, prefix in ((CORPUS / "pipelines", ""), (CORPUS / "batch2" / "pipelines", "b2-")):
        for source in sorted(folder.glob("*.gitlab-ci.yml")):
            name = prefix + source.name
            originals[name] = source.read_bytes()
            (tmp_path / name).write_bytes(originals[name])
    before = cigen("lint", "--format", "json", ".", cwd=tmp_path, timeout=300).findings()
    assert [finding for finding in before if finding["fixable"]], "the corpus has fixes"
    cigen("lint", "--fix", ".", cwd=tmp_path, timeout=300)
    after = cigen("lint", "--format", "json", ".", cwd=tmp_path, timeout=300).findings()
    assert [finding for finding in after if finding["fixable"]] == []
    broken_before = {finding["path"] for finding in before if finding["rule"] == "invalid-syntax"}
    assert {finding["path"] for finding in after
            if finding["rule"] == "invalid-syntax"} == broken_before
    near: dict[str, set[int]] = {}
    for finding in before:
        near.setdefault(finding["path"], set()).update(
            range(finding["line"] - 3, finding["line"] + 4))
    for name, original in originals.items():
        fixed = (tmp_path / name).read_bytes()
        old_lines, new_lines = original.splitlines(keepends=True), fixed.splitlines(keepends=True)
        assert len(old_lines) == len(new_lines), name
        changed = [number for number, (old, new) in
                   enumerate(zip(old_lines, new_lines, strict=True), start=1) if old != new]
        assert set(changed) <= near.get(name, set()), (name, changed)


def test_script_line_mapping_is_quoted(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    path = write(".gitlab-ci.yml", """\
upload:
  script:
    - curl -H "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file it's.tgz "$URL"  # keep me
""")
    result = cigen("lint", "--fix", cwd=tmp_path)
    assert path.read_text() == """\
upload:
  script:
    - 'curl -H "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file it''s.tgz "$URL"'  # keep me
"""
    assert result.exit_code == 0, result.stdout


def test_unused_suppressions_are_removed(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    path = write(".gitlab-ci.yml", """\
build:
  image: docker:29.1-cli  # cigen: ignore[unpinned-docker-image] pinned by the mirror
  # cigen: ignore[registry-password-argv] no longer needed
  script:
    - docker info  # cigen: ignore[no-such-rule] a typo stays for a person
""")
    cigen("lint", "--fix", cwd=tmp_path)
    assert path.read_text() == """\
build:
  image: docker:29.1-cli
  script:
    - docker info  # cigen: ignore[no-such-rule] a typo stays for a person
"""


def test_fix_needs_files(cigen: Cigen, tmp_path: Path) -> None:
    result = cigen("lint", "--fix", "-", stdin="a:\n  script: [make]\n", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == "cigen: error: --fix and --diff need files, not standard input\n"


RUNNER_CONFIG = """\
concurrent = 4

[[runners]]
  name = "dind"   # for image builds
  executor = "docker"
  [runners.docker]
    image = "docker:29.1-cli"
    privileged = true  # cigen: ignore[privileged-runner] dind runner for one project
    volumes = ["/cache"]

[[runners]]
  name = "dind-empty"
  executor = "docker"
  [runners.docker]
    privileged = true  # cigen: ignore[privileged-runner] also for dind
    volumes = []

[[runners]]
  name = "dind-none"
  executor = "docker"
  [runners.docker]
    privileged = true  # cigen: ignore[privileged-runner] also for dind
    shm_size = 0

[[runners]]
  name = "dind-multiline"
  executor = "docker"
  [runners.docker]
    privileged = true  # cigen: ignore[privileged-runner] also for dind
    volumes = [
      "/cache",  # shared cache
    ]

[[runners]]
  name = "inline"
  executor = "docker"
  docker = { privileged = true }  # cigen: ignore[privileged-runner] no fix offered here
"""


def test_runner_certs_volume_is_added(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    import tomllib

    config = write("config.toml", RUNNER_CONFIG.replace("\n", "\r\n"))
    result = cigen("lint", "--fix", "--format", "json", "config.toml", cwd=tmp_path)
    assert result.exit_code == 1, result.stderr
    assert [(f["rule"], f["line"]) for f in result.findings()] == [
        ("runner-dind-certs-volume", 38)]
    text = config.read_bytes().decode("utf-8")
    assert text.count("\r\n") == text.count("\n")  # line endings kept
    lines = text.replace("\r\n", "\n").splitlines()
    assert lines[8] == '    volumes = ["/certs/client", "/cache"]'
    assert lines[15] == '    volumes = ["/certs/client"]'
    assert lines[21:24] == [
        "    privileged = true  # cigen: ignore[privileged-runner] also for dind",
        '    volumes = ["/certs/client"]', "    shm_size = 0"]
    assert lines[30:33] == ['    volumes = ["/certs/client",', '      "/cache",  # shared cache',
                            "    ]"]
    volumes = [runner.get("docker", {}).get("volumes")
               for runner in tomllib.loads(text)["runners"]]
    assert volumes == [["/certs/client", "/cache"], ["/certs/client"], ["/certs/client"],
                       ["/certs/client", "/cache"], None]
    again = cigen("lint", "--fix", "config.toml", cwd=tmp_path)
    assert config.read_bytes().decode("utf-8") == text and "Fixed" not in again.stdout
