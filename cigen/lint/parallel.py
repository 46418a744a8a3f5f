"""Running independent pieces of work in forked processes.

Linting a large batch is CPU-bound Python, so it is split across processes.
They are plain ``os.fork()`` children rather than a ``multiprocessing`` pool:
a fork shares every module the parent has already imported, and starting and
tearing down a pool costs about 30 ms, a tenth of a whole run over a hundred
files. The parent does the first share itself. A child that fails for any
reason only costs time: its share is then done in the parent.

``CIGEN_NO_FORK=1`` in the environment keeps every cigen run in one process
(no split of a large batch).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from typing import TypeVar

NO_FORK_VARIABLE = "CIGEN_NO_FORK"

Item = TypeVar("Item")
Result = TypeVar("Result")


def forking_allowed() -> bool:
    """Whether cigen may fork: ``os.fork`` exists and ``CIGEN_NO_FORK`` is not set."""
    return hasattr(os, "fork") and not os.environ.get(NO_FORK_VARIABLE)


def processors() -> int:
    """The processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without affinity masks
        return os.cpu_count() or 1


def map_in_forks(function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """``[function(item) for item in items]``, all but the first item in forked children."""
    if len(items) < 2 or not forking_allowed():
        return [function(item) for item in items]
    children: list[tuple[int, int, Item]] = []
    for item in items[1:]:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: do the work, send the result, leave without cleanup
            os.close(read_end)
            status = 0
            try:
                data = pickle.dumps(function(item), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(data)
            except BaseException:
                status = 1
            os._exit(status)
        os.close(write_end)
        children.append((pid, read_end, item))
    results = [function(items[0])]
    for pid, read_end, item in children:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        try:
            if status != 0:
                raise ValueError(f"worker exited with status {status}")
            results.append(pickle.loads(data))
        except Exception:
            results.append(function(item))
    return results
