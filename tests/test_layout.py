"""The package is laid out by stages of the data flow, and imports only point
down the flow: a newcomer can tell from the tree where a YAML event becomes a
job and a job becomes a finding, and no change can quietly tie two stages in
a loop. Every import counts, including those inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT

PACKAGE = PROJECT / "cigen"

# Lower stages first; a stage may import only stages of a lower rank.
STAGE_RANKS = {
    "source": 0, "remote": 0,
    "shell": 1, "gitlab": 1,
    "jobs": 2, "runner": 2,
    "lint": 3,
    "init": 4,
    "server": 4,
    "audit": 4,
    "cli": 5,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path, known: dict[str, Path]) -> set[str]:
    """The cigen modules ``path`` imports (``from a import b`` names module
    ``a.b`` when there is one, else ``a``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in known else node.module)
    return {name for name in found if name == "cigen" or name.startswith("cigen.")}


def stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGE_RANKS else None


def test_only_the_package_entry_points_sit_at_the_top() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py"]
    folders = sorted(path.name for path in PACKAGE.iterdir()
                     if path.is_dir() and path.name != "__pycache__")
    assert folders == sorted(STAGE_RANKS)


def test_every_module_says_what_it_owns() -> None:
    for name, path in modules().items():
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert docstring and len(docstring) > 40, f"{name} has no opening paragraph"


def test_imports_point_down_the_flow() -> None:
    known = modules()
    against: list[str] = []
    for name, path in known.items():
        own = stage(name)
        for target in imported_modules(path, known):
            other = stage(target)
            if own is None or other is None or other == own:
                continue
            if STAGE_RANKS[other] >= STAGE_RANKS[own]:
                against.append(f"{name} imports {target}")
    assert against == []


def test_no_import_cycle() -> None:
    known = modules()
    graph = {name: imported_modules(path, known) & set(known) for name, path in known.items()}
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycles.append([*trail[trail.index(name):], name])
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert cycles == []


def test_the_checks_see_a_backward_import(tmp_path: Path) -> None:
    # The graph reading itself: an import inside a function, and a name that is
    # a submodule, both count.
    module = tmp_path / "example.py"
    module.write_text('"""x"""\ndef f():\n    from cigen.lint import engine\n'
                      "    import cigen.source.text\n", encoding="utf-8")
    assert imported_modules(module, modules()) == {"cigen.lint.engine", "cigen.source.text"}
