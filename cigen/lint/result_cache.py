"""Findings kept between runs, so files that did not change are not checked again.

A pre-commit hook over a whole repository, or a merge-request job in a large
monorepo, mostly re-reads files nobody touched. For each file a run checks,
the cache keeps what it found (before inline suppressions, which are applied
to every run afresh) with everything those findings depend on: the text of
the file and of every file it includes (by content hash), the options in
force for each of them (the configuration that applies to it and the flags),
cigen's version and code (each module's size and modification time, so an
edited checkout never reads an older answer), and the current directory
(paths are shown relative to it).
An entry is used only when all of them are unchanged, so it can never be
stale; anything else is a miss, and the file is checked as usual.

What cannot be pinned down that way is never cached: a pipeline whose
includes depend on which files exist (a glob, `rules: exists:`, a local file
not found), Helm values files, standard input, a run with rules that work
across files after the fact (ShellCheck, which keeps a cache of its own), and
a file whose check failed. `--fix`, `--diff` and `--add-ignore` always check
afresh.

Entries are JSON (never code: a repository could ship a poisoned cache),
written atomically, one file per checked file, in ``.cigen_cache/`` at the
repository root (with a ``.gitignore`` that ignores it) unless ``--cache-dir``
names another place; ``--no-cache`` or ``CIGEN_NO_CACHE=1`` turns it off. A
cache that cannot be written is simply not kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from typing import Any

from cigen import __version__
from cigen.lint.findings import Finding, Severity
from cigen.lint.fix import Edit, Fix
from cigen.source.files import write_atomically
from cigen.source.positions import Span

FORMAT = 1
DIRECTORY_NAME = ".cigen_cache"
NO_CACHE_VARIABLE = "CIGEN_NO_CACHE"


@functools.cache
def code_fingerprint() -> str:
    """cigen's own modules as installed: their paths, sizes and modification times."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts = []
    for directory, subdirs, files in os.walk(package):
        subdirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(directory, name))
                parts.append(f"{os.path.relpath(os.path.join(directory, name), package)}:"
                             f"{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _span(span: Span) -> list[Any]:
    return [span.path, span.line, span.column, span.end_line, span.end_column, span.style]


def _finding_to_json(finding: Finding) -> dict[str, Any]:
    fix = finding.fix
    return {
        "code": finding.code, "rule": finding.rule, "severity": str(finding.severity),
        "message": finding.message, "span": _span(finding.span), "jobs": finding.jobs,
        "fixable": finding.fixable, "origin": finding.origin, "group": finding.group,
        "fix": None if fix is None else {
            "safe": fix.safe, "description": fix.description,
            "edits": [[edit.path, edit.start, edit.end, edit.text] for edit in fix.edits]},
    }


def _finding_from_json(item: dict[str, Any]) -> Finding:
    fix_item = item["fix"]
    fix = None if fix_item is None else Fix(
        tuple(Edit(str(path), int(start), int(end), str(text))
              for path, start, end, text in fix_item["edits"]),
        bool(fix_item["safe"]), str(fix_item["description"]))
    path, line, column, end_line, end_column, style = item["span"]
    finding = Finding(str(item["code"]), str(item["rule"]), Severity.parse(item["severity"]),
                      str(item["message"]),
                      Span(str(path), int(line), int(column), int(end_line), int(end_column),
                           str(style)),
                      [str(job) for job in item["jobs"]], bool(item["fixable"]), fix=fix)
    finding.origin = str(item["origin"])
    finding.group = str(item.get("group", ""))
    return finding


class Entry:
    """What one check of a file found, and what that depended on."""

    __slots__ = ("dependencies", "findings")

    dependencies: dict[str, tuple[str, str]]
    """Display path -> (content hash, options fingerprint), the checked file first."""
    findings: list[Finding]

    def __init__(self, dependencies: dict[str, tuple[str, str]], findings: list[Finding]
                 ) -> None:
        self.dependencies = dependencies
        self.findings = findings


class ResultCache:
    """The cache of one run; ``directory`` ``None`` means off."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        self.cwd = os.getcwd()

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def key(self, display: str, kind: str) -> str:
        return hashlib.sha256(json.dumps(
            [FORMAT, __version__, code_fingerprint(), self.cwd, display, kind]).encode()
        ).hexdigest()

    def load(self, key: str) -> Entry | None:
        if self.directory is None:
            return None
        try:
            with open(os.path.join(self.directory, key[:2], key), encoding="utf-8") as handle:
                document = json.load(handle)
            dependencies = {str(path): (str(digest), str(fingerprint))
                            for path, digest, fingerprint in document["dependencies"]}
            findings = [_finding_from_json(item) for item in document["findings"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return Entry(dependencies, findings)

    def store(self, key: str, entry: Entry) -> None:
        if self.directory is None:
            return
        document = {
            "dependencies": [[path, digest, fingerprint]
                             for path, (digest, fingerprint) in entry.dependencies.items()],
            "findings": [_finding_to_json(finding) for finding in entry.findings],
        }
        try:
            if not os.path.isdir(self.directory):
                os.makedirs(self.directory, exist_ok=True)
                with open(os.path.join(self.directory, ".gitignore"), "w",
                          encoding="utf-8") as handle:
                    handle.write("# cigen's result cache (cigen lint --no-cache skips it)\n*\n")
            folder = os.path.join(self.directory, key[:2])
            os.makedirs(folder, exist_ok=True)
            write_atomically(os.path.join(folder, key), json.dumps(document), durable=False)
        except OSError:
            pass


def cache_directory(chosen: str | None, no_cache: bool) -> str | None:
    """Where the cache lives for this run: ``--cache-dir``, else ``.cigen_cache`` at the
    repository root of the current directory; ``None`` when turned off."""
    if no_cache or os.environ.get(NO_CACHE_VARIABLE):
        return None
    if chosen is not None:
        return os.path.abspath(chosen)
    from cigen.source.files import repository_root

    return os.path.join(repository_root(os.getcwd()), DIRECTORY_NAME)
