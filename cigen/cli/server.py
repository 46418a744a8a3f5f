"""`cigen server`: the language server for editors, over standard input and output.

The protocol lives in :mod:`cigen.server.protocol`; it needs pygls, installed
with ``pip install 'cigen[lsp]'``.
"""

from cigen.cli.app import app, fail


@app.command()
def server() -> None:
    """Run the language server (LSP over stdio) for editors."""
    try:
        from cigen.server.protocol import serve
    except ImportError:
        raise fail("the language server needs pygls: pip install 'cigen[lsp]'") from None
    serve()
