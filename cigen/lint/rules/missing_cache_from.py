"""An image build on a fresh daemon has no cache to start from.

## What it does
Reports `docker build` / `docker buildx build` with no `--cache-from` when the
build runs against a daemon that starts empty in every job: a `docker:*dind*`
service, a `DOCKER_HOST` pointing at the dind alias `docker`, or a buildx
builder the job creates itself. A `--no-cache` build asks for a clean build on
purpose and is not reported.

## Why is this bad?
Every pipeline rebuilds every layer from scratch: slower builds, more pulls of
base images (Docker Hub rate limits), more runner minutes. On a shell runner or
with socket binding the host daemon keeps its cache, so nothing is reported
there.

## Example
```yaml
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script:
    - docker build --pull -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA" .
```

## Use instead
```yaml
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script:
    - docker pull "$CI_REGISTRY_IMAGE:cache" || true
    - >
      docker build --pull
      --cache-from "$CI_REGISTRY_IMAGE:cache"
      --build-arg BUILDKIT_INLINE_CACHE=1
      -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA" .
    # A scheduled clean rebuild (fresh base image and packages) wants no cache.
    - docker build --pull --no-cache -t "$CI_REGISTRY_IMAGE:nightly" .
```

## Fix safety
Unsafe (offered with `--unsafe-fixes`): the build's first `-t` image becomes
its cache source, with inline cache metadata written into it
(`--cache-from IMAGE --build-arg BUILDKIT_INLINE_CACHE=1`; for `buildx`,
`--cache-to type=inline`). What is pushed changes slightly, and the first
pipeline after the fix still builds from scratch.
"""

from collections.abc import Iterator

from cigen.jobs.arguments import docker_arguments, has_option, option_values
from cigen.jobs.cache_flow import asks_no_cache
from cigen.jobs.facts import DockerBuild
from cigen.lint.findings import Severity
from cigen.lint.fix import Fix, fix_of, insert_at
from cigen.lint.rules import Hit, PipelineContext

CODE = "CG105"
NAME = "missing-cache-from"
SEVERITY = Severity.WARNING
FIXABLE = True
SUMMARY = "A build on an ephemeral daemon (dind, fresh buildx builder) imports no layer cache"


def check(context: PipelineContext) -> Iterator[Hit]:
    for facts in context.jobs:
        fresh_builder = facts.builds_with_buildkit_builder
        if not facts.ephemeral_daemon and not fresh_builder:
            continue
        for build in facts.docker_builds:
            if not facts.ephemeral_daemon and not build.buildx:
                continue
            words = facts.expand_words(build.arguments)
            # A `--no-cache` build asks for a clean build: a cache source would go unused.
            if has_option(words, "--cache-from") or asks_no_cache(words):
                continue
            where = "a fresh dind daemon" if facts.ephemeral_daemon else "a new buildx builder"
            yield Hit(build.command.span,
                      f"`{' '.join(build.command.argv[:3 if build.buildx else 2])}` on {where} "
                      "has no --cache-from: every layer is rebuilt in every pipeline",
                      [facts.name], _cache_fix(build))


def _cache_fix(build: DockerBuild) -> Fix | None:
    tags = option_values(build.arguments, "-t", "--tag")
    if not tags:
        return None
    image = tags[0][0].raw
    subcommand = docker_arguments(build.command)[1 if build.buildx else 0]
    if [word.text for word in docker_arguments(build.command)[:1]] == ["image"]:
        return None
    writes = "--cache-to type=inline" if build.buildx else "--build-arg BUILDKIT_INLINE_CACHE=1"
    return fix_of("build from the previous image's inline cache", False,
                  insert_at(build.command, subcommand, f" --cache-from {image} {writes}",
                            after=True))
