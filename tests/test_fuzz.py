"""Mutation fuzzing: `cigen lint`, `lint --fix` and `expand` on damaged versions of real files.

The mutators, the forked runner and the invariants are those of ``bench/fuzz.py``
(the long-run script); here hypothesis draws a seed file and one to four
mutations, deterministically (``derandomize``), for a short run. Each command
runs in a forked child, in-process (what `cigen lint` does once its options
are parsed), bounded in time and memory; a few cases also go through the real
command line to show that both give the same answer.

A failure names the invariant, the command, what cigen printed, and the
mutated input as a Python bytes literal shrunk to a smaller input that fails
the same way (both written to ``reproducer.py`` under the test's ``tmp_path``).
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from bench.fuzz import (
    EXTRA_FORMATS,
    HANDWRITTEN_SEEDS,
    LINE_BREAKS,
    MUTATORS,
    Failure,
    Mutation,
    basic_failures,
    check_case,
    expand_work,
    is_toml,
    lint_work,
    mutate,
    run_forked,
    seed_files,
    shrink,
    warm_up,
)
from tests.conftest import CORPUS, run_cigen

CORPUS_SEEDS = {name: data for name, data in seed_files(CORPUS).items()
                if name not in HANDWRITTEN_SEEDS}

mutations_strategy = st.lists(
    st.tuples(st.sampled_from(sorted(MUTATORS)), st.integers(0, 1 << 30),
              st.integers(0, 1 << 30)),
    min_size=1, max_size=4)

# About 0.15 s a case (seven commands and a data check): the two runs together take
# about 30 s on a busy 2-core machine. Shrinking is left to
# `shrink` (bounded), since hypothesis may spend minutes on it.
FUZZ_SETTINGS = settings(
    derandomize=True, database=None, deadline=None, print_blob=False,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    warm_up()


def file_name(seed: str) -> str:
    return "config.toml" if is_toml(seed) else ".gitlab-ci.yml"


def describe(failures: list[Failure], name: str, data: bytes, small: bytes,
             mutations: list[Mutation], seed: str, unsafe_fixes: bool, saved: Path) -> str:
    lines = [f"{len(failures)} invariant(s) broken on {seed} after {mutations}"
             f"{' with --unsafe-fixes' if unsafe_fixes else ''}:"]
    for failure in failures:
        lines.append(f"  [{failure.kind}] {failure.detail}")
        if failure.outcome is not None:
            stderr = failure.outcome.stderr.decode("utf-8", "replace").strip()
            if stderr:
                lines.append("    stderr: " + stderr[-800:].replace("\n", "\n            "))
    lines.append(f"input saved in {saved} (reproducer.py holds it as bytes literals)")
    lines.append(f"reproducer (shrunk), as {name}: {small[:2000]!r}")
    return "\n".join(lines)


def check_mutated(seed: str, data: bytes, mutations: list[Mutation], unsafe_fixes: bool,
                  extra_format: str, saved: Path) -> None:
    name = file_name(seed)
    mutated = mutate(data, mutations)
    with tempfile.TemporaryDirectory(prefix="cigen-fuzz-") as temporary:
        workspace = Path(temporary)
        failures = check_case(name, mutated, workspace / "case", unsafe_fixes,
                              extra_formats=(extra_format,)).failures
        if not failures:
            return
        small = shrink(name, mutated, failures[0].kind, unsafe_fixes, workspace, budget=40)
        saved.mkdir(parents=True, exist_ok=True)
        (saved / name).write_bytes(mutated)
        (saved / f"shrunk{name}").write_bytes(small)
        (saved / "reproducer.py").write_text(f"DATA = {mutated!r}\nSHRUNK = {small!r}\n",
                                             "utf-8")
        raise AssertionError(describe(failures, name, mutated, small, mutations, seed,
                                      unsafe_fixes, saved))


def every_line_break(kind: bytes) -> list[Mutation]:
    """The mutation that ends every line with ``kind`` instead of LF."""
    number = next(number for number in range(100)
                  if LINE_BREAKS[number % len(LINE_BREAKS)] == kind and number % 3)
    return [("change_line_breaks", 0, number)]


@settings(FUZZ_SETTINGS, max_examples=80)
@example(seed="everything.gitlab-ci.yml", mutations=every_line_break(b"\r"), unsafe_fixes=True,
         extra_format="github")
@example(seed="everything.gitlab-ci.yml", mutations=every_line_break(b"\r\n"),
         unsafe_fixes=True, extra_format="junit")
@example(seed="everything.gitlab-ci.yml", mutations=every_line_break("\u0085".encode()),
         unsafe_fixes=True, extra_format="sarif")
@example(seed="everything.gitlab-ci.yml", mutations=every_line_break("\u2028".encode()),
         unsafe_fixes=True, extra_format="codequality")
@example(seed="everything.gitlab-ci.yml", mutations=every_line_break("\u2029".encode()),
         unsafe_fixes=True, extra_format="github")
@example(seed="runner-dind-certs-volume.config.toml", mutations=every_line_break(b"\r\n"),
         unsafe_fixes=False, extra_format="sarif")
@given(seed=st.sampled_from(sorted(HANDWRITTEN_SEEDS)), mutations=mutations_strategy,
       unsafe_fixes=st.booleans(), extra_format=st.sampled_from(EXTRA_FORMATS))
def test_mutated_handwritten_seeds_keep_the_invariants(seed: str, mutations: list[Mutation],
                                                       unsafe_fixes: bool, extra_format: str,
                                                       tmp_path: Path) -> None:
    check_mutated(seed, HANDWRITTEN_SEEDS[seed], mutations, unsafe_fixes, extra_format,
                  tmp_path / "failure")


@pytest.mark.skipif(not CORPUS_SEEDS, reason=f"the corpus is not at {CORPUS}")
@settings(FUZZ_SETTINGS, max_examples=80)
@given(data=st.data(), mutations=mutations_strategy, unsafe_fixes=st.booleans(),
       extra_format=st.sampled_from(EXTRA_FORMATS))
def test_mutated_corpus_files_keep_the_invariants(data: st.DataObject, mutations: list[Mutation],
                                                  unsafe_fixes: bool, extra_format: str,
                                                  tmp_path: Path) -> None:
    seed = data.draw(st.sampled_from(sorted(CORPUS_SEEDS)), label="seed")
    check_mutated(seed, CORPUS_SEEDS[seed], mutations, unsafe_fixes, extra_format,
                  tmp_path / "failure")


SAFE_FIX_RULES = ("unused-suppression", "vfs-storage-driver", "ref-name-tag",
                  "registry-password-argv", "script-line-is-mapping",
                  "runner-dind-certs-volume")


@pytest.mark.parametrize("rule", SAFE_FIX_RULES)
def test_each_safe_fix_has_a_seed_that_fix_changes(rule: str, tmp_path: Path) -> None:
    """The hand-written seeds reach every safe fix, so `--fix` is fuzzed without the corpus."""
    seed = next(name for name in HANDWRITTEN_SEEDS if name.startswith(rule))
    name = file_name(seed)
    (tmp_path / ".git").mkdir()
    (tmp_path / name).write_bytes(HANDWRITTEN_SEEDS[seed])
    report = run_forked("lint", lint_work(name, tmp_path, "json"), tmp_path)
    assert report.exit_code in (0, 1), report
    findings = json.loads(report.stdout)["findings"]
    assert any(finding["rule"] == rule and finding["fixable"] for finding in findings), findings
    failures = check_case(name, HANDWRITTEN_SEEDS[seed], tmp_path / "case").failures
    assert not failures, [(failure.kind, failure.detail) for failure in failures]
    fixed = run_forked("fix", lint_work(name, tmp_path, "json", fix=True), tmp_path)
    assert fixed.exit_code in (0, 1), fixed
    assert (tmp_path / name).read_bytes() != HANDWRITTEN_SEEDS[seed]


AGREEMENT_CASES: list[tuple[str, list[Mutation]]] = [
    ("registry-password-argv.gitlab-ci.yml", [("change_line_breaks", 3, 1)]),
    ("everything.gitlab-ci.yml", [("anchor_alias", 12, 40)]),
    ("script-line-is-mapping.gitlab-ci.yml", [("insert_control", 30, 0)]),
    ("ref-name-tag.gitlab-ci.yml", [("truncate", 150, 0)]),
    ("runner-dind-certs-volume.config.toml", [("byte_order_mark", 0, 0)]),
]


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n")


@pytest.mark.parametrize(("seed", "mutations"), AGREEMENT_CASES)
def test_in_process_runs_agree_with_the_command_line(seed: str, mutations: list[Mutation],
                                                     tmp_path: Path) -> None:
    name = file_name(seed)
    data = mutate(HANDWRITTEN_SEEDS[seed], mutations)
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    results: dict[str, list[Any]] = {"inside": [], "outside": []}
    for directory in (inside, outside):
        (directory / ".git").mkdir(parents=True)
        (directory / name).write_bytes(data)
    commands: list[tuple[list[str], str, bool]] = [
        (["lint", "--format", "json"], "json", False),
        (["lint"], "text", False),
        (["lint", "--format", "json", "--fix"], "json", True),
    ]
    for flags, output_format, fix in commands:
        outcome = run_forked(" ".join(flags), lint_work(name, inside, output_format, fix=fix),
                             inside)
        assert not basic_failures(outcome), outcome
        results["inside"].append((outcome.exit_code, outcome.stdout.decode(),
                                  (inside / name).read_bytes()))
        completed = run_cigen(*flags, "--isolated", "--root", str(outside), name, cwd=outside,
                              timeout=60)
        results["outside"].append((completed.exit_code, completed.stdout,
                                   (outside / name).read_bytes()))
    if not is_toml(name):
        outcome = run_forked("expand", expand_work(name, inside), inside)
        completed = run_cigen("expand", "--root", str(outside), name, cwd=outside, timeout=60)
        results["inside"].append((outcome.exit_code, outcome.stdout.decode()))
        results["outside"].append((completed.exit_code, completed.stdout))
    assert [[_normalised(part) if isinstance(part, str) else part for part in result]
            for result in results["inside"]] == \
        [[_normalised(part) if isinstance(part, str) else part for part in result]
         for result in results["outside"]]


def test_the_runner_reports_hangs_memory_blow_ups_and_tracebacks(tmp_path: Path) -> None:
    """The harness itself: each way a command can go wrong is caught, not suffered."""
    def hang() -> int:
        while True:
            time.sleep(1)

    def blow_up() -> int:
        hog = [bytearray(1 << 24) for _ in range(1 << 12)]
        return len(hog)

    def crash() -> int:
        raise RuntimeError("boom")

    def exit_three() -> int:
        sys.exit(3)

    kinds: dict[str, list[str]] = {}
    for label, work, limit in (("hang", hang, 0.5), ("memory", blow_up, 30),
                               ("crash", crash, 30), ("exit", exit_three, 30)):
        outcome = run_forked(label, work, tmp_path, time_limit=limit)
        kinds[label] = [failure.kind for failure in basic_failures(outcome)]
    assert kinds == {"hang": ["timeout"], "memory": ["memory"], "crash": ["traceback"],
                     "exit": ["exit-code"]}
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
