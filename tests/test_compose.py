"""`docker compose` reads the repository's compose file: the images that
`build --push`/`push` publish feed `unconditional-latest` and `ref-name-tag`,
and the host paths of the services that `up`/`run`/`create` start feed
`docker-socket-mount`. Findings point at the compose command in the pipeline
and name the compose file's line.

Compose's file lookup, `COMPOSE_FILE`, profiles and `.env` interpolation:
https://docs.docker.com/compose/how-tos/environment-variables/ and
https://docs.docker.com/reference/cli/docker/compose/; `push` publishes the
services with a `build:` key (https://docs.docker.com/reference/cli/docker/compose/push/).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Cigen = Callable[..., Result]
Write = Callable[[str, str], Path]

COMPOSE = """\
services:
  app:
    build: .
    image: registry.example.com/team/app:latest
  db:
    image: postgres:16
"""


def lint(write: Write, cigen: Cigen, pipeline: str, files: dict[str, str],
         *rules: str, cache: bool = False) -> Result:
    path = write(".gitlab-ci.yml", pipeline)
    for name, text in files.items():
        write(name, text)
    selection = ",".join(rules or ("unconditional-latest", "ref-name-tag",
                                   "docker-socket-mount"))
    result = cigen("lint", "--format", "json", "--select", selection, ".gitlab-ci.yml",
                   cwd=path.parent, timeout=30, cache=cache)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return result


def found(result: Result) -> list[tuple[str, int]]:
    return sorted((finding["rule"], finding["line"]) for finding in result.findings())


def job(*script: str, keys: str = "") -> str:
    lines = "".join(f"    - {line}\n" for line in script)
    return f"publish:\n  image: docker:29.1-cli\n{keys}  script:\n{lines}"


def test_latest_pushed_through_compose_is_reported_at_the_push(write: Write,
                                                              cigen: Cigen) -> None:
    result = lint(write, cigen, job("docker compose build", "docker compose push"),
                  {"docker-compose.yml": COMPOSE})
    assert found(result) == [("unconditional-latest", 5)]
    message = result.findings()[0]["message"]
    assert "registry.example.com/team/app:latest" in message
    assert "docker-compose.yml:4" in message


@pytest.mark.parametrize("script", [
    ("docker compose build --push",),
    ("docker-compose build", "docker-compose push app"),
    ("docker compose -f ci/compose.yml push",),
])
def test_ways_of_pushing(write: Write, cigen: Cigen, script: tuple[str, ...]) -> None:
    files = {"docker-compose.yml": COMPOSE, "ci/compose.yml": COMPOSE}
    result = lint(write, cigen, job(*script), files)
    assert [rule for rule, _ in found(result)] == ["unconditional-latest"]


@pytest.mark.parametrize(("pipeline", "files"), [
    # The job runs on the default branch only.
    (job("docker compose push",
         keys="  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n"),
     {"docker-compose.yml": COMPOSE}),
    # Only `db` is named, and it has no `build:`: Compose pushes nothing of ours.
    (job("docker compose push db"), {"docker-compose.yml": COMPOSE}),
    # Built, not pushed.
    (job("docker compose build"), {"docker-compose.yml": COMPOSE}),
    # The script moved elsewhere first: which compose file is read is unknown.
    (job("cd deploy", "docker compose push"),
     {"docker-compose.yml": COMPOSE, "deploy/docker-compose.yml": COMPOSE}),
    # A file named by a variable the files never set.
    (job('docker compose -f "$COMPOSE_CI_FILE" push'), {"docker-compose.yml": COMPOSE}),
    # No compose file in the repository, or one that is not YAML.
    (job("docker compose push"), {}),
    (job("docker compose push"), {"docker-compose.yml": "services: [unclosed\n"}),
    # A job variable sets the tag, and wins over `.env` (Compose's precedence).
    (job("docker compose push", keys="  variables:\n    TAG: $CI_COMMIT_SHORT_SHA\n"),
     {"docker-compose.yml": COMPOSE.replace(":latest", ":${TAG}"), ".env": "TAG=latest\n"}),
])
def test_silent_where_no_latest_push_is_known(write: Write, cigen: Cigen, pipeline: str,
                                              files: dict[str, str]) -> None:
    assert found(lint(write, cigen, pipeline, files)) == []


def test_compose_file_named_by_compose_file_variable(write: Write, cigen: Cigen) -> None:
    pipeline = job("docker compose push", keys="  variables:\n    COMPOSE_FILE: ci.yml\n")
    result = lint(write, cigen, pipeline, {"ci.yml": COMPOSE,
                                           "docker-compose.yml": "services: {}\n"})
    assert found(result) == [("unconditional-latest", 6)]


def test_dotenv_supplies_a_tag_the_job_does_not_set(write: Write, cigen: Cigen) -> None:
    files = {"docker-compose.yml": COMPOSE.replace(":latest", ":${TAG}"),
             ".env": "# defaults\nTAG=latest\n"}
    assert found(lint(write, cigen, job("docker compose push"), files)) == [
        ("unconditional-latest", 4)]


def test_raw_branch_name_in_a_compose_image_is_reported_without_a_fix(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    files = {"docker-compose.yml": COMPOSE.replace(":latest", ":${CI_COMMIT_REF_NAME}")}
    pipeline = job("docker compose build", "docker compose push")
    result = lint(write, cigen, pipeline, files, "ref-name-tag")
    assert [(finding["line"], finding["fixable"]) for finding in result.findings()] == [
        (4, False), (5, False)]
    assert "docker-compose.yml:4" in result.findings()[0]["message"]
    before = {name: (tmp_path / name).read_bytes()
              for name in (".gitlab-ci.yml", "docker-compose.yml")}
    cigen("lint", "--fix", "--select", "ref-name-tag", cwd=tmp_path)
    assert {name: (tmp_path / name).read_bytes() for name in before} == before


SOCKET_COMPOSE = """\
services:
  app:
    build: .
  proxy:
    image: traefik:v3.1
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
  agent:
    image: portainer/agent:2.21.0
    profiles: [ops]
    volumes:
      - type: bind
        source: /var/run/docker.sock
        target: /var/run/docker.sock
"""


def test_services_started_with_the_hosts_socket(write: Write, cigen: Cigen) -> None:
    result = lint(write, cigen, job("docker compose up -d"),
                  {"docker-compose.yml": SOCKET_COMPOSE}, "docker-socket-mount")
    assert found(result) == [("docker-socket-mount", 4)]
    message = result.findings()[0]["message"]
    assert "service `proxy`" in message and "docker-compose.yml:7" in message


def test_the_message_names_the_compose_program_as_written(write: Write, cigen: Cigen) -> None:
    result = lint(write, cigen, job("docker-compose up -d"),
                  {"docker-compose.yml": SOCKET_COMPOSE}, "docker-socket-mount")
    assert found(result) == [("docker-socket-mount", 4)]
    assert result.findings()[0]["message"].startswith("`docker-compose up` (service `proxy`")


def test_a_profile_service_counts_when_named(write: Write, cigen: Cigen) -> None:
    result = lint(write, cigen, job("docker compose run --rm agent true"),
                  {"docker-compose.yml": SOCKET_COMPOSE}, "docker-socket-mount")
    assert found(result) == [("docker-socket-mount", 4)]
    assert "service `agent`" in result.findings()[0]["message"]


@pytest.mark.parametrize("script", [
    "docker compose up -d app",
    "docker compose build",
    "docker compose push",
])
def test_commands_that_start_no_socket_service(write: Write, cigen: Cigen,
                                               script: str) -> None:
    result = lint(write, cigen, job(script), {"docker-compose.yml": SOCKET_COMPOSE},
                  "docker-socket-mount")
    assert found(result) == []


def test_a_changed_compose_file_is_read_again_with_the_cache_on(write: Write, cigen: Cigen,
                                                                tmp_path: Path) -> None:
    pipeline = job("docker compose push")
    clean = COMPOSE.replace(":latest", ":${CI_COMMIT_SHORT_SHA}")
    assert found(lint(write, cigen, pipeline, {"docker-compose.yml": clean}, cache=True)) == []
    assert found(lint(write, cigen, pipeline, {"docker-compose.yml": COMPOSE},
                      cache=True)) == [("unconditional-latest", 4)]
