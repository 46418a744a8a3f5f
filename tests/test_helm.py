"""gitlab-runner Helm chart values: the runner configuration embedded in
`runners.config` is checked where it is written, inside the YAML block scalar.

The chart passes `runners.config` to the runner as its `config.toml`
(docs.gitlab.com/runner/install/kubernetes/ — "Configure the runner with the
Helm chart"); older charts also read `runners.privileged`. Restricted
privileged mode (`services_privileged` with `allowed_privileged_services`) is
a Docker executor setting (docs.gitlab.com/runner/executors/docker/); the
Kubernetes executor privileges containers through `privileged` and the
build/service container security contexts (docs.gitlab.com/runner/executors/kubernetes/).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.conftest import PROJECT, Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]

CORPUS = PROJECT.parent / "shared" / "corpus"

VALUES = """\
gitlabUrl: https://gitlab.example.com/
runners:
  tags: "dind"
  config: |
    [[runners]]
      name = "dind"
      executor = "docker"
      [runners.docker]
        image = "alpine:3.20"
        privileged = true
"""


def found(result: Result) -> list[tuple[str, int, int, str]]:
    return [(finding["path"], finding["line"], finding["column"], finding["rule"])
            for finding in result.findings()]


def test_findings_land_on_the_line_inside_the_block(write: Write, cigen: Cigen,
                                                    tmp_path: Path) -> None:
    write("values.yaml", VALUES)
    result = cigen("lint", "--format", "json", "values.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert found(result) == [("values.yaml", 10, 9, "privileged-runner"),
                             ("values.yaml", 10, 9, "runner-dind-certs-volume")]
    # A directory scan finds the values file by its content.
    write("charts/other.yaml", "replicas: 3\nconfig: |\n  not a runner\n")
    scanned = cigen("lint", "--format", "json", ".", cwd=tmp_path)
    assert {finding["path"] for finding in scanned.findings()} == {"values.yaml"}


def test_fix_adds_the_volume_with_the_blocks_indentation(write: Write, cigen: Cigen,
                                                         tmp_path: Path) -> None:
    path = write("values.yaml", VALUES)
    result = cigen("lint", "--fix", "--select", "runner-dind-certs-volume", "values.yaml",
                   cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert path.read_text(encoding="utf-8") == VALUES + '        volumes = ["/certs/client"]\n'


def test_suppressions_in_the_toml_and_above_the_block(write: Write, cigen: Cigen,
                                                      tmp_path: Path) -> None:
    write("values.yaml", VALUES.replace(
        "privileged = true", "privileged = true  # cigen: ignore[privileged-runner] dind only"))
    result = cigen("lint", "--format", "json", "values.yaml", cwd=tmp_path)
    assert [finding["rule"] for finding in result.findings()] == ["runner-dind-certs-volume"]
    write("values.yaml", VALUES.replace(
        "  config: |", "  # cigen: ignore[CG201,CG202] a dind runner for one project\n  config: |"))
    assert cigen("lint", "values.yaml", cwd=tmp_path).exit_code == 0


def test_umbrella_charts_old_keys_and_quoted_configs(write: Write, cigen: Cigen,
                                                     tmp_path: Path) -> None:
    nested = "gitlab-runner:\n" + "".join(f"  {line}\n" for line in VALUES.splitlines())
    write("values.yaml", nested.replace("  runners:\n", "  runners:\n    privileged: true\n"))
    result = cigen("lint", "--format", "json", "values.yaml", cwd=tmp_path)
    assert found(result) == [("values.yaml", 4, 17, "privileged-runner"),
                             ("values.yaml", 12, 11, "privileged-runner"),
                             ("values.yaml", 12, 11, "runner-dind-certs-volume")]
    quoted = ('runners:\n  config: "[[runners]]\\n  executor = \\"docker\\"\\n'
              '  [runners.docker]\\n    privileged = true\\n"\n')
    write("values.yaml", quoted)
    result = cigen("lint", "--format", "json", "values.yaml", cwd=tmp_path)
    # A quoted string's settings are placed on its key, and offered no fix.
    assert [(line, rule) for _, line, _, rule in found(result)] == [
        (2, "privileged-runner"), (2, "runner-dind-certs-volume")]
    assert not any(finding["fixable"] for finding in result.findings())


def test_restricted_privileged_mode_and_certs_volumes(write: Write, cigen: Cigen,
                                                      tmp_path: Path) -> None:
    restricted = VALUES.replace("privileged = true", """\
privileged = false
        services_privileged = true
        allowed_privileged_services = ["docker:29.1-dind"]
        volumes = ["/certs", "/cache"]""")
    write("values.yaml", restricted)
    assert cigen("lint", "values.yaml", cwd=tmp_path).exit_code == 0
    write("values.yaml", restricted.replace(
        '        allowed_privileged_services = ["docker:29.1-dind"]\n', ""))
    result = cigen("lint", "--format", "json", "values.yaml", cwd=tmp_path)
    assert [(line, rule) for _, line, _, rule in found(result)] == [(11, "privileged-runner")]
    assert "whatever image a job names" in result.findings()[0]["message"]


def test_kubernetes_dind_needs_a_certs_volume(write: Write, cigen: Cigen,
                                              tmp_path: Path) -> None:
    kubernetes = """\
runners:
  config: |
    [[runners]]
      executor = "kubernetes"
      [runners.kubernetes]
        privileged = false
        [runners.kubernetes.service_container_security_context]
          privileged = true
      {volume}
"""
    write("values.yaml", kubernetes.format(volume=""))
    result = cigen("lint", "--format", "json", "values.yaml", cwd=tmp_path)
    assert [(line, rule) for _, line, _, rule in found(result)] == [
        (8, "privileged-runner"), (8, "runner-dind-certs-volume")]
    # The Docker executor's restricted privileged mode does not exist on Kubernetes:
    # those keys there privilege nothing (and need no certs volume).
    write("values.yaml", kubernetes.replace(
        "        [runners.kubernetes.service_container_security_context]\n"
        "          privileged = true\n",
        "        services_privileged = true\n"
        '        allowed_privileged_services = ["docker:29.1-dind"]\n').format(volume=""))
    assert cigen("lint", "values.yaml", cwd=tmp_path).exit_code == 0
    write("values.yaml", kubernetes.format(volume="""\
[[runners.kubernetes.volumes.empty_dir]]
        name = "docker-certs"
        mount_path = "/certs/client"
        medium = "Memory\""""))
    assert cigen("lint", "--format", "json", "values.yaml", cwd=tmp_path).rules() == [
        "privileged-runner"]


def test_settings_an_executor_never_reads_are_not_reported(write: Write, cigen: Cigen,
                                                           tmp_path: Path) -> None:
    write("config.toml", '[[runners]]\n  executor = "shell"\n  [runners.docker]\n'
                         '    privileged = true\n')
    result = cigen("lint", "--format", "json", "config.toml", cwd=tmp_path)
    assert result.findings() == []


def test_templates_are_not_reported_as_broken_toml(write: Write, cigen: Cigen,
                                                   tmp_path: Path) -> None:
    write("values.yaml", VALUES.replace(
        "      [runners.docker]", "      {{- if .Values.dind }}\n      [runners.docker]"))
    assert cigen("lint", "values.yaml", cwd=tmp_path).exit_code == 0
    write("values.yaml", VALUES.replace('image = "alpine:3.20"', 'image = alpine'))
    result = cigen("lint", "--format", "json", "values.yaml", cwd=tmp_path)
    assert [(line, rule) for _, line, _, rule in found(result)] == [(9, "invalid-syntax")]


def test_every_report_format_reads_helm_findings(write: Write, cigen: Cigen,
                                                 tmp_path: Path) -> None:
    write("values.yaml", VALUES)
    sarif = json.loads(cigen("lint", "--format", "sarif", "values.yaml", cwd=tmp_path).stdout)
    regions = [result["locations"][0]["physicalLocation"]["region"]["startLine"]
               for result in sarif["runs"][0]["results"]]
    assert regions == [10, 10]
    quality = json.loads(cigen("lint", "--format", "codequality", "values.yaml",
                               cwd=tmp_path).stdout)
    assert [issue["location"]["lines"]["begin"] for issue in quality] == [10, 10]


# What a reading by hand finds in the corpus's Helm values (path, line, rule): 309
# and 312 run their Kubernetes job pods privileged with no certs volume; 302, 307
# and 314 set privileged = false or nothing.
HAND_READING = {
    ("309.values.yaml", 58, "privileged-runner"),
    ("309.values.yaml", 58, "runner-dind-certs-volume"),
    ("312.values.yaml", 26, "privileged-runner"),
    ("312.values.yaml", 26, "runner-dind-certs-volume"),
}


def test_corpus_helm_values_match_a_reading_by_hand(cigen: Cigen, tmp_path: Path) -> None:
    source = CORPUS / "batch2" / "runners"
    if not source.is_dir():
        import pytest

        pytest.skip("the shared corpus is not beside the project")
    for path in source.glob("*.values.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / ".git").mkdir()
    result = cigen("lint", "--isolated", "--format", "json", ".", cwd=tmp_path)
    assert result.exit_code == 1, result.stderr
    assert result.stderr == ""
    assert {(finding["path"], finding["line"], finding["rule"])
            for finding in result.findings()} == HAND_READING


def test_a_values_file_whose_runner_config_is_broken(write: Write, cigen: Cigen,
                                                     tmp_path: Path) -> None:
    # Named `values.yaml` with a `runners.config`, it is chart values even when the
    # TOML inside no longer has a `[[runners]]` header: reported there, not read
    # as a pipeline with a job called `runners`.
    write("values.yaml", "runners:\n  config: |\n    [[runners]\n")
    result = cigen("lint", "--format", "json", "values.yaml", cwd=tmp_path)
    assert [(f["line"], f["rule"]) for f in result.findings()] == [(3, "invalid-syntax")]
    # Another YAML file with such keys and no runner table is not taken for chart values.
    write("other.yaml", "runners:\n  config: |\n    [[runners]\n")
    scanned = cigen("lint", "--format", "json", ".", cwd=tmp_path)
    assert {finding["path"] for finding in scanned.findings()} == {"values.yaml"}
