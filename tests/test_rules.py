"""Each rule on real-world shapes: what fires, at which line, for which jobs,
and the look-alikes that must stay silent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Lint = Callable[[str], list[tuple[str, int]]]


@pytest.fixture
def lint(write: Callable[[str, str], Path], cigen: Callable[..., Result]) -> Lint:
    """Lint one `.gitlab-ci.yml` and return (rule, line) pairs."""

    def _lint(text: str) -> list[tuple[str, int]]:
        path = write(".gitlab-ci.yml", text)
        result = cigen("lint", "--format", "json", "--fail-on", "info", ".gitlab-ci.yml",
                       cwd=path.parent)
        assert result.exit_code in (0, 1), result.stderr
        assert "Traceback" not in result.stderr
        return [(finding["rule"], finding["line"]) for finding in result.findings()]

    return _lint


def only(findings: list[tuple[str, int]], rule: str) -> list[int]:
    return [line for name, line in findings if name == rule]


# -- privileged-dind -----------------------------------------------------------

def test_dind_with_registry_prefix_and_alias(lint: Lint) -> None:
    findings = lint("""\
build:
  image: registry.example.com/mirror/docker:29.1-cli
  services:
    - name: registry.example.com/mirror/docker:29.1-dind
      alias: docker
  variables:
    DOCKER_TLS_CERTDIR: /certs
  script: [docker info]
""")
    assert only(findings, "privileged-dind") == [4]


def test_plain_docker_tags_of_docker_23_and_later_are_dind_as_services(lint: Lint) -> None:
    # Since Docker 23 `docker:<version>` and `docker:latest` are the dind variant
    # (docker-library's tag list: `26.1.1-dind, …, 26.1.1, 26.1, 26, latest`): as a
    # service it starts dockerd. `-cli`, 20.10 and older, and other images named
    # after dind are not the Docker image's dind variant.
    findings = lint("""\
a:
  image: alpine:3.20
  services: ["docker:29.1", {name: "docker:26.1.1", command: ["--experimental"]}]
  script: [echo]
b:
  image: alpine:3.20
  services: ["docker:29.1-cli", "docker:20.10", "docker:stable", "sylus/gitlab-ci:dind"]
  script: [echo]
c:
  image: docker:29.1
  script: [echo]
""")
    assert only(findings, "privileged-dind") == [3, 3]


def test_global_services_unused_by_any_job_still_count(lint: Lint) -> None:
    findings = lint("""\
services:
  - docker:27.3-dind
a:
  services: []
  script: [echo]
""")
    assert only(findings, "privileged-dind") == [2]


# -- dind-tls-disabled ---------------------------------------------------------

def test_tls_disabled_three_ways(lint: Lint) -> None:
    findings = lint("""\
variables:
  DOCKER_TLS_CERTDIR: ""
  DOCKER_HOST: tcp://docker:2375
build:
  image: docker:29.1-cli
  services:
    - name: docker:29.1-dind
      command: ["--tls=false"]
  script: [docker info]
""")
    assert only(findings, "dind-tls-disabled") == [2, 3, 8]


def test_tls_variables_without_dind_are_not_reported(lint: Lint) -> None:
    findings = lint("""\
variables:
  DOCKER_TLS_CERTDIR: ""
shell-job:
  tags: [shell]
  script: [docker info]
""")
    assert only(findings, "dind-tls-disabled") == []


# -- docker-socket-mount ------------------------------------------------------

def test_socket_via_docker_host_and_run_volume(lint: Lint) -> None:
    findings = lint("""\
a:
  image: docker:29.1-cli
  variables:
    DOCKER_HOST: unix:///var/run/docker.sock
  script:
    - docker run --rm -v /var/run/docker.sock:/var/run/docker.sock aquasec/trivy:0.58.0 image x
    - docker run --rm --mount type=bind,source=/var/run/docker.sock,target=/s alpine:3.20 ls
    - docker run --rm -v "$PWD:/src" alpine:3.20 ls
""")
    assert only(findings, "docker-socket-mount") == [4, 6, 7]


# -- vfs-storage-driver -------------------------------------------------------

def test_vfs_for_dockerd_but_not_for_buildah(lint: Lint) -> None:
    findings = lint("""\
docker-build:
  image: docker:29.1-cli
  services:
    - name: docker:29.1-dind  # cigen: ignore[privileged-dind] test
      command: ["--storage-driver=vfs"]
  variables:
    DOCKER_DRIVER: vfs
    DOCKER_TLS_CERTDIR: /certs
  script: [docker info]
buildah-build:
  image: quay.io/buildah/stable:v1.38
  variables:
    STORAGE_DRIVER: vfs
  script: [buildah info]
""")
    assert only(findings, "vfs-storage-driver") == [5, 7]


# -- missing-cache-from / ineffective-cache-from ------------------------------

def test_cache_rules_on_dind(lint: Lint) -> None:
    findings = lint("""\
.dind:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  variables: {DOCKER_TLS_CERTDIR: /certs}
no-cache:
  extends: .dind
  script:
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .
seed-pattern:
  extends: .dind
  script:
    - docker pull "$CI_REGISTRY_IMAGE:latest" || true
    - docker build --cache-from "$CI_REGISTRY_IMAGE:latest" -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .
inline-cache:
  extends: .dind
  variables:
    BUILD_ARGS: --cache-from $CI_REGISTRY_IMAGE:latest --build-arg BUILDKIT_INLINE_CACHE=1
  script:
    - docker build $BUILD_ARGS -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .
registry-cache:
  extends: .dind
  script:
    - docker buildx create --use --driver docker-container
    - >
      docker buildx build --push
      --cache-from type=registry,ref=$CI_REGISTRY_IMAGE:cache
      --cache-to type=registry,ref=$CI_REGISTRY_IMAGE:cache,mode=max
      -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .
legacy-builder:
  extends: .dind
  image: docker:20.10.24
  services: ["docker:20.10.24-dind"]
  script:
    - docker build --cache-from "$CI_REGISTRY_IMAGE:latest" -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .
""")
    assert only(findings, "missing-cache-from") == [8]
    assert only(findings, "ineffective-cache-from") == [13]


def test_shell_runner_build_needs_no_cache(lint: Lint) -> None:
    findings = lint("""\
build:
  tags: [shell]
  script:
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .
""")
    assert only(findings, "missing-cache-from") == []


# -- ref-name-tag ---------------------------------------------------------------

def test_ref_name_directly_through_variables_and_cleaned(lint: Lint) -> None:
    findings = lint("""\
variables:
  IMAGE_TAG: $CI_REGISTRY_IMAGE:$CI_COMMIT_BRANCH
build:
  tags: [shell]
  script:
    - docker build -t $IMAGE_TAG .
    - docker tag $IMAGE_TAG "$CI_REGISTRY_IMAGE:${CI_COMMIT_REF_NAME}"
    - export SAFE=$(echo "$CI_COMMIT_REF_NAME" | tr / -)
    - docker push "$CI_REGISTRY_IMAGE:$SAFE"
    - docker push "$CI_REGISTRY_IMAGE:${CI_COMMIT_REF_NAME//\\//-}"
    - echo "built $CI_COMMIT_REF_NAME"
kaniko:
  image: {name: "gcr.io/kaniko-project/executor:v1.23.2-debug", entrypoint: [""]}
  script:
    - /kaniko/executor --context . --destination "$CI_REGISTRY_IMAGE:$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"
""")
    assert only(findings, "ref-name-tag") == [2, 7, 15]


# -- unconditional-latest -------------------------------------------------------

def test_latest_pushes_and_their_guards(lint: Lint) -> None:
    findings = lint("""\
everywhere:
  tags: [shell]
  script:
    - docker build -t "$CI_REGISTRY_IMAGE" .
    - docker push "$CI_REGISTRY_IMAGE"
default-only:
  tags: [shell]
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  script:
    - docker push "$CI_REGISTRY_IMAGE:latest"
shell-guard:
  tags: [shell]
  script:
    - if [ "$CI_COMMIT_BRANCH" = "$CI_DEFAULT_BRANCH" ]; then docker push "$CI_REGISTRY_IMAGE:latest"; fi
variable-rule-only:
  tags: [shell]
  rules:
    - if: $PUBLISH == "true"
  script:
    - docker buildx build --push -t "$CI_REGISTRY_IMAGE:${CI_COMMIT_TAG:-latest}" .
only-tags:
  tags: [shell]
  only: [tags]
  script:
    - docker push "$CI_REGISTRY_IMAGE:latest"
immutable:
  tags: [shell]
  script:
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"
""")
    assert only(findings, "unconditional-latest") == [5, 21]


# -- registry-password-argv -----------------------------------------------------

def test_password_on_the_command_line(lint: Lint) -> None:
    findings = lint("""\
a:
  tags: [shell]
  before_script:
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
    - docker login --username=u --password=$TOKEN registry.example.com
    - podman login -u u -p"$TOKEN" quay.io
    - echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
    - docker run --rm -p 8080:80 nginx:1.27
  script: [echo]
""")
    assert only(findings, "registry-password-argv") == [4, 5, 6]


# -- unpinned-docker-image / docker-version-mismatch ---------------------------

def test_unpinned_tags_and_mismatched_versions(lint: Lint) -> None:
    findings = lint("""\
a:
  image: docker
  services: ["docker:stable-dind"]
  variables: {DOCKER_TLS_CERTDIR: /certs}
  script: [docker info]
b:
  image: docker.io/library/docker:cli
  script: [docker info]
c:
  image: docker:28.0-cli
  services: ["docker:29.1.2-dind"]
  variables: {DOCKER_TLS_CERTDIR: /certs}
  script: [docker info]
d:
  image: docker:29-cli
  services: ["docker:29.1.2-dind", "postgres:latest"]
  variables: {DOCKER_TLS_CERTDIR: /certs}
  script: [docker info]
e:
  image: docker@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  script: [docker info]
""")
    assert only(findings, "unpinned-docker-image") == [2, 3, 7]
    assert only(findings, "docker-version-mismatch") == [11]


# -- hidden templates ------------------------------------------------------------

def test_template_problem_is_reported_once_with_the_jobs(write: Callable[[str, str], Path],
                                                          cigen: Callable[..., Result]) -> None:
    path = write(".gitlab-ci.yml", """\
.login:
  before_script:
    - docker login -u u -p "$PASSWORD" registry.example.com
build-a:
  extends: .login
  tags: [shell]
  script: [echo a]
build-b:
  extends: .login
  tags: [shell]
  script: [echo b]
""")
    result = cigen("lint", "--format", "json", ".gitlab-ci.yml", cwd=path.parent)
    findings = result.findings()
    assert len(findings) == 1
    assert findings[0]["line"] == 3
    assert findings[0]["jobs"] == ["build-a", "build-b"]
