"""The command line: ``cigen lint``, ``rules``, ``explain``, ``expand``, ``init``,
``server`` and ``audit``.

Thin on purpose: each command's module parses its options and hands them to
the stage that does the work (:mod:`cigen.lint.run`, :mod:`cigen.gitlab.expand`,
:mod:`cigen.init.run`, :mod:`cigen.server.protocol`); no checking, merging or
rendering happens here. The work's own modules are imported inside each
command, so a call pays only for the command it runs.
"""

import importlib
import sys

COMMAND_MODULES = ("lint", "rules", "expand", "init", "server", "audit")
"""Each registers its commands on the app when imported; `cigen --help` lists them in this order."""


def main() -> None:
    """Entry point of the ``cigen`` console script and ``python -m cigen``."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"cigen.cli.{name}")
    from cigen.cli.app import app

    try:
        app(prog_name="cigen")
    except KeyboardInterrupt:
        sys.exit(130)
