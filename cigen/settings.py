"""`[tool.cigen]` configuration: finding it, validating it, merging it with the flags.

A project configures cigen in `cigen.toml` (top level) or in `pyproject.toml`
under `[tool.cigen]`. The file is looked for from the linted file's directory
up to the repository root; `--config PATH` names it and `--isolated` ignores
it. The keys mirror the command-line flags; flags win. The pydantic model
below is the single definition of the format: it validates the file (an
unknown key or a bad value is a one-line error naming the key and the file)
and is the source of the JSON Schema in `schemas/cigen-config.schema.json`.
pydantic is imported only when a configuration file exists.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from cigen.includes import repository_root

if TYPE_CHECKING:
    from pydantic import BaseModel

CONFIG_FILES = ("cigen.toml", "pyproject.toml")


class ConfigError(Exception):
    """A configuration file that cannot be used; reported as a usage error (exit 2)."""


class Settings:
    """The configuration in force, with every key resolved to a value."""

    __slots__ = ("exclude", "extend_select", "fail_on", "ignore", "path", "per_file_ignores",
                 "require_reason", "rule_options", "select", "severity", "unsafe_fixes")

    path: str | None
    select: frozenset[str] | None
    extend_select: frozenset[str]
    ignore: frozenset[str]
    fail_on: str | None
    exclude: tuple[str, ...]
    per_file_ignores: dict[str, frozenset[str]]
    severity: dict[str, str]
    require_reason: bool
    unsafe_fixes: bool
    rule_options: dict[str, dict[str, Any]]

    def __init__(self, path: str | None = None, select: frozenset[str] | None = None,
                 extend_select: frozenset[str] = frozenset(), ignore: frozenset[str] = frozenset(),
                 fail_on: str | None = None, exclude: tuple[str, ...] = (),
                 per_file_ignores: dict[str, frozenset[str]] | None = None,
                 severity: dict[str, str] | None = None, require_reason: bool = False,
                 unsafe_fixes: bool = False,
                 rule_options: dict[str, dict[str, Any]] | None = None) -> None:
        self.path = path
        self.select = select
        self.extend_select = extend_select
        self.ignore = ignore
        self.fail_on = fail_on
        self.exclude = exclude
        self.per_file_ignores = {} if per_file_ignores is None else per_file_ignores
        self.severity = {} if severity is None else severity
        self.require_reason = require_reason
        self.unsafe_fixes = unsafe_fixes
        self.rule_options = {} if rule_options is None else rule_options


def model() -> type[BaseModel]:
    """The pydantic model of `[tool.cigen]` (built on first use: pydantic is slow to load)."""
    return _model()


def _model() -> type[BaseModel]:
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, Field

    Severity = Literal["error", "warning", "info"]

    def kebab(name: str) -> str:
        return name.replace("_", "-")

    class UnpinnedDockerImageOptions(BaseModel):
        model_config = ConfigDict(extra="forbid", alias_generator=kebab,
                                  populate_by_name=True)
        docker_version: str | None = Field(
            None, pattern=r"^\d+(\.\d+){0,2}$",
            description="The Docker release considered current: the version the unsafe fix "
                        "pins `docker` images to.")
        trusted_registries: list[str] = Field(
            default_factory=list,
            description="Registry prefixes whose `docker` images are pinned by other means "
                        "(a mirror that only serves vetted tags); not reported.")

    class RuleOptions(BaseModel):
        model_config = ConfigDict(extra="forbid", alias_generator=kebab,
                                  populate_by_name=True)
        unpinned_docker_image: UnpinnedDockerImageOptions | None = None

    class CigenConfig(BaseModel):
        """Configuration of cigen, in `cigen.toml` or `[tool.cigen]` of `pyproject.toml`."""

        model_config = ConfigDict(extra="forbid", alias_generator=kebab,
                                  populate_by_name=True, title="cigen configuration")
        select: list[str] | None = Field(
            None, description="Only these rules (names or codes); default: all.")
        extend_select: list[str] = Field(
            default_factory=list, description="Rules added to `select`.")
        ignore: list[str] = Field(default_factory=list, description="Rules never reported.")
        fail_on: Severity | None = Field(
            None, description="Lowest severity that makes `cigen lint` exit with 1 "
                              "(default: warning).")
        exclude: list[str] = Field(
            default_factory=list,
            description="Glob patterns (relative to the configuration file) of files that "
                        "directory scans skip.")
        per_file_ignores: dict[str, list[str]] = Field(
            default_factory=dict,
            description="Rules ignored in files matching each glob pattern.")
        severity: dict[str, Severity] = Field(
            default_factory=dict, description="Severity per rule, replacing its default.")
        require_reason: bool = Field(
            False, description="Suppression comments without a reason are errors.")
        unsafe_fixes: bool = Field(
            False, description="`--fix` also applies fixes that change behaviour.")
        rules: RuleOptions = Field(default_factory=RuleOptions,
                                   description="Options of individual rules.")
        init: dict[str, Any] | None = Field(
            None, description="Defaults for `cigen init` (see schemas/cigen-init.schema.json).")

    return CigenConfig


def json_schema() -> dict[str, Any]:
    return model().model_json_schema(by_alias=True)


def find_config(start: str) -> str | None:
    """The nearest `cigen.toml`, or `pyproject.toml` with `[tool.cigen]`, from ``start``
    up to the repository root."""
    directory = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start)
                                or ".")
    root = repository_root(directory)
    while True:
        for name in CONFIG_FILES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate) and _has_cigen_table(candidate, name):
                return candidate
        parent = os.path.dirname(directory)
        if directory == root or parent == directory:
            return None
        directory = parent


def _has_cigen_table(path: str, name: str) -> bool:
    if name == "cigen.toml":
        return True
    try:
        with open(path, encoding="utf-8") as handle:
            return "[tool.cigen" in handle.read()
    except (OSError, UnicodeDecodeError):
        return False


def load_settings(path: str) -> Settings:
    """Read and validate a configuration file; raises :class:`ConfigError`."""
    import tomllib

    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    table: Any = document
    prefix = ""
    if os.path.basename(path) == "pyproject.toml" or "tool" in document:
        table = document.get("tool", {}).get("cigen", {})
        prefix = "tool.cigen."
    from pydantic import ValidationError

    try:
        config = model().model_validate(table)
    except ValidationError as error:
        first = error.errors()[0]
        key = prefix + ".".join(str(part) for part in first["loc"])
        message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(f"{path}: {key}: {message}") from None
    data = config.model_dump()
    rule_options = {name.replace("_", "-"): {key.replace("_", "-"): value
                                              for key, value in (options or {}).items()}
                    for name, options in data["rules"].items() if options}
    return Settings(
        path=path,
        select=frozenset(data["select"]) if data["select"] is not None else None,
        extend_select=frozenset(data["extend_select"]),
        ignore=frozenset(data["ignore"]),
        fail_on=data["fail_on"],
        exclude=tuple(data["exclude"]),
        per_file_ignores={pattern: frozenset(rules)
                          for pattern, rules in data["per_file_ignores"].items()},
        severity=dict(data["severity"]),
        require_reason=data["require_reason"],
        unsafe_fixes=data["unsafe_fixes"],
        rule_options=rule_options,
    )


def schema_text() -> str:
    """The JSON Schema of the configuration, as checked in under `schemas/`."""
    import json

    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **json_schema()}
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":  # python -m cigen.settings > schemas/cigen-config.schema.json
    import sys

    sys.stdout.write(schema_text())
