"""`cigen server`, driven over standard input and output by pygls's own client,
as an editor would: diagnostics on open and on change (of the unsaved text),
a code action that fixes the problem, hover documentation, go to definition."""

from __future__ import annotations

import asyncio
import re
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
    """The text with LSP edits applied (positions in UTF-16 units; no character
    outside the BMP here). The protocol ends lines at LF, CRLF and CR only."""
    lines = [found.group() for found in re.finditer(r"[^\r\n]*(?:\r\n?|\n)?", text)
             if found.group()]

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


class Editor:
    """pygls's client talking to `cigen server`, with the diagnostics it was sent per
    document, in order."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = LanguageClient("cigen-tests", "1")
        self.published: dict[str, asyncio.Queue[types.PublishDiagnosticsParams]] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.queue(params.uri).put_nowait(params)

    def queue(self, uri: str) -> asyncio.Queue[types.PublishDiagnosticsParams]:
        return self.published.setdefault(uri, asyncio.Queue())

    async def __aenter__(self) -> Editor:
        await self.client.start_io(sys.executable, "-m", "cigen", "server", cwd=str(self.root))
        await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=self.root.as_uri()))
        self.client.initialized(types.InitializedParams())
        return self

    async def __aexit__(self, *_: object) -> None:
        try:
            await self.client.shutdown_async(None)
            self.client.exit(None)
        finally:
            await self.client.stop()

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def open(self, name: str, text: str) -> None:
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=self.uri(name), language_id="yaml",
                                                 version=1, text=text)))

    def change(self, name: str, version: int, text: str) -> None:
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri(name),
                                                                version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    async def diagnostics(self, name: str) -> types.PublishDiagnosticsParams:
        return await asyncio.wait_for(self.queue(self.uri(name)).get(), 30)

    async def actions(self, name: str, place: types.Range) -> list[types.CodeAction]:
        found = await self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri(name)), range=place,
            context=types.CodeActionContext(diagnostics=[])))
        return [action for action in found or [] if isinstance(action, types.CodeAction)]

    async def definition(self, name: str, line: int, character: int) -> types.Location | None:
        found = await self.client.text_document_definition_async(types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri(name)),
            position=types.Position(line=line, character=character)))
        assert found is None or isinstance(found, types.Location)
        return found


def codes(published: types.PublishDiagnosticsParams) -> list[tuple[str, int, int]]:
    return [(str(item.code), item.range.start.line, item.range.start.character)
            for item in published.diagnostics]


INCLUDING = """\
include: ci/build.yml
test:
  extends: .base
  script: [make test]
"""
INCLUDED = """\
.base:
  image: alpine:3.20
"""


def test_an_included_file_is_read_from_its_unsaved_buffer(write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", INCLUDING)
    write("ci/build.yml", INCLUDED)

    async def scenario() -> list[object]:
        async with Editor(tmp_path) as editor:
            editor.open(".gitlab-ci.yml", INCLUDING)
            clean = await editor.diagnostics(".gitlab-ci.yml")
            editor.open("ci/build.yml", INCLUDED)
            await editor.diagnostics("ci/build.yml")
            # Typing in the included file, never saved: the template is renamed, in
            # three quick changes that are linted once, after the last.
            for version, name in ((2, ".bas"), (3, ".ba"), (4, ".other")):
                editor.change("ci/build.yml", version, INCLUDED.replace(".base", name))
            broken = await editor.diagnostics(".gitlab-ci.yml")
            included = await editor.diagnostics("ci/build.yml")
            await asyncio.sleep(1.5)
            extra = editor.queue(editor.uri(".gitlab-ci.yml")).qsize() \
                + editor.queue(editor.uri("ci/build.yml")).qsize()
            # Going to the definition reads the buffer too.
            editor.change("ci/build.yml", 5, "# moved\n" + INCLUDED)
            await editor.diagnostics("ci/build.yml")
            await editor.diagnostics(".gitlab-ci.yml")
            found = await editor.definition(".gitlab-ci.yml", 2, 13)
            return [clean, broken, included, extra, found]

    clean, broken, included, extra, found = asyncio.run(scenario())
    assert isinstance(clean, types.PublishDiagnosticsParams) and codes(clean) == []
    assert isinstance(broken, types.PublishDiagnosticsParams)
    assert [(code, line) for code, line, _ in codes(broken)] == [("CG005", 2)], codes(broken)
    assert "(.base)" in broken.diagnostics[0].message
    assert isinstance(included, types.PublishDiagnosticsParams) and included.version == 4
    assert extra == 0  # the earlier versions were never linted
    assert isinstance(found, types.Location)
    assert found.uri == (tmp_path / "ci" / "build.yml").as_uri()
    assert found.range.start.line == 1  # in the buffer, below the new first line
    assert (tmp_path / "ci" / "build.yml").read_text() == INCLUDED


DIND = """\
build:
  image: docker:29.1-cli
  services:
    - docker:29.1-dind  # cigen: ignore[privileged-dind] dedicated runner
  variables:
    DOCKER_TLS_CERTDIR: ""
  script:
    - docker info
"""


def test_an_unsafe_fix_is_offered_and_marked(write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", DIND)

    async def scenario() -> tuple[types.PublishDiagnosticsParams, list[types.CodeAction]]:
        async with Editor(tmp_path) as editor:
            editor.open(".gitlab-ci.yml", DIND)
            published = await editor.diagnostics(".gitlab-ci.yml")
            return published, await editor.actions(".gitlab-ci.yml",
                                                   published.diagnostics[0].range)

    published, actions = asyncio.run(scenario())
    assert codes(published) == [("CG103", 5, 24)]
    assert len(actions) == 1 and actions[0].title.endswith("(unsafe)")
    assert not actions[0].is_preferred
    assert actions[0].edit is not None and actions[0].edit.changes
    edits = actions[0].edit.changes[(tmp_path / ".gitlab-ci.yml").as_uri()]
    assert '"/certs"' in apply(DIND, list(edits))


REFERENCES = """\
include: ci/templates.yml
build:
  stage: build
  script:
    - !reference [.prepare, script]
    - make
test:
  needs: [build]
  script: [make test]
deploy:
  needs:
    - job: test
  script: [make deploy]
"""
TEMPLATES = """\
# shared steps
.prepare:
  script:
    - echo prepare
"""


def test_go_to_definition_of_reference_and_needs(write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", REFERENCES)
    write("ci/templates.yml", TEMPLATES)

    async def scenario() -> list[types.Location | None]:
        async with Editor(tmp_path) as editor:
            editor.open(".gitlab-ci.yml", REFERENCES)
            await editor.diagnostics(".gitlab-ci.yml")
            return [await editor.definition(".gitlab-ci.yml", line, character)
                    for line, character in ((4, 20), (7, 12), (11, 15), (5, 8))]

    reference, needs, needs_job, nothing = asyncio.run(scenario())
    assert reference is not None and reference.uri == (tmp_path / "ci/templates.yml").as_uri()
    assert reference.range.start.line == 1 and reference.range.start.character == 0
    assert needs is not None and needs.uri == (tmp_path / ".gitlab-ci.yml").as_uri()
    assert needs.range.start.line == 1
    assert needs_job is not None and needs_job.range.start.line == 6
    assert nothing is None  # `make` names no job


def test_positions_count_lines_as_the_editor_does(write: Write, tmp_path: Path) -> None:
    """YAML ends a line at LS (U+2028) and NEL (U+0085) too; the protocol counts
    only LF, CRLF and CR. Every range the server sends is in the editor's lines."""
    text = ("# build\u2028# and push\x85# notes\nbuild:\n  image: docker:29.1-cli\n"
            "  script:\n    - |\n      echo start\x85"
            "      docker login -u u -p \"$PASSWORD\" registry.example.com\n")
    write(".gitlab-ci.yml", text)

    async def scenario() -> tuple[types.PublishDiagnosticsParams, list[types.CodeAction]]:
        async with Editor(tmp_path) as editor:
            editor.open(".gitlab-ci.yml", text)
            published = await editor.diagnostics(".gitlab-ci.yml")
            return published, await editor.actions(".gitlab-ci.yml",
                                                   published.diagnostics[0].range)

    published, actions = asyncio.run(scenario())
    # `cigen lint` says line 9, column 25: YAML's lines.
    assert codes(published) == [("CG109", 5, len("      echo start\x85      docker login -u u "))]
    # The fix is written through the NEL inside the block, which reads as a newline.
    assert actions and actions[0].edit is not None and actions[0].edit.changes
    fixed = apply(text, list(actions[0].edit.changes[(tmp_path / ".gitlab-ci.yml").as_uri()]))
    assert fixed == text.replace('docker login -u u -p "$PASSWORD"',
                                 'echo "$PASSWORD" | docker login -u u --password-stdin')


def test_a_configuration_error_is_shown_not_swallowed(write: Write, tmp_path: Path) -> None:
    write(".gitlab-ci.yml", DIND)
    write("cigen.toml", 'select = ["no-such-rule"]\n')

    async def scenario() -> types.PublishDiagnosticsParams:
        async with Editor(tmp_path) as editor:
            editor.open(".gitlab-ci.yml", DIND)
            return await editor.diagnostics(".gitlab-ci.yml")

    published = asyncio.run(scenario())
    assert [item.message for item in published.diagnostics] == [
        f"{tmp_path / 'cigen.toml'}:1: select: unknown rule 'no-such-rule' (see `cigen rules`)"]
    assert published.diagnostics[0].severity == types.DiagnosticSeverity.Error
