"""Small inputs whose naive resolution explodes finish, report the limit they pass at
the line that passes it, and keep every other finding of the file.

Each pipeline is a few kilobytes that stand for billions of values (`!reference`
lists ten wide and twenty deep, variables that each name the next one three
times), or plain work that used to grow quadratically (one job extending 8,000
templates, 3,000 glob includes in a 300-file repository). Both `cigen lint` and
`cigen expand` run in a separate process with a timeout, so a hang fails the
test; `bench/pathological.py` times the same inputs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result, run_cigen

Write = Callable[[str, str | bytes], Path]
LOGIN = "docker login -p hunter2 registry.example.com"


def lint(path: Path) -> Result:
    result = run_cigen("lint", "--format", "json", path.name, cwd=path.parent, timeout=20)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.exit_code == 1, (result.exit_code, result.stderr)
    return result


def expand(path: Path) -> Result:
    result = run_cigen("expand", path.name, cwd=path.parent, timeout=20)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def found(result: Result) -> list[tuple[str, int]]:
    return sorted((finding["rule"], finding["line"]) for finding in result.findings())


def line_of(text: str, needle: str) -> int:
    assert text.count(needle) == 1, f"{needle!r} must occur once"
    return text[:text.index(needle)].count("\n") + 1


def reference_fanout(width: int, depth: int) -> str:
    lines = [".a0: [x]"]
    for level in range(1, depth + 1):
        items = ", ".join([f"!reference [.a{level - 1}]"] * width)
        lines.append(f".a{level}: [{items}]")
    lines += ["job:", "  script:", f"    - !reference [.a{depth}]", f"    - {LOGIN}"]
    return "\n".join(lines) + "\n"


def test_reference_fanout_is_reported_once_where_it_grows_too_big(write: Write) -> None:
    text = reference_fanout(width=10, depth=20)
    path = write(".gitlab-ci.yml", text)
    # .a6 stands for ten lists of .a5, each over a hundred thousand values.
    too_big = line_of(text, ".a6:")
    result = lint(path)
    assert found(result) == [("reference-error", too_big),
                             ("registry-password-argv", line_of(text, LOGIN))]
    message = result.findings()[0]["message"]
    assert "[.a6]" in message and "500,000 values" in message

    expanded = expand(path)
    assert expanded.exit_code == 1
    assert f".gitlab-ci.yml:{too_big}:" in expanded.stderr
    assert expanded.stderr.count("reference-error") == 1
    assert f"job:\n  script:\n  - {LOGIN}\n" in expanded.stdout


def test_a_deep_narrow_reference_chain_still_stops_at_gitlab_s_ten_levels(
        write: Write) -> None:
    text = reference_fanout(width=1, depth=12)
    path = write(".gitlab-ci.yml", text)
    result = lint(path)
    # .a11 follows eleven nested references, one past the limit; .a12 and the job,
    # which use it, are not reported again.
    assert found(result) == [("reference-error", line_of(text, ".a11:")),
                             ("registry-password-argv", line_of(text, LOGIN))]
    assert result.findings()[0]["message"] == "!reference [.a10] nests deeper than 10 levels"


def test_a_small_reference_fanout_is_resolved_in_full(write: Write) -> None:
    text = reference_fanout(width=3, depth=4)
    path = write(".gitlab-ci.yml", text)
    result = lint(path)
    assert found(result) == [("registry-password-argv", line_of(text, LOGIN))]
    expanded = expand(path)
    assert expanded.exit_code == 0, expanded.stderr
    assert expanded.stdout.count("- x\n") == 3 ** 4


def nested_variables(depth: int) -> str:
    names = [f"V{index:02d}" for index in range(depth)]
    lines = ["variables:"]
    for name, following in itertools.pairwise(names):
        lines.append(f"  {name}: ${following}${following}${following}")
    lines += [f"  {names[-1]}: xyz", "build:", "  image: docker:24.0.5", "  script:",
              f"    - docker build -t ${names[0]} .", f"    - {LOGIN}"]
    return "\n".join(lines) + "\n"


def test_nested_variables_report_the_one_that_passes_gitlab_s_limit(write: Write) -> None:
    text = nested_variables(30)
    path = write(".gitlab-ci.yml", text)
    result = lint(path)
    # V29 is 3 characters, V(29-k) is 3^(k+1): V15 (3^15) is the first past 10 MiB.
    assert found(result) == [("invalid-value", line_of(text, "V15: ")),
                             ("registry-password-argv", line_of(text, LOGIN))]
    assert "`V15` expands to more than 10,485,760 characters" in result.findings()[0]["message"]

    expanded = expand(path)
    assert expanded.exit_code == 1
    assert f".gitlab-ci.yml:{line_of(text, 'V15: ')}:" in expanded.stderr
    assert "V00: $V01$V01$V01" in expanded.stdout


def test_variables_within_the_limit_expand_and_cycles_stay_unknown(write: Write) -> None:
    text = ("variables:\n"
            "  REGISTRY: $HOST/$GROUP\n  HOST: registry.example.com\n  GROUP: team\n"
            "  LOOP_A: $LOOP_B\n  LOOP_B: x$LOOP_A\n"
            "build:\n  image: docker:24.0.5\n  services: ['docker:24.0.5-dind']\n"
            "  script:\n"
            "    - docker build --cache-from $REGISTRY/app:main -t app .\n"
            "    - docker build --cache-from $LOOP_A/app:main -t app .\n")
    path = write(".gitlab-ci.yml", text)
    result = lint(path)
    assert found(result) == [("ineffective-cache-from", 11), ("ineffective-cache-from", 12),
                             ("privileged-dind", 9)]
    images = [finding["message"].split("`")[1] for finding in result.findings()
              if finding["rule"] == "ineffective-cache-from"]
    # A variable that names itself, through another, is left as written.
    assert images == ["registry.example.com/team/app:main", "$LOOP_A/app:main"]


def test_one_job_extending_thousands_of_templates_finishes(write: Write) -> None:
    templates = 8000
    lines = [f".t{index}: {{variables: {{V{index}: x}}}}" for index in range(templates)]
    lines += ["job:", "  extends:"]
    lines += [f"    - .t{index}" for index in range(templates)]
    lines += ["  script:", f"    - {LOGIN}", "  variables:", "    V7999: own"]
    text = "\n".join(lines) + "\n"
    path = write(".gitlab-ci.yml", text)
    result = lint(path)
    assert found(result) == [("registry-password-argv", line_of(text, LOGIN))]
    assert result.findings()[0]["jobs"] == ["job"]

    expanded = run_cigen("expand", "--format", "json", path.name, cwd=path.parent, timeout=20)
    assert expanded.exit_code == 0, expanded.stderr
    variables = expanded.json()["job"]["variables"]
    assert len(variables) == templates
    assert (variables["V0"], variables["V7998"], variables["V7999"]) == ("x", "x", "own")
    assert list(variables)[:3] == ["V0", "V1", "V2"]


def test_thousands_of_glob_includes_that_match_nothing_finish(write: Write) -> None:
    for index in range(300):
        write(f"dir{index % 30}/sub{index % 7}/file{index}.txt", "content\n")
    write("ci/b/two.yml", "two:\n  script: [echo two]\n")
    write("ci/one.yml", "one:\n  script: [echo one]\n")
    includes = [f"  - local: 'missing{index}/**/*.yml'" for index in range(3000)]
    text = "\n".join(["include:", "  - local: 'ci/**.yml'", *includes,
                      "job:", "  script:", f"    - {LOGIN}"]) + "\n"
    path = write(".gitlab-ci.yml", text)
    result = lint(path)
    rules = found(result)
    assert rules.count(("registry-password-argv", line_of(text, LOGIN))) == 1
    misses = [finding for finding in result.findings() if finding["rule"] == "include-error"]
    assert len(misses) == 3000
    assert misses[0]["line"] == line_of(text, "'missing0/")
    assert "matches no file" in misses[0]["message"]

    expanded = run_cigen("expand", "--format", "json", path.name, cwd=path.parent, timeout=20)
    assert expanded.exit_code == 1
    # The glob that does match still includes both files, a directory's own first.
    assert list(expanded.json()) == ["one", "two", "job"]


def test_a_script_variable_that_extends_itself_uses_its_earlier_value(write: Write) -> None:
    text = ("build:\n  image: gcr.io/kaniko-project/executor:v1.23.2-debug\n"
            "  variables:\n    IMAGE: registry.example.com/app\n  script:\n"
            '    - DESTINATION="--destination $IMAGE:$CI_COMMIT_SHA"\n'
            '    - DESTINATION="$DESTINATION --destination $IMAGE:latest"\n'
            "    - /kaniko/executor --context . $DESTINATION\n")
    path = write(".gitlab-ci.yml", text)
    result = lint(path)
    latest = [finding["message"] for finding in result.findings()
              if finding["rule"] == "unconditional-latest"]
    assert found(result) == [("unconditional-latest", 8)]
    assert latest[0].startswith("`registry.example.com/app:latest` pushes :latest")
