"""Configuration files, flags that mirror them, and inline suppressions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import PROJECT, Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

PIPELINE = """\
build:
  image: docker:latest
  tags: [shell]
  script:
    - docker login -u u -p "$PASSWORD" registry.example.com
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG" .
"""


def rules(result: Result) -> list[str]:
    return [finding["rule"] for finding in result.findings()]


def test_pyproject_configuration_is_found_upward(write: Write, cigen: Cigen,
                                                 tmp_path: Path) -> None:
    write("pyproject.toml", """\
[project]
name = "demo"

[tool.cigen]
ignore = ["registry-password-argv"]
fail-on = "error"

[tool.cigen.severity]
unpinned-docker-image = "info"
""")
    write("ci/.gitlab-ci.yml", PIPELINE)
    result = cigen("lint", "--format", "json", "ci/.gitlab-ci.yml", cwd=tmp_path)
    assert [(f["rule"], f["severity"]) for f in result.findings()] == [
        ("unpinned-docker-image", "info")]
    assert result.exit_code == 0
    isolated = cigen("lint", "--format", "json", "--isolated", "ci/.gitlab-ci.yml",
                     cwd=tmp_path)
    assert sorted(rules(isolated)) == ["registry-password-argv", "unpinned-docker-image"]
    assert isolated.exit_code == 1


def test_flags_win_over_the_file(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write("cigen.toml", 'select = ["unpinned-docker-image"]\nfail-on = "error"\n')
    write(".gitlab-ci.yml", PIPELINE)
    assert rules(cigen("lint", "--format", "json", cwd=tmp_path)) == ["unpinned-docker-image"]
    chosen = cigen("lint", "--format", "json", "--select", "CG109", "--fail-on", "warning",
                   cwd=tmp_path)
    assert rules(chosen) == ["registry-password-argv"]
    assert chosen.exit_code == 1
    extended = cigen("lint", "--format", "json", "--extend-select", "registry-password-argv",
                     cwd=tmp_path)
    assert sorted(rules(extended)) == ["registry-password-argv", "unpinned-docker-image"]


def test_explicit_config_per_file_ignores_exclude_and_rule_options(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write("lint.toml", """\
exclude = ["vendor/**"]

[per-file-ignores]
"legacy/*.gitlab-ci.yml" = ["unpinned-docker-image"]

[rules.unpinned-docker-image]
trusted-registries = ["mirror.example.com/"]
""")
    write("legacy/old.gitlab-ci.yml", "a:\n  image: docker:latest\n  script: [x]\n")
    write("vendor/lib/.gitlab-ci.yml", "a:\n  image: docker:latest\n  script: [x]\n")
    write("new.gitlab-ci.yml", "a:\n  image: mirror.example.com/docker:stable\n  script: [x]\n"
                               "b:\n  image: docker:stable\n  script: [x]\n")
    result = cigen("lint", "--format", "json", "--config", "lint.toml", ".",
                   cwd=tmp_path)
    assert [(f["path"], f["line"]) for f in result.findings()] == [("new.gitlab-ci.yml", 5)]


def test_bad_configuration_is_a_one_line_usage_error(write: Write, cigen: Cigen,
                                                     tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    config = write("cigen.toml", '# lint settings\nselct = ["x"]\n')
    result = cigen("lint", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == f"cigen: error: {config}:2: selct: unknown key (did you mean 'select'?)\n"
    config.write_text('ignore = []\nfail-on = "sometimes"\n')
    assert cigen("lint", cwd=tmp_path).stderr == (
        f"cigen: error: {config}:2: fail-on: must be one of error, warning, info\n")
    config.write_text('[rules.unpinned-docker-image]\ntrusted-registries = "mirror/"\n')
    assert cigen("lint", cwd=tmp_path).stderr == (
        f"cigen: error: {config}:2: rules.unpinned-docker-image.trusted-registries: "
        "must be an array\n")
    pyproject = write("pyproject.toml", '[tool.cigen]\nseverity = { privileged-dind = "x" }\n')
    assert cigen("lint", "--config", str(pyproject), cwd=tmp_path).stderr == (
        f"cigen: error: {pyproject}:2: tool.cigen.severity.privileged-dind: "
        "must be one of error, warning, info\n")
    config.write_text('ignore = ["no-such-rule"]\n')
    assert cigen("lint", cwd=tmp_path).stderr == (
        f"cigen: error: {config}:1: ignore: unknown rule 'no-such-rule' (see `cigen rules`)\n")
    config.write_text("ignore = []\n[broken\n")
    broken = cigen("lint", cwd=tmp_path)
    assert broken.exit_code == 2 and broken.stderr.count("\n") == 1
    assert broken.stderr.startswith(f"cigen: error: {config}:2:")
    assert "Traceback" not in broken.stderr
    config.write_bytes(b'ignore = ["caf\xe9"]\n')
    latin1 = cigen("lint", cwd=tmp_path)
    assert (latin1.exit_code, latin1.stderr) == (2, f"cigen: error: {config}: not valid UTF-8\n")
    assert cigen("lint", "--config", "nope.toml", cwd=tmp_path).stderr == (
        "cigen: error: --config nope.toml: no such file\n")


CONFIGURATIONS = [
    {},
    {"select": ["CG1", "docker-socket-mount"], "ignore": [], "extend-select": ["CG101"],
     "fail-on": "info", "exclude": ["vendor/**"], "require-reason": True,
     "unsafe-fixes": False, "per-file-ignores": {"ci/*.yml": ["privileged-dind"]},
     "severity": {"unconditional-latest": "error"},
     "rules": {"unpinned-docker-image": {"docker-version": "29.1",
                                         "trusted-registries": ["mirror/"]}},
     "init": {"strategy": "dind"}},
    {"select": None},
    {"rules": {}},
    {"selct": ["x"]},
    {"extend_select": ["CG101"]},
    {"select": "CG101"},
    {"select": [1]},
    {"fail-on": "sometimes"},
    {"fail-on": None},
    {"require-reason": "yes"},
    {"severity": {"privileged-dind": "fatal"}},
    {"per-file-ignores": {"a": "privileged-dind"}},
    {"rules": {"unpinned-docker-image": {"docker-version": "v29"}}},
    {"rules": {"unpinned-docker-image": {"pinned": True}}},
    {"rules": {"no-such-rule": {}}},
    {"init": "dind"},
]


def test_the_schema_a_run_validates_with_agrees_with_the_model(tmp_path: Path) -> None:
    # Runs check the file against the generated schema, not with pydantic:
    # both must accept and reject the same tables.
    import tomllib

    from pydantic import ValidationError

    from cigen.lint.settings import ConfigError, load_settings, model

    def toml(value: object) -> str:
        return json.dumps(value)  # JSON strings, numbers, arrays and booleans are TOML too

    for table in CONFIGURATIONS:
        lines = ["[tool.cigen]"]
        lines += [f'"{key}" = {toml(value)}' for key, value in table.items()
                  if value is not None and not isinstance(value, dict)]
        for key, value in table.items():
            if isinstance(value, dict):
                lines.append(f'[tool.cigen."{key}"]')
                for inner, item in value.items():
                    item_text = ("{" + ", ".join(f'"{k}" = {toml(v)}' for k, v in item.items())
                                 + "}") if isinstance(item, dict) else toml(item)
                    lines.append(f'"{inner}" = {item_text}')
        path = tmp_path / "pyproject.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written = tomllib.loads(path.read_text("utf-8"))["tool"]["cigen"]
        try:
            model().model_validate(written)
            model_accepts = True
        except ValidationError:
            model_accepts = False
        try:
            settings = load_settings(str(path))
            run_accepts = True
        except ConfigError:
            run_accepts = False
        assert run_accepts == model_accepts, table
        if run_accepts:
            dumped = model().model_validate(written).model_dump(by_alias=True)
            assert settings.fail_on == dumped["fail-on"]
            assert settings.select == (frozenset(dumped["select"])
                                       if dumped["select"] is not None else None)
            assert settings.ignore == frozenset(dumped["ignore"])
            assert settings.require_reason == dumped["require-reason"]
            assert dict(settings.severity) == dumped["severity"]


def test_schema_of_the_configuration_is_current() -> None:
    from cigen.lint.settings import schema_text

    checked_in = (PROJECT / "schemas" / "cigen-config.schema.json").read_text()
    assert checked_in == schema_text(), "run: python -m cigen.lint.settings > " \
                                        "schemas/cigen-config.schema.json"
    document = json.loads(checked_in)
    assert "select" in document["properties"]
    assert document["additionalProperties"] is False


# -- suppressions ----------------------------------------------------------------------


def test_inline_and_file_suppressions(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", """\
# cigen: ignore-file[unpinned-docker-image] images come from a pinned mirror
build:
  image: docker:latest
  tags: [shell]
  script:
    # cigen: ignore[registry-password-argv] token is short-lived
    - docker login -u u -p "$PASSWORD" registry.example.com
    - docker login -u u -p "$OTHER" registry.example.com  # cigen: ignore[CG109]
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"  # cigen: ignore[ref-name-tag] stale
    - echo hi  # cigen: ignore[no-such-rule]
""")
    result = cigen("lint", "--format", "json", "--fail-on", "info", cwd=tmp_path)
    assert [(f["rule"], f["line"], f["message"]) for f in result.findings()] == [
        ("unused-suppression", 9, "`ignore[ref-name-tag]` suppresses nothing here; remove it"),
        ("unused-suppression", 10, "no rule named no-such-rule (see `cigen rules`)"),
    ]
    assert result.exit_code == 1
    assert cigen("lint", cwd=tmp_path).exit_code == 0  # unused suppressions are info
    reasons = cigen("lint", "--format", "json", "--require-reason", "--select",
                    "missing-suppression-reason", cwd=tmp_path)
    assert [(f["rule"], f["line"]) for f in reasons.findings()] == [
        ("missing-suppression-reason", 8), ("missing-suppression-reason", 10)]
    audit = cigen("lint", "--format", "json", "--no-ignores", cwd=tmp_path)
    assert sorted(rules(audit)) == ["registry-password-argv", "registry-password-argv",
                                    "unpinned-docker-image"]


def test_suppressions_in_included_files_and_runner_configs(write: Write, cigen: Cigen,
                                                          tmp_path: Path) -> None:
    write("ci/dind.yml", ".dind:\n  services:\n"
                         "    - docker:29.1-dind  # cigen: ignore[privileged-dind] own runner\n"
                         "  variables: {DOCKER_TLS_CERTDIR: /certs}\n")
    write(".gitlab-ci.yml", "include: ci/dind.yml\nbuild:\n  extends: .dind\n"
                            "  script: [docker info]\n")
    write("config.toml", '[[runners]]\n  name = "dind"\n  executor = "docker"\n'
                         "  [runners.docker]\n"
                         "    # cigen: ignore[privileged-runner] dind runner for one project\n"
                         "    privileged = true\n"
                         '    volumes = ["/certs/client", "/cache"]\n')
    result = cigen("lint", "--format", "json", ".gitlab-ci.yml", "config.toml", cwd=tmp_path)
    assert result.findings() == []
    assert result.exit_code == 0


def test_standalone_suppression_covers_the_whole_next_entry(write: Write, cigen: Cigen,
                                                             tmp_path: Path) -> None:
    write(".gitlab-ci.yml", """\
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner for this project
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script:
    # cigen: ignore[missing-cache-from] a clean build on purpose
    - >
      docker build --pull
      -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA" .
    - docker build -t "$CI_REGISTRY_IMAGE:other" other/
""")
    result = cigen("lint", "--format", "json", "--fail-on", "info", cwd=tmp_path)
    assert [(f["rule"], f["line"]) for f in result.findings()] == [("missing-cache-from", 12)]


def test_flag_conflicts_and_exclude_flag(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", PIPELINE)
    write("vendor/other.gitlab-ci.yml", PIPELINE)
    both = cigen("lint", "--config", "cigen.toml", "--isolated", cwd=tmp_path)
    assert both.exit_code == 2
    assert both.stderr == "cigen: error: --config and --isolated cannot be used together\n"
    excluded = cigen("lint", "--format", "json", "--exclude", "vendor/**", ".", cwd=tmp_path)
    assert {f["path"] for f in excluded.findings()} == {".gitlab-ci.yml"}
