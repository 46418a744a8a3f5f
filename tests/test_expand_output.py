"""`cigen expand` writes YAML that reads back as exactly the merged data.

The writer picks plain, literal-block or double-quoted style per scalar; a
wrong pick changes the data (a `yes` that comes back a boolean, a script that
loses its last newline, a NEL read as a line break). The checks read the
output with cigen's own loader, which types scalars as GitLab's parser does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cigen.gitlab.expand import plain
from cigen.gitlab.yaml_output import dump
from cigen.source.text import SourceText
from cigen.source.yaml_reader import parse_yaml
from tests.conftest import CORPUS, Result

Write = Callable[[str, str], Path]
Cigen = Callable[..., Result]


def read_back(text: str) -> Any:
    return plain(parse_yaml(SourceText("out.yml", text)).data)


TRICKY = '''\
variables:
  ANSWER: "yes"
  OFF_WORD: "off"
  VERSION: "1.10"
  OCTAL: "0755"
  EMPTY: ""
  COLON: "a: b"
  HASH: "a #b"
  TILDE: "~"
  DOTS: "..."
  NEL: "a\\x85b"
  SEPARATOR: "a\\u2028b"
  NUMBER: 1e3
  FLOAT: 1.5
build:
  image: docker:29.1-cli
  script:
    - |
      echo one
        indented
      echo "# not a comment"

    - "  leading spaces\\n  and more\\n"
    - "trailing newlines\\n\\n\\n"
    - "no final newline\\nsecond"
    - "tab\\tinside\\nnext"
    - "blank line of spaces\\n   \\nafter"
    - "carriage\\rreturn\\nline"
'''


def test_expand_output_reads_back_as_the_same_data(write: Write, cigen: Cigen) -> None:
    pipeline = write(".gitlab-ci.yml", TRICKY)
    root = pipeline.parent
    first = cigen("expand", "--format", "json", cwd=root)
    assert first.exit_code == 0, first.stderr
    yaml_text = cigen("expand", cwd=root).stdout
    assert "  script:\n  - |\n    echo one\n      indented\n" in yaml_text
    write("again/.gitlab-ci.yml", yaml_text)
    again = cigen("expand", "--format", "json", cwd=root / "again")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout) == json.loads(first.stdout)
    # Expanding what expand printed changes nothing.
    assert cigen("expand", cwd=root / "again").stdout == yaml_text


@pytest.mark.skipif(not (CORPUS / "pipelines").is_dir(), reason="needs the shared corpus")
def test_every_corpus_pipeline_reads_back_the_same() -> None:
    from cigen.gitlab.expand import expanded_config, load

    paths = sorted((CORPUS / "pipelines").glob("*.yml")) + \
        sorted((CORPUS / "batch2" / "pipelines").glob("*.yml"))
    checked = 0
    for path in paths:
        pipeline, _ = load(str(path), None)
        if pipeline is None:
            continue
        config = json.loads(json.dumps(expanded_config(pipeline, keep_hidden=True)))
        assert read_back(dump(config)) == config, path.name
        checked += 1
    assert checked > 100


keys = st.text(min_size=1, max_size=12)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(),
    st.floats(allow_nan=False, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["yes", "No", "ON", "null", "~", "0x1F", "0o17", "017", "1_000", ".5",
                     "1e3", "-.inf", "2024-01-01", "a: b", "- x", "? x", "&a", "*a", "!x",
                     "|", ">", "'q'", '"q"', "%x", "@x", "`x`", "#x", "<<", "=", "...",
                     "---", "a\n", "\na", "a\n\n", " a", "a ", "\t", "a\x85b", "\u2028"]),
)
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=20)


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (math.isinf(left) and left == right)
    if isinstance(left, dict) and isinstance(right, dict):
        return list(left) == list(right) and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same, left, right))
    return type(left) is type(right) and left == right


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.dictionaries(keys, documents, min_size=1, max_size=5))
def test_any_plain_data_reads_back_the_same(data: dict[str, Any]) -> None:
    text = dump(data)
    assert _same(read_back(text), data), text
