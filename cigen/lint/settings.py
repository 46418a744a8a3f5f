"""`[tool.cigen]` configuration: finding it, validating it, merging it with the flags.

A project configures cigen in `cigen.toml` (top level) or in `pyproject.toml`
under `[tool.cigen]`. The file is looked for from the linted file's directory
up to the repository root; `--config PATH` names it and `--isolated` ignores
it. The keys mirror the command-line flags; flags win. The pydantic model
below is the single definition of the format and the source of the JSON
Schema in `schemas/cigen-config.schema.json` (`python -m cigen.lint.settings`
writes it; a test keeps it current). A run validates the file against that
schema with the compiled validator it loads anyway, since importing pydantic
would cost more than the rest of the run; an unknown key or a bad value is a
one-line error naming the file, the line and the key.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from cigen.source.files import repository_root

if TYPE_CHECKING:
    from pydantic import BaseModel

CONFIG_FILES = ("cigen.toml", "pyproject.toml")
SCHEMA_NAME = "cigen-config.schema.json"


class ConfigError(Exception):
    """A configuration file that cannot be used; reported as a usage error (exit 2)."""


class Settings:
    """The configuration in force, with every key resolved to a value."""

    __slots__ = ("exclude", "extend_select", "fail_on", "ignore", "lines", "path",
                 "per_file_ignores", "remote", "require_reason", "rule_options", "select",
                 "severity", "unsafe_fixes")

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
    remote: bool
    lines: dict[tuple[str, ...], int]
    """The line of each key and list item that names rules (``("select", "CG1")``,
    ``("severity", "ref-name-tag")``), for messages about them."""

    def __init__(self, path: str | None = None, select: frozenset[str] | None = None,
                 extend_select: frozenset[str] = frozenset(), ignore: frozenset[str] = frozenset(),
                 fail_on: str | None = None, exclude: tuple[str, ...] = (),
                 per_file_ignores: dict[str, frozenset[str]] | None = None,
                 severity: dict[str, str] | None = None, require_reason: bool = False,
                 unsafe_fixes: bool = False,
                 rule_options: dict[str, dict[str, Any]] | None = None,
                 remote: bool = False) -> None:
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
        self.remote = remote
        self.lines = {}

    def where(self, *key: str) -> str:
        """``path:line`` of a key, or of the closest enclosing key with a known line."""
        while key:
            if key in self.lines:
                return f"{self.path}:{self.lines[key]}"
            key = key[:-1]
        return str(self.path)


def model() -> type[BaseModel]:
    """The pydantic model of `[tool.cigen]` (built on first use: pydantic is slow to load)."""
    return _model()


def _model() -> type[BaseModel]:
    from typing import Annotated, Literal

    from pydantic import BaseModel, ConfigDict, Field

    Severity = Literal["error", "warning", "info"]

    def kebab(name: str) -> str:
        return name.replace("_", "-")

    class UnpinnedDockerImageOptions(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True, alias_generator=kebab)
        docker_version: str | None = Field(
            None, pattern=r"^\d+(\.\d+){0,2}$",
            description="The Docker release considered current: the version the unsafe fix "
                        "pins `docker` images to.")
        trusted_registries: list[str] = Field(
            default_factory=list,
            description="Registry prefixes whose `docker` images are pinned by other means "
                        "(a mirror that only serves vetted tags); not reported.")

    class ShellcheckOptions(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True, alias_generator=kebab)
        shell: Literal["bash", "sh", "dash", "ksh"] = Field(
            "bash", description="The shell ShellCheck checks the scripts for.")
        exclude: list[Annotated[str, Field(pattern=r"^SC\d{4}$")]] = Field(
            default_factory=lambda: ["SC2154"],
            description="ShellCheck codes never reported (default: SC2154, since a "
                        "variable no file defines may be a project CI/CD variable).")

    class RuleOptions(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True, alias_generator=kebab)
        unpinned_docker_image: UnpinnedDockerImageOptions | None = None
        shellcheck: ShellcheckOptions | None = None

    class CigenConfig(BaseModel):
        """Configuration of cigen, in `cigen.toml` or `[tool.cigen]` of `pyproject.toml`."""

        model_config = ConfigDict(extra="forbid", strict=True, alias_generator=kebab,
                                  title="cigen configuration")
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
        remote: bool = Field(
            False, description="Read `project:`, `component:`, `template:` and `remote:` "
                               "includes from GitLab, as `cigen lint --remote` does.")
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


def schema_path(name: str = SCHEMA_NAME) -> str:
    """A JSON Schema of cigen's: the wheel's copy, else the source tree's."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    packaged = os.path.join(package, "_data", "schemas", name)
    if os.path.isfile(packaged):
        return packaged
    return os.path.join(os.path.dirname(package), "schemas", name)


def load_settings(path: str) -> Settings:
    """Read and validate a configuration file; raises :class:`ConfigError`."""
    from cigen.source.toml_positions import TomlError, read_toml

    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
        document, layout = read_toml(text, path)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8") from None
    except TomlError as error:
        position = error.position
        where = f"{path}:{position[0]}:{position[1]}" if position else path
        raise ConfigError(f"{where}: invalid TOML: {error.message}") from None
    table: Any = document
    prefix: tuple[str, ...] = ()
    if os.path.basename(path) == "pyproject.toml" or "tool" in document:
        table = document.get("tool", {}).get("cigen", {})
        prefix = ("tool", "cigen")
    try:
        problem = _first_violation(table)
    except ValueError:  # the validator's own limit on nesting, reached before any location
        problem = _too_deep(table) or ([], "cannot be checked")
    if problem is not None:
        location, message = problem
        from cigen.gitlab.schema import dotted

        span = layout.nearest_span((*prefix, *location))
        where = f"{path}:{span.line}" if span is not None else path
        raise ConfigError(f"{where}: {dotted([*prefix, *location])}: {message}")
    rules = table.get("rules", {})
    settings = Settings(
        path=path,
        select=frozenset(table["select"]) if table.get("select") is not None else None,
        extend_select=frozenset(table.get("extend-select", ())),
        ignore=frozenset(table.get("ignore", ())),
        fail_on=table.get("fail-on"),
        exclude=tuple(table.get("exclude", ())),
        per_file_ignores={pattern: frozenset(rules)
                          for pattern, rules in table.get("per-file-ignores", {}).items()},
        severity=dict(table.get("severity", {})),
        require_reason=table.get("require-reason", False),
        unsafe_fixes=table.get("unsafe-fixes", False),
        rule_options={name: dict(options) for name, options in rules.items() if options},
        remote=table.get("remote", False),
    )
    for key in ("select", "extend-select", "ignore", "severity", "per-file-ignores"):
        value = table.get(key)
        # A list item is named by its value, a table's entry by its key.
        places: list[tuple[tuple[str | int, ...], tuple[str, ...]]] = [((key,), (key,))]
        if isinstance(value, list):
            places += [((key, index), (key, str(item))) for index, item in enumerate(value)]
        elif isinstance(value, dict):
            places += [((key, name), (key, str(name))) for name in value]
        for located, named in places:
            span = layout.nearest_span((*prefix, *located))
            if span is not None:
                settings.lines[named] = span.line
    return settings


MAX_SETTINGS_DEPTH = 32
"""Far deeper than any setting goes; the schema validator gives up on much deeper
values with an error of its own instead of a location."""


def _too_deep(table: Any) -> tuple[list[str | int], str] | None:
    """Where tables or arrays first go deeper than :data:`MAX_SETTINGS_DEPTH`."""
    pending: list[tuple[list[str | int], Any]] = [([], table)]
    while pending:
        location, value = pending.pop()
        if len(location) > MAX_SETTINGS_DEPTH:
            return location, f"nested more than {MAX_SETTINGS_DEPTH} deep"
        items = value.items() if isinstance(value, dict) else (
            enumerate(value) if isinstance(value, list) else ())
        pending.extend(([*location, key], item) for key, item in reversed(list(items)))
    return None


_TYPE_NAMES = {"array": "an array", "object": "a table", "string": "a string",
               "boolean": "true or false", "integer": "a whole number", "number": "a number"}


def _first_violation(table: Any) -> tuple[list[str | int], str] | None:
    return first_violation(table, SCHEMA_NAME)


def first_violation(table: Any, schema_name: str) -> tuple[list[str | int], str] | None:
    """Where the first violation of one of cigen's schemas is, and what is wrong there.

    The table is checked against the JSON Schema generated from the model
    (``schemas/<schema_name>``) with the compiled validator the pipeline check
    already loads: importing pydantic and building the model would cost more
    than the rest of a run. An unknown key is told the known key it is closest
    to, if one is close.
    """
    import json

    import jsonschema_rs

    with open(schema_path(schema_name), encoding="utf-8") as handle:
        schema = json.load(handle)
    validator = jsonschema_rs.validator_for(schema)
    error = next(iter(validator.iter_errors(table)), None)
    if error is None:
        return None
    error = _closest_branch(error)
    location: list[str | int] = list(error.instance_path)
    kind = type(error.kind).__name__
    if kind == "AdditionalProperties":
        unknown = sorted(error.kind.unexpected)[0]
        hint = did_you_mean(unknown, _known_keys(schema, location))
        location.append(unknown)
        return location, f"unknown key{hint}"
    if kind == "Enum":
        return location, f"must be one of {', '.join(map(str, error.kind.options))}"
    if kind == "Type":
        types = error.kind.types if isinstance(error.kind.types, list) else [error.kind.types]
        names = [_TYPE_NAMES.get(str(name), str(name)) for name in types]
        return location, f"must be {' or '.join(names)}"
    if kind == "Pattern":
        return location, f"must match {error.kind.pattern}"
    return location, str(error.message)


def did_you_mean(word: str, choices: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the choice closest to a misspelt ``word``, or nothing."""
    import difflib

    spelt = {choice.replace("_", "-").lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.replace("_", "-").lower(), list(spelt), n=1,
                                      cutoff=0.6)
    return f" (did you mean '{spelt[close[0]]}'?)" if close else ""


def _known_keys(schema: dict[str, Any], location: list[str | int]) -> list[str]:
    """The keys the schema allows in the table at ``location``."""
    definitions = schema.get("$defs", {})

    def resolved(node: Any) -> Any:
        while isinstance(node, dict):
            if "$ref" in node:
                node = definitions.get(str(node["$ref"]).rsplit("/", 1)[-1], {})
            elif "anyOf" in node:
                node = next((branch for branch in node["anyOf"]
                             if isinstance(branch, dict) and branch.get("type") != "null"), {})
            else:
                return node
        return {}

    node = resolved(schema)
    for key in location:
        properties = node.get("properties", {})
        node = resolved(properties[key] if key in properties else
                        node.get("additionalProperties") or node.get("items") or {})
    return list(node.get("properties", {}))


def _closest_branch(error: Any) -> Any:
    """For "a value or nothing" (``anyOf`` with ``null``), the error of the value's branch."""
    for branch in getattr(error.kind, "context", None) or []:
        nothing = all(type(item.kind).__name__ == "Type" and "null" in str(item.kind.types)
                      for item in branch)
        if branch and not nothing:
            return _closest_branch(branch[0])
    return error


def schema_text() -> str:
    """The JSON Schema of the configuration, as checked in under `schemas/`."""
    import json

    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **json_schema()}
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":  # python -m cigen.lint.settings > schemas/cigen-config.schema.json
    import sys

    sys.stdout.write(schema_text())
