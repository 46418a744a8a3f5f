"""`--cache-from IMAGE` that BuildKit never uses.

## What it does
Reports `docker build --cache-from IMAGE` (and `docker buildx build`) under
BuildKit — the default builder since Docker 23 — when nothing writes cache
metadata into that image: no `--build-arg BUILDKIT_INLINE_CACHE=1` and no
`--cache-to`. Builds that turn BuildKit off (`DOCKER_BUILDKIT=0`) or run an
older `docker:<version>` image use the legacy builder, which can reuse any
pulled image, and are not reported.

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
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script:
    - docker pull "$CI_REGISTRY_IMAGE:cache" || true
    - >
      docker build --cache-from "$CI_REGISTRY_IMAGE:cache"
      --build-arg BUILDKIT_INLINE_CACHE=1 -t "$CI_REGISTRY_IMAGE:dev" .
```

## Fix safety
Unsafe (offered with `--unsafe-fixes`): `--build-arg BUILDKIT_INLINE_CACHE=1`
is added after the `--cache-from` value. The pushed image then carries cache
metadata (slightly larger config), and the cache only hits from the second
pipeline on.
"""

from collections.abc import Iterator

from cigen.jobs.arguments import has_option, option_values
from cigen.lint.findings import Severity
from cigen.lint.fix import fix_of, insert_at
from cigen.lint.rules import Hit, PipelineContext

CODE = "CG106"
NAME = "ineffective-cache-from"
SEVERITY = Severity.WARNING
FIXABLE = True
SUMMARY = "--cache-from an image without inline cache metadata never hits under BuildKit"

FIRST_BUILDKIT_DEFAULT = (23,)


def check(context: PipelineContext) -> Iterator[Hit]:
    for facts in context.jobs:
        buildkit_setting = (facts.variable("DOCKER_BUILDKIT") or "").strip()
        for build in facts.docker_builds:
            if not build.buildx:
                if buildkit_setting in ("0", "false"):
                    continue
                version = facts.docker_version
                if buildkit_setting != "1" and version is not None \
                        and version < FIRST_BUILDKIT_DEFAULT:
                    continue
            words = facts.expand_words(build.arguments)
            sources = [(word, value) for word, value in option_values(words, "--cache-from")
                       if "type=" not in value]
            if not sources or has_option(words, "--cache-to"):
                continue
            build_args = [value for _, value in option_values(words, "--build-arg")]
            if any(arg.replace(" ", "") in ("BUILDKIT_INLINE_CACHE=1", "BUILDKIT_INLINE_CACHE=true")
                   for arg in build_args):
                continue
            if "BUILDKIT_INLINE_CACHE" in build_args and \
                    (facts.variable("BUILDKIT_INLINE_CACHE") or "") in ("1", "true"):
                continue
            word, value = sources[0]
            span = build.command.locate(word)
            fix = fix_of("write inline cache metadata", False,
                         insert_at(build.command, word, " --build-arg BUILDKIT_INLINE_CACHE=1",
                                   after=True))
            yield Hit(span,
                      f"--cache-from `{value}` never hits under BuildKit: the image carries no "
                      "cache metadata (add --build-arg BUILDKIT_INLINE_CACHE=1, or use "
                      "--cache-to/--cache-from type=registry)", [facts.name], fix)
