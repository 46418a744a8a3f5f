"""Which refs a job runs on, read through `unconditional-latest`: a `:latest` push
is reported only where the job (and the shell around the push) can run on a
branch nobody named, and only when the push of `:latest` is a fact.

Each case is a small pipeline; the lines that must be reported end in `# hit`.
GitLab's semantics of `rules:`, `only`/`except` and `workflow:` are those of
https://docs.gitlab.com/ci/yaml/ (`rules`, `only`/`except`, `workflow`) and
https://docs.gitlab.com/ci/jobs/job_rules/ (CI/CD variable expressions).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Cigen = Callable[..., Result]
Write = Callable[[str, str], Path]

PUSH = 'docker push "$CI_REGISTRY_IMAGE:latest"'


def job(rules: str = "", script: str = f"    - {PUSH}  # hit\n", head: str = "") -> str:
    return f"{head}release:\n  tags: [shell]\n{rules}  script:\n{script}"


def marked(text: str) -> list[int]:
    return [number for number, line in enumerate(text.splitlines(), start=1)
            if line.rstrip().endswith("# hit")]


def reported(write: Write, cigen: Cigen, text: str, files: dict[str, str] | None = None
             ) -> list[int]:
    path = write(".gitlab-ci.yml", text)
    for name, content in (files or {}).items():
        write(name, content)
    result = cigen("lint", "--format", "json", "--select", "unconditional-latest",
                   ".gitlab-ci.yml", cwd=path.parent, timeout=30)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return sorted(finding["line"] for finding in result.findings()
                  if finding["path"] == ".gitlab-ci.yml")


ANY_BRANCH = {
    "no-rules": job(),
    "project-variable-rule": job("  rules:\n    - if: $PUBLISH == \"true\"\n"),
    "ref-name-is-always-set": job("  rules:\n    - if: $CI_COMMIT_REF_NAME\n"),
    "pipeline-source-push": job("  rules:\n    - if: $CI_PIPELINE_SOURCE == \"push\"\n"),
    "branch-is-set-on-every-branch": job("  rules:\n    - if: $CI_COMMIT_BRANCH\n"),
    "manual-catch-all-after-main": job(
        "  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\"\n    - when: manual\n"),
    "changes-only": job("  rules:\n    - changes: [Dockerfile]\n"),
    "not-main": job("  rules:\n    - if: $CI_COMMIT_BRANCH != \"main\"\n"),
    "never-on-main-then-always": job(
        "  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\"\n      when: never\n"
        "    - when: always\n"),
    "main-or-project-variable": job(
        "  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\" || $FORCE_RELEASE\n"),
    "regex-matching-everything": job("  rules:\n    - if: $CI_COMMIT_BRANCH =~ /.*/\n"),
    "merge-request-pipelines": job(
        "  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n"),
    "not-a-tag": job("  rules:\n    - if: $CI_COMMIT_TAG == null\n"),
    "only-branches": job("  only: [branches]\n"),
    "only-merge-requests": job("  only: [merge_requests]\n"),
    "except-main": job("  except: [main]\n"),
    "only-variables": job("  only:\n    variables:\n      - $RELEASE == \"yes\"\n"),
    "only-web-pipelines": job("  only: [web]\n"),
    "workflow-for-branches": job(head="workflow:\n  rules:\n"
                                      "    - if: $CI_COMMIT_TAG\n      when: never\n"
                                      "    - if: $CI_COMMIT_BRANCH\n"),
    "template-without-rules": """\
.publish:
  tags: [shell]
  script:
    - docker push "$CI_REGISTRY_IMAGE:latest"  # hit
release:
  extends: .publish
""",
    "shell-test-of-branch-presence": job(script=(
        "    - |\n"
        "      if [ -n \"$CI_COMMIT_BRANCH\" ]; then\n"
        f"        {PUSH}  # hit\n"
        "      fi\n")),
    "else-of-default-branch": job(script=(
        "    - |\n"
        "      if [ \"$CI_COMMIT_BRANCH\" = \"$CI_DEFAULT_BRANCH\" ]; then\n"
        "        echo default\n"
        "      else\n"
        f"        {PUSH}  # hit\n"
        "      fi\n")),
    "guard-on-something-else": job(script=(
        f"    - '[ -f Dockerfile ] && {PUSH}'  # hit\n")),
    "schedules-or-pushes": job(
        "  rules:\n    - if: $CI_PIPELINE_SOURCE == \"schedule\"\n"
        "    - if: $CI_PIPELINE_SOURCE == \"push\"\n"),
    # An `exit` that ends another shell leaves this one running.
    "exit-in-a-subshell": job(script=(
        "    - '[ \"$CI_COMMIT_BRANCH\" != main ] && (exit 0)'\n"
        f"    - {PUSH}  # hit\n")),
    "exit-in-a-command-string": job(script=(
        "    - sh -c '[ \"$CI_COMMIT_BRANCH\" != main ] && exit 0'\n"
        f"    - {PUSH}  # hit\n")),
    "exit-on-the-default-branch": job(script=(
        "    - '[ \"$CI_COMMIT_BRANCH\" = \"$CI_DEFAULT_BRANCH\" ] && exit 0'\n"
        f"    - {PUSH}  # hit\n")),
    "options-gathered-without-guard": job(script=(
        "    - LATEST=\"-t $CI_REGISTRY_IMAGE:latest\"\n"
        "    - docker buildx build --push $LATEST -t \"$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA\" .  # hit\n")),
    "branch-copy-compared-unequal": job(script=(
        "    - BRANCH=$CI_COMMIT_BRANCH\n"
        f"    - 'if [ \"$BRANCH\" != main ]; then {PUSH}; fi'  # hit\n")),
    "exit-after-the-push": job(script=(
        f"    - {PUSH}  # hit\n"
        "    - '[ \"$CI_COMMIT_BRANCH\" != main ] && exit 0'\n")),
}

RESTRICTED = {
    "default-branch-rule": job(
        "  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n", f"    - {PUSH}\n"),
    "named-branch-rule": job("  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\"\n",
                             f"    - {PUSH}\n"),
    "tag-rule": job("  rules:\n    - if: $CI_COMMIT_TAG\n", f"    - {PUSH}\n"),
    "version-tag-rule": job("  rules:\n    - if: $CI_COMMIT_TAG =~ /^v\\d+\\.\\d+\\.\\d+$/\n",
                            f"    - {PUSH}\n"),
    "main-or-tags": job("  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\"\n"
                        "    - if: $CI_COMMIT_TAG\n", f"    - {PUSH}\n"),
    "schedule-on-main": job(
        "  rules:\n    - if: $CI_PIPELINE_SOURCE == \"schedule\" && $CI_COMMIT_BRANCH == \"main\"\n",
        f"    - {PUSH}\n"),
    "release-branches-regex": job(
        "  rules:\n    - if: $CI_COMMIT_BRANCH =~ /^release\\/.*$/\n", f"    - {PUSH}\n"),
    "grouped-expression": job(
        "  rules:\n    - if: ($CI_COMMIT_BRANCH == \"main\" || $CI_COMMIT_TAG)"
        " && $CI_PIPELINE_SOURCE == \"push\"\n", f"    - {PUSH}\n"),
    "case-glob-on-release-branches": job(script=(
        "    - |\n"
        "      case \"$CI_COMMIT_REF_NAME\" in\n"
        f"        release/*) {PUSH};;\n"
        "      esac\n")),
    "only-main": job("  only: [main]\n", f"    - {PUSH}\n"),
    "only-tags": job("  only: [tags]\n", f"    - {PUSH}\n"),
    "only-release-regex": job("  only: ['/^release\\/.*$/']\n", f"    - {PUSH}\n"),
    "only-refs-mapping": job("  only:\n    refs: [main]\n    variables:\n      - $DEPLOY\n",
                             f"    - {PUSH}\n"),
    "except-branches": job("  except: [branches]\n", f"    - {PUSH}\n"),
    "never-catch-all": job("  rules:\n    - when: never\n", f"    - {PUSH}\n"),
    "workflow-default-branch": job(
        head="workflow:\n  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n",
        script=f"    - {PUSH}\n"),
    "yaml-variable-compared": job(
        "  variables:\n    RELEASE_BRANCH: stable\n"
        "  rules:\n    - if: $CI_COMMIT_BRANCH == $RELEASE_BRANCH\n", f"    - {PUSH}\n"),
    "shell-if-default-branch": job(script=(
        "    - |\n"
        "      if [ \"$CI_COMMIT_BRANCH\" = \"$CI_DEFAULT_BRANCH\" ]; then\n"
        f"        {PUSH}\n"
        "      fi\n")),
    "shell-and-chain-on-tag": job(script=f"    - '[ -n \"$CI_COMMIT_TAG\" ] && {PUSH}'\n"),
    "shell-double-bracket-main": job(script=(
        f"    - 'if [[ $CI_COMMIT_REF_NAME == main ]]; then {PUSH}; fi'\n")),
    "case-on-branch": job(script=(
        "    - |\n"
        "      case \"$CI_COMMIT_BRANCH\" in\n"
        f"        main) {PUSH};;\n"
        "      esac\n")),
    # https://docs.gitlab.com/ci/pipelines/schedules/: a schedule runs on the ref
    # its owner chose, not on every branch that is pushed.
    "schedules-only": job("  rules:\n    - if: $CI_PIPELINE_SOURCE == \"schedule\"\n",
                          f"    - {PUSH}\n"),
    "only-schedules": job("  only: [schedules]\n", f"    - {PUSH}\n"),
    # Early exits: the commands after them run only where the shell went on.
    "exit-unless-main": job(script=(
        "    - '[ \"$CI_COMMIT_BRANCH\" != main ] && exit 0'\n"
        f"    - {PUSH}\n")),
    "test-or-exit": job(script=(
        "    - test \"$CI_COMMIT_BRANCH\" = \"$CI_DEFAULT_BRANCH\" || exit 0\n"
        f"    - {PUSH}\n")),
    "if-not-default-branch-then-exit": job(script=(
        "    - |\n"
        "      if [ \"$CI_COMMIT_BRANCH\" != \"$CI_DEFAULT_BRANCH\" ]; then\n"
        "        echo \"not the default branch: nothing to publish\"\n"
        "        exit 0\n"
        "      fi\n"
        f"    - {PUSH}\n")),
    "exit-in-the-else-branch": job(script=(
        "    - |\n"
        "      if [ \"$CI_COMMIT_REF_NAME\" = main ]; then\n"
        "        echo publishing\n"
        "      else\n"
        "        exit 0\n"
        "      fi\n"
        f"      {PUSH}\n")),
    # Options gathered in a variable only on the default branch.
    "options-gathered-under-guard": job(script=(
        "    - |\n"
        "      if [ \"$CI_COMMIT_BRANCH\" = \"$CI_DEFAULT_BRANCH\" ]; then\n"
        "        LATEST=\"-t $CI_REGISTRY_IMAGE:latest\"\n"
        "      fi\n"
        "      docker buildx build --push $LATEST -t \"$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA\" .\n")),
    "kaniko-destination-under-guard": job(script=(
        "    - |\n"
        "      if [ \"$CI_COMMIT_BRANCH\" = main ]; then\n"
        "        DEST=\"--destination $CI_REGISTRY_IMAGE:latest\"\n"
        "      fi\n"
        "      /kaniko/executor --context . $DEST\n")),
    "branch-copied-to-a-shell-variable": job(script=(
        "    - BRANCH=$CI_COMMIT_BRANCH\n"
        f"    - 'if [ \"$BRANCH\" = main ]; then {PUSH}; fi'\n")),
    "guarded-assignment": job(script=(
        "    - |\n"
        "      if [ \"$CI_COMMIT_BRANCH\" = main ]; then TAG=latest; else TAG=dev; fi\n"
        "      docker push \"$CI_REGISTRY_IMAGE:$TAG\"\n")),
}

# The ref is decided by something cigen cannot read: silent.
UNKNOWN = {
    "branch-compared-with-project-variable": job(
        "  rules:\n    - if: $CI_COMMIT_BRANCH == $RELEASE_BRANCH\n", f"    - {PUSH}\n"),
    "branch-matched-by-variable-regex": job(
        "  rules:\n    - if: $CI_COMMIT_BRANCH =~ $RELEASE_PATTERN\n", f"    - {PUSH}\n"),
    "protected-refs": job("  rules:\n    - if: $CI_COMMIT_REF_PROTECTED == \"true\"\n",
                          f"    - {PUSH}\n"),
    "template-from-unreadable-include": """\
include:
  - project: group/ci-templates
    file: /rules.yml
release:
  extends: .default-branch-only
  tags: [shell]
  script:
    - docker push "$CI_REGISTRY_IMAGE:latest"
""",
    "rules-from-unreadable-include": """\
include:
  - remote: https://example.com/ci/rules.yml
release:
  tags: [shell]
  rules: !reference [.release-rules, rules]
  script:
    - docker push "$CI_REGISTRY_IMAGE:latest"
""",
    "test-of-a-value-computed-from-the-branch": job(script=(
        "    - IS_MAIN=$([ \"$CI_COMMIT_BRANCH\" = main ] && echo yes)\n"
        f"    - 'if [ \"$IS_MAIN\" = yes ]; then {PUSH}; fi'\n")),
    "shell-test-on-project-variable-branch": job(script=(
        f"    - 'if [ \"$CI_COMMIT_BRANCH\" = \"$RELEASE_BRANCH\" ]; then {PUSH}; fi'\n")),
}


@pytest.mark.parametrize("text", ANY_BRANCH.values(), ids=ANY_BRANCH.keys())
def test_jobs_that_run_on_any_branch(text: str, write: Write, cigen: Cigen) -> None:
    assert marked(text), "the case marks its push"
    assert reported(write, cigen, text) == marked(text)


@pytest.mark.parametrize("text", RESTRICTED.values(), ids=RESTRICTED.keys())
def test_jobs_restricted_to_some_refs(text: str, write: Write, cigen: Cigen) -> None:
    assert reported(write, cigen, text) == []


@pytest.mark.parametrize("text", UNKNOWN.values(), ids=UNKNOWN.keys())
def test_unknown_refs_stay_silent(text: str, write: Write, cigen: Cigen) -> None:
    assert reported(write, cigen, text) == []


def test_template_from_a_local_include_is_read(write: Write, cigen: Cigen) -> None:
    text = """\
include:
  - local: ci/rules.yml
release:
  extends: .default-branch-only
  tags: [shell]
  script:
    - docker push "$CI_REGISTRY_IMAGE:latest"
anywhere:
  extends: .everywhere
  tags: [shell]
  script:
    - docker push "$CI_REGISTRY_IMAGE:latest"  # hit
"""
    rules = """\
.default-branch-only:
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
.everywhere:
  variables: {A: b}
"""
    assert reported(write, cigen, text, {"ci/rules.yml": rules}) == marked(text)


# -- when a push of :latest is a fact --------------------------------------------------

LATEST = {
    "written-out": "    - docker push \"$CI_REGISTRY_IMAGE:latest\"  # hit\n",
    "untagged-predefined-repository": "    - docker push \"$CI_REGISTRY_IMAGE\"  # hit\n",
    "untagged-defined-repository": (
        "    - docker push \"$APP_IMAGE\"  # hit\n"),
    "shell-default": "    - docker push \"$CI_REGISTRY_IMAGE:${CI_COMMIT_TAG:-latest}\"  # hit\n",
    "assignment": "    - TAG=latest\n    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"  # hit\n",
    "for-loop-value": (
        "    - |\n"
        "      for tag in $CI_COMMIT_SHORT_SHA latest; do\n"
        "        docker push \"$CI_REGISTRY_IMAGE:$tag\"  # hit\n"
        "      done\n"),
    "unknown-user-but-written-tag": "    - docker push \"$DOCKERHUB_USER/app:latest\"  # hit\n",
    "kaniko-destination": (
        "    - /kaniko/executor --context . --destination \"$CI_REGISTRY_IMAGE:latest\"  # hit\n"),
    "buildx-push": "    - docker buildx build --push -t \"$CI_REGISTRY_IMAGE:latest\" .  # hit\n",
    "crane-tag": ("    - crane tag \"$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA\" latest  # hit\n"),
    "imagetools-create": ("    - docker buildx imagetools create -t \"$CI_REGISTRY_IMAGE:latest\""
                          " \"$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA\"  # hit\n"),
    "all-tags": ("    - docker tag app \"$CI_REGISTRY_IMAGE:latest\"\n"
                 "    - docker push --all-tags \"$CI_REGISTRY_IMAGE\"  # hit\n"),
    # `:latest` written out: whatever a project variable holds, that repository's latest.
    "undefined-image-with-latest": "    - docker push \"$IMAGE:latest\"  # hit\n",
    # Computed at run time from something that is not the branch: one name for all.
    "computed-repository-written-tag": (
        "    - NAME=$(basename \"$CI_PROJECT_DIR\")\n"
        "    - docker push \"$CI_REGISTRY_IMAGE/$NAME:latest\"  # hit\n"),
    # Options gathered in a variable around a command substitution split around it.
    "kaniko-destinations-gathered": (
        "    - VERSION_TAG=$(echo \"$CI_COMMIT_TAG\" | sed 's/^v//')\n"
        "    - DESTINATION=\"--destination $CI_REGISTRY_IMAGE:$VERSION_TAG\"\n"
        "    - DESTINATION=\"$DESTINATION --destination $CI_REGISTRY_IMAGE:latest\"\n"
        "    - /kaniko/executor --context . $DESTINATION  # hit\n"),
}

NOT_LATEST = {
    "immutable-tag": "    - docker push \"$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA\"\n",
    "undefined-image": "    - docker push \"$IMAGE\"\n",
    "computed-from-the-branch": (
        "    - NAME=$(echo \"$CI_COMMIT_REF_NAME\" | tr / -)\n"
        "    - docker push \"$CI_REGISTRY_IMAGE/$NAME:latest\"\n"),
    "undefined-last-segment": "    - docker push \"$REGISTRY/$IMAGE_NAME\"\n",
    "per-branch-repository": (
        "    - docker push \"$CI_REGISTRY_IMAGE/$CI_COMMIT_REF_SLUG:latest\"\n"),
    "per-branch-repository-braces": (
        "    - docker push \"${CI_REGISTRY_IMAGE}/${CI_COMMIT_BRANCH}:latest\"\n"),
    "computed-tag": "    - docker push \"$CI_REGISTRY_IMAGE:$(cat VERSION)\"\n",
    "default-that-is-set": (
        "    - docker push \"$CI_REGISTRY_IMAGE:${VERSION:-latest}\"\n"),
    # RELEASE_TAG is set nowhere in the files: a project variable may set it. Unknown.
    "default-of-an-unknown-variable": (
        "    - docker push \"$CI_REGISTRY_IMAGE:${RELEASE_TAG:-latest}\"\n"),
    "digest": "    - docker push \"$CI_REGISTRY_IMAGE@sha256:0123abcd\"\n",
    # xargs puts each line of the file where `{}` is: which images is unknown.
    "xargs-placeholder": "    - xargs -I{} docker push {} < images.txt\n",
    "built-not-pushed": "    - docker build -t \"$CI_REGISTRY_IMAGE:latest\" .\n",
}


def latest_job(script: str) -> str:
    return ("variables:\n  APP_IMAGE: registry.example.com/team/app\n  VERSION: \"1.2\"\n"
            "release:\n  tags: [shell]\n  script:\n" + script)


@pytest.mark.parametrize("script", LATEST.values(), ids=LATEST.keys())
def test_latest_pushes(script: str, write: Write, cigen: Cigen) -> None:
    text = latest_job(script)
    assert reported(write, cigen, text) == marked(text)


@pytest.mark.parametrize("script", NOT_LATEST.values(), ids=NOT_LATEST.keys())
def test_pushes_that_are_not_known_to_be_latest(script: str, write: Write,
                                                cigen: Cigen) -> None:
    assert reported(write, cigen, latest_job(script)) == []


# `extends` merges its templates in order, later ones over earlier ones, and the
# job's own keys over all (docs.gitlab.com/ci/yaml/#extends, "merge details"): a
# template cigen cannot read hides the rules only when nothing merged after it
# sets `rules`/`only`/`except`.
UNREAD_TEMPLATES = {
    "read template after the unread one sets the rules": (
        "include:\n  - project: group/ci\n    file: base.yml\n"
        ".mine:\n  rules:\n    - if: $FORCE_PIPELINE\n"
        "release:\n  extends: [.unread, .mine]\n  tags: [shell]\n"
        f"  script:\n    - {PUSH}  # hit\n"),
    "the job's own rules": (
        "include:\n  - project: group/ci\n    file: base.yml\n"
        "release:\n  extends: .unread\n  rules:\n    - when: always\n  tags: [shell]\n"
        f"  script:\n    - {PUSH}  # hit\n"),
    "unread template after the read one": (
        "include:\n  - project: group/ci\n    file: base.yml\n"
        ".mine:\n  rules:\n    - when: always\n"
        "release:\n  extends: [.mine, .unread]\n  tags: [shell]\n"
        f"  script:\n    - {PUSH}\n"),
    "read template that extends an unread one": (
        "include:\n  - project: group/ci\n    file: base.yml\n"
        ".mine:\n  extends: .unread\n  tags: [shell]\n"
        f"release:\n  extends: .mine\n  script:\n    - {PUSH}\n"),
}


@pytest.mark.parametrize("text", UNREAD_TEMPLATES.values(), ids=UNREAD_TEMPLATES.keys())
def test_rules_of_templates_cigen_cannot_read(text: str, write: Write, cigen: Cigen) -> None:
    assert reported(write, cigen, text) == marked(text)


# -- settings files the script sources ---------------------------------------------

@pytest.mark.parametrize("source", ["source ci/release.env", ". ./ci/release.env"])
def test_a_tag_set_in_a_sourced_settings_file(source: str, write: Write, cigen: Cigen) -> None:
    text = job(script=f"    - {source}\n    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"  # hit\n")
    files = {"ci/release.env": "# release settings\nexport TAG=latest\nREGISTRY='x'\n"}
    assert reported(write, cigen, text, files) == marked(text)


@pytest.mark.parametrize(("script", "files"), [
    # A script, not settings: what it sets is unknown.
    ("    - source ci/release.sh\n",
     {"ci/release.sh": "TAG=latest\nif [ -n \"$X\" ]; then TAG=dev; fi\n"}),
    # Not in the repository (made by an earlier job, say).
    ("    - source build.env\n", {}),
    # After `cd`, the relative path names another file.
    ("    - cd ci\n    - source release.env\n", {"release.env": "TAG=latest\n"}),
])
def test_sourced_files_cigen_cannot_read_set_nothing_known(
        script: str, files: dict[str, str], write: Write, cigen: Cigen) -> None:
    text = job(script=script + "    - docker push \"$CI_REGISTRY_IMAGE:$TAG\"\n")
    assert reported(write, cigen, text, files) == []

