"""The ``cigen`` console script: the lint engine loads while the options are parsed.

Most of a `cigen lint` run over one file is start-up. The command-line
library and the lint engine (YAML parser, compiled GitLab schema, rules) each
take about as long to import as the whole check takes afterwards, and neither
needs the other. So, for `cigen lint` on a machine with more than one
processor, the launcher forks first: the child loads the engine
(:func:`cigen.lint_command.preload`) while the parent imports the command
line and parses the options. The parent then hands the parsed
:class:`~cigen.lint_command.LintRequest` over a pipe; the child runs it,
printing the report and writing any files itself, and the parent exits with
the child's exit code.

The child prints nothing until it has accepted a request. If it is gone
before that (it failed to load, say), the parent runs the request itself, so
a broken child only costs time. If the parent ends without handing anything
over (``--help``, a bad option), it stops the child on the way out. Other
commands, one processor, no ``fork`` or ``CIGEN_NO_FORK=1`` mean one process
(see :func:`cigen.parallel.forking_allowed`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from cigen.lint_command import LintRequest

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Engine:
    """The parent's handle on the child that loads the lint engine."""

    __slots__ = ("accepted", "pid", "requests")

    def __init__(self, pid: int, requests: int, accepted: int) -> None:
        self.pid = pid
        self.requests = requests
        """Write end of the pipe the request goes down."""
        self.accepted = accepted
        """Read end of the pipe on which the child says it took the request."""


_engine: _Engine | None = None


def main() -> None:
    """Entry point of ``cigen`` and ``python -m cigen``."""
    from cigen.parallel import forking_allowed, processors

    if sys.argv[1:2] == ["lint"] and forking_allowed() and processors() > 1:
        _start_engine()
    from cigen.cli import main as run_command_line

    run_command_line()


def _start_engine() -> None:
    global _engine
    request_read, request_write = os.pipe()
    accepted_read, accepted_write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        for descriptor in (request_read, request_write, accepted_read, accepted_write):
            os.close(descriptor)
        return
    if pid == 0:
        os.close(request_write)
        os.close(accepted_read)
        _serve(request_read, accepted_write)
    os.close(request_read)
    os.close(accepted_write)
    _engine = _Engine(pid, request_write, accepted_read)
    import atexit

    atexit.register(_stop_engine)


def _serve(requests: int, accepted: int) -> NoReturn:
    """The child: load the engine, wait for a request, run it, exit with its code."""
    status = 0
    taken = False
    try:
        from cigen.lint_command import preload, run_lint

        preload()
        with os.fdopen(requests, "rb") as pipe:
            data = pipe.read()
        if data:
            import pickle

            request = pickle.loads(data)
            os.write(accepted, b"+")
            taken = True
            status = run_lint(request)
    except KeyboardInterrupt:
        status = EXIT_INTERRUPTED
    except BaseException:
        # Before the request is taken the parent runs it and shows any error
        # itself; after, this is a bug in cigen and gets its traceback.
        if taken:
            import traceback

            traceback.print_exc()
            status = EXIT_USAGE
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    os._exit(status)


def _stop_engine() -> None:
    """At the parent's exit without a hand-over: the child has nothing to do."""
    engine = _engine
    if engine is None:
        return
    import signal

    try:
        os.kill(engine.pid, signal.SIGKILL)
        os.waitpid(engine.pid, 0)
    except OSError:
        pass


def hand_over(request: LintRequest) -> int | None:
    """Run ``request`` in the child and return its exit code; ``None`` when
    there is no child to take it (then the caller runs it)."""
    global _engine
    engine, _engine = _engine, None
    if engine is None:
        return None
    import pickle

    try:
        with os.fdopen(engine.requests, "wb") as pipe:
            pipe.write(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # the child is gone; the reply below says so
    with os.fdopen(engine.accepted, "rb") as pipe:
        taken = pipe.read(1)
    _, status = os.waitpid(engine.pid, 0)
    if not taken:
        return None
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        return code
    import signal

    if -code == signal.SIGINT:
        return EXIT_INTERRUPTED
    print(f"cigen: internal error: the lint process was stopped by signal {-code}",
          file=sys.stderr)
    return EXIT_USAGE
