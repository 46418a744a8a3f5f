"""`cigen server`: the Language Server Protocol over standard input and output.

Built on pygls, the maintained Python implementation of the protocol
(``pip install 'cigen[lsp]'``). Documents are synchronised in full; each
change is linted after a short pause in typing (:data:`DEBOUNCE_SECONDS`), on
the unsaved text, with the files it includes read from the editor's open
buffers where it has them; a change to an included file lints again, after
the same pause, every open pipeline that read it. The server answers
``textDocument/codeAction`` with every fix on offer (unsafe ones marked),
``textDocument/hover`` with the rule's documentation, and
``textDocument/definition`` for job and template names.
What it says comes from :mod:`cigen.server.analysis`.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from cigen import __version__
from cigen.lint.findings import Severity
from cigen.server.analysis import Analysis, Position, Range, definition

DEBOUNCE_SECONDS = 0.3
SEVERITIES = {Severity.ERROR: types.DiagnosticSeverity.Error,
              Severity.WARNING: types.DiagnosticSeverity.Warning,
              Severity.INFO: types.DiagnosticSeverity.Information}


def uri_to_path(uri: str) -> str:
    return unquote(urlparse(uri).path)


def path_to_uri(path: str) -> str:
    from pathlib import Path

    return Path(path).as_uri()


def _position(position: Position) -> types.Position:
    return types.Position(line=position.line, character=position.character)


def _range(place: Range) -> types.Range:
    return types.Range(start=_position(place.start), end=_position(place.end))


class CigenServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("cigen", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.analyses: dict[str, Analysis] = {}
        self.pending: dict[str, asyncio.TimerHandle] = {}

    def analyse(self, uri: str) -> None:
        """Lint the document's current text and publish its diagnostics."""
        self.pending.pop(uri, None)
        document = self.workspace.get_text_document(uri)
        analysis = Analysis(uri_to_path(uri), document.source, self.unsaved(uri))
        self.analyses[uri] = analysis
        diagnostics = [
            types.Diagnostic(
                range=_range(analysis.range_of(finding)), message=finding.message,
                severity=SEVERITIES[finding.severity], code=finding.code, source="cigen",
                code_description=_description(finding.rule),
                data={"rule": finding.rule})
            for finding in analysis.findings()]
        for problem in analysis.problems():
            diagnostics.append(types.Diagnostic(
                range=types.Range(start=types.Position(line=0, character=0),
                                  end=types.Position(line=0, character=0)),
                message=problem, severity=types.DiagnosticSeverity.Error, source="cigen"))
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=document.version))

    def unsaved(self, uri: str) -> dict[str, str]:
        """The text of every open document but ``uri``'s, by path."""
        return {uri_to_path(other): document.source
                for other, document in self.workspace.text_documents.items()
                if other != uri and other.startswith("file:")}

    def schedule(self, uri: str) -> None:
        """Lint once typing pauses (a new change restarts the wait), with every open
        document that reads this one."""
        self._wait(uri)
        self.schedule_readers(uri)

    def schedule_readers(self, uri: str) -> None:
        """Lint again, after the pause, the open documents whose findings read ``uri``."""
        path = uri_to_path(uri)
        for other, analysis in list(self.analyses.items()):
            if other != uri and analysis.depends_on(path):
                self._wait(other)

    def _wait(self, uri: str) -> None:
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        loop = asyncio.get_running_loop()
        self.pending[uri] = loop.call_later(DEBOUNCE_SECONDS, self.analyse, uri)


def _description(rule: str) -> types.CodeDescription | None:
    from cigen.lint.rules import find_rule

    found = find_rule(rule)
    return types.CodeDescription(href=found.url) if found is not None else None


def build_server() -> CigenServer:
    server = CigenServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: CigenServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.analyse(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CigenServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: CigenServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.analyse(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CigenServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.analyses.pop(uri, None)
        handle = ls.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri,
                                                                            diagnostics=[]))
        # The pipelines that read its unsaved text read the file on disk from now on.
        ls.schedule_readers(uri)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: CigenServer, params: types.CodeActionParams
                    ) -> list[types.CodeAction]:
        analysis = ls.analyses.get(params.text_document.uri)
        if analysis is None:
            return []
        wanted = Range(Position(params.range.start.line, params.range.start.character),
                       Position(params.range.end.line, params.range.end.character))
        actions = []
        for action in analysis.actions(wanted):
            changes: dict[str, list[types.TextEdit]] = {}
            for edit in action.edits:
                changes.setdefault(path_to_uri(edit.path), []).append(
                    types.TextEdit(range=_range(edit.range), new_text=edit.text))
            actions.append(types.CodeAction(
                title=action.title, kind=types.CodeActionKind.QuickFix,
                is_preferred=action.safe, edit=types.WorkspaceEdit(changes=changes),
                diagnostics=[types.Diagnostic(
                    range=_range(analysis.range_of(action.finding)),
                    message=action.finding.message, code=action.finding.code,
                    source="cigen")]))
        return actions

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: CigenServer, params: types.HoverParams) -> types.Hover | None:
        analysis = ls.analyses.get(params.text_document.uri)
        if analysis is None:
            return None
        text = analysis.documentation(Position(params.position.line,
                                               params.position.character))
        if text is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value=text))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def go_to_definition(ls: CigenServer, params: types.DefinitionParams
                         ) -> types.Location | None:
        document = ls.workspace.get_text_document(params.text_document.uri)
        found = definition(uri_to_path(params.text_document.uri), document.source,
                           Position(params.position.line, params.position.character),
                           ls.unsaved(params.text_document.uri))
        if found is None:
            return None
        path, place = found
        return types.Location(uri=path_to_uri(path), range=_range(place))

    return server


def serve(**_: Any) -> None:
    """Speak the protocol on standard input and output until the editor says exit."""
    build_server().start_io()
