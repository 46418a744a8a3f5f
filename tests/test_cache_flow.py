"""Build cache across a pipeline: a `--cache-from` hits when some job writes
cache metadata into that image (ineffective-cache-from), and a build on a
fresh daemon without a cache source is reported unless it asks for a clean
build (missing-cache-from)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Write = Callable[[str, str | bytes], Path]
Cigen = Callable[..., Result]
INEFFECTIVE = "ineffective-cache-from"
MISSING = "missing-cache-from"

DIND = """\
.dind:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  variables: {DOCKER_TLS_CERTDIR: /certs}
"""


def _lint(write: Write, cigen: Cigen, text: str, rule: str, name: str = ".gitlab-ci.yml"
          ) -> list[tuple[str, int]]:
    path = write(name, text)
    result = cigen("lint", "--format", "json", "--fail-on", "info", "--select", rule,
                   name, cwd=path.parent.parent if "/" in name else path.parent, timeout=30)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return [(finding["path"], finding["line"]) for finding in result.findings()]


def _lines(findings: list[tuple[str, int]]) -> list[int]:
    return [line for _, line in findings]


def _job(name: str, *lines: str, extra: str = "") -> str:
    body = "".join(f"    - {line}\n" for line in lines)
    return f"{name}:\n  extends: .dind\n{extra}  script:\n{body}"


READ_CACHE = 'docker build --cache-from "$CI_REGISTRY_IMAGE:cache" -t "$CI_REGISTRY_IMAGE:dev" .'


# -- ineffective-cache-from: any job may fill the cache --------------------------

WRITERS = {
    "inline build arg": 'docker build --build-arg BUILDKIT_INLINE_CACHE=1 '
                        '-t "$CI_REGISTRY_IMAGE:cache" .',
    "inline cache-to": 'docker buildx build --push --cache-to type=inline '
                       '-t "$CI_REGISTRY_IMAGE:cache" .',
    "inline through an output name": 'docker buildx build --cache-to type=inline '
                                     '--output "type=image,name=$CI_REGISTRY_IMAGE:cache,'
                                     'push=true" .',
    "registry cache-to": "docker buildx build --cache-to "
                         "type=registry,ref=$CI_REGISTRY_IMAGE:cache,mode=max -t app .",
    "registry cache-to shorthand": 'docker buildx build --cache-to "$CI_REGISTRY_IMAGE:cache" '
                                   '-t app .',
    "buildctl inline export": "buildctl-daemonless.sh build --frontend dockerfile.v0 "
                              "--local context=. --local dockerfile=. --export-cache type=inline "
                              "--output type=image,name=$CI_REGISTRY_IMAGE:cache,push=true",
    "build arg from a variable": 'docker build --build-arg BUILDKIT_INLINE_CACHE '
                                 '-t "$CI_REGISTRY_IMAGE:cache" .',
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_cache_filled_by_another_job_hits(write: Write, cigen: Cigen, writer: str) -> None:
    text = (DIND + _job("read", READ_CACHE)
            + _job("fill", WRITERS[writer], extra="  variables:\n"
                   "    BUILDKIT_INLINE_CACHE: '1'\n    DOCKER_TLS_CERTDIR: /certs\n"
                   "  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n"))
    assert _lint(write, cigen, text, INEFFECTIVE) == []


def test_a_cache_nothing_fills_is_reported_at_the_source(write: Write, cigen: Cigen) -> None:
    text = DIND + _job("read", READ_CACHE) + _job("other", 'docker build -t "$CI_REGISTRY_IMAGE:cache" .')
    assert _lint(write, cigen, text, INEFFECTIVE) == [(".gitlab-ci.yml", 8)]


def test_a_retag_or_copy_carries_the_metadata(write: Write, cigen: Cigen) -> None:
    text = DIND + _job("read", READ_CACHE) + _job(
        "build", "docker build --build-arg BUILDKIT_INLINE_CACHE=1 "
                 '-t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .',
        'docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"') + """\
promote:
  image: gcr.io/go-containerregistry/crane:debug
  script:
    - crane tag "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" cache
"""
    assert _lint(write, cigen, text, INEFFECTIVE) == []
    docker_tag = text.replace('crane tag "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" cache',
                              'docker tag "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" '
                              '"$CI_REGISTRY_IMAGE:cache"')
    assert _lint(write, cigen, docker_tag, INEFFECTIVE) == []


def test_a_commit_sha_tag_is_never_the_cache_tag(write: Write, cigen: Cigen) -> None:
    # https://docs.gitlab.com/ci/variables/predefined_variables/ - CI_COMMIT_SHA is the
    # commit's full hexadecimal SHA, so `:$CI_COMMIT_SHA` is never `:cache`.
    text = DIND + _job("read", READ_CACHE) + _job(
        "build", "docker build --build-arg BUILDKIT_INLINE_CACHE=1 "
                 '-t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .')
    assert _lines(_lint(write, cigen, text, INEFFECTIVE)) == [8]


def test_a_branch_tag_may_be_the_cache_tag(write: Write, cigen: Cigen) -> None:
    text = DIND + _job(
        "build", 'docker build --cache-from "$CI_REGISTRY_IMAGE:main" '
                 "--build-arg BUILDKIT_INLINE_CACHE=1 "
                 '-t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG" .') + _job(
        "test-image", 'docker build --cache-from "$CI_REGISTRY_IMAGE:main" -t test .')
    assert _lint(write, cigen, text, INEFFECTIVE) == []


def test_docker_hub_spellings_name_the_same_image(write: Write, cigen: Cigen) -> None:
    text = DIND + _job("read", "docker build --cache-from docker.io/team/app -t x .") + _job(
        "fill", "docker build --build-arg BUILDKIT_INLINE_CACHE=1 -t team/app:latest .")
    assert _lint(write, cigen, text, INEFFECTIVE) == []


def test_kaniko_cache_repository_counts_as_written(write: Write, cigen: Cigen) -> None:
    text = DIND + _job(
        "read", "docker buildx build --cache-from "
                "type=registry,ref=$CI_REGISTRY_IMAGE/cache:base -t x .") + """\
kaniko:
  image: {name: "gcr.io/kaniko-project/executor:v1.23.2-debug", entrypoint: [""]}
  script:
    - /kaniko/executor --context . --cache=true --cache-repo $CI_REGISTRY_IMAGE/cache
      --destination $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA
"""
    assert _lint(write, cigen, text, INEFFECTIVE) == []


def test_registry_cache_sources_nothing_exports(write: Write, cigen: Cigen) -> None:
    text = DIND + _job(
        "build", "docker buildx create --use --driver docker-container",
        "docker buildx build --push --cache-from type=registry,ref=$CI_REGISTRY_IMAGE:buildcache "
        "--cache-to type=registry,ref=$CI_REGISTRY_IMAGE:buildcache,mode=max -t x .",
        "docker buildx build --cache-from type=registry,ref=$CI_REGISTRY_IMAGE:other -t y .",
        "docker buildx build --cache-from type=registry,ref=$CACHE_REF -t z .",
        "docker buildx build --cache-from type=gha --cache-from type=local,src=/cache -t w .")
    assert _lint(write, cigen, text, INEFFECTIVE) == [(".gitlab-ci.yml", 10)]


def test_a_registry_source_is_not_excused_by_the_build_s_own_export(
        write: Write, cigen: Cigen) -> None:
    text = DIND + _job(
        "build", "docker buildx build --cache-from type=registry,ref=$CI_REGISTRY_IMAGE:old "
                 "--cache-to type=registry,ref=$CI_REGISTRY_IMAGE:new -t x .")
    assert _lines(_lint(write, cigen, text, INEFFECTIVE)) == [8]


def test_a_build_that_exports_inline_itself_is_not_reported(write: Write,
                                                            cigen: Cigen) -> None:
    # The image it pulls may be promoted to that tag where the file cannot see.
    text = DIND + _job(
        "build", 'docker build --cache-from "$CI_REGISTRY_IMAGE:latest" '
                 '--build-arg BUILDKIT_INLINE_CACHE=1 -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .')
    assert _lint(write, cigen, text, INEFFECTIVE) == []


def test_unknown_sources_and_clean_builds_are_silent(write: Write, cigen: Cigen) -> None:
    text = DIND + _job(
        "build", 'docker build --cache-from "$CACHE_IMAGE" -t x .',
        'docker build --no-cache --cache-from "$CI_REGISTRY_IMAGE:cache" -t y .',
        'DOCKER_BUILDKIT=0 docker build --cache-from "$CI_REGISTRY_IMAGE:cache" -t z .')
    assert _lint(write, cigen, text, INEFFECTIVE) == []


def test_an_include_cigen_cannot_read_may_fill_the_cache(write: Write, cigen: Cigen) -> None:
    text = ("include:\n  - project: group/ci-templates\n    file: docker.yml\n"
            + DIND + _job("read", READ_CACHE,
                          "docker buildx build --cache-from type=registry,ref=$CI_REGISTRY_IMAGE"
                          ":buildcache -t x ."))
    assert _lint(write, cigen, text, INEFFECTIVE) == []


def test_a_fragment_may_be_filled_by_the_rest_of_the_pipeline(write: Write,
                                                              cigen: Cigen) -> None:
    text = DIND + _job("read", READ_CACHE)
    assert _lint(write, cigen, text, INEFFECTIVE, name="ci/build.yml") == []
    assert _lint(write, cigen, text, INEFFECTIVE) == [(".gitlab-ci.yml", 8)]


def test_unused_hidden_template_reads_the_pipeline_s_writes(write: Write,
                                                            cigen: Cigen) -> None:
    text = DIND + _job(".read-template", READ_CACHE) + _job(
        ".fill-template", "docker build --build-arg BUILDKIT_INLINE_CACHE=1 "
                          '-t "$CI_REGISTRY_IMAGE:cache" .')
    assert _lint(write, cigen, text, INEFFECTIVE) == []
    alone = DIND + _job(".read-template", READ_CACHE)
    assert _lines(_lint(write, cigen, alone, INEFFECTIVE)) == [8]


def test_the_fix_writes_inline_metadata_only_for_plain_images(write: Write,
                                                              cigen: Cigen) -> None:
    text = DIND + _job(
        "build", READ_CACHE,
        "docker buildx build --cache-from type=registry,ref=$CI_REGISTRY_IMAGE:other -t y .")
    path = write(".gitlab-ci.yml", text)
    result = cigen("lint", "--fix", "--unsafe-fixes", "--select", INEFFECTIVE, path.name,
                   cwd=path.parent)
    assert result.exit_code == 1
    assert path.read_text() == text.replace(
        ':cache" -t', ':cache" --build-arg BUILDKIT_INLINE_CACHE=1 -t')
    assert ".gitlab-ci.yml:9:" in result.stdout


# -- missing-cache-from: a clean build on purpose needs no cache source -----------

def test_a_no_cache_build_needs_no_cache_source(write: Write, cigen: Cigen) -> None:
    text = DIND + _job(
        "clean", 'docker build --no-cache -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .',
        'docker buildx build --no-cache --push -t "$CI_REGISTRY_IMAGE:x" .',
        'docker build --pull -t "$CI_REGISTRY_IMAGE:y" .',
        'docker build --no-cache=false -t "$CI_REGISTRY_IMAGE:z" .')
    assert _lines(_lint(write, cigen, text, MISSING)) == [10, 11]


def test_a_cache_source_in_a_split_variable_counts(write: Write, cigen: Cigen) -> None:
    text = DIND + _job(
        "build", 'docker build $CACHE_ARGS -t "$CI_REGISTRY_IMAGE:x" .',
        extra="  variables:\n    DOCKER_TLS_CERTDIR: /certs\n"
              "    CACHE_ARGS: --cache-from $CI_REGISTRY_IMAGE:cache\n")
    assert _lint(write, cigen, text, MISSING) == []
