"""`cigen init --executor kubernetes`, the Helm chart values `--runner-config values.yaml`
writes, and the restricted privileged mode of the Docker executor's dind runner.

Each pipeline and runner snippet is written through the command line and then read
as GitLab and GitLab Runner would: the pipeline against GitLab's CI schema, the
snippet as TOML (inside the chart values' `runners.config` block), and both by
`cigen lint`, which must find nothing.

The representative Kubernetes outputs are kept in tests/golden/kubernetes/ and
refreshed, after review, with CIGEN_UPDATE_GOLDEN=1 like those of test_init_golden.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from cigen.lint import versions
from tests.conftest import Result
from tests.test_init_matrix import gitlab_schema

Cigen = Callable[..., Result]
GOLDEN = Path(__file__).parent / "golden" / "kubernetes"
UPDATE = os.environ.get("CIGEN_UPDATE_GOLDEN") == "1"
ON_KUBERNETES = ("dind", "depot", "buildkit", "buildah")
NOT_ON_KUBERNETES = ("shell", "socket")
STRATEGIES = (*NOT_ON_KUBERNETES, *ON_KUBERNETES)


def load_yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


def _init(cigen: Cigen, directory: Path, *arguments: str) -> Result:
    (directory / "Dockerfile").write_text("FROM alpine:3.22\n", encoding="utf-8")
    return cigen("init", *arguments, cwd=directory, timeout=60)


def _lints_clean(cigen: Cigen, directory: Path, *paths: str) -> None:
    result = cigen("lint", "--root", str(directory), *paths, cwd=directory, timeout=60)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"No problems found in {len(paths)} file" in result.stdout


def _embedded_config(values: Any) -> dict[str, Any]:
    config = values["runners"]["config"]
    assert isinstance(config, str)
    return tomllib.loads(config)


def _schema_errors(pipeline: Any) -> list[str]:
    return [error.message for error in gitlab_schema().iter_errors(pipeline)]


@pytest.mark.parametrize("executor", ["docker", "kubernetes"])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_and_executor(tmp_path: Path, cigen: Cigen, strategy: str,
                                     executor: str) -> None:
    runner = "values.yaml" if executor == "kubernetes" else "config.toml"
    result = _init(cigen, tmp_path, "--strategy", strategy, "--executor", executor,
                   "--test-command", "make test", "--runner-config", runner)
    if executor == "kubernetes" and strategy in NOT_ON_KUBERNETES:
        assert result.exit_code == 2
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith(f"cigen: error: --executor: strategy {strategy} ")
        assert sorted(path.name for path in tmp_path.iterdir()) == ["Dockerfile"]
        return
    assert result.exit_code == 0, result.stderr
    pipeline = load_yaml((tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert not _schema_errors(pipeline)
    _lints_clean(cigen, tmp_path, ".gitlab-ci.yml", runner)
    text = (tmp_path / runner).read_text(encoding="utf-8")
    if executor == "kubernetes":
        values = load_yaml(text)
        # https://docs.gitlab.com/runner/install/kubernetes/: the chart needs RBAC rules to
        # create job pods; the URL and token are left to the installer.
        assert values["rbac"] == {"create": True}
        assert "runnerToken" not in values and "gitlabUrl" not in values
        config = _embedded_config(values)
        assert "kubernetes" in config["runners"][0]
        assert "docker" not in config["runners"][0]
        assert "# Written by `cigen init --strategy " + strategy + " --executor kubernetes`" \
            in (tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8")
    else:
        config = tomllib.loads(text)
    assert config["runners"][0]["executor"] == ("shell" if strategy == "shell" else executor)
    assert f"executor {executor}" in result.stderr or executor == "docker"


@pytest.mark.parametrize("strategy", ON_KUBERNETES)
def test_kubernetes_runner_can_also_be_a_config_toml(tmp_path: Path, cigen: Cigen,
                                                     strategy: str) -> None:
    # A runner outside the cluster can run the Kubernetes executor from its config.toml.
    result = _init(cigen, tmp_path, "--strategy", strategy, "--executor", "kubernetes",
                   "--runner-config", "runner.toml")
    assert result.exit_code == 0, result.stderr
    config = tomllib.loads((tmp_path / "runner.toml").read_text(encoding="utf-8"))
    assert config["runners"][0]["executor"] == "kubernetes"
    _lints_clean(cigen, tmp_path, ".gitlab-ci.yml", "runner.toml")


def test_kubernetes_dind_reaches_its_daemon_over_tls(tmp_path: Path, cigen: Cigen) -> None:
    # https://docs.gitlab.com/ci/docker/docker_in_docker/#use-with-kubernetes-executor
    result = _init(cigen, tmp_path, "--strategy", "dind", "--executor", "kubernetes",
                   "--runner-config", "values.yml")
    assert result.exit_code == 0, result.stderr
    build = load_yaml((tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8"))["build"]
    assert build["services"] == [{"name": versions.DOCKER_DIND_IMAGE,
                                  "variables": {"HEALTHCHECK_TCP_PORT": "2376"}}]
    assert build["variables"]["DOCKER_HOST"] == "tcp://docker:2376"
    assert build["variables"]["DOCKER_TLS_CERTDIR"] == "/certs"
    assert build["variables"]["DOCKER_CERT_PATH"] == "$DOCKER_TLS_CERTDIR/client"
    kubernetes = _embedded_config(load_yaml(
        (tmp_path / "values.yml").read_text(encoding="utf-8")))["runners"][0]["kubernetes"]
    # The Kubernetes executor has no services_privileged or allowed_privileged_services
    # (Docker executor settings only, per GitLab Runner's advanced configuration page).
    assert kubernetes["privileged"] is True
    assert "services_privileged" not in kubernetes
    assert kubernetes["volumes"]["empty_dir"] == [
        {"name": "docker-certs", "mount_path": "/certs/client", "medium": "Memory"}]


@pytest.mark.parametrize("strategy", ["buildkit", "buildah"])
def test_kubernetes_rootless_build_container_is_unconfined(tmp_path: Path, cigen: Cigen,
                                                           strategy: str) -> None:
    # https://docs.gitlab.com/ci/docker/using_buildkit/ (troubleshooting, Kubernetes) and
    # https://docs.gitlab.com/runner/executors/kubernetes/#set-seccomp-and-apparmor-profiles
    result = _init(cigen, tmp_path, "--strategy", strategy, "--executor", "kubernetes",
                   "--runner-config", "values.yaml")
    assert result.exit_code == 0, result.stderr
    kubernetes = _embedded_config(load_yaml(
        (tmp_path / "values.yaml").read_text(encoding="utf-8")))["runners"][0]["kubernetes"]
    assert kubernetes["privileged"] is False
    assert kubernetes["pod_annotations"] == {
        "container.apparmor.security.beta.kubernetes.io/build": "unconfined"}
    assert kubernetes["build_container_security_context"] == {
        "seccomp_profile": {"type": "Unconfined"}}


def test_helm_values_findings_point_inside_the_block(tmp_path: Path, cigen: Cigen) -> None:
    """The chart values are linted, not skipped: without its suppression the privileged
    runner is reported at its line inside `runners.config`, and without the certificate
    volume so is that."""
    result = _init(cigen, tmp_path, "--strategy", "dind", "--executor", "kubernetes",
                   "--runner-config", "values.yaml")
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "values.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    privileged_line = lines.index("        privileged = true") + 1
    unsuppressed = cigen("lint", "--no-ignores", "--format", "json", "values.yaml",
                         cwd=tmp_path)
    assert [(finding["rule"], finding["line"]) for finding in unsuppressed.findings()] == [
        ("privileged-runner", privileged_line)]
    start = lines.index("        [[runners.kubernetes.volumes.empty_dir]]")
    (tmp_path / "bare.yaml").write_text("\n".join(lines[:start]) + "\n", encoding="utf-8")
    bare = cigen("lint", "--format", "json", "bare.yaml", cwd=tmp_path)
    assert [finding["rule"] for finding in bare.findings()] == ["runner-dind-certs-volume"]


def test_docker_dind_runner_is_in_restricted_privileged_mode(tmp_path: Path,
                                                             cigen: Cigen) -> None:
    # https://docs.gitlab.com/runner/executors/docker/#use-rootless-docker-in-docker-with-restricted-privileged-mode
    result = _init(cigen, tmp_path, "--strategy", "dind", "--runner-config", "config.toml")
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "config.toml").read_text(encoding="utf-8")
    docker = tomllib.loads(text)["runners"][0]["docker"]
    assert docker["privileged"] is False
    assert docker["services_privileged"] is True
    # The runner matches the list against the service name as the pipeline writes it.
    services = load_yaml((tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8"))[
        "build"]["services"]
    assert docker["allowed_privileged_services"] == services == [versions.DOCKER_DIND_IMAGE]
    assert docker["volumes"][0] == "/certs/client"
    assert "ignore[privileged-runner]" not in text
    assert "16.1" in text
    unsuppressed = cigen("lint", "--no-ignores", "--format", "json", "config.toml",
                         cwd=tmp_path)
    assert unsuppressed.findings() == []


@pytest.mark.parametrize("runner_config", ["values.yaml", "runner.YML"])
def test_helm_values_need_the_kubernetes_executor(tmp_path: Path, cigen: Cigen,
                                                  runner_config: str) -> None:
    result = _init(cigen, tmp_path, "--strategy", "buildkit", "--runner-config",
                   runner_config)
    assert result.exit_code == 2
    assert result.stderr == (
        f"cigen: error: --runner-config: {runner_config}: a .yaml or .yml path gets "
        "gitlab-runner Helm chart values, which run the Kubernetes executor; add "
        "--executor kubernetes, or name a .toml file for the Docker executor\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["Dockerfile"]


@pytest.mark.parametrize("arguments, message", [
    (["--strategy", "socket"], "--executor: strategy socket mounts the host's Docker "
                               "socket, and Kubernetes nodes run containerd without one"),
    (["--strategy", "shell"], "--executor: strategy shell runs on a shell-executor runner "
                              "host with Docker Engine"),
])
def test_refusals_are_one_line_and_write_nothing(tmp_path: Path, cigen: Cigen,
                                                 arguments: list[str], message: str) -> None:
    result = _init(cigen, tmp_path, *arguments, "--executor", "kubernetes",
                   "--runner-config", "values.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"cigen: error: {message}")
    assert result.stderr.endswith("; choose dind, buildkit, buildah or depot\n")
    assert result.stdout == ""
    assert sorted(path.name for path in tmp_path.iterdir()) == ["Dockerfile"]


def test_unknown_executor_is_one_line(tmp_path: Path, cigen: Cigen) -> None:
    result = _init(cigen, tmp_path, "--executor", "podman")
    assert result.exit_code == 2
    assert result.stderr == ('cigen: error: --executor: "podman" is not one of docker, '
                             "kubernetes\n")


def test_executor_from_pyproject(tmp_path: Path, cigen: Cigen) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cigen.init]\nstrategy = "socket"\nexecutor = "kubernetes"\n', encoding="utf-8")
    refused = _init(cigen, tmp_path)
    assert refused.exit_code == 2
    assert refused.stderr.startswith("cigen: error: pyproject.toml [tool.cigen.init]: "
                                     "executor: strategy socket mounts")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cigen.init]\nstrategy = "depot"\nexecutor = "kubernetes"\n', encoding="utf-8")
    result = _init(cigen, tmp_path, "--runner-config", "values.yaml")
    assert result.exit_code == 0, result.stderr
    assert "(strategy depot, executor kubernetes)" in result.stderr
    config = _embedded_config(load_yaml((tmp_path / "values.yaml").read_text("utf-8")))
    assert config["runners"][0]["kubernetes"]["privileged"] is False


def test_shell_completion_offers_the_executors(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(sys.executable).with_name("cigen")
    if not script.exists():
        pytest.skip("the cigen console script is not installed next to this interpreter")
    environment = {**os.environ, "_CIGEN_COMPLETE": "complete_bash",
                   "COMP_WORDS": "cigen init --executor ", "COMP_CWORD": "3"}
    completed = subprocess.run([str(script)], cwd=tmp_path, env=environment,
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.stdout.split() == ["docker", "kubernetes"]


REPRESENTATIVE = {
    "dind": ["--test-command", "make test", "--platform", "linux/amd64", "--platform",
             "linux/arm64", "--sbom", "--provenance"],
    "depot": ["--test-command", "make test"],
    "buildkit": ["--test-command", "make test", "--dockerfile", "docker/Dockerfile",
                 "--provenance"],
    "buildah": ["--image", "registry.example.com/team/app"],
}


@pytest.mark.parametrize("strategy", list(REPRESENTATIVE))
def test_output_matches_the_reviewed_copy(tmp_path: Path, cigen: Cigen,
                                          strategy: str) -> None:
    result = cigen("init", "--strategy", strategy, "--executor", "kubernetes",
                   *REPRESENTATIVE[strategy], "--runner-config", "values.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    for written, golden in ((".gitlab-ci.yml", f"{strategy}.gitlab-ci.yml"),
                            ("values.yaml", f"{strategy}.values.yaml")):
        text = (tmp_path / written).read_text(encoding="utf-8")
        path = GOLDEN / golden
        if UPDATE:
            GOLDEN.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"{path.name} is missing; CIGEN_UPDATE_GOLDEN=1 writes it"
        assert text == path.read_text(encoding="utf-8"), (
            f"{path.name} changed; review the diff, then refresh with CIGEN_UPDATE_GOLDEN=1")


@pytest.mark.parametrize("strategy", ON_KUBERNETES)
def test_gitlab_ci_local_reads_the_kubernetes_pipeline(tmp_path: Path, cigen: Cigen,
                                                       gitlab_ci_local: list[str],
                                                       strategy: str) -> None:
    from tests.test_init_oracle import _expected, _repository, _run

    options = ["--executor", "kubernetes", "--test-command", "make test"]
    repository = _repository(tmp_path / "app", cigen, strategy, options)
    preview: Any = load_yaml(_run(gitlab_ci_local, repository, "--preview"))
    assert {name for name in preview if name not in ("workflow", "stages", "variables")
            and not name.startswith(".")} == _expected(options)
    if strategy == "dind":
        assert preview["build"]["services"][0]["variables"] == {"HEALTHCHECK_TCP_PORT": "2376"}


def test_asks_for_the_executor_on_a_terminal(tmp_path: Path) -> None:
    from tests.test_init import Terminal

    (tmp_path / "Dockerfile").write_text("FROM alpine:3.22\n", encoding="utf-8")
    terminal = Terminal(tmp_path)
    terminal.answer("Build strategy", "depot")
    terminal.answer("Runner executor", "podman")
    terminal.answer("Runner executor", "kubernetes")  # asked again with the choices
    for question in ("Image repository", "Dockerfile", "Build context", "Platforms",
                     "layer cache", "Test command", ":latest", "SBOM", "provenance"):
        terminal.answer(question, "")
    assert terminal.finish() == 0
    pipeline = (tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert pipeline.startswith("# Written by `cigen init --strategy depot --executor kubernetes`")


def test_no_executor_question_for_a_host_strategy(tmp_path: Path) -> None:
    from tests.test_init import Terminal

    terminal = Terminal(tmp_path)
    terminal.answer("Build strategy", "socket")
    terminal.expect("Image repository")
    assert "Runner executor" not in terminal.seen
    os.write(terminal.master, b"\r")
    for question in ("Dockerfile", "Build context", "Platforms", "layer cache",
                     "Test command", ":latest"):
        terminal.answer(question, "")
    assert terminal.finish() == 0
    assert (tmp_path / ".gitlab-ci.yml").is_file()
