"""Running one repository's audit in a child process, with a time limit.

Dask cannot stop a task that runs too long, and a hung `git fetch` or a huge repository
must not hold a worker for ever: the audit runs in a forked child in its own process
group, and at the limit the whole group (git included) is killed. A crash of the child
(out of memory, a signal) becomes an error for that repository alone.
"""

from __future__ import annotations

import os
import pickle
import select
import time
from collections.abc import Callable
from typing import TypeVar

from tokscan.parallel import kill_group, pickled_error

T = TypeVar("T")
R = TypeVar("R")


class TimedOut(Exception):
    pass


_channel: int | None = None  # in the child: where `tell` writes


def tell(message: str) -> None:
    """In the child: pass a line to the parent's `on_message` (nothing elsewhere). A line
    shorter than PIPE_BUF is written whole, and the parent reads while it waits."""
    if _channel is not None:
        line = message.replace("\n", " ")[:400] + "\n"
        os.write(_channel, line.encode("utf-8", "replace"))


def call(
    function: Callable[[T], R],
    argument: T,
    timeout: float | None,
    on_message: Callable[[str], None] | None = None,
) -> R:
    """`function(argument)` in a forked child; its result, or its exception raised again
    here; TimedOut when it took longer than `timeout` seconds (None: no limit). What the
    child says with `tell` goes to `on_message` as it is said."""
    global _channel
    read_end, write_end = os.pipe()
    said, say = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        os.close(said)
        _channel = say
        os.setpgid(0, 0)  # git and its helpers join this group, so a kill reaches them
        try:
            payload = pickle.dumps((True, function(argument)))
        except BaseException as error:
            payload = pickled_error(error)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_end)
    os.close(say)
    deadline = None if timeout is None else time.monotonic() + timeout
    chunks: list[bytes] = []
    talk = b""
    watched = [read_end, said]
    try:
        while read_end in watched:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select(watched, [], [], left)
            if not ready:
                kill_group(pid)
                raise TimedOut(f"timed out after {timeout:g} s")
            for end in ready:
                data = os.read(end, 1 << 20)
                if not data:
                    watched.remove(end)
                elif end == read_end:
                    chunks.append(data)
                else:
                    *lines, talk = (talk + data).split(b"\n")
                    for line in lines:
                        if on_message is not None:
                            on_message(line.decode("utf-8", "replace"))
    finally:
        os.close(read_end)
        os.close(said)
        _, status = os.waitpid(pid, 0)
    if not chunks:
        raise RuntimeError(f"the audit process died ({_describe(status)})")
    ok, value = pickle.loads(b"".join(chunks))
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit {os.waitstatus_to_exitcode(status)}"
