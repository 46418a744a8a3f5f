"""Registry clients read as facts: passwords on their command lines
(registry-password-argv) and the images they tag and push (read by
unconditional-latest and ref-name-tag), one idiom per fixture, each with the
look-alikes that must stay silent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Write = Callable[[str, str | bytes], Path]
Cigen = Callable[..., Result]
PASSWORD = "registry-password-argv"


def _lint(write: Write, cigen: Cigen, text: str, rule: str) -> list[dict[str, object]]:
    path = write(".gitlab-ci.yml", text)
    result = cigen("lint", "--format", "json", "--fail-on", "info", "--select", rule,
                   path.name, cwd=path.parent, timeout=30)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return result.findings()


def _job(*lines: str, section: str = "script") -> str:
    body = "".join(f"    - {line}\n" for line in lines)
    return f"job:\n  tags: [shell]\n  {section}:\n{body}"


def _lines(findings: list[dict[str, object]]) -> list[object]:
    return [finding["line"] for finding in findings]


# -- registry-password-argv: every client that takes a password argument -------

PASSWORD_ON_ARGV = [
    ('docker login -u "$U" -p "$P" registry.example.com', "docker login"),
    ('docker login -u "$U" -p"$P" registry.example.com', "docker login"),
    ("docker login --username=u --password=$P registry.example.com", "docker login"),
    ('docker login --password "$P" registry.example.com', "docker login"),
    ("docker -H tcp://docker:2376 --tlsverify login -u u -p $P", "docker login"),
    ("/usr/local/bin/docker login -u u -p $P registry.example.com", "docker login"),
    ("podman --storage-driver vfs login -u u -p $P quay.io", "podman login"),
    ("buildah login -u u --password $P quay.io", "buildah login"),
    pytest.param("nerdctl --namespace k8s.io login -u u -p $P registry.example.com",
                 "nerdctl login"),
    ("skopeo login -u u -p $P registry.example.com", "skopeo login"),
    ("helm registry login -u u -p $P registry.example.com", "helm registry login"),
    ("helm registry login --username u --password=$P oci.example.com", "helm registry login"),
    ("crane auth login -u u -p $P registry.example.com", "crane auth login"),
    ("oras login -u u --password $P registry.example.com", "oras login"),
    ("regctl registry login registry.example.com -u u -p $P", "regctl registry login"),
    ("regctl registry login registry.example.com --user u --pass=$P", "regctl registry login"),
    ("skopeo copy --src-creds u:$P docker://a.example.com/x:1 docker://b.example.com/x:1",
     "skopeo copy --src-creds"),
    ('skopeo copy --dest-creds="$U:$P" docker://alpine:3.20 docker://b.example.com/alpine:3.20',
     "skopeo copy --dest-creds"),
    ('skopeo sync --src docker --dest docker --dest-creds "$U:$P" alpine b.example.com/mirror',
     "skopeo sync --dest-creds"),
    ('skopeo inspect --creds "$U:$P" docker://b.example.com/x:1', "skopeo inspect --creds"),
    ("skopeo delete --creds bot:hunter2 docker://b.example.com/x:old", "skopeo delete --creds"),
    ("skopeo inspect --username u --password $P docker://b.example.com/x:1",
     "skopeo inspect --password"),
    ('skopeo copy --src-password "$P" docker://a.example.com/x:1 docker://b.example.com/x:1',
     "skopeo copy --src-password"),
    ('buildah push --creds "$U:$P" app docker://b.example.com/app:1', "buildah push --creds"),
    ("podman push --creds=$U:$P app b.example.com/app:1", "podman push --creds"),
    ('podman pull --creds "$U:$P" b.example.com/app:1', "podman pull --creds"),
    # https://learn.microsoft.com/cli/azure/acr#az-acr-login: --password/-p.
    ('az acr login --name myregistry --username "$U" --password "$P"', "az acr login"),
    ("az acr login -n myregistry -u u -p $P", "az acr login"),
    # Jib reads registry credentials from system properties (jib.to.auth.password).
    ("mvn compile jib:build -Djib.to.auth.username=$U -Djib.to.auth.password=$P",
     "-Djib.to.auth.password"),
    ("./gradlew jib -Djib.from.auth.password=\"$P\"", "-Djib.from.auth.password"),
]


@pytest.mark.parametrize(("command", "client"), PASSWORD_ON_ARGV)
def test_password_on_the_command_line_is_reported_naming_the_client(
        write: Write, cigen: Cigen, command: str, client: str) -> None:
    findings = _lint(write, cigen, _job("echo start", command), PASSWORD)
    assert _lines(findings) == [5]
    assert f"`{client}" in str(findings[0]["message"])
    assert findings[0]["jobs"] == ["job"]


PASSWORD_NOT_ON_ARGV = [
    'echo "$P" | docker login -u "$U" --password-stdin registry.example.com',
    "printf '%s' \"$P\" | crane auth login -u u --password-stdin registry.example.com",
    "cat password.txt | oras login -u u --password-stdin registry.example.com",
    'echo "$P" | helm registry login --username u --password-stdin oci.example.com',
    'aws ecr get-login-password | docker login -u AWS --password-stdin "$ECR"',
    "docker run --rm -p 8080:80 nginx:1.27",
    "podman run -d -p 5000:5000 registry:2",
    'echo "-p $P"',
    'echo "docker login -p $P"',
    "ssh -p 2222 deploy@host.example.com uptime",
    "docker compose -p project up -d",
    # The user name `-pipeline-bot` is the value of -u, not a -p option.
    'echo "$P" | docker login -u -pipeline-bot --password-stdin registry.example.com',
    # A user name alone: the client has no password to show.
    'skopeo copy --creds "$REGISTRY_USER" docker://a.example.com/x:1 docker://b.example.com/x:1',
    'skopeo copy --dest-creds "$U:" docker://a.example.com/x:1 docker://b.example.com/x:1',
    # A variable nobody defines may hold a user name only: unknown, not a guess.
    'skopeo copy --creds "$REGISTRY_CREDS" docker://a.example.com/x:1 docker://b.example.com/x:1',
    "skopeo copy --authfile auth.json docker://a.example.com/x:1 docker://b.example.com/x:1",
    "buildah push --authfile auth.json app docker://b.example.com/app:1",
    "docker logout registry.example.com",
    "az acr login --name myregistry",
    "az acr login --name myregistry --expose-token --output tsv --query accessToken",
    "mvn compile jib:build -Djib.to.auth.username=$U",
    "mvn compile jib:build -Djib.to.auth.password=",
]


@pytest.mark.parametrize("command", PASSWORD_NOT_ON_ARGV)
def test_look_alikes_are_silent(write: Write, cigen: Cigen, command: str) -> None:
    assert _lint(write, cigen, _job(command), PASSWORD) == []


def test_credentials_from_a_defined_variable_are_reported(write: Write, cigen: Cigen) -> None:
    text = ("variables:\n  CREDS: $REGISTRY_USER:$REGISTRY_PASSWORD\n"
            + _job("skopeo copy --creds $CREDS docker://a.example.com/x:1 "
                   "docker://b.example.com/x:1"))
    assert _lines(_lint(write, cigen, text, PASSWORD)) == [6]


def test_after_script_and_unused_hidden_templates_count(write: Write, cigen: Cigen) -> None:
    text = """\
.unused-login:
  before_script:
    - docker login -u u -p $P registry.example.com
job:
  tags: [shell]
  script: [make]
  after_script:
    - crane auth login -u u -p $P registry.example.com
"""
    assert _lines(_lint(write, cigen, text, PASSWORD)) == [3, 8]


def test_a_template_used_by_two_jobs_is_reported_once(write: Write, cigen: Cigen) -> None:
    text = """\
.login:
  before_script:
    - helm registry login -u u -p $P registry.example.com
a:
  extends: .login
  tags: [shell]
  script: [make]
b:
  extends: .login
  tags: [shell]
  script: [make]
"""
    findings = _lint(write, cigen, text, PASSWORD)
    assert _lines(findings) == [3]
    assert findings[0]["jobs"] == ["a", "b"]


NESTED_LOGINS = [
    'ssh deploy@host.example.com "docker login -u u -p $P registry.example.com"',
    "sh -c 'podman login -u u -p \"$P\" quay.io'",
    "retry 3 docker login -u u -p $P registry.example.com",
]


@pytest.mark.parametrize("command", NESTED_LOGINS)
def test_logins_run_through_another_command(write: Write, cigen: Cigen, command: str) -> None:
    assert _lines(_lint(write, cigen, _job(command), PASSWORD)) == [4]


def test_login_inside_a_function(write: Write, cigen: Cigen) -> None:
    text = _job("login() { docker login -u u -p \"$1\" registry.example.com; }", 'login "$P"')
    assert _lines(_lint(write, cigen, text, PASSWORD)) == [4]


# -- registry-password-argv: the --password-stdin fix ---------------------------

FIXES = [
    ('crane auth login -u u -p $P registry.example.com',
     'echo "$P" | crane auth login -u u --password-stdin registry.example.com'),
    ("helm registry login --username u --password='s3cr3t' oci.example.com",
     "echo 's3cr3t' | helm registry login --username u --password-stdin oci.example.com"),
    ('oras login -u u --password "$P" registry.example.com',
     'echo "$P" | oras login -u u --password-stdin registry.example.com'),
    pytest.param("nerdctl login -u u -p $P registry.example.com",
                 'echo "$P" | nerdctl login -u u --password-stdin registry.example.com'),
    # pflag reads `-p=X` as the password X, not `=X`.
    ("docker login -u u -p=$P registry.example.com",
     'echo "$P" | docker login -u u --password-stdin registry.example.com'),
]


@pytest.mark.parametrize(("before", "after"), FIXES)
def test_fix_pipes_the_password_to_password_stdin(write: Write, cigen: Cigen, before: str,
                                                   after: str) -> None:
    path = write(".gitlab-ci.yml", _job(before))
    result = cigen("lint", "--fix", "--select", PASSWORD, path.name, cwd=path.parent)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert path.read_text() == _job(after)


NO_FIX = [
    # regctl reads the password with --pass-stdin, not --password-stdin.
    "regctl registry login registry.example.com -u u -p $P",
    'skopeo copy --dest-creds "$U:$P" docker://alpine:3.20 docker://b.example.com/alpine:3.20',
    'buildah push --creds "$U:$P" app docker://b.example.com/app:1',
    # The whole option is quoted: there is no `-p` to cut the password from.
    "docker login -u u '-p$P' registry.example.com",
    "sudo docker login -u u -p $P registry.example.com",
    "az acr login -n myregistry -u u -p $P",
    "mvn jib:build -Djib.to.auth.password=$P",
    'echo "$OTHER" | docker login -u u -p $P registry.example.com',
]


@pytest.mark.parametrize("command", NO_FIX)
def test_no_fix_where_it_would_not_be_the_same_login(write: Write, cigen: Cigen,
                                                     command: str) -> None:
    text = _job(command)
    path = write(".gitlab-ci.yml", text)
    result = cigen("lint", "--fix", "--select", PASSWORD, path.name, cwd=path.parent)
    assert result.exit_code == 1, result.stderr
    assert ".gitlab-ci.yml:4:" in result.stdout
    assert path.read_text() == text


# -- image outputs: which tools push which tags ---------------------------------

LATEST = "unconditional-latest"
REF_NAME = "ref-name-tag"
IMAGE = "registry.example.com/team/app"

PUSHES_LATEST = [
    f"crane tag {IMAGE}:$CI_COMMIT_SHA latest",
    f"crane copy {IMAGE}:$CI_COMMIT_SHA {IMAGE}:latest",
    f"crane cp --platform linux/amd64 {IMAGE}:$CI_COMMIT_SHA {IMAGE}:latest",
    f"crane push image.tar {IMAGE}:latest",
    f"crane mutate {IMAGE}:$CI_COMMIT_SHA --label a=b -t {IMAGE}:latest",
    f"crane append -f layer.tar -b alpine:3.20 -t {IMAGE}:latest",
    f"skopeo copy docker://{IMAGE}:$CI_COMMIT_SHA docker://{IMAGE}:latest",
    f"skopeo --override-arch arm64 copy --dest-authfile auth.json docker://{IMAGE}:1 "
    f"docker://{IMAGE}:latest",
    f"regctl image copy {IMAGE}:$CI_COMMIT_SHA {IMAGE}:latest",
    f"docker buildx imagetools create -t {IMAGE}:latest {IMAGE}:amd64 {IMAGE}:arm64",
    f"docker manifest push {IMAGE}:latest",
    pytest.param(f"nerdctl push {IMAGE}:latest"),
    f"podman --storage-driver vfs push {IMAGE}:latest",
    f"buildah --storage-driver vfs push app docker://{IMAGE}:latest",
    f"buildah manifest push --all app-list docker://{IMAGE}:latest",
    f"/kaniko/executor --context . --destination={IMAGE}:latest",
    f"/kaniko/executor --context . -d {IMAGE}:latest",
    f"buildctl-daemonless.sh build --frontend dockerfile.v0 --local context=. "
    f"--output type=image,name={IMAGE}:1.0,{IMAGE}:latest,push=true",
    f"buildctl build --output 'type=image,\"name={IMAGE}:1.0,{IMAGE}:latest\",push=true'",
    f"buildctl build --output 'type=image,name=\"{IMAGE}:1.0,{IMAGE}:latest\",push=true'",
    f"depot build -t {IMAGE}:latest --push .",
    f"docker buildx build -o type=image,name={IMAGE}:latest,push=true .",
    f"docker buildx build --output=type=registry,name={IMAGE}:latest .",
]


@pytest.mark.parametrize("command", PUSHES_LATEST)
def test_tools_that_push_latest(write: Write, cigen: Cigen, command: str) -> None:
    findings = _lint(write, cigen, _job("echo start", command), LATEST)
    assert _lines(findings) == [5], findings


DOES_NOT_PUSH_LATEST = [
    f"crane tag {IMAGE}:$CI_COMMIT_SHA $CI_COMMIT_SHORT_SHA",
    f"skopeo copy docker://{IMAGE}:latest docker-daemon:{IMAGE}:latest",
    f"skopeo copy docker://{IMAGE}:latest oci:layout:latest",
    f"buildah push {IMAGE}:latest oci-archive:/tmp/app.tar",
    f"buildctl build --output type=image,name={IMAGE}:latest",
    f"/kaniko/executor --no-push --destination {IMAGE}:latest",
    f"docker buildx imagetools create --dry-run -t {IMAGE}:latest {IMAGE}:amd64",
    f"docker buildx build -t {IMAGE}:latest --load .",
    f"docker manifest create {IMAGE}:latest {IMAGE}:amd64 {IMAGE}:arm64",
    "docker compose build",
    "docker compose push",
    f"crane digest {IMAGE}:latest",
]


@pytest.mark.parametrize("command", DOES_NOT_PUSH_LATEST)
def test_tools_that_do_not_push_latest(write: Write, cigen: Cigen, command: str) -> None:
    assert _lint(write, cigen, _job(command), LATEST) == []


REF_NAME_TAGS = [
    f"crane tag {IMAGE}:$CI_COMMIT_SHA $CI_COMMIT_REF_NAME",
    f"buildah tag app {IMAGE}:$CI_COMMIT_BRANCH",
    f"buildah --storage-driver vfs bud -t {IMAGE}:$CI_COMMIT_BRANCH .",
    pytest.param(f"nerdctl build -t {IMAGE}:$CI_COMMIT_REF_NAME ."),
    f"podman commit builder {IMAGE}:$CI_COMMIT_REF_NAME",
    f"buildctl build --output type=image,name={IMAGE}:$CI_COMMIT_BRANCH,push=true",
    f"skopeo copy docker://{IMAGE}:1 docker://{IMAGE}:$CI_COMMIT_REF_NAME",
    f"regctl image cp {IMAGE}:1 {IMAGE}:$CI_COMMIT_REF_NAME",
    f"docker manifest create {IMAGE}:$CI_COMMIT_REF_NAME {IMAGE}:amd64",
]


@pytest.mark.parametrize("command", REF_NAME_TAGS)
def test_tags_written_by_each_tool_are_seen(write: Write, cigen: Cigen, command: str) -> None:
    assert _lines(_lint(write, cigen, _job("echo start", command), REF_NAME)) == [5]


def test_crane_tag_is_reported_at_the_new_tag(write: Write, cigen: Cigen) -> None:
    text = _job(f"crane tag {IMAGE}:$CI_COMMIT_SHA $CI_COMMIT_REF_NAME")
    findings = _lint(write, cigen, text, REF_NAME)
    column = text.splitlines()[3].index("$CI_COMMIT_REF_NAME") + 1
    assert [(finding["line"], finding["column"]) for finding in findings] == [(4, column)]
