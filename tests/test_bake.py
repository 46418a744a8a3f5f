"""`docker buildx bake` reads the repository's Bake files (HCL or JSON, and
compose files): the tags of the targets it builds feed `unconditional-latest`
and `ref-name-tag`, with the Bake file's line in the message.

Bake's file lookup, groups, `inherits`, variables overridden by the
environment and `--push`/`output`:
https://docs.docker.com/build/bake/reference/ and
https://docs.docker.com/reference/cli/docker/buildx/bake/.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from cigen.source.hcl import UNKNOWN, HclError, parse_hcl
from tests.conftest import Result

Cigen = Callable[..., Result]
Write = Callable[[str, str], Path]

BAKE = """\
variable "TAG" {
  default = "latest"
}
variable "REGISTRY" {
  default = "registry.example.com/team"
}
group "default" {
  targets = ["app", "worker"]
}
target "app" {
  context = "."
  tags = ["${REGISTRY}/app:${TAG}", "${REGISTRY}/app:${CI_COMMIT_SHORT_SHA}"]
}
target "worker" {
  inherits = ["app"]
  tags = ["${REGISTRY}/worker:${CI_COMMIT_SHORT_SHA}"]
  output = ["type=registry"]
}
"""

BAKE_JSON = """\
{
  "variable": {"TAG": {"default": "latest"}},
  "group": {"default": {"targets": ["app"]}},
  "target": {
    "app": {
      "context": ".",
      "tags": ["registry.example.com/team/app:${TAG}"]
    }
  }
}
"""


def lint(write: Write, cigen: Cigen, script: str, files: dict[str, str],
         variables: str = "", rule: str = "unconditional-latest") -> Result:
    path = write(".gitlab-ci.yml", f"build:\n  image: docker:29.1-cli\n{variables}"
                                   f"  script:\n    - {script}\n")
    for name, text in files.items():
        write(name, text)
    result = cigen("lint", "--format", "json", "--select", rule, ".gitlab-ci.yml",
                   cwd=path.parent, timeout=30)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return result


def lines(result: Result) -> list[int]:
    return [finding["line"] for finding in result.findings()]


def test_latest_from_a_variable_default_is_reported_with_the_bake_line(
        write: Write, cigen: Cigen) -> None:
    result = lint(write, cigen, "docker buildx bake --push", {"docker-bake.hcl": BAKE})
    assert lines(result) == [4]
    message = result.findings()[0]["message"]
    assert "registry.example.com/team/app:latest" in message
    assert "docker-bake.hcl:12" in message


@pytest.mark.parametrize(("script", "files"), [
    ("docker buildx bake --push", {"docker-bake.json": BAKE_JSON}),
    ("docker buildx bake -f ci/bake.hcl --push", {"ci/bake.hcl": BAKE}),
    ("docker buildx bake --push app", {"docker-bake.hcl": BAKE}),
    # Bake reads compose files too: a service with `build:` is a target.
    ("docker buildx bake --push",
     {"compose.yaml": "services:\n  app:\n    build: .\n"
                      "    image: registry.example.com/team/app:latest\n"}),
    # `output = ["type=registry"]` pushes without --push; `app` inherits nothing of it.
    ("docker buildx bake release",
     {"docker-bake.hcl": BAKE + 'target "release" {\n  inherits = ["app"]\n'
                                '  output = ["type=image,push=true"]\n}\n'}),
])
def test_ways_bake_pushes_latest(write: Write, cigen: Cigen, script: str,
                                 files: dict[str, str]) -> None:
    assert lines(lint(write, cigen, script, files)) == [4]


@pytest.mark.parametrize(("script", "files", "variables"), [
    # The job sets TAG: Bake takes the environment's value over the default.
    ("docker buildx bake --push", {"docker-bake.hcl": BAKE},
     "  variables:\n    TAG: $CI_COMMIT_SHORT_SHA\n"),
    # Built, not pushed (worker pushes, but carries no latest).
    ("docker buildx bake", {"docker-bake.hcl": BAKE}, ""),
    ("docker buildx bake --push worker", {"docker-bake.hcl": BAKE}, ""),
    # The command line replaces the tags.
    ('docker buildx bake --push --set "*.tags=registry.example.com/team/app:1"',
     {"docker-bake.hcl": BAKE}, ""),
    # An expression cigen does not compute.
    ("docker buildx bake --push",
     {"docker-bake.hcl": BAKE.replace('${TAG}"', '${notequal("", TAG) ? TAG : "dev"}"')}, ""),
    # A target no file defines, a file that is not HCL, no file at all.
    ("docker buildx bake --push other", {"docker-bake.hcl": BAKE}, ""),
    ("docker buildx bake --push", {"docker-bake.hcl": 'target "app" {\n  tags = [\n'}, ""),
    ("docker buildx bake --push", {}, ""),
    # The script moved elsewhere first.
    ("cd images && docker buildx bake --push", {"docker-bake.hcl": BAKE}, ""),
])
def test_silent_where_no_latest_push_is_known(write: Write, cigen: Cigen, script: str,
                                              files: dict[str, str], variables: str) -> None:
    assert lines(lint(write, cigen, script, files, variables)) == []


def test_raw_branch_name_in_a_bake_tag_is_reported_without_a_fix(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    bake = BAKE.replace("worker:${CI_COMMIT_SHORT_SHA}", "worker:${CI_COMMIT_REF_NAME}")
    result = lint(write, cigen, "docker buildx bake worker", {"docker-bake.hcl": bake},
                  rule="ref-name-tag")
    assert [(finding["line"], finding["fixable"]) for finding in result.findings()] == [
        (4, False)]
    assert "docker-bake.hcl:16" in result.findings()[0]["message"]
    before = (tmp_path / "docker-bake.hcl").read_bytes()
    cigen("lint", "--fix", "--select", "ref-name-tag", cwd=tmp_path)
    assert (tmp_path / "docker-bake.hcl").read_bytes() == before


# -- the HCL reader --------------------------------------------------------------------

def test_hcl_values_and_their_lines() -> None:
    body = parse_hcl(BAKE + """\
# a comment
target "extra" {
  args = { VERSION = "1.0", "X": 2 }  // trailing
  /* a block
     comment */
  labels = TAG == "latest" ? { a = "b" } : {}
  dockerfile-inline = <<EOT
FROM alpine:3.20
EOT
  platforms = ["linux/amd64", "linux/arm64"]
  tags = [for tag in ["a"] : "x:${tag}"]
  no-cache = true
}
""")
    blocks = {(block.kind, block.labels): block for block in body.blocks}
    extra = blocks[("target", ("extra",))]
    assert extra.line == 20
    attributes = extra.body.attributes
    assert attributes["args"].value["VERSION"].value == "1.0"
    assert attributes["args"].value["X"].value == 2
    assert attributes["labels"].value is UNKNOWN
    assert attributes["dockerfile-inline"].value is UNKNOWN
    assert [item.value for item in attributes["platforms"].value] == [
        "linux/amd64", "linux/arm64"]
    assert attributes["platforms"].line == 28
    assert attributes["tags"].value is UNKNOWN
    assert attributes["no-cache"].value is True
    app = blocks[("target", ("app",))].body.attributes["tags"]
    assert [item.value for item in app.value] == [
        "${REGISTRY}/app:${TAG}", "${REGISTRY}/app:${CI_COMMIT_SHORT_SHA}"]


@pytest.mark.parametrize("text", [
    'target "x" {', 'a = "unterminated', "= 3", "x = [1, 2", "x = {a = 1", "x = <<EOT\nno end\n",
    "target \"x\" { tags = [\"a\" }", "@",
])
def test_hcl_that_is_not_valid_raises_one_error(text: str) -> None:
    with pytest.raises(HclError):
        parse_hcl(text)


def test_hcl_reader_never_fails_otherwise_on_mangled_text() -> None:
    randomizer = random.Random(13)
    pieces = [*list(BAKE), "${", "}", '"', "[", "]", "{", "<<EOT\n", "\n", "=", "?", "(", ")"]
    for _ in range(400):
        text = list(BAKE)
        for _ in range(randomizer.randint(1, 6)):
            text.insert(randomizer.randrange(len(text) + 1), randomizer.choice(pieces))
        with contextlib.suppress(HclError):
            parse_hcl("".join(text))
