#!/usr/bin/env python3
"""Mutation fuzzing of `cigen lint`, `cigen lint --fix` and `cigen expand`.

Usage (from the project root, with cigen installed):

    python bench/fuzz.py [--runs 5000] [--seed N] [--out DIR] [--corpus DIR]

Each run takes a seed file (the real pipelines and runner config.toml files of
the corpus, and the small pipelines of :data:`HANDWRITTEN_SEEDS`, which hold a
finding of every safe fix), applies one to four mutations (:data:`MUTATORS`:
byte flips, deleted, duplicated and re-indented lines, truncation, other line
breaks, byte order marks, NULs and control characters, long lines, anchors and
aliases, ``extends``/``!reference``/variable cycles, suppression comments,
quotes and escapes, lines that trigger a fix) and checks :func:`check_case`'s
invariants:

* no traceback and no internal error, an exit code in {0, 1, 2}, within a
  time and memory bound, a JSON report that parses, a text report without raw
  control characters, the file untouched by a plain lint;
* for ``--fix`` on a file that libyaml (or ``tomllib``) loads: the result still
  loads, its data differs from before only where a fixable finding was reported,
  and a second ``--fix`` changes nothing.

Every command runs in a forked child of this process (the command line pays
~150 ms of start-up per call, a fork a few): the child calls what `cigen lint`
and `cigen expand` call once their options are parsed, with standard output
and error sent to files, an alarm as the time bound and ``RLIMIT_AS`` as the
memory bound, so a hang or a blow-up ends the child, not the run. Each failing
input is saved to the output directory with what cigen printed, and shrunk
(lines, then bytes) to a small reproducer. ``tests/test_fuzz.py`` runs the same
mutators and invariants for a short seeded run in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from xml.etree import ElementTree

import yaml  # type: ignore[import-untyped, unused-ignore]

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus"

TIME_LIMIT = 10.0
"""Seconds one command may take on one small file: a bound, far above the usual ~50 ms."""
MEMORY_HEADROOM = 1 << 30
"""Bytes of address space a command may add to what this process already uses."""
TRACEBACK_EXIT = 97
"""The exit code of a child whose command raised: never one cigen itself uses."""

T = TypeVar("T")
Mutation = tuple[str, int, int]
"""A mutator's name and two numbers it draws positions and variants from."""


# --- Seeds --------------------------------------------------------------------------------

HANDWRITTEN_SEEDS: dict[str, bytes] = {
    "unused-suppression.gitlab-ci.yml": b"""\
build:
  image: docker:29.1-cli  # cigen: ignore[unpinned-docker-image] pinned by the mirror
  script:
    - docker info  # cigen: ignore[registry-password-argv]
""",
    "vfs-storage-driver.gitlab-ci.yml": b"""\
variables:
  DOCKER_DRIVER: vfs

build:
  image: docker:29.1-cli
  services:
    - name: docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
      command: ["--storage-driver=vfs"]
  variables:
    DOCKER_TLS_CERTDIR: "/certs"
  script:
    - dockerd --storage-driver vfs &
    - docker info
""",
    "ref-name-tag.gitlab-ci.yml": b"""\
variables:
  TAG: $CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME

build:
  image: docker:29.1-cli
  script:
    - docker build --pull -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME" .
    - docker tag "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME" "$TAG"
    - docker push $TAG
    - 'docker push "${CI_REGISTRY_IMAGE}:${CI_COMMIT_BRANCH}"'
""",
    "registry-password-argv.gitlab-ci.yml": b"""\
.login: &login
  - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"

build:
  image: docker:29.1-cli
  before_script: *login
  script:
    - docker login -u gitlab-ci-token -p $CI_JOB_TOKEN $CI_REGISTRY
    - podman login --username=me --password="it's \\"quoted\\"" registry.example.com
    - >
      docker login --password "$PASS" -u me registry.example.com
""",
    "script-line-is-mapping.gitlab-ci.yml": b"""\
upload:
  image: alpine:3.20
  script:
    - curl -H "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file app.tar.gz "$PACKAGE_URL"
    - echo 'it''s: here'
    - echo "a": b
""",
    "everything.gitlab-ci.yml": b"""\
stages: [build, test]

default:
  image: docker:latest

.template: &template
  services:
    - docker:dind
  variables:
    DOCKER_HOST: tcp://docker:2375
    DOCKER_TLS_CERTDIR: ""
    DOCKER_DRIVER: vfs

build:
  <<: *template
  stage: build
  extends: .base
  script:
    - docker login -p "$CI_REGISTRY_PASSWORD" -u "$CI_REGISTRY_USER" $CI_REGISTRY
    - docker pull "$CI_REGISTRY_IMAGE:cache" || true
    - docker build --cache-from "$CI_REGISTRY_IMAGE:cache" -t "$IMAGE:$CI_COMMIT_REF_NAME" .
    - docker build -t "$CI_REGISTRY_IMAGE:latest" .
    - docker push "$CI_REGISTRY_IMAGE:latest"
    - echo Done: ok

.base:
  tags: [docker]
  before_script:
    - !reference [.template, variables, DOCKER_HOST]

test:
  stage: test
  needs: [build]
  script: echo "ok"  # cigen: ignore[job-without-script]
""",
    "runner-dind-certs-volume.config.toml": b"""\
concurrent = 4

[[runners]]
  name = "dind"
  url = "https://gitlab.example.com"
  executor = "docker"
  [runners.docker]
    image = "docker:29.1-cli"
    privileged = true  # cigen: ignore[privileged-runner] dind runner for one project
    volumes = ["/cache"]

[[runners]]
  name = "bare"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.20"
    privileged = true
""",
}


def seed_files(corpus: Path | None) -> dict[str, bytes]:
    """The hand-written seeds, plus the corpus's pipelines and runner configs if present."""
    seeds = dict(HANDWRITTEN_SEEDS)
    if corpus is not None and corpus.is_dir():
        for path in sorted(corpus.rglob("*")):
            if path.is_file() and path.name.endswith((".gitlab-ci.yml", ".gitlab-ci.yaml",
                                                       ".toml")):
                key = str(path.relative_to(corpus)).replace(os.sep, "_")
                seeds[key] = path.read_bytes()
    return seeds


def is_toml(name: str) -> bool:
    return name.endswith(".toml")


# --- Mutators -----------------------------------------------------------------------------

LINE_BREAKS = (b"\r", b"\r\n", "\u0085".encode(), "\u2028".encode(), "\u2029".encode(),
               b"\x0b", b"\x0c", b"\n\r")
BYTE_ORDER_MARKS = ("utf-8-sig", "utf-16", "utf-16-be", "utf-32", "middle")
INTERESTING_BYTES = b":-[]{}&*!|>'\"#%@`,?\t\\ \x00\x1b\x7f\x85\xa0\xc2\xe2\xef\xfe\xff\n\r$"
CONTROL_TEXTS = ("\x1b[31m", "\x07", "\x7f", "\x9b2J", "\x08", "\x1b]0;title\x07", "\u202e",
                 "\ufeff", "\x00")
QUOTE_TEXTS = ('"', "'", "\\", '\\"', "''", "'\\''", '"\\', "\\n", "\\x41", "\\u00e9", "$", "`",
               "${", "$(")
SNIPPETS = (
    "- docker login -u u -p \"$P\" r",
    "- docker login --password=$P r",
    "- echo \"Authorization: $TOKEN\"",
    "- docker build -t \"$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_NAME\" .",
    "- docker push $CI_REGISTRY_IMAGE:${CI_COMMIT_BRANCH}",
    "DOCKER_DRIVER: vfs",
    "image: docker:latest",
    "image: docker",
    "services: [docker:dind]",
    "DOCKER_TLS_CERTDIR: \"\"",
    "DOCKER_HOST: tcp://docker:2375",
    "# cigen: ignore[unpinned-docker-image]",
    "# cigen: ignore-file[ref-name-tag]",
    "# cigen: ignore[no-such-rule]",
    "extends: .missing",
    "privileged = true",
    "volumes = [\"/cache\"]",
    "[runners.docker]",
    "[[runners]]",
    "script: !reference [.a, script]",
    "<<: *undefined",
)
RULE_NAMES = ("unpinned-docker-image", "registry-password-argv", "ref-name-tag",
              "vfs-storage-driver", "script-line-is-mapping", "privileged-dind", "all", "",
              "CG110", "no-such-rule")


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def _pick(items: Sequence[T], number: int) -> T:
    return items[number % len(items)]


def _indent(line: bytes) -> bytes:
    return line[:len(line) - len(line.lstrip(b" \t"))]


def _top_level_names(data: bytes) -> list[bytes]:
    names = re.findall(rb"^([.\w][\w.\-/ ]*):", data, flags=re.MULTILINE)
    return names or [b".base"]


def flip_bit(data: bytes, a: int, b: int) -> bytes:
    if not data:
        return data
    position = a % len(data)
    return data[:position] + bytes([data[position] ^ (1 << (b % 8))]) + data[position + 1:]


def set_byte(data: bytes, a: int, b: int) -> bytes:
    if not data:
        return bytes([_pick(INTERESTING_BYTES, b)])
    position = a % len(data)
    return data[:position] + bytes([_pick(INTERESTING_BYTES, b)]) + data[position + 1:]


def delete_line(data: bytes, a: int, b: int) -> bytes:
    lines = _lines(data)
    del lines[a % len(lines)]
    return b"".join(lines)


def duplicate_line(data: bytes, a: int, b: int) -> bytes:
    lines = _lines(data)
    index = a % len(lines)
    copy = lines[index] if lines[index].endswith(b"\n") else lines[index] + b"\n"
    lines.insert(_pick(range(len(lines) + 1), b), copy)
    return b"".join(lines)


def shift_indent(data: bytes, a: int, b: int) -> bytes:
    lines = _lines(data)
    index = a % len(lines)
    shift = b % 9 - 4
    line = lines[index]
    if shift > 0:
        line = (b"\t" if b % 13 == 0 else b" ") * shift + line
    else:
        line = line[min(-shift, len(_indent(line))):]
    lines[index] = line
    return b"".join(lines)


def truncate(data: bytes, a: int, b: int) -> bytes:
    return data[:a % (len(data) + 1)]


def change_line_breaks(data: bytes, a: int, b: int) -> bytes:
    new = _pick(LINE_BREAKS, b)
    if b % 3:
        return data.replace(b"\n", new)
    lines = _lines(data)
    index = a % len(lines)
    if lines[index].endswith(b"\n"):
        lines[index] = lines[index][:-1] + new
    return b"".join(lines)


def byte_order_mark(data: bytes, a: int, b: int) -> bytes:
    kind = _pick(BYTE_ORDER_MARKS, b)
    if kind == "middle":
        position = a % (len(data) + 1)
        return data[:position] + "\ufeff".encode() + data[position:]
    text = data.decode("utf-8", "surrogateescape")
    try:
        return text.encode(kind)
    except UnicodeEncodeError:
        return b"\xef\xbb\xbf" + data


def insert_nul(data: bytes, a: int, b: int) -> bytes:
    position = a % (len(data) + 1)
    return data[:position] + b"\x00" * (1 + b % 3) + data[position:]


def insert_control(data: bytes, a: int, b: int) -> bytes:
    position = a % (len(data) + 1)
    return data[:position] + _pick(CONTROL_TEXTS, b).encode() + data[position:]


def insert_quote(data: bytes, a: int, b: int) -> bytes:
    position = a % (len(data) + 1)
    return data[:position] + _pick(QUOTE_TEXTS, b).encode() + data[position:]


def invalid_utf8(data: bytes, a: int, b: int) -> bytes:
    position = a % (len(data) + 1)
    piece = _pick((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", "\U0001f40d".encode(),
                   b"\xe2\x80"), b)
    return data[:position] + piece + data[position:]


def long_line(data: bytes, a: int, b: int) -> bytes:
    lines = _lines(data)
    index = a % len(lines)
    length = _pick((5_000, 70_000, 300_000), b)
    line = lines[index]
    body = line.rstrip(b"\r\n")
    filler = _pick((b"x", b"a ", b"- ", b"$A", b"\\"), b // 3)
    lines[index] = body + filler * (length // len(filler)) + line[len(body):]
    return b"".join(lines)


def anchor_alias(data: bytes, a: int, b: int) -> bytes:
    """Anchors a value and refers to it elsewhere, as an alias or a merge key."""
    lines = _lines(data)
    source = a % len(lines)
    target = b % len(lines)
    name = b"f%d" % (a % 7)
    match = re.match(rb"^(\s*(?:- )?[^\s#:][^:#]*:)( |$)", lines[source])
    if match is None:
        return data
    lines[source] = lines[source][:match.end(1)] + b" &" + name + lines[source][match.end(1):]
    line = lines[target]
    indent = _indent(line)
    style = b // 7 % 3
    if style == 0:
        replaced = re.sub(rb":\s.*$", b": *" + name, line.rstrip(b"\r\n"), count=1)
        lines[target] = replaced + b"\n"
    elif style == 1:
        lines.insert(target, indent + b"<<: *" + name + b"\n")
    else:
        lines.insert(target, indent + b"- *" + name + b"\n")
    return b"".join(lines)


def alias_bomb(data: bytes, a: int, b: int) -> bytes:
    """Aliases nested so that the expanded data grows exponentially."""
    depth = 8 + b % 12
    bomb = [b".bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, depth):
        bomb.append(b".bomb%d: &b%d [" % (level, level) + b", ".join(
            [b"*b%d" % (level - 1)] * 10) + b"]")
    bomb.append(b"bombjob:\n  script: *b%d" % (depth - 1))
    return data.rstrip(b"\n") + b"\n" + b"\n".join(bomb) + b"\n"


def deep_nesting(data: bytes, a: int, b: int) -> bytes:
    depth = _pick((50, 200, 1_000, 20_000), b)
    kind = _pick((b"[", b"{a: ", b"- "), a)
    closing = {b"[": b"]", b"{a: ": b"}", b"- ": b""}[kind]
    if kind == b"- ":
        nested = b"".join(b"  " * level + b"-\n" for level in range(min(depth, 400)))
        return data + b"deep:\n  script:\n" + nested
    return data + b"deep:\n  script: " + kind * depth + b"x" + closing * depth + b"\n"


def insert_extends(data: bytes, a: int, b: int) -> bytes:
    """Adds `extends:` naming a job of the file (maybe itself: a cycle)."""
    names = _top_level_names(data)
    lines = _lines(data)
    starts = [index for index, line in enumerate(lines)
              if re.match(rb"^[.\w][\w.\-/ ]*:\s*(#.*)?$", line)]
    if not starts:
        return data
    index = _pick(starts, a)
    target = _pick(names, b)
    value = _pick((target, b"[" + target + b", " + _pick(names, b + 1) + b"]"), b // 5)
    lines.insert(index + 1, b"  extends: " + value + b"\n")
    return b"".join(lines)


def insert_reference(data: bytes, a: int, b: int) -> bytes:
    """Replaces a value with `!reference` to a job of the file (maybe a cycle)."""
    names = _top_level_names(data)
    lines = _lines(data)
    index = a % len(lines)
    key = _pick((b"script", b"variables", b"before_script", b"image", b"services"), b // 3)
    reference = b"!reference [" + _pick(names, b) + b", " + key + b"]"
    line = lines[index]
    if b": " in line:
        lines[index] = line.split(b": ", 1)[0] + b": " + reference + b"\n"
    else:
        lines.insert(index, _indent(line) + b"- " + reference + b"\n")
    return b"".join(lines)


def insert_variables(data: bytes, a: int, b: int) -> bytes:
    """Variables that refer to themselves and each other, many times over."""
    count = 2 + b % 6
    body = b"".join(b"  V%d: \"$V%d${V%d}$V%d\"\n" % (i, (i + 1) % count, i, (i * 7 + a) % count)
                    for i in range(count))
    lines = _lines(data)
    index = a % (len(lines) + 1)
    lines.insert(index, b"variables:\n" + body)
    return b"".join(lines)


def insert_suppression(data: bytes, a: int, b: int) -> bytes:
    lines = _lines(data)
    index = a % len(lines)
    rule = _pick(RULE_NAMES, b).encode()
    directive = _pick((b"ignore", b"ignore-file"), b // 11)
    comment = b"# cigen: " + directive + b"[" + rule + b"]" + _pick((b"", b" reason"), b // 23)
    line = lines[index]
    body = line.rstrip(b"\r\n")
    where = b // 3 % 3
    if where == 0 or not body:
        lines[index] = body + b"  " + comment + line[len(body):]
    elif where == 1:
        position = (a // 7) % (len(body) + 1)
        lines[index] = body[:position] + b" " + comment + body[position:] + line[len(body):]
    else:
        lines.insert(index, _indent(line) + comment + b"\n")
    return b"".join(lines)


def insert_snippet(data: bytes, a: int, b: int) -> bytes:
    """A line that triggers a rule (most of them fixable), at another line's indentation."""
    lines = _lines(data)
    index = a % (len(lines) + 1)
    reference = lines[min(index, len(lines) - 1)]
    lines.insert(index, _indent(reference) + _pick(SNIPPETS, b).encode() + b"\n")
    return b"".join(lines)


def swap_lines(data: bytes, a: int, b: int) -> bytes:
    lines = _lines(data)
    first, second = a % len(lines), b % len(lines)
    lines[first], lines[second] = lines[second], lines[first]
    return b"".join(lines)


MUTATORS: dict[str, Callable[[bytes, int, int], bytes]] = {
    "flip_bit": flip_bit,
    "set_byte": set_byte,
    "delete_line": delete_line,
    "duplicate_line": duplicate_line,
    "swap_lines": swap_lines,
    "shift_indent": shift_indent,
    "truncate": truncate,
    "change_line_breaks": change_line_breaks,
    "byte_order_mark": byte_order_mark,
    "insert_nul": insert_nul,
    "insert_control": insert_control,
    "insert_quote": insert_quote,
    "invalid_utf8": invalid_utf8,
    "long_line": long_line,
    "anchor_alias": anchor_alias,
    "alias_bomb": alias_bomb,
    "deep_nesting": deep_nesting,
    "insert_extends": insert_extends,
    "insert_reference": insert_reference,
    "insert_variables": insert_variables,
    "insert_suppression": insert_suppression,
    "insert_snippet": insert_snippet,
}


def mutate(data: bytes, mutations: Sequence[Mutation]) -> bytes:
    for name, a, b in mutations:
        data = MUTATORS[name](data, a, b)
    return data


def random_mutations(generator: random.Random) -> list[Mutation]:
    """One to four mutations, mostly one or two: a file that libyaml still loads is what
    exercises --fix, and each mutation more makes that less likely."""
    names = sorted(MUTATORS)
    return [(generator.choice(names), generator.randrange(1 << 30), generator.randrange(1 << 30))
            for _ in range(generator.choice((1, 1, 1, 2, 2, 3, 4)))]


# --- Running one command in a forked child ------------------------------------------------

@dataclass
class Outcome:
    command: str
    exit_code: int | None
    """``None`` when the child was ended by a signal."""
    signal_number: int | None
    stdout: bytes
    stderr: bytes
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.signal_number in (signal.SIGALRM, signal.SIGKILL)


def _address_space() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[0]) * resource.getpagesize()


def run_forked(command: str, work: Callable[[], int], directory: Path,
               time_limit: float = TIME_LIMIT) -> Outcome:
    """Run ``work`` in a child process, in ``directory``, bounded in time and memory."""
    out_path, err_path = directory / ".fuzz-stdout", directory / ".fuzz-stderr"
    memory_limit = _address_space() + MEMORY_HEADROOM
    sys.stdout.flush()
    sys.stderr.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child ends in os._exit
        code = TRACEBACK_EXIT
        try:
            for number, path in ((1, out_path), (2, err_path)):
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(descriptor, number)
                os.close(descriptor)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            # What a UTF-8 terminal or pipe gives the real command line.
            sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                              closefd=False)
            os.chdir(directory)
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
            for number in (signal.SIGALRM, signal.SIGINT, signal.SIGTERM):
                signal.signal(number, signal.SIG_DFL)
            signal.setitimer(signal.ITIMER_REAL, time_limit)
            code = work()
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = TRACEBACK_EXIT
        finally:
            try:
                sys.stdout.flush()
            except BaseException:
                traceback.print_exc()
                code = TRACEBACK_EXIT
            with contextlib.suppress(BaseException):
                sys.stderr.flush()
            os._exit(code)
    status = _wait(pid, started + time_limit + 5)
    seconds = time.monotonic() - started
    exit_code = os.waitstatus_to_exitcode(status)
    return Outcome(command, exit_code if exit_code >= 0 else None,
                   -exit_code if exit_code < 0 else None,
                   out_path.read_bytes(), err_path.read_bytes(), seconds)


def _wait(pid: int, deadline: float) -> int:
    """The child's wait status; past the deadline (its own alarm failed) it is killed."""
    descriptor = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    try:
        delay = 0.0005
        while True:
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished:
                return status
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                return os.waitpid(pid, 0)[1]
            if descriptor is not None:
                select.select([descriptor], [], [], remaining)
            else:
                time.sleep(delay)
                delay = min(delay * 2, 0.02)
    finally:
        if descriptor is not None:
            os.close(descriptor)


def lint_work(name: str, directory: Path, output_format: str, fix: bool = False,
              unsafe_fixes: bool = False) -> Callable[[], int]:
    def work() -> int:
        from cigen.lint.run import LintRequest, run_lint

        return run_lint(LintRequest(paths=[name], output_format=output_format, fix=fix,
                                    unsafe_fixes=unsafe_fixes, isolated=True,
                                    root=str(directory)))
    return work


def expand_work(name: str, directory: Path) -> Callable[[], int]:
    """What `cigen expand NAME --root DIRECTORY` does after option parsing."""
    def work() -> int:
        from cigen.gitlab.expand import ExpandError, expanded_config, load, missing_notes, render
        from cigen.lint.report.escaping import visible

        try:
            pipeline, problems = load(name, str(directory))
        except ExpandError as error:
            print(f"cigen: error: {error}", file=sys.stderr)
            return 2
        for problem in problems:
            print(visible(f"{problem.span.path}:{problem.span.line}:{problem.span.column}: "
                          f"{problem.rule}: {problem.message}"), file=sys.stderr)
        if pipeline is not None:
            for note in missing_notes(pipeline):
                print(visible(f"{note.span.path}:{note.span.line}:{note.span.column}: note: "
                              f"{note.message}"), file=sys.stderr)
            sys.stdout.write(render(expanded_config(pipeline, False), "yaml"))
        return 1 if problems or pipeline is None else 0
    return work


def command_line(name: str, *flags: str) -> str:
    return " ".join(("cigen", *flags, name))


def warm_up() -> None:
    """Import and initialise, once in this process, what every forked child would repeat."""
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        for name, data in HANDWRITTEN_SEEDS.items():
            (directory / name).write_bytes(data)
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                for output_format in ("json", "text"):
                    lint_work(name, directory, output_format)()
                lint_work(name, directory, "json", fix=True, unsafe_fixes=True)()
                if not is_toml(name):
                    expand_work(name, directory)()


# --- Invariants ---------------------------------------------------------------------------

@dataclass
class Failure:
    kind: str
    detail: str
    outcome: Outcome | None = None


CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")


def basic_failures(outcome: Outcome) -> list[Failure]:
    """No traceback, no internal error, a documented exit code, within the bounds."""
    failures = []
    stderr = outcome.stderr.decode("utf-8", "replace")
    if outcome.timed_out:
        failures.append(Failure("timeout", f"{outcome.command}: no answer within "
                                f"{TIME_LIMIT:.0f} s", outcome))
    elif outcome.signal_number is not None:
        failures.append(Failure("signal", f"{outcome.command}: killed by signal "
                                f"{outcome.signal_number}", outcome))
    elif "MemoryError" in stderr:
        failures.append(Failure("memory", f"{outcome.command}: MemoryError", outcome))
    elif "Traceback" in stderr or outcome.exit_code == TRACEBACK_EXIT:
        last = [line for line in stderr.splitlines() if line.strip()][-1:] or ["?"]
        failures.append(Failure("traceback", f"{outcome.command}: {last[0]}", outcome))
    elif "internal error" in stderr:
        line = next(line for line in stderr.splitlines() if "internal error" in line)
        failures.append(Failure("internal-error", f"{outcome.command}: {line}", outcome))
    elif outcome.exit_code not in (0, 1, 2):
        failures.append(Failure("exit-code", f"{outcome.command}: exit {outcome.exit_code}",
                                outcome))
    return failures


def report_findings(outcome: Outcome, failures: list[Failure]) -> list[dict[str, Any]] | None:
    """The findings of a JSON report (``None`` for exit 2 or an unreadable report)."""
    if outcome.exit_code not in (0, 1):
        return None
    try:
        findings = json.loads(outcome.stdout.decode("utf-8"))["findings"]
    except (ValueError, KeyError, TypeError) as error:
        failures.append(Failure("bad-json", f"{outcome.command}: the report does not parse: "
                                f"{error}", outcome))
        return None
    return findings  # type: ignore[no-any-return]


def load_data(name: str, data: bytes) -> tuple[bool, Any]:
    """(loaded, value): the file read by libyaml (the parser GitLab uses) or tomllib."""
    if is_toml(name):
        try:
            return True, tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, RecursionError):
            return False, None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return True, yaml.load(data, Loader=loader)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError, OverflowError):
        return False, None


def _node_span(node: Any) -> tuple[int, int]:
    end = node.end_mark.line + (1 if node.end_mark.column else 0)
    return node.start_mark.line + 1, max(end, node.start_mark.line + 1)


def _touched(node: Any, lines: Mapping[int, set[str]], seen: set[int]) -> bool:
    """Whether a fixed line lies in the node or anything it holds (aliases included)."""
    if id(node) in seen:
        return False
    seen.add(id(node))
    first, last = _node_span(node)
    if any(first <= line <= last for line in lines):
        return True
    if isinstance(node.value, list):
        for item in node.value:
            children = item if isinstance(item, tuple) else (item,)
            if any(_touched(child, lines, seen) for child in children):
                return True
    return False


REFERENCE_NAMES = re.compile(
    r"CI_COMMIT_REF_NAME|CI_COMMIT_BRANCH|CI_MERGE_REQUEST_SOURCE_BRANCH_NAME|CI_COMMIT_REF_SLUG")


YAML_LINE_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
"""What libyaml ends a line at (``str.splitlines`` also splits at \\v, \\f and \\x1c-\\x1e)."""


def _node_texts(node: Any, text_lines: list[str]) -> set[str]:
    """What a one-line node may have been written as: its line from where it starts, with
    or without what follows each `` #`` (a comment, or part of the value). A block node
    ends where the next one starts, so blank and comment lines may come before its end."""
    start, end = node.start_mark, node.end_mark
    if start.line >= len(text_lines):
        return set()
    if end.line > start.line:
        after = [*text_lines[start.line + 1:end.line],
                 text_lines[end.line][:end.column] if end.line < len(text_lines) else ""]
        if any(line.strip() and not line.lstrip().startswith("#") for line in after):
            return set()
    rest = str(text_lines[start.line][start.column:]).rstrip()
    return {rest, *(rest[:match.start()].rstrip() for match in re.finditer(" #", rest))}


def value_fixed_as_documented(rule: str, old: Any, new: Any, written: set[str] | None) -> bool:
    """Whether ``new`` is what the rule's fix, as `cigen explain` documents it, makes of ``old``.

    Only checked where the documented change is exact; the other fixes pass
    when the value stays a string.
    """
    if rule == "script-line-is-mapping":
        # --fix works in rounds: once quoted, the line may get the fix of a rule that
        # could not read it as a mapping (say, registry-password-argv) in the next round.
        return isinstance(old, dict) and (written is None or new in written or any(
            value_fixed_as_documented(other, text, new, None) for text in written
            for other in ("registry-password-argv", "ref-name-tag", "vfs-storage-driver")))
    if not (isinstance(old, str) and isinstance(new, str)):
        return False
    if rule == "vfs-storage-driver":
        return old.replace("overlay2", "vfs") == new.replace("overlay2", "vfs")
    if rule == "ref-name-tag":
        return REFERENCE_NAMES.sub("REF", old) == REFERENCE_NAMES.sub("REF", new)
    if rule == "registry-password-argv":
        return "--password-stdin" in new and new.count("|") > old.count("|")
    return True


def unexplained_yaml_changes(before_bytes: bytes, before: Any, after: Any,
                             lines: Mapping[int, set[str]]) -> list[str]:
    """Paths whose data changed although no fixed finding lies on their lines.

    Walks the node tree of the file before the fix (libyaml's): a node with no
    fixed line in it, nor in what it refers to through aliases, must hold the
    same data after; otherwise mappings with plain string keys (no merge keys,
    no duplicates) and sequences of the same length are compared item by item.
    A changed string (or a script line that was a mapping) must be what one of
    the fixes reported on its lines makes of it (:func:`value_fixed_as_documented`);
    any other node on a fixed line may change.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(before_bytes, Loader=loader)
    except yaml.YAMLError:
        return []
    try:
        text_lines = YAML_LINE_BREAKS.split(before_bytes.decode("utf-8-sig"))
    except UnicodeDecodeError:  # UTF-16 or -32: no written text to compare with
        text_lines = []
    problems: list[str] = []
    string_tag = "tag:yaml.org,2002:str"

    def walk(node: Any, old: Any, new: Any, path: str) -> None:
        if old == new:
            return
        if not _touched(node, lines, set()):
            problems.append(f"{path or '/'} changed: {_short(old)} -> {_short(new)}")
            return
        if isinstance(node, yaml.MappingNode) and isinstance(old, dict) and \
                isinstance(new, dict):
            keys = [key for key, _ in node.value]
            plain = all(isinstance(key, yaml.ScalarNode) and key.tag == string_tag
                        for key in keys)
            names = [key.value for key in keys]
            if plain and len(set(names)) == len(names) and set(names) == set(old):
                if set(new) != set(old):
                    problems.append(f"{path or '/'} keys changed: {sorted(set(old) ^ set(new))}")
                    return
                for key, value in node.value:
                    walk(value, old[key.value], new[key.value], f"{path}/{key.value}")
        elif isinstance(node, yaml.SequenceNode) and isinstance(old, list) and \
                isinstance(new, list) and len(old) == len(new) == len(node.value):
            for index, (item, old_item, new_item) in enumerate(
                    zip(node.value, old, new, strict=True)):
                walk(item, old_item, new_item, f"{path}/{index}")
        elif isinstance(new, str) and (isinstance(old, str) or isinstance(node, yaml.MappingNode)):
            first, last = _node_span(node)
            rules = set().union(*(lines.get(line, set()) for line in range(first, last + 1)))
            written = _node_texts(node, text_lines) if text_lines else None
            if rules and not any(value_fixed_as_documented(rule, old, new, written)
                                 for rule in rules):
                problems.append(f"{path or '/'} is not what {'/'.join(sorted(rules))} "
                                f"documents: {_short(old)} -> {_short(new)}")

    if root is not None:
        walk(root, before, after, "")
    return problems


def unexplained_toml_changes(before_bytes: bytes, before: Any, after: Any,
                             lines: Mapping[int, set[str]]) -> list[str]:
    """Keys whose data changed although no fixed finding lies in their section.

    An approximation: top-level keys other than ``runners`` must be equal, and
    so must each ``[[runners]]`` entry whose lines (from its header to the next
    one) hold no fixed finding.
    """
    problems = [f"/{key} changed" for key in set(before) | set(after)
                if key != "runners" and before.get(key) != after.get(key)]
    old_runners, new_runners = before.get("runners"), after.get("runners")
    if not (isinstance(old_runners, list) and isinstance(new_runners, list)):
        return problems if old_runners == new_runners else [*problems, "/runners changed"]
    if len(old_runners) != len(new_runners):
        return [*problems, "/runners: number of runners changed"]
    text_lines = before_bytes.decode("utf-8", "replace").splitlines()
    headers = [number for number, line in enumerate(text_lines, 1)
               if re.match(r"\s*\[\[\s*runners\s*\]\]", line)]
    for index, (old, new) in enumerate(zip(old_runners, new_runners, strict=True)):
        if old == new:
            continue
        if len(headers) == len(old_runners):
            first = headers[index]
            last = headers[index + 1] - 1 if index + 1 < len(headers) else len(text_lines)
            if any(first <= line <= last for line in lines):
                continue
        problems.append(f"/runners/{index} changed: {_short(old)} -> {_short(new)}")
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def fixed_lines(findings: list[dict[str, Any]]) -> dict[int, set[str]]:
    """The rules of the fixable findings on each line, but for comment removals (no data)."""
    lines: dict[int, set[str]] = {}
    for finding in findings:
        if finding.get("fixable") and finding.get("rule") != "unused-suppression":
            for line in range(int(finding["line"]),
                              int(finding.get("end_line") or finding["line"]) + 1):
                lines.setdefault(line, set()).add(str(finding["rule"]))
    return lines


NOT_LOADED = 3
"""The data check's exit code when the file before the fix does not load."""


def data_check_work(name: str, before_bytes: bytes, after_bytes: bytes,
                    findings: list[dict[str, Any]]) -> Callable[[], int]:
    """Compare the data before and after a fix (in a child: alias-heavy data may be huge)."""
    def work() -> int:
        loaded_before, before = load_data(name, before_bytes)
        if not loaded_before:
            return NOT_LOADED
        loaded_after, after = load_data(name, after_bytes)
        if not loaded_after:
            print("fix-unloadable: the fixed file no longer loads")
            return 1
        lines = fixed_lines(findings)
        if is_toml(name):
            problems = (unexplained_toml_changes(before_bytes, before, after, lines)
                        if isinstance(before, dict) and isinstance(after, dict) else [])
        else:
            problems = unexplained_yaml_changes(before_bytes, before, after, lines)
        for problem in problems[:5]:
            kind = "fix-wrong-value" if " is not what " in problem else "fix-changed-data"
            print(f"{kind}: {problem}")
        return 1 if problems else 0
    return work


@dataclass
class CaseResult:
    failures: list[Failure] = field(default_factory=list)
    commands: int = 0
    fixed: bool = False
    """Whether `--fix` changed the file."""
    compared: bool = False
    """Whether the data before and after the fix were compared (libyaml/tomllib loaded it)."""


EXTRA_FORMATS = ("codequality", "sarif", "junit", "github")


def report_format_failures(outcome: Outcome, output_format: str) -> list[Failure]:
    """A machine-readable report must be what its readers parse."""
    if outcome.exit_code not in (0, 1):
        return []
    text = outcome.stdout.decode("utf-8", "replace")
    try:
        if output_format in ("codequality", "sarif"):
            json.loads(text)
        elif output_format == "junit":
            ElementTree.fromstring(outcome.stdout)
        elif output_format == "github":
            for line in text.splitlines():
                if line and not line.startswith("::") and not line.startswith("Found "):
                    raise ValueError(f"not a workflow command: {line[:80]!r}")
            match = CONTROL_CHARACTERS.search(text)
            if match is not None:
                raise ValueError(f"raw {match.group()!r}")
    except (ValueError, ElementTree.ParseError) as error:
        return [Failure(f"bad-{output_format}", f"{outcome.command}: {error}", outcome)]
    return []


def _places(findings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((finding.get("rule"), finding.get("line"), finding.get("column"))
                  for finding in findings)


def line_break_failures(name: str, data: bytes, directory: Path,
                        findings: list[dict[str, Any]], unsafe_fixes: bool,
                        run: Callable[[str, Callable[[], int]], Outcome]) -> list[Failure]:
    """The same file with CRLF (or, for YAML, CR) line breaks has the same findings at the
    same places: libyaml and TOML read every such break as the same end of line."""
    breaks = b"\r\n" if is_toml(name) or len(data) % 2 else b"\r"
    variant = directory / "variant"
    variant.mkdir(exist_ok=True)
    (variant / ".git").mkdir(exist_ok=True)
    (variant / name).write_bytes(data.replace(b"\n", breaks))
    flags = ("--unsafe-fixes",) if unsafe_fixes else ()
    outcome = run(command_line(name, "lint", "--format", "json", *flags) + f" ({breaks!r} breaks)",
                  lint_work(name, variant, "json", unsafe_fixes=unsafe_fixes))
    failures: list[Failure] = []
    other = report_findings(outcome, failures)
    if other is not None and _places(other) != _places(findings):
        only_lf = sorted(set(_places(findings)) - set(_places(other)))
        only_variant = sorted(set(_places(other)) - set(_places(findings)))
        failures.append(Failure("line-break-mismatch", f"{outcome.command}: findings differ "
                                f"from the \\n version: only with \\n {only_lf[:4]}, only with "
                                f"{breaks!r} {only_variant[:4]}", outcome))
    return failures


def check_case(name: str, data: bytes, directory: Path, unsafe_fixes: bool = False,
               with_expand: bool = True, extra_formats: Sequence[str] = ()) -> CaseResult:
    """Run every command on one input in ``directory`` and check every invariant."""
    result = CaseResult()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ".git").mkdir(exist_ok=True)
    path = directory / name
    path.write_bytes(data)
    failures = result.failures

    def run(command: str, work: Callable[[], int]) -> Outcome:
        result.commands += 1
        outcome = run_forked(command, work, directory)
        failures.extend(basic_failures(outcome))
        return outcome

    fix_flags = ("lint", "--format", "json", "--fix", *(("--unsafe-fixes",) if unsafe_fixes
                                                         else ()))
    report = run(command_line(name, "lint", "--format", "json",
                              *(("--unsafe-fixes",) if unsafe_fixes else ())),
                 lint_work(name, directory, "json", unsafe_fixes=unsafe_fixes))
    findings = report_findings(report, failures)
    if findings is not None and b"\r" not in data and b"\n" in data:
        failures.extend(line_break_failures(name, data, directory, findings, unsafe_fixes, run))
    text = run(command_line(name, "lint"), lint_work(name, directory, "text"))
    shown = text.stdout.decode("utf-8", "replace")
    match = CONTROL_CHARACTERS.search(shown)
    if match is not None:
        failures.append(Failure("control-character", f"{text.command}: the report shows "
                                f"{match.group()!r} raw", text))
    if path.read_bytes() != data:
        failures.append(Failure("lint-wrote", f"{text.command}: a lint without --fix changed "
                                "the file", text))
        path.write_bytes(data)
    for extra_format in extra_formats:
        outcome = run(command_line(name, "lint", "--format", extra_format),
                      lint_work(name, directory, extra_format))
        failures.extend(report_format_failures(outcome, extra_format))
    if with_expand and not is_toml(name):
        run(command_line(name, "expand"), expand_work(name, directory))
    first = run(command_line(name, *fix_flags),
                lint_work(name, directory, "json", fix=True, unsafe_fixes=unsafe_fixes))
    after = path.read_bytes() if path.exists() else None
    if after is None:
        failures.append(Failure("fix-lost-file", f"{first.command}: the file is gone", first))
        return result
    if after != data and findings is not None and not any(f.get("fixable") for f in findings):
        failures.append(Failure("fix-unreported", f"{first.command}: changed the file although "
                                "the report offered no fix", first))
    result.fixed = after != data
    if after != data and findings is not None:
        check = run_forked("data check", data_check_work(name, data, after, findings),
                           directory)
        result.compared = check.exit_code in (0, 1)
        if check.exit_code == 1:
            lines = check.stdout.decode("utf-8", "replace").splitlines()
            kind = lines[0].split(":", 1)[0] if lines else "fix-changed-data"
            failures.append(Failure(kind, f"{first.command}: " + "; ".join(lines), first))
    second = run(command_line(name, *fix_flags) + " (again)",
                 lint_work(name, directory, "json", fix=True, unsafe_fixes=unsafe_fixes))
    again = path.read_bytes() if path.exists() else b""
    if again != after:
        failures.append(Failure("fix-not-idempotent", f"{second.command}: the second --fix "
                                "changed the file again", second))
    return result


# --- Shrinking and saving -----------------------------------------------------------------

def _formats_of(kind: str) -> tuple[str, ...]:
    return (kind.removeprefix("bad-"),) if kind.removeprefix("bad-") in EXTRA_FORMATS else ()


def still_fails(name: str, data: bytes, kind: str, unsafe_fixes: bool, workspace: Path) -> bool:
    directory = Path(tempfile.mkdtemp(dir=workspace))
    try:
        return any(failure.kind == kind for failure in
                   check_case(name, data, directory, unsafe_fixes,
                              extra_formats=_formats_of(kind)).failures)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def shrink(name: str, data: bytes, kind: str, unsafe_fixes: bool, workspace: Path,
           budget: int = 150) -> bytes:
    """A smaller input with the same kind of failure: drop lines, then chunks of bytes."""
    tries = 0

    def chunks(units: list[bytes]) -> Iterator[list[bytes]]:
        size = max(1, len(units) // 2)
        while size >= 1:
            index = 0
            while index < len(units):
                yield units[:index] + units[index + size:]
                index += size
            size //= 2

    for split in (lambda value: value.splitlines(keepends=True),
                  lambda value: [bytes([byte]) for byte in value]):
        progress = True
        while progress and tries < budget:
            progress = False
            units = split(data)
            if len(units) > 4000:
                break
            for candidate_units in chunks(units):
                candidate = b"".join(candidate_units)
                if candidate == data or tries >= budget:
                    continue
                tries += 1
                if still_fails(name, candidate, kind, unsafe_fixes, workspace):
                    data = candidate
                    progress = True
                    break
    return data


def save_failure(out: Path, number: int, name: str, data: bytes, failure: Failure,
                 mutations: Sequence[Mutation], seed_name: str, unsafe_fixes: bool) -> Path:
    folder = out / f"{number:05d}-{failure.kind}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    outcome = failure.outcome
    summary = {"kind": failure.kind, "detail": failure.detail, "seed": seed_name,
               "mutations": list(mutations), "unsafe_fixes": unsafe_fixes,
               "reproducer": repr(data) if len(data) < 4000 else None}
    if outcome is not None:
        summary.update(command=outcome.command, exit_code=outcome.exit_code,
                       signal=outcome.signal_number, seconds=round(outcome.seconds, 3))
        (folder / "stdout").write_bytes(outcome.stdout)
        (folder / "stderr").write_bytes(outcome.stderr)
    (folder / "failure.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    return folder


def signature(failure: Failure) -> str:
    """What tells two failures apart: the kind and the last line of a traceback."""
    detail = re.sub(r"\d+", "N", failure.detail.split(": ", 1)[-1])
    if failure.kind == "traceback" and failure.outcome is not None:
        frames = re.findall(r'File "([^"]+)", line \d+, in (\w+)',
                            failure.outcome.stderr.decode("utf-8", "replace"))
        where = next((f"{Path(file).name}:{function}" for file, function in reversed(frames)
                      if "cigen" in file), "")
        return f"traceback {where} {detail[:80]}"
    return f"{failure.kind} {detail[:80]}"


def confirm(name: str, data: bytes, unsafe_fixes: bool, workspace: Path) -> list[str]:
    """The kinds of failure a fresh interpreter sees on this input.

    A long run keeps the code it imported at its start; this tells a defect of
    the current code from one that was fixed (or half-edited) meanwhile.
    """
    directory = Path(tempfile.mkdtemp(dir=workspace))
    try:
        (directory / "input").write_bytes(data)
        completed = subprocess.run(
            [sys.executable, __file__, "--check", str(directory / "input"), "--name", name,
             *(("--unsafe-fixes",) if unsafe_fixes else ())],
            capture_output=True, timeout=300, check=False)
        return [line for line in completed.stdout.decode("utf-8", "replace").splitlines()
                if line]
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def check_one(path: Path, name: str, unsafe_fixes: bool) -> int:
    """``--check``: print the kind and detail of each failure on one input."""
    warm_up()
    with tempfile.TemporaryDirectory(prefix="cigen-fuzz-") as temporary:
        result = check_case(name, path.read_bytes(), Path(temporary) / "case", unsafe_fixes,
                            extra_formats=EXTRA_FORMATS)
    for failure in result.failures:
        print(f"{failure.kind}: {failure.detail}"[:500])
    return 1 if result.failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", type=Path, help="Check one input file and stop.")
    parser.add_argument("--name", default=".gitlab-ci.yml", help="The name --check gives it.")
    parser.add_argument("--unsafe-fixes", action="store_true", help="With --check.")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("fuzz-failures"))
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--shrink", type=int, default=150,
                        help="Runs spent shrinking the first input of each new kind of failure.")
    arguments = parser.parse_args(argv)
    if arguments.check is not None:
        return check_one(arguments.check, arguments.name, arguments.unsafe_fixes)
    generator = random.Random(arguments.seed)
    seeds = seed_files(arguments.corpus)
    names = sorted(seeds)
    arguments.out.mkdir(parents=True, exist_ok=True)
    warm_up()
    started = time.monotonic()
    counts: dict[str, int] = {}
    distinct: dict[str, Path] = {}
    commands = runs = fixed = compared = 0
    # SIGTERM (a timeout, a job being cancelled) ends the run with a summary, as ^C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="cigen-fuzz-") as temporary:
        workspace = Path(temporary)
        try:
            for number in range(arguments.runs):
                seed_name = generator.choice(names)
                mutations = random_mutations(generator)
                unsafe_fixes = generator.random() < 0.3
                extra_format = generator.choice(EXTRA_FORMATS)
                data = mutate(seeds[seed_name], mutations)
                name = "config.toml" if is_toml(seed_name) else ".gitlab-ci.yml"
                directory = workspace / f"case-{number}"
                result = check_case(name, data, directory, unsafe_fixes,
                                    extra_formats=(extra_format,))
                commands += result.commands
                runs += 1
                fixed += result.fixed
                compared += result.compared
                for failure in result.failures:
                    counts[failure.kind] = counts.get(failure.kind, 0) + 1
                    key = signature(failure)
                    if key in distinct:
                        continue
                    folder = save_failure(arguments.out, number, name, data, failure, mutations,
                                          seed_name, unsafe_fixes)
                    distinct[key] = folder
                    small = shrink(name, data, failure.kind, unsafe_fixes, workspace,
                                   arguments.shrink)
                    (folder / f"shrunk{name}").write_bytes(small)
                    current = confirm(name, small, unsafe_fixes, workspace)
                    (folder / "confirmed").write_text("\n".join(current) + "\n", "utf-8")
                    state = ("confirmed by a fresh run" if any(
                        line.startswith(failure.kind + ":") for line in current)
                        else "NOT seen by a fresh run (code changed since?)")
                    print(f"run {number}: {key}\n  {failure.detail[:300]}\n  shrunk: "
                          f"{small[:1500]!r}\n  {state}", flush=True)
                shutil.rmtree(directory, ignore_errors=True)
                if (number + 1) % 100 == 0:
                    print(f"... {number + 1} runs, {time.monotonic() - started:.0f} s, "
                          f"{sum(counts.values())} failures", flush=True)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    elapsed = time.monotonic() - started
    print(f"\n{runs} runs ({commands} commands) in {elapsed:.0f} s, seed "
          f"{arguments.seed}")
    print(f"  --fix changed {fixed} inputs; {compared} of them loaded (libyaml or tomllib) "
          "and had their data compared")
    for kind, count in sorted(counts.items()):
        print(f"  {kind}: {count}")
    print(f"{len(distinct)} distinct failures saved in {arguments.out}:")
    for key, folder in distinct.items():
        print(f"  {folder.name}: {key}")
    return 1 if counts else 0


if __name__ == "__main__":
    sys.exit(main())
