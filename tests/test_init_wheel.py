"""The installed package carries its templates: `pip install .` (not editable) into a fresh
virtual environment, then `cigen init` from a directory outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT

GOLDEN = Path(__file__).parent / "golden"


def test_installed_wheel_generates_from_packaged_templates(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         str(PROJECT)], capture_output=True, text=True, timeout=600, env=environment,
        check=False)
    assert install.returncode == 0, install.stderr[-2000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import cigen.init.generate as g; print(g.templates_directory()); "
         "print(g.__file__)"], cwd=elsewhere, capture_output=True, text=True, check=True,
        env=environment).stdout.split()
    templates, module = Path(where[0]), Path(where[1])
    assert PROJECT not in module.parents, "the checkout, not the wheel, was imported"
    package = module.parent.parent  # cigen/init/generate.py
    assert templates == package / "_data" / "templates" / "init"
    assert {path.name for path in templates.iterdir()} >= {
        f"{strategy}.{kind}.j2" for strategy in ("shell", "dind", "socket", "depot",
                                                 "buildkit", "buildah")
        for kind in ("yml", "toml")}
    assert (package / "_data" / "schemas" / "cigen-init.schema.json").is_file()

    result = subprocess.run(
        [str(venv / "bin" / "cigen"), "init", "--strategy", "shell", "--test-command",
         "make test", "--runner-config", "config.toml"], cwd=elsewhere, capture_output=True,
        text=True, timeout=60, env=environment, check=False)
    assert result.returncode == 0, result.stderr
    assert (elsewhere / ".gitlab-ci.yml").read_text(encoding="utf-8") == \
        (GOLDEN / "shell.gitlab-ci.yml").read_text(encoding="utf-8")
    assert (elsewhere / "config.toml").read_text(encoding="utf-8") == \
        (GOLDEN / "shell.config.toml").read_text(encoding="utf-8")
