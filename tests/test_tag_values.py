"""`ref-name-tag`: the raw branch name reaching an image reference, through
variables and shell, cleaned or not; the refs that make it harmless; and fixes
that keep every line of one image reference consistent.

Cleaning is judged by what the shell computes (bash parameter expansion,
`tr`, `sed`), on branch names such as `feature/login`. Docker's reference
grammar (https://docs.docker.com/reference/cli/docker/image/tag/): a tag is
`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; repository path components are lower case.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Cigen = Callable[..., Result]
Write = Callable[[str, str], Path]


def build(script: str, head: str = "", job_keys: str = "") -> str:
    return f"{head}build:\n  tags: [shell]\n{job_keys}  script:\n{script}"


def marked(text: str) -> list[int]:
    return [number for number, line in enumerate(text.splitlines(), start=1)
            if line.rstrip().endswith("# hit")]


def lint(write: Write, cigen: Cigen, text: str, *args: str) -> Result:
    path = write(".gitlab-ci.yml", text)
    result = cigen("lint", "--format", "json", "--select", "ref-name-tag", *args,
                   ".gitlab-ci.yml", cwd=path.parent, timeout=30)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return result


def reported(write: Write, cigen: Cigen, text: str) -> list[int]:
    return sorted(finding["line"] for finding in lint(write, cigen, text).findings())


RAW = {
    "direct": "    - docker build -t \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\" .  # hit\n",
    "braces": "    - docker push \"$CI_REGISTRY_IMAGE:${CI_COMMIT_BRANCH}\"  # hit\n",
    "merge-request-source": (
        "    - docker push \"$CI_REGISTRY_IMAGE:$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME\"  # hit\n"),
    "shell-assignment": ("    - TAG=$CI_COMMIT_REF_NAME\n"
                         "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"  # hit\n"),
    "export": ("    - export TAG=\"$CI_COMMIT_BRANCH-$CI_PIPELINE_IID\"\n"
               "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"  # hit\n"),
    "for-loop": ("    - |\n"
                 "      for tag in $CI_COMMIT_SHORT_SHA $CI_COMMIT_REF_NAME; do\n"
                 "        docker push \"$CI_REGISTRY_IMAGE:$tag\"  # hit\n"
                 "      done\n"),
    # `/` replaces the first slash only: `user/feature/x` keeps one.
    "first-slash-only": (
        "    - docker push \"$CI_REGISTRY_IMAGE:${CI_COMMIT_REF_NAME/\\//-}\"  # hit\n"),
    # Without `g`, sed replaces the first slash of the line only.
    "sed-without-g": ("    - TAG=$(echo \"$CI_COMMIT_REF_NAME\" | sed 's/\\//-/')\n"
                      "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"  # hit\n"),
    # `#feature/` removes that one prefix: `fix/login` keeps its slash.
    "one-prefix-removed": (
        "    - docker push \"$CI_REGISTRY_IMAGE:${CI_COMMIT_REF_NAME#feature/}\"  # hit\n"),
    "lower-cased-only": (
        "    - TAG=$(echo $CI_COMMIT_REF_NAME | tr '[:upper:]' '[:lower:]')\n"
        "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"  # hit\n"),
    "lower-case-expansion": "    - docker push \"$CI_REGISTRY_IMAGE:${CI_COMMIT_REF_NAME,,}\"  # hit\n",
    "default-value": (
        "    - docker push \"$CI_REGISTRY_IMAGE:${CI_COMMIT_REF_NAME:-dev}\"  # hit\n"),
    # Slashes cleaned, but upper case stays, and a repository path must be lower case.
    "cleaned-but-in-repository-path": (
        "    - docker push \"$CI_REGISTRY_IMAGE/${CI_COMMIT_REF_NAME//\\//-}:$CI_COMMIT_SHA\"  # hit\n"),
    "crane-tag": ("    - crane tag \"$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA\" "
                  "\"$CI_COMMIT_REF_NAME\"  # hit\n"),
    "kaniko": ("    - /kaniko/executor --context . "
               "--destination \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\"  # hit\n"),
    # CI_COMMIT_TAG is unset on a branch: there the default, the branch name, is used.
    "tag-or-branch-name": (
        "    - docker push \"$CI_REGISTRY_IMAGE:${CI_COMMIT_TAG:-$CI_COMMIT_REF_NAME}\"  # hit\n"),
    "tag-or-branch-name-in-shell-variable": (
        "    - TAG=${CI_COMMIT_TAG:-${CI_COMMIT_BRANCH}}\n"
        "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"  # hit\n"),
    "tag-or-branch-name-by-if": (
        "    - |\n"
        "      if [ -n \"$CI_COMMIT_TAG\" ]; then TAG=$CI_COMMIT_TAG; else TAG=$CI_COMMIT_REF_NAME; fi\n"
        "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"  # hit\n"),
}

CLEAN = {
    "slug": "    - docker push \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG\"\n",
    "every-slash-replaced": (
        "    - docker push \"$CI_REGISTRY_IMAGE:${CI_COMMIT_REF_NAME//\\//-}\"\n"),
    "every-slash-replaced-in-variable": (
        "    - TAG=${CI_COMMIT_BRANCH//\\//_}\n"
        "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"\n"),
    "tr": ("    - TAG=$(echo $CI_COMMIT_REF_NAME | tr / -)\n"
           "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"\n"),
    "tr-delete": ("    - TAG=$(echo \"$CI_COMMIT_REF_NAME\" | tr -d /)\n"
                  "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"\n"),
    "sed-g-with-bars": ("    - TAG=$(echo \"$CI_COMMIT_REF_NAME\" | sed 's|/|-|g')\n"
                        "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"\n"),
    "sed-e-escaped-slash": ("    - TAG=$(echo \"$CI_COMMIT_REF_NAME\" | sed -e 's/\\//-/g')\n"
                            "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"\n"),
    "sed-extended-class": (
        "    - TAG=$(echo \"$CI_COMMIT_REF_NAME\" | sed -E 's/[^a-zA-Z0-9.]+/-/g')\n"
        "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"\n"),
    "backticks": ("    - TAG=`echo $CI_COMMIT_REF_NAME | tr / -`\n"
                  "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"\n"),
    # `##*/` removes everything through the last slash: none remains.
    "last-component": "    - docker push \"$CI_REGISTRY_IMAGE:${CI_COMMIT_REF_NAME##*/}\"\n",
    # A command cigen does not emulate: unknown, so silent.
    "cut-is-unknown": ("    - TAG=$(echo $CI_COMMIT_REF_NAME | cut -d/ -f2)\n"
                       "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"\n"),
    # Only in a tag pipeline is CI_COMMIT_TAG set, and then the default is not used.
    "tag-alternative-cleaned": (
        "    - docker push \"$CI_REGISTRY_IMAGE:${CI_COMMIT_TAG:-$CI_COMMIT_REF_SLUG}\"\n"),
    "label-not-tag": ("    - docker build --label \"branch=$CI_COMMIT_REF_NAME\" "
                      "-t \"$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA\" .\n"),
}


@pytest.mark.parametrize("script", RAW.values(), ids=RAW.keys())
def test_raw_branch_names_in_tags(script: str, write: Write, cigen: Cigen) -> None:
    text = build(script)
    assert reported(write, cigen, text) == marked(text)


@pytest.mark.parametrize("script", CLEAN.values(), ids=CLEAN.keys())
def test_clean_or_unknown_values(script: str, write: Write, cigen: Cigen) -> None:
    assert reported(write, cigen, build(script)) == []


def test_yaml_variables_at_every_level(write: Write, cigen: Cigen) -> None:
    text = """\
variables:
  GLOBAL_TAG: $CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME  # hit
  CLEAN_TAG: $CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG
one:
  tags: [shell]
  script:
    - docker build -t "$GLOBAL_TAG" .
two:
  tags: [shell]
  variables:
    JOB_TAG: "$CI_REGISTRY_IMAGE:$CI_COMMIT_BRANCH"  # hit
  script:
    - docker push "$JOB_TAG"
    - docker push "$CLEAN_TAG"
"""
    assert reported(write, cigen, text) == marked(text)


REF_CONTEXTS = {
    # For tags the variable is the git tag's name, which may contain '/' too
    # (`release/1.0`); the finding asks for $CI_COMMIT_TAG (see the fix test below).
    "only-tags": ("  only: [tags]\n", True),
    "tag-rule": ("  rules:\n    - if: $CI_COMMIT_TAG\n", True),
    "named-branches-without-slash": ("  only: [main, develop]\n", False),
    "rules-named-branches": ("  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\"\n"
                             "    - if: $CI_COMMIT_BRANCH == \"develop\"\n", False),
    # The default branch's name is a project setting: unknown, so silent.
    "default-branch": ("  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n", False),
    "unknown-template": ("  extends: .from-elsewhere\n", False),
    "named-branch-with-slash": ("  only: [main, release/2.x]\n", True),
    "release-branches": ("  rules:\n    - if: $CI_COMMIT_BRANCH =~ /^release\\//\n", True),
    "main-or-merge-requests": ("  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\"\n"
                               "    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n",
                               True),
    "project-variable-rule": ("  rules:\n    - if: $BUILD_IMAGES\n", True),
}


@pytest.mark.parametrize(("keys", "finding"), REF_CONTEXTS.values(), ids=REF_CONTEXTS.keys())
def test_the_refs_decide(keys: str, finding: bool, write: Write, cigen: Cigen) -> None:
    text = build("    - docker push \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\"\n", job_keys=keys)
    assert reported(write, cigen, text) == ([4 + keys.count("\n")] if finding else [])


# -- fixes ------------------------------------------------------------------------------


def test_build_tag_and_push_are_fixed_together(write: Write, cigen: Cigen,
                                               tmp_path: Path) -> None:
    text = build("    - docker build -t \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\" .\n"
                 "    - docker tag app \"$CI_REGISTRY_IMAGE:${CI_COMMIT_REF_NAME}\"\n"
                 "    - docker push \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\"\n")
    assert [finding["fixable"] for finding in lint(write, cigen, text).findings()] == [True] * 3
    result = cigen("lint", "--fix", "--select", "ref-name-tag", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout
    assert (tmp_path / ".gitlab-ci.yml").read_text() == text.replace(
        "CI_COMMIT_REF_NAME", "CI_COMMIT_REF_SLUG")


def test_yaml_variable_is_fixed_where_defined(write: Write, cigen: Cigen,
                                             tmp_path: Path) -> None:
    text = ("variables:\n  IMAGE: \"$CI_REGISTRY_IMAGE:$CI_COMMIT_BRANCH\"\n"
            + build("    - docker build -t \"$IMAGE\" .\n"))
    lint(write, cigen, text)
    cigen("lint", "--fix", "--select", "ref-name-tag", cwd=tmp_path)
    assert (tmp_path / ".gitlab-ci.yml").read_text() == text.replace(
        "CI_COMMIT_BRANCH", "CI_COMMIT_REF_SLUG")


def test_no_fix_when_the_build_line_is_suppressed(write: Write, cigen: Cigen,
                                                  tmp_path: Path) -> None:
    text = build("    # cigen: ignore[ref-name-tag] the registry accepts these names\n"
                 "    - docker build -t \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\" .\n"
                 "    - docker push \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\"\n")
    findings = lint(write, cigen, text).findings()
    assert [(finding["line"], finding["fixable"]) for finding in findings] == [(6, False)]
    cigen("lint", "--fix", "--select", "ref-name-tag", cwd=tmp_path)
    assert (tmp_path / ".gitlab-ci.yml").read_text() == text


def test_no_fix_when_the_build_is_in_a_file_whose_findings_are_ignored(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    # The build lives in an included file whose ref-name-tag findings the
    # configuration ignores: fixing the push alone would push a tag never built.
    write("pyproject.toml", '[tool.cigen.per-file-ignores]\n"ci/*.yml" = ["ref-name-tag"]\n')
    write("ci/build.yml", build("    - docker build -t \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\" .\n"
                                "    - docker push \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\"\n"))
    text = ("include: ci/build.yml\n"
            "publish:\n  tags: [shell]\n  script:\n"
            "    - docker push \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\"\n")
    findings = lint(write, cigen, text).findings()
    assert [(finding["path"], finding["line"], finding["fixable"])
            for finding in findings] == [(".gitlab-ci.yml", 5, False)]
    cigen("lint", "--fix", "--select", "ref-name-tag", ".gitlab-ci.yml", cwd=tmp_path)
    assert (tmp_path / ".gitlab-ci.yml").read_text() == text


def test_no_fix_when_another_job_pulls_the_same_reference(write: Write, cigen: Cigen,
                                                         tmp_path: Path) -> None:
    text = build("    - docker build -t \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\" .\n"
                 "    - docker push \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\"\n") + """\
deploy:
  tags: [shell]
  script:
    - docker pull "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME"
"""
    findings = lint(write, cigen, text).findings()
    assert [(finding["line"], finding["fixable"]) for finding in findings] == [
        (4, False), (5, False)]
    cigen("lint", "--fix", "--select", "ref-name-tag", cwd=tmp_path)
    assert (tmp_path / ".gitlab-ci.yml").read_text() == text


def test_no_fix_inside_an_expansion(write: Write, cigen: Cigen, tmp_path: Path) -> None:
    text = build("    - docker push \"$CI_REGISTRY_IMAGE:${CI_COMMIT_REF_NAME/\\//-}\"\n")
    findings = lint(write, cigen, text).findings()
    assert [(finding["line"], finding["fixable"]) for finding in findings] == [(4, False)]
    cigen("lint", "--fix", "--select", "ref-name-tag", cwd=tmp_path)
    assert (tmp_path / ".gitlab-ci.yml").read_text() == text


def test_the_branch_name_as_default_of_the_tag_is_fixed_in_place(write: Write, cigen: Cigen,
                                                                 tmp_path: Path) -> None:
    # On a tag pipeline the tag is kept as written; on a branch the slug replaces the name.
    text = build("    - docker build -t \"$CI_REGISTRY_IMAGE:${CI_COMMIT_TAG:-$CI_COMMIT_REF_NAME}\" .\n"
                 "    - docker push \"$CI_REGISTRY_IMAGE:${CI_COMMIT_TAG:-${CI_COMMIT_REF_NAME}}\"\n")
    findings = lint(write, cigen, text).findings()
    assert [(finding["line"], finding["fixable"]) for finding in findings] == [
        (4, True), (5, True)]
    assert cigen("lint", "--fix", "--select", "ref-name-tag", cwd=tmp_path).exit_code == 0
    assert (tmp_path / ".gitlab-ci.yml").read_text() == text.replace(
        "CI_COMMIT_REF_NAME", "CI_COMMIT_REF_SLUG")


def test_shell_operators_in_yaml_variables_are_not_evaluated(write: Write,
                                                             cigen: Cigen) -> None:
    # GitLab expands `$V` and `${V}` in `variables:`, not `${V:-default}`
    # (https://gitlab.com/groups/gitlab-org/-/epics/7437 asks for it): unknown, silent.
    text = ("variables:\n  TAG: ${CI_COMMIT_TAG:-$CI_COMMIT_REF_NAME}\n"
            + build("    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"\n"))
    assert reported(write, cigen, text) == []


def test_clean_job_next_to_a_raw_one(write: Write, cigen: Cigen) -> None:
    text = """\
release:
  tags: [shell]
  only: [main, develop]
  script:
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME"
branches:
  tags: [shell]
  script:
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME"  # hit
"""
    assert reported(write, cigen, text) == marked(text)


def test_a_tags_only_job_is_told_to_name_the_tag_and_keeps_it(write: Write, cigen: Cigen,
                                                              tmp_path: Path) -> None:
    # A release tag `v1.2.3` must stay `v1.2.3`: never the slug (`v1-2-3`) there.
    text = build("    - docker build -t \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\" .\n"
                 "    - docker push \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\"\n",
                 job_keys="  rules:\n    - if: $CI_COMMIT_TAG\n")
    findings = lint(write, cigen, text).findings()
    assert [(finding["line"], finding["fixable"]) for finding in findings] == [
        (6, True), (7, True)]
    assert "runs only for git tags" in findings[0]["message"]
    assert cigen("lint", "--fix", "--select", "ref-name-tag", cwd=tmp_path).exit_code == 0
    assert (tmp_path / ".gitlab-ci.yml").read_text() == text.replace(
        ":$CI_COMMIT_REF_NAME", ":$CI_COMMIT_TAG")
    # A shell test of the tag makes the push a tags-only command as well.
    guarded = build("    - 'if [ -n \"$CI_COMMIT_TAG\" ]; then docker push "
                    "\"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\"; fi'\n")
    messages = [finding["message"] for finding in lint(write, cigen, guarded).findings()]
    assert len(messages) == 1 and "runs only for git tags" in messages[0]
