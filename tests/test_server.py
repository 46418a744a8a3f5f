"""`cigen server`, driven over standard input and output by pygls's own client,
as an editor would: diagnostics on open and on change (of the unsaved text),
a code action that fixes the problem, hover documentation, go to definition."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsprotocol import types
from pygls.lsp.client import LanguageClient

Write = Callable[[str, str], Path]

PIPELINE = """\
include: ci/base.yml
build:
  extends: .docker-base
  image: docker:29.1-cli
  script:
    - docker login -u u -p "$PASSWORD" registry.example.com
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA" .
"""
BASE = """\
.docker-base:
  tags: [docker]
"""


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """The text with LSP edits applied (positions in UTF-16 units; ASCII here)."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        return sum(len(line) for line in lines[:position.line]) + position.character

    for edit in sorted(edits, key=lambda item: offset(item.range.start), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


async def session(root: Path) -> dict[str, object]:
    client = LanguageClient("cigen-tests", "1")
    published: asyncio.Queue[types.PublishDiagnosticsParams] = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        published.put_nowait(params)

    await client.start_io(sys.executable, "-m", "cigen", "server", cwd=str(root))
    seen: dict[str, object] = {}
    try:
        await client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=root.as_uri()))
        client.initialized(types.InitializedParams())
        path = root / ".gitlab-ci.yml"
        uri = path.as_uri()
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1,
                                                 text=PIPELINE)))
        first = await asyncio.wait_for(published.get(), 30)
        seen["first"] = first
        diagnostic = first.diagnostics[0]
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic])))
        seen["actions"] = actions
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=diagnostic.range.start))
        seen["hover"] = hover
        seen["definition"] = await client.text_document_definition_async(
            types.DefinitionParams(text_document=types.TextDocumentIdentifier(uri=uri),
                                   position=types.Position(line=2, character=15)))
        assert actions
        action = actions[0]
        assert isinstance(action, types.CodeAction) and action.edit and action.edit.changes
        fixed = apply(PIPELINE, list(action.edit.changes[uri]))
        seen["fixed"] = fixed
        # The fix is applied in the editor, unsaved: the server lints the buffer.
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)]))
        seen["after"] = await asyncio.wait_for(published.get(), 30)
        await client.shutdown_async(None)
        client.exit(None)
    finally:
        await client.stop()
    return seen


def test_diagnostics_code_action_hover_and_definition(write: Write, tmp_path: Path) -> None:
    write("ci/base.yml", BASE)
    write(".gitlab-ci.yml", "build:\n  script: [make]\n")  # on disk; the buffer differs
    seen = asyncio.run(session(tmp_path))
    first = seen["first"]
    assert isinstance(first, types.PublishDiagnosticsParams)
    assert [(item.code, item.range.start.line, item.range.start.character)
            for item in first.diagnostics] == [("CG109", 5, 24)]
    assert first.diagnostics[0].severity == types.DiagnosticSeverity.Error
    assert first.diagnostics[0].code_description is not None
    actions = seen["actions"]
    assert isinstance(actions, list | tuple)
    assert actions[0].title == "Pipe the password to --password-stdin"
    assert actions[0].is_preferred
    hover = seen["hover"]
    assert isinstance(hover, types.Hover) and isinstance(hover.contents, types.MarkupContent)
    assert "registry-password-argv" in hover.contents.value
    assert "docs/rules.md#cg109-registry-password-argv" in hover.contents.value
    definition = seen["definition"]
    assert isinstance(definition, types.Location)
    assert definition.uri == (tmp_path / "ci" / "base.yml").as_uri()
    assert definition.range.start.line == 0
    assert "--password-stdin" in str(seen["fixed"])
    after = seen["after"]
    assert isinstance(after, types.PublishDiagnosticsParams)
    assert list(after.diagnostics) == []
