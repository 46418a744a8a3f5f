"""`cigen lint --fix` edits exactly the characters it means, in every YAML
scalar style, or refuses: escapes, doubled quotes, folded lines and block
scalars; a shared variable is not rewritten for one of its readers; a script
line read as a flow mapping becomes one quoted string.

Every case checks the bytes on disk, that the result loads with the same data
except the reported problem, and that a second `--fix` changes nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import Result

Write = Callable[[str, str | bytes], Path]
Cigen = Callable[..., Result]
Changes = dict[tuple[str | int, ...], Any]


def _load(text: str) -> Any:
    """The data as libyaml reads it (ruamel's safe loader uses its C parser)."""
    return YAML(typ="safe").load(text)


def _with_changes(data: Any, changes: Changes) -> Any:
    expected = copy.deepcopy(data)
    for path, value in changes.items():
        owner = expected
        for key in path[:-1]:
            owner = owner[key]
        owner[path[-1]] = value
    return expected


def _check_fix(write: Write, cigen: Cigen, tmp_path: Path, before: str, after: str,
               changes: Changes, *options: str) -> Result:
    """Fix ``before``; the file must become ``after`` byte for byte, with only
    ``changes`` to its data, and stay as it is on a second run."""
    path = write(".gitlab-ci.yml", before)
    diff = cigen("lint", "--diff", *options, cwd=tmp_path, timeout=30)
    assert path.read_text(encoding="utf-8") == before
    assert (diff.stdout.count("\n+") > 0) == (before != after), diff.stdout
    result = cigen("lint", "--fix", *options, cwd=tmp_path, timeout=30)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    fixed = path.read_bytes()
    assert fixed.decode("utf-8") == after
    assert _load(after) == _with_changes(_load(before), changes)
    cigen("lint", "--fix", *options, cwd=tmp_path, timeout=30)
    assert path.read_bytes() == fixed
    return result


def _job(script_item: str) -> str:
    return f"build:\n  image: docker:29.1-cli\n  script:\n    - {script_item}\n"


# --- the image tag: the occurrence in the tag, not the first one in the line ------

LABEL_AND_TAG = "docker build --label b=$CI_COMMIT_REF_NAME -t r/app:{} ."
EXPECTED_VALUE = LABEL_AND_TAG.format("$CI_COMMIT_REF_SLUG")

TAG_FIXES = {
    "double-quoted with escapes before the word": (
        '"echo \\"\\"…; docker build --label b=$CI_COMMIT_REF_NAME '
        '-t r/app:$CI_COMMIT_REF_NAME ."',
        '"echo \\"\\"…; docker build --label b=$CI_COMMIT_REF_NAME '
        '-t r/app:$CI_COMMIT_REF_SLUG ."',
        'echo ""…; ' + EXPECTED_VALUE),
    "double-quoted with \\t and \\u escapes": (
        '"echo \\tx\\u00e9; docker build --label b=$CI_COMMIT_REF_NAME '
        '-t r/app:$CI_COMMIT_REF_NAME ."',
        '"echo \\tx\\u00e9; docker build --label b=$CI_COMMIT_REF_NAME '
        '-t r/app:$CI_COMMIT_REF_SLUG ."',
        "echo \tx\u00e9; " + EXPECTED_VALUE),
    "double-quoted word inside escaped quotes": (
        '"docker push \\"r/app:$CI_COMMIT_REF_NAME\\""',
        '"docker push \\"r/app:$CI_COMMIT_REF_SLUG\\""',
        'docker push "r/app:$CI_COMMIT_REF_SLUG"'),
    "single-quoted with doubled quotes": (
        "'docker build --label ''b=$CI_COMMIT_REF_NAME'' -t r/app:$CI_COMMIT_REF_NAME .'",
        "'docker build --label ''b=$CI_COMMIT_REF_NAME'' -t r/app:$CI_COMMIT_REF_SLUG .'",
        "docker build --label 'b=$CI_COMMIT_REF_NAME' -t r/app:$CI_COMMIT_REF_SLUG ."),
    "plain": (
        LABEL_AND_TAG.format("$CI_COMMIT_REF_NAME"),
        LABEL_AND_TAG.format("$CI_COMMIT_REF_SLUG"),
        EXPECTED_VALUE),
    "double-quoted with an escaped line break": (
        '"docker build --label b=$CI_COMMIT_REF_NAME \\\n'
        '      -t r/app:$CI_COMMIT_REF_NAME ."',
        '"docker build --label b=$CI_COMMIT_REF_NAME \\\n'
        '      -t r/app:$CI_COMMIT_REF_SLUG ."',
        EXPECTED_VALUE),
    "plain over two lines": (
        "docker build --label b=$CI_COMMIT_REF_NAME\n      -t r/app:$CI_COMMIT_REF_NAME .",
        "docker build --label b=$CI_COMMIT_REF_NAME\n      -t r/app:$CI_COMMIT_REF_SLUG .",
        EXPECTED_VALUE),
    "folded block": (
        ">\n      docker build --label b=$CI_COMMIT_REF_NAME\n"
        "      -t r/app:$CI_COMMIT_REF_NAME .",
        ">\n      docker build --label b=$CI_COMMIT_REF_NAME\n"
        "      -t r/app:$CI_COMMIT_REF_SLUG .",
        EXPECTED_VALUE + "\n"),
    "literal block": (
        "|\n      echo $CI_COMMIT_REF_NAME\n      " + LABEL_AND_TAG.format("$CI_COMMIT_REF_NAME"),
        "|\n      echo $CI_COMMIT_REF_NAME\n      " + LABEL_AND_TAG.format("$CI_COMMIT_REF_SLUG"),
        "echo $CI_COMMIT_REF_NAME\n" + EXPECTED_VALUE + "\n"),
    "a quoted word folded over two lines": (
        '"docker push \'r/app:$CI_COMMIT_REF_NAME\n      -x\'"',
        '"docker push \'r/app:$CI_COMMIT_REF_SLUG\n      -x\'"',
        "docker push 'r/app:$CI_COMMIT_REF_SLUG -x'"),
    "anchored item shared by two jobs": (
        "&build " + LABEL_AND_TAG.format("${CI_COMMIT_REF_NAME}"),
        "&build " + LABEL_AND_TAG.format("${CI_COMMIT_REF_SLUG}"),
        LABEL_AND_TAG.format("${CI_COMMIT_REF_SLUG}")),
}


@pytest.mark.parametrize("name", list(TAG_FIXES))
def test_the_tag_is_fixed_where_it_is_written(name: str, write: Write, cigen: Cigen,
                                              tmp_path: Path) -> None:
    item, fixed_item, value = TAG_FIXES[name]
    extra = "again:\n  image: docker:29.1-cli\n  script:\n    - *build\n" \
        if item.startswith("&") else ""
    changes: Changes = {("build", "script", 0): value}
    if extra:
        changes[("again", "script", 0)] = value
    result = _check_fix(write, cigen, tmp_path, _job(item) + extra,
                        _job(fixed_item) + extra, changes)
    assert "ref-name-tag" not in result.stdout


TAG_REFUSALS = {
    "the name written with an escape": '"docker push r/app:$CI_COMMIT_\\x52EF_NAME"',
    "the name split by an escaped line break":
        '"docker push r/app:$CI_COMMIT_REF_\\\n      NAME"',
    "the name's last letter escaped": '"docker push r/app:$CI_COMMIT_REF_NAM\\u0045"',
}


@pytest.mark.parametrize("name", list(TAG_REFUSALS))
def test_a_tag_not_written_as_itself_is_not_fixed(name: str, write: Write, cigen: Cigen,
                                                  tmp_path: Path) -> None:
    text = _job(TAG_REFUSALS[name])
    result = _check_fix(write, cigen, tmp_path, text, text, {}, "--unsafe-fixes")
    assert "ref-name-tag" in result.stdout
    assert ".gitlab-ci.yml:4:" in result.stdout


def test_a_password_pipe_goes_before_the_command_in_single_quotes(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    before = _job("'echo ''-p''; docker login -u me -p $PASSWORD registry.example'")
    after = _job("'echo ''-p''; echo \"$PASSWORD\" | docker login -u me --password-stdin "
                 "registry.example'")
    _check_fix(write, cigen, tmp_path, before, after, {
        ("build", "script", 0):
            "echo '-p'; echo \"$PASSWORD\" | docker login -u me --password-stdin "
            "registry.example"})


def test_a_password_pipe_that_would_need_escapes_is_refused(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    text = _job('"echo \\"x\\"; docker login -u me -p $PASSWORD registry.example"')
    result = _check_fix(write, cigen, tmp_path, text, text, {})
    assert "registry-password-argv" in result.stdout


def test_an_anchor_named_like_the_image_is_not_edited(write: Write, cigen: Cigen,
                                                      tmp_path: Path) -> None:
    text = "build:\n  image: &docker docker\n  script:\n    - docker info\n"
    result = _check_fix(write, cigen, tmp_path, text, text, {}, "--unsafe-fixes")
    assert "unpinned-docker-image" in result.stdout


def test_a_quoted_image_is_pinned_inside_its_quotes(write: Write, cigen: Cigen,
                                                    tmp_path: Path) -> None:
    from cigen.lint.versions import DOCKER

    before = "build:\n  image: \"docker\"  # docker\n  script:\n    - docker info\n"
    after = f"build:\n  image: \"docker:{DOCKER}-cli\"  # docker\n  script:\n    - docker info\n"
    _check_fix(write, cigen, tmp_path, before, after,
               {("build", "image"): f"docker:{DOCKER}-cli"}, "--unsafe-fixes",
               "--select", "unpinned-docker-image")


def test_a_storage_driver_is_fixed_in_its_own_option(write: Write, cigen: Cigen,
                                                     tmp_path: Path) -> None:
    before = _job("'dockerd --label=vfs ''--storage-driver=vfs'' &'")
    after = _job("'dockerd --label=vfs ''--storage-driver=overlay2'' &'")
    _check_fix(write, cigen, tmp_path, before, after, {
        ("build", "script", 0): "dockerd --label=vfs '--storage-driver=overlay2' &"},
        "--select", "vfs-storage-driver")


# --- a shared variable is not rewritten for one of its readers ------------------

def _pipeline(variables: str, push: str = "", extra: str = "") -> str:
    text = f"""\
variables:
{variables}
build:
  image: docker:29.1-cli
  script:
    - docker build -t "$CI_REGISTRY_IMAGE:$BRANCH" .
"""
    if push:
        text += f"""\
push:
  script:
    - {push}
"""
    return text + extra


def test_a_variable_only_the_tag_reads_is_fixed(write: Write, cigen: Cigen,
                                                tmp_path: Path) -> None:
    before = _pipeline("  BRANCH: $CI_COMMIT_REF_NAME  # the branch")
    after = _pipeline("  BRANCH: $CI_COMMIT_REF_SLUG  # the branch")
    result = _check_fix(write, cigen, tmp_path, before, after,
                        {("variables", "BRANCH"): "$CI_COMMIT_REF_SLUG"})
    assert "ref-name-tag" not in result.stdout


def test_a_chain_of_variables_read_once_each_is_fixed(write: Write, cigen: Cigen,
                                                      tmp_path: Path) -> None:
    variables = '  NAME: "${CI_COMMIT_REF_NAME}"\n  BRANCH: "$NAME"'
    before = _pipeline(variables)
    after = _pipeline(variables.replace("CI_COMMIT_REF_NAME", "CI_COMMIT_REF_SLUG"))
    _check_fix(write, cigen, tmp_path, before, after,
               {("variables", "NAME"): "${CI_COMMIT_REF_SLUG}"})


SHARED = {
    "a git push in another job": _pipeline(
        "  BRANCH: $CI_COMMIT_REF_NAME", push="git push origin HEAD:refs/heads/$BRANCH"),
    "another command of the same job": _pipeline(
        "  BRANCH: $CI_COMMIT_REF_NAME").replace(
            '.\n', '.\n    - echo "$BRANCH" > branch.txt\n'),
    "another variable's value": _pipeline(
        "  BRANCH: $CI_COMMIT_REF_NAME\n  URL: https://example.com/$BRANCH"),
    "rules": _pipeline("  BRANCH: $CI_COMMIT_REF_NAME",
                       extra="  rules:\n    - if: $BRANCH == \"main\"\n"),
    "a job that sets it again": _pipeline(
        "  BRANCH: $CI_COMMIT_REF_NAME",
        extra="  variables:\n    BRANCH: $CI_COMMIT_REF_NAME\n"),
    "an alias of its value": _pipeline(
        "  BRANCH: &branch $CI_COMMIT_REF_NAME\n  TARGET: *branch"),
}


@pytest.mark.parametrize("name", list(SHARED))
def test_a_variable_read_elsewhere_is_not_rewritten(name: str, write: Write, cigen: Cigen,
                                                    tmp_path: Path) -> None:
    text = SHARED[name]
    for options in ((), ("--unsafe-fixes",)):
        result = _check_fix(write, cigen, tmp_path, text, text, {}, *options)
        assert "ref-name-tag" in result.stdout


def test_a_variable_from_an_included_file_is_not_rewritten(write: Write, cigen: Cigen,
                                                           tmp_path: Path) -> None:
    included = "variables:\n  BRANCH: $CI_COMMIT_REF_NAME\n"
    write("ci/variables.yml", included)
    text = _pipeline("  PLACEHOLDER: x").replace(
        "variables:\n  PLACEHOLDER: x\n", "include:\n  - local: ci/variables.yml\n")
    result = _check_fix(write, cigen, tmp_path, text, text, {}, "--unsafe-fixes")
    assert "ref-name-tag" in result.stdout
    assert (tmp_path / "ci" / "variables.yml").read_text() == included


# --- a script line read as a mapping becomes one quoted string -----------------

MAPPING_FIXES = {
    "a flow mapping": ("- {echo Status: ok}", "- 'echo Status: ok'", "echo Status: ok"),
    "a flow mapping in a flow sequence": ("[ {echo a: b} ]", "[ 'echo a: b' ]", "echo a: b"),
    "a pair in a flow sequence": ("[echo a: b]", "['echo a: b']", "echo a: b"),
    "a block mapping with a comment": (
        "- echo n: 5   # keep", "- 'echo n: 5'   # keep", "echo n: 5"),
    "an empty value": ("- echo done:", "- 'echo done:'", "echo done:"),
    "a single quote": ("- echo it's: ok", "- \"echo it's: ok\"", "echo it's: ok"),
    "both quotes": ('- {echo "it\'s": ok}', "- 'echo \"it''s\": ok'", 'echo "it\'s": ok'),
}


@pytest.mark.parametrize("name", list(MAPPING_FIXES))
def test_a_mapping_line_becomes_one_string(name: str, write: Write, cigen: Cigen,
                                           tmp_path: Path) -> None:
    item, fixed_item, value = MAPPING_FIXES[name]
    before = f"job:\n  script:\n    {item}\n"
    after = f"job:\n  script:\n    {fixed_item}\n"
    result = _check_fix(write, cigen, tmp_path, before, after,
                        {("job", "script", 0): value})
    assert "script-line-is-mapping" not in result.stdout
    assert result.exit_code == 0, result.stdout


MAPPING_REFUSALS = {
    "several entries": "    - {echo a: b, c: d}\n",
    "an anchor": "    - &line {echo a: b}\n    - *line\n",
    "an entry over two lines": "    - {echo a:\n        b}\n",
    "a quoted value": '    - echo a: "b"\n',
    "a tagged key": "    - !!str echo a: b\n",
}


@pytest.mark.parametrize("name", list(MAPPING_REFUSALS))
def test_a_mapping_line_that_is_not_plain_text_is_left_alone(
        name: str, write: Write, cigen: Cigen, tmp_path: Path) -> None:
    text = f"job:\n  script:\n{MAPPING_REFUSALS[name]}"
    result = _check_fix(write, cigen, tmp_path, text, text, {}, "--unsafe-fixes")
    assert "script-line-is-mapping" in result.stdout


def test_an_option_and_its_value_on_two_lines_are_replaced_together(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    before = _job('|\n      docker login -u me -p \\\n        "$PASSWORD" registry.example')
    after = _job('|\n      echo "$PASSWORD" | docker login -u me --password-stdin '
                 'registry.example')
    _check_fix(write, cigen, tmp_path, before, after, {
        ("build", "script", 0):
            'echo "$PASSWORD" | docker login -u me --password-stdin registry.example\n'})


def test_many_fixes_in_one_long_scalar_finish(write: Write, cigen: Cigen,
                                              tmp_path: Path) -> None:
    """Each edit is checked on a window around it, not on the whole scalar again."""
    commands = "".join(f"docker login -u me -p $P{index} r; " for index in range(1500))
    path = write(".gitlab-ci.yml", _job(f"'{commands}'"))
    result = cigen("lint", "--fix", cwd=tmp_path, timeout=120)
    assert result.exit_code == 0, result.stdout[-500:]
    script = _load(path.read_text(encoding="utf-8"))["build"]["script"][0]
    assert script == "".join(f'echo "$P{index}" | docker login -u me --password-stdin r; '
                             for index in range(1500))


def test_a_colon_is_not_written_into_a_plain_scalar_of_a_flow_mapping(
        write: Write, cigen: Cigen, tmp_path: Path) -> None:
    from cigen.lint.versions import DOCKER

    before = "a:\n  image: docker\n  script: [docker info]\nb:\n  image: {name: docker}\n" \
        "  script: [docker info]\n"
    after = before.replace("image: docker\n", f"image: docker:{DOCKER}-cli\n")
    result = _check_fix(write, cigen, tmp_path, before, after,
                        {("a", "image"): f"docker:{DOCKER}-cli"}, "--unsafe-fixes",
                        "--select", "unpinned-docker-image")
    assert ".gitlab-ci.yml:5:" in result.stdout
