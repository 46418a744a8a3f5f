"""Every sensible combination of `cigen init` options gives a pipeline that GitLab would
accept and that `cigen lint` passes, and no value can change the document's shape.

The matrix is rendered in-process (it is hundreds of pipelines); the linter runs
once over all of them through the command line, as a user would run it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import tomllib
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from ruamel.yaml import YAML

from cigen.init.generate import quote, render_pipeline, render_runner_config
from cigen.init.pins import pinned
from cigen.init.spec import IMAGE_REPOSITORY, BuildSpec, Strategy
from tests.conftest import Result

Cigen = Callable[..., Result]
DIMENSIONS: dict[str, list[Any]] = {
    "strategy": [strategy.value for strategy in Strategy],
    # Where the image goes and where its Dockerfile is, in the shapes that change the output.
    "location": [("$CI_REGISTRY_IMAGE", "Dockerfile", "."),
                 ("registry.example.com:5000/team/app", "docker/app/Containerfile", "app"),
                 ("org/app", "Dockerfile", ".")],
    "platforms": [[], ["linux/arm64"], ["linux/amd64", "linux/arm64", "linux/arm/v7"]],
    "cache": [True, False],
    "test_command": [None, "make test"],
    "release_latest": [True, False],
    "attestations": [False, True],
}


def matrix() -> Iterator[tuple[dict[str, Any], BuildSpec | None]]:
    """Every combination, with its spec, or None where cigen rejects it."""
    for values in itertools.product(*DIMENSIONS.values()):
        options = dict(zip(DIMENSIONS, values, strict=True))
        attestations = options.pop("attestations")
        options["image"], options["dockerfile"], options["context"] = options.pop("location")
        options["sbom"] = options["provenance"] = attestations
        try:
            yield options, BuildSpec.model_validate(options)
        except ValidationError:
            yield options, None


@cache
def accepted() -> list[BuildSpec]:
    return [spec for _, spec in matrix() if spec is not None]


@cache
def rendered() -> list[tuple[BuildSpec, str, Any]]:
    """Each accepted spec with its pipeline's text and parsed document."""
    return [(spec, text, load_yaml(text))
            for spec, text in ((spec, render_pipeline(spec)) for spec in accepted())]


@cache
def gitlab_schema() -> jsonschema.Draft7Validator:
    path = resources.files("check_jsonschema") / "builtin_schemas/vendor/gitlab-ci.json"
    return jsonschema.Draft7Validator(json.loads(path.read_text(encoding="utf-8")))


def load_yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


def test_the_matrix_rejects_exactly_what_a_strategy_cannot_build() -> None:
    for options, spec in matrix():
        host_daemon = options["strategy"] in ("shell", "socket")
        cannot = (host_daemon and len(options["platforms"]) > 1) or (
            options["sbom"] and options["strategy"] not in ("dind", "buildkit", "depot"))
        assert (spec is None) == cannot, options
    assert len(accepted()) >= 500


def test_gitlab_schema_catches_a_broken_pipeline() -> None:
    broken = {"build": {"script": "make", "imagee": "alpine:3.22", "rules": [{"iff": "x"}]}}
    assert list(gitlab_schema().iter_errors(broken))


TOP_LEVEL = {"workflow", "stages", "variables"}


def _expected_jobs(spec: BuildSpec) -> set[str]:
    return ({"build", ".release", "release-branch", "release-tag"}
            | ({"test"} if spec.test_command else set())
            | ({"release-latest"} if spec.release_latest else set())
            | ({".docker-host"} if spec.strategy is Strategy.shell else set()))


def test_every_pipeline_parses_and_validates_against_gitlab_schema() -> None:
    validator = gitlab_schema()
    for spec, _, document in rendered():
        errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                  for error in validator.iter_errors(document)]
        assert not errors, (spec, errors[:3])
        assert set(document) - TOP_LEVEL == _expected_jobs(spec), spec
        stages = document["stages"]
        assert all(document[job].get("stage", "build") in stages for job in _expected_jobs(spec)
                   if not job.startswith("."))
        build = document["build"]
        script = " ".join(build["script"])
        # The build pushes a tag of its pipeline's own and hands its digest on.
        assert "$IMAGE:pipeline-$CI_PIPELINE_ID" in script and "IMAGE_DIGEST=" in script
        assert build["artifacts"]["reports"]["dotenv"] == "build.env"
        for name in _expected_jobs(spec) - {"release-latest"}:
            assert ":latest" not in json.dumps(document[name]), (spec, name)
        assert build["rules"][-1]["exists"] == [spec.dockerfile]
        if spec.release_latest:
            rules = document["release-latest"]["rules"]
            assert rules[0]["if"] == "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"
        assert document["variables"]["IMAGE"] == spec.image


def test_images_come_from_the_versions_module() -> None:
    images = {value for name, value in pinned({}).items() if name.endswith("_IMAGE")}
    for spec, _, document in rendered():
        for name, job in document.items():
            if name in TOP_LEVEL or "image" not in job:
                continue
            image = job["image"]
            reference = image["name"] if isinstance(image, dict) else image
            if name == "test":
                assert reference == f"{spec.image}@$IMAGE_DIGEST"
            else:
                assert reference in images, (spec.strategy, name, reference)
            for service in job.get("services", []):
                assert service in images


def test_every_pipeline_and_runner_config_lints_clean(tmp_path: Path, cigen: Cigen) -> None:
    (tmp_path / ".git").mkdir()
    runner_configs = {}
    for number, (spec, text, _) in enumerate(rendered()):
        (tmp_path / f"case-{number}.gitlab-ci.yml").write_text(text, encoding="utf-8")
        runner_configs[spec.strategy] = render_runner_config(spec)
    for strategy, text in runner_configs.items():
        tomllib.loads(text)
        (tmp_path / f"{strategy.value}.toml").write_text(text, encoding="utf-8")
    # A canary proves that the run reads this directory's files.
    (tmp_path / "canary.gitlab-ci.yml").write_text(
        'build:\n  script:\n    - docker login -p "$P" registry.example.com\n', encoding="utf-8")
    result = cigen("lint", "--format", "json", ".", cwd=tmp_path, timeout=300)
    findings = result.json()["findings"]
    # Info-level notes are allowed, but not a suppression that suppresses nothing.
    serious = [finding for finding in findings
               if finding["severity"] != "info" or finding["rule"] == "unused-suppression"]
    assert [(Path(finding["path"]).name, finding["rule"]) for finding in serious] == [
        ("canary.gitlab-ci.yml", "registry-password-argv")], serious[:5]
    assert len(runner_configs) == len(Strategy)


def test_each_tradeoff_is_suppressed_with_a_reason(tmp_path: Path, cigen: Cigen) -> None:
    """Without its suppressions, each output shows exactly the tradeoff it states."""
    (tmp_path / ".git").mkdir()
    for strategy in Strategy:
        spec = BuildSpec(strategy=strategy, cache=strategy is not Strategy.dind)
        (tmp_path / f"{strategy.value}.gitlab-ci.yml").write_text(render_pipeline(spec),
                                                                 encoding="utf-8")
        (tmp_path / f"{strategy.value}.toml").write_text(render_runner_config(spec),
                                                        encoding="utf-8")
    result = cigen("lint", "--no-ignores", "--format", "json", ".", cwd=tmp_path)
    found = {(Path(finding["path"]).name, finding["rule"]) for finding in result.findings()}
    assert found == {("dind.gitlab-ci.yml", "privileged-dind"),
                     ("dind.gitlab-ci.yml", "missing-cache-from"),
                     ("socket.toml", "docker-socket-mount")}
    for path in [*tmp_path.glob("*.yml"), *tmp_path.glob("*.toml")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "cigen: ignore" in line:
                reason = line.split("]", 1)[1].strip()
                assert len(reason.split()) >= 5, line


printable = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(printable)
def test_quoted_values_read_back_exactly(value: str) -> None:
    assert load_yaml(f"key: {quote(value)}\n") == {"key": value}
    assert tomllib.loads(f"key = {quote(value, toml=True)}\n") == {"key": value}


images = st.one_of(printable, st.from_regex(IMAGE_REPOSITORY, fullmatch=True))


@settings(max_examples=150, deadline=None)
@given(command=printable, image=images, strategy=st.sampled_from(list(Strategy)))
def test_no_value_changes_the_pipeline_shape(command: str, image: str,
                                             strategy: Strategy) -> None:
    try:
        spec = BuildSpec(strategy=strategy, test_command=command)
    except ValidationError:
        return
    with contextlib.suppress(ValidationError):
        spec = BuildSpec(strategy=strategy, test_command=command, image=image)
    document = load_yaml(render_pipeline(spec))
    assert set(document) - TOP_LEVEL == _expected_jobs(spec)
    if strategy is Strategy.shell:
        assert document["test"]["variables"]["TEST_COMMAND"]["value"] == spec.test_command
    else:
        assert document["test"]["script"] == [spec.test_command]
    assert document["variables"]["IMAGE"] == spec.image


@pytest.mark.parametrize("strategy", list(Strategy))
def test_runner_configs_parse_as_toml(strategy: Strategy) -> None:
    data = tomllib.loads(render_runner_config(BuildSpec(strategy=strategy)))
    runner = data["runners"][0]
    if strategy is Strategy.shell:
        assert runner["executor"] == "shell"
    else:
        docker = runner["docker"]
        # dind runs in restricted privileged mode: only its service is privileged.
        assert docker["privileged"] is False
        assert (docker.get("services_privileged") is True) is (strategy is Strategy.dind)
        assert ("security_opt" in docker) is (strategy in (Strategy.buildkit, Strategy.buildah))
