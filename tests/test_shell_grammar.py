"""Scripts are read along the bash grammar: commands reached through `ssh`,
`sh -c`, `eval`, heredocs, functions and user wrappers are checked like those
written directly, at the file position of their words; guards (`if`, `case`,
`&&`) and loop values follow the shell's data flow; broken or pathological
scripts never hide the other lines or crash the linter."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Finding = tuple[str, int, int]
Lint = Callable[[str], list[Finding]]

PASSWORD = "registry-password-argv"
LATEST = "unconditional-latest"


@pytest.fixture
def lint(write: Callable[[str, str], Path], cigen: Callable[..., Result]) -> Lint:
    """Lint one `.gitlab-ci.yml`; (rule, line, column) of each finding."""

    def _lint(text: str) -> list[Finding]:
        path = write(".gitlab-ci.yml", text)
        result = cigen("lint", "--format", "json", "--fail-on", "info", ".gitlab-ci.yml",
                       cwd=path.parent, timeout=60)
        assert result.exit_code in (0, 1), result.stderr
        assert "Traceback" not in result.stderr
        return [(finding["rule"], finding["line"], finding["column"])
                for finding in result.findings()]

    return _lint


def only(findings: list[Finding], rule: str) -> list[tuple[int, int]]:
    return [(line, column) for name, line, column in findings if name == rule]


def column_of(text: str, line: int, needle: str) -> int:
    """1-based column of ``needle`` on 1-based ``line`` of ``text``."""
    return text.splitlines()[line - 1].index(needle) + 1


# -- command strings run by another command --------------------------------------

SSH = """\
deploy:
  image: alpine:3.20
  script:
    - ssh -o StrictHostKeyChecking=no deploy@host "docker login -u u -p $PASS registry"
    - ssh -p 2222 deploy@host docker login -p $PASS registry
    - docker exec builder sh -c 'docker login -p $PASS registry'
"""


def test_ssh_remote_commands_are_checked_where_they_are_written(lint: Lint) -> None:
    # The last line runs inside a container, not in the job's shell: left alone.
    assert only(lint(SSH), PASSWORD) == [(4, column_of(SSH, 4, "-p $PASS")),
                                         (5, column_of(SSH, 5, "-p $PASS"))]


SHELL_C = """\
deploy:
  image: docker:29.1-cli
  script:
    - sh -c 'docker login -u u -p $P registry'
    - bash -ec "docker login -u u -p $P registry"
    - bash -o pipefail -lc 'docker login -u u -p $P registry'
    - eval "docker login -u u -p $P registry"
    - su -c 'docker login -u u -p $P registry' deployer
"""


def test_sh_c_eval_and_su_strings_are_read_as_scripts(lint: Lint) -> None:
    assert only(lint(SHELL_C), PASSWORD) == [(line, column_of(SHELL_C, line, "-p $P"))
                                             for line in range(4, 9)]


ESCAPED = """\
deploy:
  image: docker:29.1-cli
  script:
    - sh -c "docker login -u \\"$USER\\" -p \\"$P\\" registry"
"""


def test_a_string_with_escapes_is_located_at_its_start(lint: Lint) -> None:
    # Its characters are not where the inner shell reads them: the finding
    # points at the string rather than guess a column inside it.
    assert only(lint(ESCAPED), PASSWORD) == [(4, column_of(ESCAPED, 4, '"docker'))]


HEREDOC = """\
deploy:
  image: docker:29.1-cli
  script:
    - |
      sh <<EOF
      docker login -u u -p "$P" registry
      EOF
    - |
      ssh deploy@host <<'EOF'
        docker login -u u -p "$P" registry
      EOF
    - |
      cat <<EOF | bash
      docker login -u u -p "$P" registry
      EOF
    - |
      cat <<EOF > notes.txt
      docker login -u u -p "$P" registry
      EOF
    - bash <<< "docker login -u u -p $P registry"
"""


def test_heredocs_and_herestrings_fed_to_a_shell_or_ssh_are_read_as_scripts(lint: Lint) -> None:
    # The last heredoc is written to a file, never run.
    assert only(lint(HEREDOC), PASSWORD) == [(line, column_of(HEREDOC, line, "-p"))
                                             for line in (6, 10, 14, 20)]


def test_text_that_only_prints_a_command_is_not_run(lint: Lint) -> None:
    findings = lint("""\
deploy:
  image: docker:29.1-cli
  script:
    - echo "run: docker login -u u -p $P registry"
    - printf '%s\\n' docker login -p "$P"
    - grep -r "docker login -p" .
""")
    assert only(findings, PASSWORD) == []


# -- functions and wrappers --------------------------------------------------------

FUNCTION = """\
deploy:
  image: docker:29.1-cli
  before_script:
    - login() { docker login -u "$1" -p "$2" "$3"; }
    - unused() { docker login -u x -p "$NEVER" registry; }
  script:
    - echo "logging in"
    - login ci "$REGISTRY_PASSWORD" registry.example.com
"""


def test_a_function_body_is_checked_at_each_call(lint: Lint) -> None:
    # Defined in before_script, called in script: one shell. The finding is
    # at the body's `-p`; the function nobody calls runs nothing.
    assert only(lint(FUNCTION), PASSWORD) == [(4, column_of(FUNCTION, 4, "-p"))]


def test_a_function_is_not_defined_in_after_script(lint: Lint) -> None:
    findings = lint("""\
deploy:
  image: docker:29.1-cli
  script:
    - login() { docker login -u u -p "$1" registry; }
  after_script:
    - login "$P"
""")
    assert only(findings, PASSWORD) == []


RECURSIVE = """\
deploy:
  image: docker:29.1-cli
  script:
    - again() { docker login -u u -p "$1" r; again "$1"; }
    - again "$P"
"""


def test_a_recursive_function_stops(lint: Lint) -> None:
    assert only(lint(RECURSIVE), PASSWORD) == [(4, column_of(RECURSIVE, 4, "-p"))]


WRAPPERS = """\
deploy:
  image: docker:29.1-cli
  script:
    - retry 3 docker login -u u -p "$P" registry
    - ./scripts/with_backoff.sh --tries 5 docker login -u u -p "$P" registry
    - apk add docker helm
    - cd docker && make
"""


def test_user_wrappers_around_a_tool_are_followed(lint: Lint) -> None:
    assert only(lint(WRAPPERS), PASSWORD) == [(4, column_of(WRAPPERS, 4, "-p")),
                                              (5, column_of(WRAPPERS, 5, "-p"))]


def test_no_fix_is_offered_inside_a_string_or_wrapper(write: Callable[[str, str], Path],
                                                       cigen: Callable[..., Result]) -> None:
    path = write(".gitlab-ci.yml", SSH + "    - retry 3 docker login -p \"$P\" r\n")
    before = path.read_bytes()
    result = cigen("lint", "--fix", "--unsafe-fixes", ".gitlab-ci.yml", cwd=path.parent)
    assert result.exit_code == 1, result.stderr
    assert path.read_bytes() == before


# -- guards and loop values ---------------------------------------------------------

LOOP = """\
release:
  image: docker:29.1-cli
  script:
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA" .
    - for t in $CI_COMMIT_SHORT_SHA latest; do docker push "$CI_REGISTRY_IMAGE:$t"; done
"""


def test_a_loop_variable_takes_each_listed_value(lint: Lint) -> None:
    assert only(lint(LOOP), LATEST) == [(5, column_of(LOOP, 5, '"$CI_REGISTRY_IMAGE:$t"'))]


def test_a_loop_inside_a_case_on_the_branch_is_guarded(lint: Lint) -> None:
    findings = lint("""\
release:
  image: docker:29.1-cli
  script:
    - |
      case "$CI_COMMIT_BRANCH" in
        main|master)
          for t in $CI_COMMIT_SHORT_SHA latest; do docker push "$CI_REGISTRY_IMAGE:$t"; done
          ;;
      esac
""")
    assert only(findings, LATEST) == []


def test_a_branch_test_before_and_is_a_guard(lint: Lint) -> None:
    findings = lint("""\
release:
  image: docker:29.1-cli
  script:
    - '[ "$CI_COMMIT_BRANCH" = main ] && docker push "$CI_REGISTRY_IMAGE:latest"'
    - '[ "$CI_COMMIT_BRANCH" != main ] || docker push "$CI_REGISTRY_IMAGE:stable-latest"'
""")
    assert only(findings, LATEST) == []


def test_an_else_branch_of_a_branch_test_is_guarded(lint: Lint) -> None:
    findings = lint("""\
release:
  image: docker:29.1-cli
  script:
    - |
      if [ "$CI_COMMIT_BRANCH" != "$CI_DEFAULT_BRANCH" ]; then
        echo "not the default branch"
      else
        docker push "$CI_REGISTRY_IMAGE:latest"
      fi
""")
    assert only(findings, LATEST) == []


IF_TEST = """\
release:
  image: docker:29.1-cli
  script:
    - if ! docker push "$CI_REGISTRY_IMAGE:latest"; then exit 1; fi
"""


def test_a_tag_pushed_in_an_if_condition_is_seen(lint: Lint) -> None:
    # The command in the test itself runs unguarded, whatever the branch.
    assert only(lint(IF_TEST), LATEST) == [(4, column_of(IF_TEST, 4, '"$CI'))]


MULTI_ITEM_IF = """\
release:
  image: docker:29.1-cli
  script:
    - if [ "$CI_COMMIT_BRANCH" = "main" ]; then
    - docker push "$CI_REGISTRY_IMAGE:latest"
    - fi
    - docker login -u u -p "$P" registry
"""


def test_an_if_spread_over_items_guards_the_items_between(lint: Lint) -> None:
    findings = lint(MULTI_ITEM_IF)
    assert only(findings, LATEST) == []
    assert only(findings, PASSWORD) == [(7, column_of(MULTI_ITEM_IF, 7, "-p"))]


BROKEN = """\
release:
  image: docker:29.1-cli
  script:
    - if [ "$CI_COMMIT_BRANCH" = "main" ]; then
    - echo "unclosed
    - docker push "$CI_REGISTRY_IMAGE:latest"
    - fi
    - echo 'also unclosed
    - docker login -u u -p "$P" registry
"""


def test_a_broken_item_hides_neither_guards_nor_later_items(lint: Lint) -> None:
    findings = lint(BROKEN)
    assert only(findings, LATEST) == []
    assert only(findings, PASSWORD) == [(9, column_of(BROKEN, 9, "-p"))]


# -- positions through YAML forms ----------------------------------------------------

FOLDED = """\
deploy:
  image: docker:29.1-cli
  script:
    - >
      ssh deploy@host
      "docker login -u u
      -p $PASS registry"
    - |
      sh -c '
        docker login -u u -p "$P" registry
      '
    - ssh deploy@host \\
        "docker login -u u -p $PASS registry"
    - |
      ssh -i key deploy@host \\
        sudo docker login -u u \\
        -p "$PASS" registry
    - "sh -c 'docker login -u u \\
      -p $PASS registry'"
"""


def test_positions_through_folded_literal_and_continued_lines(lint: Lint) -> None:
    assert only(lint(FOLDED), PASSWORD) == [(7, 7), (10, column_of(FOLDED, 10, "-p")),
                                            (13, column_of(FOLDED, 13, "-p")), (17, 9), (19, 7)]


ANCHOR = """\
.login: &login
  - ssh deploy@host "docker login -u u -p $PASS registry"
first:
  image: docker:29.1-cli
  script: *login
second:
  image: docker:29.1-cli
  before_script:
    - retry() { "$@"; }
  script:
    - retry ssh deploy@host "docker login -u u -p $PASS other"
"""


def test_positions_through_anchors_and_a_function_given_the_command(lint: Lint) -> None:
    findings = only(lint(ANCHOR), PASSWORD)
    assert (2, column_of(ANCHOR, 2, "-p")) in findings
    assert (11, column_of(ANCHOR, 11, "-p")) in findings


# -- pathological input ----------------------------------------------------------------

@pytest.mark.parametrize("script", [
    "docker build -t x " + "$(" * 10_000 + ")" * 10_000,
    "docker build -t x " + "$(" * 10_000,
    "docker login -p x " + "\"'" * 5_000,
    "docker push x\x00y:latest",
    "f() { f; docker push x:latest; f; }; f",
])
def test_pathological_scripts_do_not_crash(script: str, lint: Lint) -> None:
    escaped = script.replace("\\", "\\\\").replace('"', '\\"').replace("\x00", "\\0")
    lint(f'job:\n  image: docker:29.1-cli\n  script:\n    - "{escaped}"\n')


def test_a_script_as_large_as_a_file_may_be_finishes(write: Callable[[str, str], Path],
                                                       cigen: Callable[..., Result]) -> None:
    # GitLab takes files up to 2 MiB: one script item nearly that long.
    line = "      docker push registry.example.com/app:$CI_COMMIT_SHA && echo 'ok'\n"
    body = line * (19 * 1024 * 1024 // 10 // len(line))
    path = write(".gitlab-ci.yml", "job:\n  image: docker:29.1-cli\n  script:\n    - |\n"
                 + body + "    - docker login -u u -p \"$P\" registry\n")
    result = cigen("lint", "--format", "json", ".gitlab-ci.yml", cwd=path.parent, timeout=120)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert PASSWORD in result.rules()


# -- commands inside guards reach the rules that look for builds ----------------------

NAMED_BUILDER = """\
shell-runner:
  tags: [shell]
  script:
    - docker buildx create --use --name multiarch --driver docker-container || true
    - if ! docker buildx build --push -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .; then exit 1; fi
fresh-builder:
  tags: [shell]
  script:
    - docker buildx create --use --driver docker-container
    - if ! docker buildx build --push -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .; then exit 1; fi
removed-builder:
  tags: [shell]
  script:
    - docker buildx create --use --name ci-$CI_JOB_ID --driver docker-container
    - if ! docker buildx build --push -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .; then exit 1; fi
  after_script:
    - docker buildx rm ci-$CI_JOB_ID
"""


def test_a_build_in_an_if_test_meets_the_builder_it_runs_on(lint: Lint) -> None:
    # A builder under a fixed name on the host's daemon (a shell runner) is there
    # again, with its cache, in the next job: `|| true` tolerates that it exists.
    # An unnamed or removed builder starts empty every time.
    assert only(lint(NAMED_BUILDER), "missing-cache-from") == [
        (line, column_of(NAMED_BUILDER, line, "docker buildx build")) for line in (10, 15)]


# -- a command kept in a variable and run as `$cmd` --------------------------------

COMMAND_VARIABLE = """\
deploy:
  image: docker:29.1-cli
  script:
    - CMD="docker login -u u -p $PASS registry"
    - $CMD
    - QUOTED="docker login -u u -p $PASS other"
    - '"$QUOTED"'  # shell quotes, inside YAML's
    - WITH_QUOTES="docker login -p '$PASS' third"
    - ${WITH_QUOTES}
    - NEVER_RUN="docker login -p $PASS fourth"
"""


def test_a_command_kept_in_a_variable_is_run_by_its_unquoted_name(lint: Lint) -> None:
    # `$CMD` splits the value into words and runs them; `"$QUOTED"` names one
    # command called "docker login ..." (not found); a value with quotes is not
    # re-read as shell (the quotes would stay in the words), so it is left alone.
    assert only(lint(COMMAND_VARIABLE), PASSWORD) == [
        (4, column_of(COMMAND_VARIABLE, 4, "-p $PASS"))]
