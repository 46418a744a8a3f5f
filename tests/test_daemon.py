"""Which Docker daemon each job reaches, and the rules built on it: the host's
socket (docker-socket-mount), a dind service without TLS (dind-tls-disabled),
and Docker-in-Docker at all (privileged-dind). Each idiom has a small file of
its own, positive and look-alike negative, checked through the command line.

TLS defaults follow GitLab's "Use Docker-in-Docker" page
(https://docs.gitlab.com/ci/docker/docker_in_docker/, formerly "Use Docker to
build Docker images"): the dind image turns TLS on by itself since Docker 19.03
(DOCKER_TLS_CERTDIR defaults to /certs and the daemon listens on 2376);
`DOCKER_TLS_CERTDIR: ""` turns it off and the daemon listens on plain 2375.
Job variables reach the service when it starts, before the job's script runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

RULES = ("docker-socket-mount", "dind-tls-disabled", "privileged-dind")
Found = list[tuple[str, int, str, list[str]]]
Lint = Callable[..., Found]


@pytest.fixture
def lint(write: Callable[[str, str], Path], cigen: Callable[..., Result]) -> Lint:
    """Lint one `.gitlab-ci.yml`; (rule, line, message, jobs) of the three daemon rules."""

    def _lint(text: str, *args: str) -> Found:
        path = write(".gitlab-ci.yml", text)
        result = cigen("lint", "--format", "json", "--fail-on", "info", *args, ".gitlab-ci.yml",
                       cwd=path.parent, timeout=20)
        assert result.exit_code in (0, 1), result.stderr
        assert "Traceback" not in result.stderr
        return [(finding["rule"], finding["line"], finding["message"], finding["jobs"])
                for finding in result.findings() if finding["rule"] in RULES]

    return _lint


def lines(findings: Found, rule: str) -> list[int]:
    return sorted(line for name, line, _, _ in findings if name == rule)


def messages(findings: Found, rule: str) -> list[str]:
    return [message for name, _, message, _ in findings if name == rule]


SOCKET = "docker-socket-mount"
TLS = "dind-tls-disabled"
DIND = "privileged-dind"


# -- the host's socket: DOCKER_HOST --------------------------------------------

def test_docker_host_socket_in_job_variables(lint: Lint) -> None:
    found = lint("""\
deploy:
  image: docker:29.1-cli
  variables:
    DOCKER_HOST: unix:///var/run/docker.sock
  script: [docker compose up -d]
""")
    assert lines(found, SOCKET) == [4]
    assert "DOCKER_HOST=unix:///var/run/docker.sock in `variables:`" in messages(found, SOCKET)[0]


def test_docker_host_socket_in_global_variables_reported_where_written(lint: Lint) -> None:
    found = lint("""\
variables:
  DOCKER_HOST: "unix:///var/run/docker.sock"
a:
  image: docker:29.1-cli
  script: [docker ps]
b:
  image: docker:29.1-cli
  script: [docker images]
""")
    assert lines(found, SOCKET) == [2]


def test_docker_host_socket_exported_in_script(lint: Lint) -> None:
    found = lint("""\
scan:
  image: docker:29.1-cli
  script:
    - echo scanning
    - export DOCKER_HOST=unix:///var/run/docker.sock
    - docker images
""")
    assert lines(found, SOCKET) == [5]
    assert "DOCKER_HOST=unix:///var/run/docker.sock exported at line 5" in \
        messages(found, SOCKET)[0]


def test_docker_host_socket_for_one_command(lint: Lint) -> None:
    found = lint("""\
build:
  image: docker:29.1-cli
  script:
    - DOCKER_HOST=unix:///var/run/docker.sock docker build -t app .
""")
    assert lines(found, SOCKET) == [4]
    assert "set for one command at line 4" in messages(found, SOCKET)[0]


def test_settings_given_through_env_hold_for_that_command(lint: Lint) -> None:
    # `env NAME=value command` sets NAME for the command as `NAME=value command` does.
    found = lint("""\
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  script:
    - env DOCKER_HOST=tcp://docker:2375 docker build -t app .
    - env -u DOCKER_CONFIG DOCKER_HOST=unix:///var/run/docker.sock docker info
    - docker info
""")
    assert lines(found, TLS) == [6]
    assert lines(found, SOCKET) == [7]
    assert "set for one command at line 7" in messages(found, SOCKET)[0]


def test_docker_host_socket_through_a_defined_variable(lint: Lint) -> None:
    found = lint("""\
variables:
  HOST_SOCKET: /var/run/docker.sock
build:
  image: docker:29.1-cli
  variables:
    DOCKER_HOST: unix://$HOST_SOCKET
  script: [docker info]
""")
    assert lines(found, SOCKET) == [6]


def test_docker_host_from_an_undefined_variable_is_unknown(lint: Lint) -> None:
    found = lint("""\
build:
  image: docker:29.1-cli
  variables:
    DOCKER_HOST: $BUILD_DAEMON
  script:
    - docker run --rm -v /var/run/docker.sock:/var/run/docker.sock alpine:3.20 ls
""")
    assert found == []


def test_docker_host_socket_overridden_by_the_script_before_use(lint: Lint) -> None:
    found = lint("""\
variables:
  DOCKER_HOST: unix:///var/run/docker.sock
build:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]  # cigen: ignore[privileged-dind] dedicated runner
  script:
    - export DOCKER_HOST=tcp://docker:2376
    - docker build -t app .
""")
    assert found == []


# -- the host's socket: bind mounts ---------------------------------------------

@pytest.mark.parametrize("mount", [
    "-v /var/run/docker.sock:/var/run/docker.sock",
    "--volume=/var/run/docker.sock:/var/run/docker.sock:ro",
    "--volume /run/docker.sock:/var/run/docker.sock",
    "--mount type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock",
    "--mount type=bind,src=/var/run/docker.sock,dst=/s,readonly",
])
def test_socket_mounted_by_docker_run_on_the_hosts_daemon(lint: Lint, mount: str) -> None:
    found = lint(f"""\
scan:
  image: docker:29.1-cli
  script:
    - docker pull aquasec/trivy:0.58.0
    - docker run --rm {mount} aquasec/trivy:0.58.0 image app:1
""")
    assert lines(found, SOCKET) == [5]


def test_socket_mount_in_a_continued_line_is_reported_at_its_line(lint: Lint) -> None:
    found = lint("""\
scan:
  image: docker:29.1-cli
  script:
    - |
      docker container create \\
        --name scanner \\
        -v /var/run/docker.sock:/var/run/docker.sock \\
        aquasec/trivy:0.58.0
""")
    assert lines(found, SOCKET) == [7]


def test_other_mounts_at_the_socket_path_are_not_the_host_socket(lint: Lint) -> None:
    found = lint("""\
test:
  image: docker:29.1-cli
  script:
    - docker run --rm -v "$PWD/fake.sock:/var/run/docker.sock" alpine:3.20 ls
    - docker run --rm --mount type=volume,source=docker.sock,target=/s alpine:3.20 ls
    - docker run --rm -v "$PWD:/src" alpine:3.20 ls
""")
    assert found == []


def test_socket_only_mentioned_is_not_mounted(lint: Lint) -> None:
    found = lint("""\
test:
  image: docker:29.1-cli
  script:
    - echo "mount /var/run/docker.sock to scan images"
    - ls -l /var/run/docker.sock
    - docker info
""")
    assert found == []


def test_socket_mounted_inside_a_dind_job_hands_over_the_privileged_daemon(lint: Lint) -> None:
    # The container gets dind's socket, and dind runs privileged: the container can
    # start a privileged container there and reach the runner's host.
    found = lint("""\
scan:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  variables:
    DOCKER_HOST: tcp://docker:2376
    DOCKER_TLS_CERTDIR: /certs
  script:
    - docker run --rm -v /var/run/docker.sock:/var/run/docker.sock aquasec/trivy:0.58.0 image x
""")
    assert lines(found, SOCKET) == [9]
    assert "the dind service's daemon" in messages(found, SOCKET)[0]


def test_socket_mounted_inside_a_dind_job_without_docker_host(lint: Lint) -> None:
    # The docker image's entrypoint points the client at the service reachable as
    # `docker` when DOCKER_HOST is unset.
    found = lint("""\
.dind:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
scan:
  extends: .dind
  script:
    - docker run --rm -v /var/run/docker.sock:/var/run/docker.sock anchore/syft:v1.18.1 app
""")
    assert lines(found, SOCKET) == [8]
    assert "host's Docker socket" not in messages(found, SOCKET)[0]


def test_socket_of_a_daemon_the_job_starts_is_reported_as_that_daemons(lint: Lint) -> None:
    found = lint("""\
scan:
  image: docker:29.1-dind
  script:
    - dockerd-entrypoint.sh &
    - sleep 5
    - docker run --rm -v /var/run/docker.sock:/var/run/docker.sock anchore/syft:v1.18.1 app
""")
    assert lines(found, SOCKET) == [6]
    assert "the daemon the job starts" in messages(found, SOCKET)[0]


def test_a_dind_job_that_mounts_no_socket_is_clean(lint: Lint) -> None:
    found = lint("""\
scan:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  script:
    - docker run --rm -v "$PWD:/src" aquasec/trivy:0.58.0 fs /src
""")
    assert found == []


def test_socket_mounted_through_a_remote_daemon_is_not_the_runners(lint: Lint) -> None:
    found = lint("""\
scan:
  image: docker:29.1-cli
  variables:
    DOCKER_HOST: ssh://deploy@build.example.com
  script:
    - docker run --rm -v /var/run/docker.sock:/var/run/docker.sock alpine:3.20 ls
""")
    assert found == []


def test_dash_h_to_the_host_socket_inside_a_dind_job(lint: Lint) -> None:
    found = lint("""\
scan:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  script:
    - docker -H unix:///var/run/docker.sock run -v /var/run/docker.sock:/s alpine:3.20 ls
""")
    assert lines(found, SOCKET) == [6]


def test_socket_mounted_in_a_nested_shell(lint: Lint) -> None:
    found = lint("""\
scan:
  image: docker:29.1-cli
  script:
    - sh -c "docker run --rm -v /var/run/docker.sock:/var/run/docker.sock alpine:3.20 ls"
""")
    assert lines(found, SOCKET) == [4]


def test_socket_on_a_machine_reached_by_ssh_is_that_machines(lint: Lint) -> None:
    found = lint("""\
deploy:
  image: alpine:3.20
  script:
    - ssh deploy@prod.example.com "docker run -d -v /var/run/docker.sock:/var/run/docker.sock portainer/agent:2.21.0"
    - ssh deploy@prod.example.com "sudo chmod 666 /var/run/docker.sock"
    - ssh deploy@prod.example.com "export DOCKER_HOST=unix:///var/run/docker.sock"
""")
    assert found == []


# -- the host's socket: chmod -----------------------------------------------------

@pytest.mark.parametrize("mode", ["666", "0777", "a+rw", "o+rw", "-R 777"])
def test_world_writable_socket(lint: Lint, mode: str) -> None:
    found = lint(f"""\
build:
  image: docker:29.1-cli
  before_script:
    - sudo chmod {mode} /var/run/docker.sock
  script: [docker build -t app .]
""")
    assert lines(found, SOCKET) == [4]
    assert "control the host's Docker daemon" in messages(found, SOCKET)[0]


@pytest.mark.parametrize("mode", ["660", "g+rw", "u+rw,g+r"])
def test_socket_modes_that_keep_others_out(lint: Lint, mode: str) -> None:
    found = lint(f"""\
build:
  image: docker:29.1-cli
  before_script:
    - chmod {mode} /var/run/docker.sock
  script: [docker build -t app .]
""")
    assert found == []


# -- a dockerd the job starts itself ----------------------------------------------

def test_own_dockerd_talks_to_its_own_socket(lint: Lint) -> None:
    found = lint("""\
build:
  image: docker:29.1-dind
  variables:
    DOCKER_HOST: unix:///var/run/docker.sock
    DOCKER_TLS_CERTDIR: ""
  before_script:
    - dockerd-entrypoint.sh &
    - until docker info; do sleep 1; done
  script:
    - docker run --rm -v /var/run/docker.sock:/var/run/docker.sock alpine:3.20 ls
    - chmod 666 /var/run/docker.sock
""")
    # DOCKER_HOST and chmod are about the job's own daemon; the mount hands it on.
    assert lines(found, SOCKET) == [10]
    assert "the daemon the job starts" in messages(found, SOCKET)[0]
    assert lines(found, TLS) == []
    assert lines(found, DIND) == [7]
    assert "`dockerd-entrypoint.sh` starts a Docker daemon" in messages(found, DIND)[0]


def test_dockerd_only_named_is_not_started(lint: Lint) -> None:
    found = lint("""\
build:
  image: docker:29.1-cli
  tags: [dockerd]
  script:
    - echo dockerd
    - command -v dockerd || echo "no dockerd here"
    - dockerd --version
    - docker info
""")
    assert found == []


# -- dind TLS: DOCKER_TLS_CERTDIR ---------------------------------------------------

def test_dind_without_any_setting_uses_tls(lint: Lint) -> None:
    found = lint("""\
build:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  script: [docker info]
""")
    assert lines(found, TLS) == []
    assert lines(found, DIND) == [3]


def test_certdir_empty_in_job_variables(lint: Lint) -> None:
    found = lint("""\
build:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  variables:
    DOCKER_TLS_CERTDIR: ""
  script: [docker info]
""")
    assert lines(found, TLS) == [5]
    assert messages(found, TLS)[0].startswith('DOCKER_TLS_CERTDIR="" in `variables:`')


def test_certdir_empty_in_the_services_own_variables(lint: Lint) -> None:
    found = lint("""\
variables:
  DOCKER_TLS_CERTDIR: /certs
build:
  image: docker:29.1-cli
  services:
    - name: docker:29.1-dind
      alias: docker
      variables:
        DOCKER_TLS_CERTDIR: ""
  script: [docker info]
""")
    assert lines(found, TLS) == [9]
    assert "in the service's `variables:`" in messages(found, TLS)[0]


def test_service_variables_turn_tls_back_on(lint: Lint) -> None:
    found = lint("""\
variables:
  DOCKER_TLS_CERTDIR: ""
build:
  image: docker:29.1-cli
  services:
    - name: docker:29.1-dind
      variables:
        DOCKER_TLS_CERTDIR: /certs
  script: [docker info]
""")
    assert lines(found, TLS) == []


def test_global_certdir_empty_overridden_in_job_back_to_certs(lint: Lint) -> None:
    found = lint("""\
variables:
  DOCKER_TLS_CERTDIR: ""
build:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script: [docker info]
other:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  script: [docker info]
""")
    assert lines(found, TLS) == [2]
    assert [jobs for name, _, _, jobs in found if name == TLS] == [["other"]]


def test_global_certdir_empty_with_dind_in_default(lint: Lint) -> None:
    found = lint("""\
default:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind
variables:
  DOCKER_TLS_CERTDIR: ""
build:
  script: [docker build -t app .]
""")
    assert lines(found, TLS) == [6]
    assert lines(found, DIND) == [4]


def test_certdir_exported_in_the_script_does_not_reach_the_service(lint: Lint) -> None:
    # The service has started before the script runs; it never sees the export.
    found = lint("""\
build:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  script:
    - export DOCKER_TLS_CERTDIR=""
    - docker info
""")
    assert lines(found, TLS) == []


def test_certdir_from_an_undefined_variable_is_unknown(lint: Lint) -> None:
    found = lint("""\
build:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  variables:
    DOCKER_TLS_CERTDIR: $CERT_DIR
  script: [docker info]
""")
    assert lines(found, TLS) == []


def test_certdir_empty_without_dind_is_not_reported(lint: Lint) -> None:
    found = lint("""\
variables:
  DOCKER_TLS_CERTDIR: ""
  DOCKER_HOST: tcp://docker:2375
shell-job:
  tags: [shell]
  script: [docker info]
""")
    assert found == []


def test_certdir_empty_while_the_client_uses_2376(lint: Lint) -> None:
    # TLS is off on the service whatever port the client tries (that job cannot connect).
    found = lint("""\
build:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  variables:
    DOCKER_HOST: tcp://docker:2376
    DOCKER_TLS_CERTDIR: ""
  script: [docker info]
""")
    assert lines(found, TLS) == [6]


# -- dind TLS: the service's command ----------------------------------------------

@pytest.mark.parametrize("command", ['["--tls=false"]', '["--host=tcp://0.0.0.0:2375"]',
                                     '"--tls=false --mtu=1450"'])
def test_service_command_without_tls(lint: Lint, command: str) -> None:
    found = lint(f"""\
build:
  image: docker:29.1-cli
  services:
    - name: docker:29.1-dind
      command: {command}
  script: [docker info]
""")
    assert lines(found, TLS) == [5]


def test_old_dind_images_do_not_turn_tls_on(lint: Lint) -> None:
    found = lint("""\
old:
  image: docker:18.09
  services: ["docker:18.09-dind"]
  script: [docker info]
old-with-certs:
  image: docker:18.09
  services: ["docker:18.09.7-dind"]
  variables:
    DOCKER_TLS_CERTDIR: /certs
  script: [docker info]
older:
  image: docker:17.12
  services: ["docker:17.12-dind"]
  variables:
    DOCKER_TLS_CERTDIR: /certs
  script: [docker info]
""")
    assert lines(found, TLS) == [3, 13]


# -- dind TLS: the client's DOCKER_HOST --------------------------------------------

def test_plain_port_exported_in_the_script(lint: Lint) -> None:
    found = lint("""\
build:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  script:
    - export DOCKER_HOST=tcp://docker:2375
    - docker info
""")
    assert lines(found, TLS) == [5]
    assert messages(found, TLS)[0].startswith(
        "DOCKER_HOST=tcp://docker:2375 exported at line 5")


def test_plain_port_for_one_command_and_with_dash_h(lint: Lint) -> None:
    found = lint("""\
build:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  script:
    - DOCKER_HOST=tcp://docker:2375 docker info
    - docker -H tcp://docker:2375 build -t app .
    - docker --host=tcp://docker:2376 push app
""")
    assert lines(found, TLS) == [5, 6]


def test_plain_port_to_the_service_alias_and_localhost(lint: Lint) -> None:
    found = lint("""\
by-alias:
  image: docker:29.1-cli
  services:
    - name: registry.example.com/mirror/docker:29.1-dind
      alias: dind-daemon
  variables:
    DOCKER_HOST: tcp://dind-daemon:2375/
  script: [docker info]
kubernetes:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  variables:
    DOCKER_HOST: tcp://localhost:2375
  script: [docker info]
""")
    assert lines(found, TLS) == [7, 13]


def test_plain_port_on_a_host_that_is_not_a_service(lint: Lint) -> None:
    found = lint("""\
build:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  variables:
    DOCKER_HOST: tcp://builder.example.com:2375
  script: [docker info]
unknown:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  variables:
    DOCKER_HOST: tcp://$DIND_HOST:2375
  script: [docker info]
""")
    assert lines(found, TLS) == []


def test_plain_port_in_after_script_is_not_the_scripts_export(lint: Lint) -> None:
    found = lint("""\
build:
  image: docker:29.1-cli
  services: ["docker:29.1-dind"]
  script:
    - export DOCKER_HOST=tcp://docker:2375
    - docker info
  after_script:
    - docker ps
""")
    assert lines(found, TLS) == [5]


def test_plain_port_in_yaml_without_docker_commands(lint: Lint) -> None:
    found = lint("""\
test:
  image: maven:3.9-eclipse-temurin-21
  services: ["docker:29.1-dind"]
  variables:
    DOCKER_HOST: tcp://docker:2375
  script: [mvn verify]
""")
    assert lines(found, TLS) == [5]


def test_plain_port_fix_keeps_working(write: Callable[[str, str], Path],
                                      cigen: Callable[..., Result], tmp_path: Path) -> None:
    text = """\
build:
  image: docker:29.1-cli
  services:
    - name: docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
      variables:
        DOCKER_TLS_CERTDIR: ''
  variables:
    DOCKER_HOST: "tcp://docker:2375"
  script: [docker info]
"""
    path = write(".gitlab-ci.yml", text)
    result = cigen("lint", "--fix", "--unsafe-fixes", ".gitlab-ci.yml", cwd=tmp_path,
                   timeout=20)
    assert result.exit_code == 0, result.stdout
    assert path.read_text() == text.replace("''", '"/certs"').replace("2375", "2376")


# -- privileged-dind: what counts as dind -----------------------------------------

@pytest.mark.parametrize("service", [
    "${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/docker:27-dind",
    "$CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX/docker:dind",
    "mirror.gcr.io/library/docker:dind",
    "registry.example.com/dockerhub/library/docker:24-dind",
    "docker:27-dind-rootless",
    "gitlab.example.com:443/group/subgroup/dependency_proxy/containers/docker:27-dind",
    "registry.example.com/platform/images/ci/docker:dind",
])
def test_dind_behind_a_proxy_or_mirror(lint: Lint, service: str) -> None:
    found = lint(f"""\
build:
  image: docker:29.1-cli
  services:
    - "{service}"
  variables:
    DOCKER_TLS_CERTDIR: ""
  script: [docker info]
""")
    assert lines(found, DIND) == [4]
    assert lines(found, TLS) == [6]


def test_service_named_by_an_undefined_variable_is_unknown(lint: Lint) -> None:
    found = lint("""\
build:
  image: docker:29.1-cli
  services:
    - $DIND_IMAGE
  variables:
    DOCKER_TLS_CERTDIR: ""
  script:
    - docker run --rm -v /var/run/docker.sock:/var/run/docker.sock alpine:3.20 ls
""")
    assert lines(found, DIND) == []
    assert lines(found, TLS) == []


def test_dind_in_default_of_a_file_without_jobs(lint: Lint) -> None:
    found = lint("""\
include:
  - project: group/ci-templates
    file: /build.yml
default:
  services:
    - name: docker:27-dind
      alias: docker
""")
    assert lines(found, DIND) == [6]


def test_tls_off_in_a_file_without_jobs(lint: Lint) -> None:
    found = lint("""\
include:
  - project: group/ci-templates
    file: /build.yml
variables:
  DOCKER_TLS_CERTDIR: ""
default:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind
""")
    assert lines(found, DIND) == [9]
    assert lines(found, TLS) == [5]


def test_host_socket_in_a_file_without_jobs(lint: Lint) -> None:
    found = lint("""\
include:
  - remote: https://example.com/ci/deploy.yml
variables:
  DOCKER_HOST: unix:///var/run/docker.sock
default:
  image: docker:29.1-cli
  before_script:
    - docker info
""")
    assert lines(found, SOCKET) == [4]


def test_unpinned_dind_through_the_dependency_proxy(
        write: Callable[[str, str], Path], cigen: Callable[..., Result], tmp_path: Path) -> None:
    # The dependency proxy prefix is predefined (docs.gitlab.com/user/packages/
    # dependency_proxy/): `.../docker:dind` behind it is Docker Hub's unpinned dind.
    write(".gitlab-ci.yml", """\
build:
  image: ${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/docker:29.1-cli
  services:
    - $CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX/docker:dind
    - $MIRROR/docker:dind
  script: [docker info]
""")
    result = cigen("lint", "--format", "json", "--select", "unpinned-docker-image",
                   cwd=tmp_path)
    assert [finding["line"] for finding in result.findings()] == [4]
