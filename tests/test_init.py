"""`cigen init` as a user meets it: files written or refused, options, settings, prompts."""

from __future__ import annotations

import json
import os
import select
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import PROJECT, Result

Cigen = Callable[..., Result]


def load_yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.22\n", encoding="utf-8")
    return tmp_path


def test_writes_a_pipeline_that_lints_clean(repo: Path, cigen: Cigen) -> None:
    result = cigen("init", "--strategy", "dind", cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "wrote .gitlab-ci.yml (strategy dind)" in result.stderr
    pipeline = load_yaml((repo / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert pipeline["build"]["services"] == ["docker:29.1-dind"]
    lint = cigen("lint", ".gitlab-ci.yml", cwd=repo)
    assert lint.exit_code == 0, lint.stdout
    assert lint.stdout.startswith("No problems found")


def test_without_options_or_terminal_uses_the_defaults(repo: Path, cigen: Cigen) -> None:
    result = cigen("init", cwd=repo, stdin="")
    assert result.exit_code == 0, result.stderr
    pipeline = load_yaml((repo / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert pipeline["build"]["image"]["name"].startswith("moby/buildkit:")
    assert pipeline["variables"]["IMAGE"] == "$CI_REGISTRY_IMAGE"
    assert set(pipeline) == {"workflow", "stages", "variables", ".release", "build",
                             "release-branch", "release-latest", "release-tag"}


def test_refuses_to_overwrite_without_force(repo: Path, cigen: Cigen) -> None:
    existing = repo / ".gitlab-ci.yml"
    existing.write_text("mine: true\n", encoding="utf-8")
    result = cigen("init", "--strategy", "shell", cwd=repo)
    assert result.exit_code == 2
    assert result.stderr == ("cigen: error: --output: .gitlab-ci.yml already exists; use "
                             "--force to overwrite it\n")
    assert existing.read_text(encoding="utf-8") == "mine: true\n"

    existing.chmod(0o640)
    forced = cigen("init", "--strategy", "shell", "--force", cwd=repo)
    assert forced.exit_code == 0, forced.stderr
    assert "docker build --pull" in existing.read_text(encoding="utf-8")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640  # the file keeps its permissions
    assert sorted(path.name for path in repo.iterdir()) == [".git", ".gitlab-ci.yml",
                                                            "Dockerfile"]


def test_an_existing_runner_config_stops_both_files(repo: Path, cigen: Cigen) -> None:
    (repo / "runner.toml").write_text("concurrent = 1\n", encoding="utf-8")
    result = cigen("init", "--strategy", "dind", "--runner-config", "runner.toml", cwd=repo)
    assert result.exit_code == 2
    assert "runner.toml already exists" in result.stderr
    assert not (repo / ".gitlab-ci.yml").exists()


def test_new_file_gets_ordinary_permissions(repo: Path, cigen: Cigen) -> None:
    result = cigen("init", "--strategy", "buildah", cwd=repo)
    assert result.exit_code == 0, result.stderr
    mode = stat.S_IMODE((repo / ".gitlab-ci.yml").stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_output_dash_prints_the_pipeline_and_writes_nothing(repo: Path, cigen: Cigen) -> None:
    result = cigen("init", "--strategy", "socket", "--output", "-", cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Written by `cigen init --strategy socket`.")
    assert "build" in load_yaml(result.stdout)
    assert not (repo / ".gitlab-ci.yml").exists()


def test_output_to_a_missing_directory_is_a_usage_error(repo: Path, cigen: Cigen) -> None:
    result = cigen("init", "--output", "nowhere/.gitlab-ci.yml", cwd=repo)
    assert result.exit_code == 2
    assert result.stderr == ("cigen: error: --output: nowhere/.gitlab-ci.yml: directory "
                             "nowhere does not exist\n")


@pytest.mark.parametrize("strategy, expected", [
    ("shell", 'executor = "shell"'),
    ("dind", 'volumes = ["/certs/client", "/cache"]'),
    ("socket", '"/var/run/docker.sock:/var/run/docker.sock"'),
    ("buildkit", 'security_opt = ["seccomp=unconfined", "apparmor=unconfined"]'),
])
def test_runner_config_is_written_and_lints_clean(repo: Path, cigen: Cigen, strategy: str,
                                                  expected: str) -> None:
    (repo / "runner").mkdir()
    result = cigen("init", "--strategy", strategy, "--runner-config", "runner/config.toml",
                   cwd=repo)
    assert result.exit_code == 0, result.stderr
    text = (repo / "runner" / "config.toml").read_text(encoding="utf-8")
    assert expected in text
    lint = cigen("lint", "runner/config.toml", ".gitlab-ci.yml", cwd=repo)
    assert lint.exit_code == 0, lint.stdout
    # The tradeoff is stated, not hidden: without suppressions the linter reports it.
    unsuppressed = cigen("lint", "--no-ignores", "--format", "json", "runner/config.toml",
                         ".gitlab-ci.yml", cwd=repo)
    expected_rules = {"shell": set(), "buildkit": set(),
                      "dind": {"privileged-dind"},
                      "socket": {"docker-socket-mount"}}[strategy]
    assert set(unsuppressed.rules()) == expected_rules


@pytest.mark.parametrize("arguments, message", [
    (["--strategy", "kaniko"],
     '--strategy: "kaniko" is not one of shell, dind, socket, depot, buildkit, buildah'),
    (["--platform", "linux"],
     '--platform: "linux" is not a platform of the form os/arch, such as linux/amd64 or '
     "linux/arm/v7"),
    (["--platform", "linux/amd64", "--platform", "Linux/ARM64"],
     '--platform: "Linux/ARM64" is not a platform'),
    (["--image", "registry.example.com/my app"],
     '--image: "registry.example.com/my app" is not an image repository'),
    (["--image", "app\nbuild: {script: [id]}"],
     '--image: "app\\nbuild: {script: [id]}" is not an image repository'),
    (["--image", "registry.example.com/app:1.0"],
     '--image: "registry.example.com/app:1.0" has a tag or digest'),
    (["--dockerfile", "../Dockerfile"],
     '--dockerfile: "../Dockerfile": the Dockerfile must be inside the repository'),
    (["--dockerfile", "docker/Dockerfile\" && id"],
     '--dockerfile: "docker/Dockerfile\\" && id" is not a plain relative path'),
    (["--context", "/etc"], '--context: "/etc": the build context must be inside'),
    (["--test-command", "make test\nrelease: {script: [id]}"],
     "--test-command: \"make test\\nrelease: {script: [id]}\" must be one line"),
    (["--test-command", "  "], "--test-command: is empty"),
    (["--strategy", "shell", "--platform", "linux/amd64", "--platform", "linux/arm64"],
     "--platform: strategy shell builds on the host's daemon"),
    (["--strategy", "shell", "--sbom"], "--sbom: strategy shell builds on the host's daemon, "
                                        "which produces no SBOM"),
    (["--strategy", "socket", "--provenance"], "--provenance: strategy socket cannot attach"),
])
def test_invalid_values_are_one_line_naming_the_option(repo: Path, cigen: Cigen,
                                                       arguments: list[str],
                                                       message: str) -> None:
    result = cigen("init", *arguments, cwd=repo)
    assert result.exit_code == 2
    assert result.stderr.startswith("cigen: error: " + message)
    assert result.stderr.count("\n") == 1
    assert sorted(path.name for path in repo.iterdir()) == [".git", "Dockerfile"]


@pytest.mark.parametrize("command", [
    "pytest -q -k 'not slow' # keep",
    'echo "a: b" && test "$HOME" != "" || exit 1',
    "sh -c '[ -f /app/run ]' ; echo {} [] & *x !y %z @w `date`",
    "printf 'tab\\there' | grep -c é\u00a0ü — ✓",
    "--- !!python/object:os.system id",
])
def test_hostile_test_commands_stay_one_script_line(repo: Path, cigen: Cigen,
                                                    command: str) -> None:
    for strategy in ("buildkit", "shell"):
        result = cigen("init", "--strategy", strategy, "--test-command", command, "-o", "-",
                       cwd=repo)
        assert result.exit_code == 0, result.stderr
        pipeline = load_yaml(result.stdout)
        assert set(pipeline) == {"workflow", "stages", "variables", ".release", "build", "test",
                                 "release-branch", "release-latest", "release-tag"} | (
            {".docker-host"} if strategy == "shell" else set())
        test = pipeline["test"]
        if strategy == "shell":
            assert test["variables"]["TEST_COMMAND"] == {"value": command, "expand": False}
        else:
            assert test["script"] == [command]


def test_variables_in_the_image_stay_variables(repo: Path, cigen: Cigen) -> None:
    result = cigen("init", "--strategy", "buildah", "--image",
                   "${HARBOR_HOST}/team/$CI_PROJECT_NAME", "-o", "-", cwd=repo)
    assert result.exit_code == 0, result.stderr
    pipeline = load_yaml(result.stdout)
    assert pipeline["variables"]["IMAGE"] == "${HARBOR_HOST}/team/$CI_PROJECT_NAME"
    assert pipeline["variables"]["REGISTRY"] == "${HARBOR_HOST}"
    assert 'buildah login -u "$REGISTRY_USER" --password-stdin "$REGISTRY"' in result.stdout
    assert "REGISTRY_USER and REGISTRY_PASSWORD" in result.stderr


def test_settings_come_from_pyproject(repo: Path, cigen: Cigen) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.cigen.init]\nstrategy = "depot"\n'
        'platforms = ["linux/amd64", "linux/arm64"]\ntest-command = "make check"\n',
        encoding="utf-8")
    result = cigen("init", "-o", "-", cwd=repo)
    assert result.exit_code == 0, result.stderr
    pipeline = load_yaml(result.stdout)
    assert pipeline["variables"]["PLATFORMS"] == "linux/amd64,linux/arm64"
    assert pipeline["test"]["script"] == ["make check"]
    assert "depot build" in pipeline["build"]["script"][0]

    overridden = cigen("init", "--strategy", "buildkit", "--test-command", "make unit", "-o",
                       "-", cwd=repo)
    pipeline = load_yaml(overridden.stdout)
    assert "buildctl-daemonless.sh build" in pipeline["build"]["script"][0]
    assert pipeline["test"]["script"] == ["make unit"]


def test_cigen_toml_wins_over_pyproject(repo: Path, cigen: Cigen) -> None:
    (repo / "pyproject.toml").write_text('[tool.cigen.init]\nstrategy = "depot"\n',
                                         encoding="utf-8")
    (repo / "cigen.toml").write_text('[init]\nstrategy = "buildah"\ncache = false\n',
                                     encoding="utf-8")
    result = cigen("init", "-o", "-", cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert "buildah build --pull=always" in result.stdout
    assert "--layers" not in result.stdout


@pytest.mark.parametrize("file, content, message", [
    ("pyproject.toml", '[tool.cigen.init]\nstrategy = "kaniko"\n',
     "pyproject.toml:2: tool.cigen.init.strategy: must be one of shell, dind, socket, "
     "depot, buildkit, buildah"),
    ("pyproject.toml", "[tool.cigen.init]\nplatform = \"linux/amd64\"\n",
     "pyproject.toml:2: tool.cigen.init.platform: unknown key (did you mean 'platforms'?)"),
    ("pyproject.toml", "[tool.cigen.init]\nplatforms = [\"linux/amd64\", \"arm\"]\n",
     'pyproject.toml [tool.cigen.init]: platforms: "arm" is not a platform'),
    ("cigen.toml", "[init]\ncache = \"maybe\"\n",
     "cigen.toml:2: init.cache: must be true or false"),
    ("cigen.toml", "[init\n", "cigen.toml: invalid TOML: "),
    ("cigen.toml", "init = \"dind\"\n", "cigen.toml [init]: expected a table"),
])
def test_bad_settings_are_one_line_naming_the_key(repo: Path, cigen: Cigen, file: str,
                                                  content: str, message: str) -> None:
    (repo / file).write_text(content, encoding="utf-8")
    result = cigen("init", cwd=repo)
    assert result.exit_code == 2
    assert result.stderr.startswith("cigen: error: " + message)
    assert result.stderr.count("\n") == 1
    assert not (repo / ".gitlab-ci.yml").exists()


def test_lint_settings_alone_leave_init_to_its_defaults(repo: Path, cigen: Cigen) -> None:
    (repo / "cigen.toml").write_text('fail-on = "error"\n', encoding="utf-8")
    (repo / "pyproject.toml").write_text('[tool.cigen.init]\nstrategy = "depot"\n',
                                         encoding="utf-8")
    result = cigen("init", "-o", "-", cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Written by `cigen init --strategy buildkit`.")


def test_settings_examples_match_the_checked_in_schema(repo: Path) -> None:
    import jsonschema

    schema = json.loads((PROJECT / "schemas" / "cigen-init.schema.json").read_text("utf-8"))
    good = {"strategy": "dind", "platforms": ["linux/amd64"], "test-command": "make test",
            "release-latest": False}
    jsonschema.validate(good, schema)
    for bad in ({"strategy": "kaniko"}, {"platform": "linux/amd64"}, {"cache": "yes"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_checked_in_schema_is_current() -> None:
    generated = subprocess.run([sys.executable, "-m", "cigen.init.spec"], capture_output=True,
                               text=True, check=True, cwd=PROJECT).stdout
    checked_in = (PROJECT / "schemas" / "cigen-init.schema.json").read_text(encoding="utf-8")
    assert generated == checked_in, "regenerate: python -m cigen.init.spec > " \
                                    "schemas/cigen-init.schema.json"


def test_lint_does_not_import_the_generator(repo: Path) -> None:
    (repo / ".gitlab-ci.yml").write_text("build:\n  script: [make]\n", encoding="utf-8")
    completed = subprocess.run([sys.executable, "-X", "importtime", "-m", "cigen", "lint"],
                               cwd=repo, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    imported = {line.split("|")[-1].strip().split(".")[0]
                for line in completed.stderr.splitlines() if line.startswith("import time:")}
    assert "cigen" in imported
    assert not imported & {"jinja2", "pydantic", "jsonschema", "markupsafe"}


class Terminal:
    """`cigen init` on a pseudo-terminal, answered question by question."""

    def __init__(self, cwd: Path) -> None:
        self.master, slave = os.openpty()
        environment = {key: value for key, value in os.environ.items()
                       if key not in ("NO_COLOR",)}
        environment["TERM"] = "dumb"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cigen", "init"], cwd=cwd, stdin=slave, stdout=slave,
            stderr=slave, env=environment, close_fds=True)
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {text!r} in {self.seen!r}"
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the other side closed
                    chunk = b""
                assert chunk, f"no {text!r} in {self.seen!r}"
                self.seen += chunk.decode("utf-8", "replace")
        self.seen = self.seen[self.seen.index(text) + len(text):]

    def answer(self, question: str, text: str) -> None:
        self.expect(question)
        os.write(self.master, text.encode() + b"\r")

    def finish(self) -> int:
        """Read the rest until the program closes the terminal; its exit code."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if not ready:
                if self.process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the program exited and closed its side
                break
            if not chunk:
                break
            self.seen += chunk.decode("utf-8", "replace")
        code = self.process.wait(timeout=20)
        os.close(self.master)
        return code


def test_asks_on_a_terminal(repo: Path) -> None:
    terminal = Terminal(repo)
    terminal.answer("Build strategy", "dind")
    terminal.answer("Runner executor", "")
    terminal.answer("Image repository", "")
    terminal.answer("Dockerfile", "")
    terminal.answer("Build context", "")
    terminal.answer("Platforms", "linux/amd64,arm64")
    terminal.answer("Platforms", "linux/amd64,linux/arm64")  # asked again after the reason
    terminal.answer("layer cache", "")
    terminal.answer("Test command", "make test")
    terminal.answer(":latest", "n")
    terminal.answer("SBOM", "y")
    terminal.answer("provenance", "n")
    assert terminal.finish() == 0
    pipeline = load_yaml((repo / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert pipeline["variables"]["PLATFORMS"] == "linux/amd64,linux/arm64"
    assert pipeline["test"]["script"] == ["make test"]
    assert "release-latest" not in pipeline
    assert "--sbom=true" in pipeline["build"]["script"][-2]


def test_questions_show_their_choices_and_ask_again(repo: Path) -> None:
    terminal = Terminal(repo)
    terminal.answer("Build strategy", "kaniko")
    # A bad choice is answered with the valid values, and asked again.
    terminal.expect("shell, dind, socket, depot, buildkit, buildah")
    terminal.answer("Build strategy", "buildkit")
    terminal.answer("Runner executor", "")
    terminal.answer("Image repository", "")
    terminal.answer("Dockerfile", "")
    terminal.answer("Build context", "")
    terminal.answer("Platforms", "")
    terminal.expect("Keep a layer cache between pipelines? [Y/n]")
    os.write(terminal.master, b"maybe\r")
    terminal.answer("layer cache", "no")
    terminal.answer("Test command", "")
    terminal.expect("default branch? [Y/n]")
    os.write(terminal.master, b"\r")
    terminal.expect("SBOM attestation? [y/N]")
    os.write(terminal.master, b"\r")
    terminal.answer("provenance", "")
    assert terminal.finish() == 0
    pipeline = (repo / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert "release-latest" in pipeline
    assert "--export-cache" not in pipeline


def test_bad_settings_stop_init_with_the_line(repo: Path, cigen: Cigen) -> None:
    for written, message in [
        ('test_command = "make"', "pyproject.toml:3: tool.cigen.init.test_command: unknown key "
                                  "(did you mean 'test-command'?)"),
        ('platforms = "linux/amd64"', "pyproject.toml:3: tool.cigen.init.platforms: "
                                      "must be an array"),
        ('sbom = "yes"', "pyproject.toml:3: tool.cigen.init.sbom: must be true or false"),
    ]:
        (repo / "pyproject.toml").write_text(f"[tool.cigen.init]\ncache = true\n{written}\n")
        result = cigen("init", "-o", "-", cwd=repo)
        assert result.exit_code == 2
        assert result.stderr == f"cigen: error: {message}\n"


def test_an_existing_destination_stops_before_any_question(repo: Path) -> None:
    (repo / ".gitlab-ci.yml").write_text("build:\n  script: [make]\n", encoding="utf-8")
    terminal = Terminal(repo)
    assert terminal.finish() == 2
    assert ".gitlab-ci.yml already exists" in terminal.seen
    assert "Build strategy" not in terminal.seen
    assert (repo / ".gitlab-ci.yml").read_text(encoding="utf-8") == "build:\n  script: [make]\n"
