"""`--cache-from IMAGE` that BuildKit never uses.

## What it does
Reports `docker build --cache-from IMAGE` (and `docker buildx build`) under
BuildKit — the default builder since Docker 23 — when no job of the pipeline
writes cache metadata into that image: no build that tags it with
`--build-arg BUILDKIT_INLINE_CACHE=1` or `--cache-to type=inline`, no
`--cache-to type=registry,ref=IMAGE`, no kaniko `--cache=true --cache-repo`,
and no `docker tag`/`crane tag`/`skopeo copy` of such an image into it. Any
job may do the writing: a `main`-only job that pushes `:cache` with inline
metadata fills the cache every other job reads. The same holds for
`--cache-from type=registry,ref=X`, which only an export fills.

A build that exports cache itself is not reported for a plain image source
(a release job may promote its image to that tag where the file cannot see),
nor is a `--no-cache` build. Builds that turn BuildKit off
(`DOCKER_BUILDKIT=0`) or run an older `docker:<version>` image use the legacy
builder, which can reuse any pulled image, and are not reported. Nothing is
reported when the source is a variable the file never defines, or when the
pipeline includes files cigen cannot read (a job there may fill the cache).

## Why is this bad?
The classic `docker pull IMG || true; docker build --cache-from IMG` pattern
looks cached but silently rebuilds everything: BuildKit only reuses layers
from an image that carries inline cache metadata, or from a registry cache
exported with `--cache-to`.

## Example
```yaml
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script:
    - docker pull "$CI_REGISTRY_IMAGE:cache" || true
    - docker build --cache-from "$CI_REGISTRY_IMAGE:cache" -t "$CI_REGISTRY_IMAGE:dev" .
```

## Use instead
```yaml
.dind:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
build:
  extends: .dind
  script:
    - docker pull "$CI_REGISTRY_IMAGE:cache" || true
    - docker build --cache-from "$CI_REGISTRY_IMAGE:cache" -t "$CI_REGISTRY_IMAGE:dev" .
# The default branch refreshes the cache image, with inline metadata, for every job.
refresh-cache:
  extends: .dind
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  script:
    - >
      docker build --cache-from "$CI_REGISTRY_IMAGE:cache"
      --build-arg BUILDKIT_INLINE_CACHE=1 -t "$CI_REGISTRY_IMAGE:cache" .
    - docker push "$CI_REGISTRY_IMAGE:cache"
registry-cache:
  extends: .dind
  script:
    - docker buildx create --use --driver docker-container
    - >
      docker buildx build --push
      --cache-from type=registry,ref=$CI_REGISTRY_IMAGE/cache:app
      --cache-to type=registry,ref=$CI_REGISTRY_IMAGE/cache:app,mode=max
      -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA" .
```

## Fix safety
Unsafe (offered with `--unsafe-fixes`): `--build-arg BUILDKIT_INLINE_CACHE=1`
is added after the `--cache-from` value. The pushed image then carries cache
metadata (slightly larger config), and the cache only hits from the second
pipeline on, once that image is the one the build reads. No fix is offered
for a `type=registry` source: exporting a registry cache needs a builder
with the `docker-container` driver.
"""

from collections.abc import Iterator

from cigen.jobs.cache_flow import (
    CacheSource,
    PipelineCache,
    asks_no_cache,
    cache_sources,
    pipeline_cache,
    wholly_unknown,
    writes_any_cache,
)
from cigen.jobs.facts import DockerBuild, JobFacts
from cigen.lint.findings import Severity
from cigen.lint.fix import fix_of, insert_at
from cigen.lint.rules import Hit, PipelineContext

CODE = "CG106"
NAME = "ineffective-cache-from"
SEVERITY = Severity.WARNING
FIXABLE = True
SUMMARY = "--cache-from an image without inline cache metadata never hits under BuildKit"

FIRST_BUILDKIT_DEFAULT = (23,)


def _legacy_builder(facts: JobFacts, build: DockerBuild) -> bool:
    """The build runs on the classic builder, which reuses any pulled image."""
    if build.buildx:
        return False
    setting = (facts.variable("DOCKER_BUILDKIT") or "").strip()
    if setting in ("0", "false"):
        return True
    version = facts.docker_version
    return setting != "1" and version is not None and version < FIRST_BUILDKIT_DEFAULT


def check(context: PipelineContext) -> Iterator[Hit]:
    cache: PipelineCache | None = None
    for facts in context.jobs:
        for build in facts.docker_builds:
            if _legacy_builder(facts, build):
                continue
            sources = cache_sources(facts, build)
            if not sources or asks_no_cache(facts.expand_words(build.arguments)):
                continue
            if cache is None:
                cache = pipeline_cache(context.jobs, context.pipeline.unresolved_includes,
                                       context.pipeline.is_whole_pipeline())
            missed = _first_miss(facts, build, sources, cache)
            if missed is not None:
                yield _hit(facts, build, missed)


def _first_miss(facts: JobFacts, build: DockerBuild, sources: list[CacheSource],
                cache: PipelineCache) -> CacheSource | None:
    """The first cache source nothing in view fills, when that is certain."""
    # A build that exports cache itself is set up for caching: its plain image
    # source may be filled by a promotion the file does not show (a release
    # re-tag). A registry cache is only ever filled by an export, so it is not.
    exports = writes_any_cache(facts, build)
    for source in sources:
        if exports and not source.registry_form:
            continue
        if cache.may_hit(source.value) or wholly_unknown(source.value):
            continue
        if not cache.complete:
            continue
        return source
    return None


def _hit(facts: JobFacts, build: DockerBuild, source: CacheSource) -> Hit:
    span = build.command.locate(source.word)
    if source.registry_form:
        return Hit(span,
                   f"--cache-from `{source.value}` never hits: no job of the pipeline exports "
                   "a cache there (add --cache-to type=registry,ref=...,mode=max to the build "
                   "that should fill it)", [facts.name])
    fix = fix_of("write inline cache metadata", False,
                 insert_at(build.command, source.word, " --build-arg BUILDKIT_INLINE_CACHE=1",
                           after=True))
    return Hit(span,
               f"--cache-from `{source.value}` never hits under BuildKit: no job of the "
               "pipeline writes cache metadata into that image (add --build-arg "
               "BUILDKIT_INLINE_CACHE=1, or use --cache-to/--cache-from type=registry)",
               [facts.name], fix)
