"""Spreading independent work over processes (all cores by default), and running work
under a time limit (`within`).

Workers are forked: they inherit the parent's imports and data and start in a
millisecond, and the parent takes a share of the work itself. Each worker sends its
results back once, pickled through a pipe, so only results cross processes. (A
multiprocessing.Pool was measured slower here: its feeder and result threads compete with
the workers for the same two cores.)
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import TypeVar

    T = TypeVar("T")
    R = TypeVar("R")


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def map_unordered(function: Callable[[T], R], items: Iterable[T], jobs: int) -> Iterator[R]:
    """`function` over `items` in `jobs` processes; results in no particular order.

    Item i goes to process i % jobs, so neighbouring items (often similar in size) spread
    evenly. An exception in a worker is raised again in the parent.
    """
    work = list(items)
    jobs = min(jobs, len(work))
    if jobs <= 1 or not hasattr(os, "fork"):
        yield from map(function, work)
        return
    workers = [_start(function, work[share::jobs]) for share in range(1, jobs)]
    try:
        yield from map(function, work[0::jobs])
    finally:
        results: list[list[R]] = [_collect(worker) for worker in workers]
    for result in results:
        yield from result


def map_shared(function: Callable[[T], R], items: Iterable[T], jobs: int) -> Iterator[R]:
    """`function` over `items` in `jobs` processes, each taking the next item when done
    with one, so that one slow item (a large archive) does not leave the others idle while
    its process still has a fixed share to do; results in no particular order.

    The queue is a pipe filled with the items' numbers before the workers fork (a read of
    a few bytes from a pipe is atomic: no two processes get the same number). Past what a
    pipe holds, the items are shared out as `map_unordered` does. (A pipe may hold less
    than usual: Linux gives a user past `pipe-user-pages-soft` pipes of one page. The
    queue is written without blocking, and one that does not fit is given up.)"""
    work = list(items)
    jobs = min(jobs, len(work))
    if jobs <= 1 or not hasattr(os, "fork") or len(work) * _NUMBER > _PIPE_HOLDS:
        yield from map_unordered(function, work, jobs)
        return
    read_end, write_end = os.pipe()
    queue = b"".join(i.to_bytes(_NUMBER, "little") for i in range(len(work)))
    try:
        os.set_blocking(write_end, False)
        written = os.write(write_end, queue)
    except BlockingIOError:
        written = 0
    finally:
        os.close(write_end)  # the workers see the end of the queue once it is empty
    if written < len(queue):
        os.close(read_end)
        yield from map_unordered(function, work, jobs)
        return

    def take(_: object) -> list[R]:
        done = []
        while number := os.read(read_end, _NUMBER):
            done.append(function(work[int.from_bytes(number, "little")]))
        return done

    try:
        workers = [_start(take, [None]) for _ in range(1, jobs)]
        try:
            mine = take(None)
        finally:
            results: list[list[list[R]]] = [_collect(worker) for worker in workers]
    finally:
        os.close(read_end)
    yield from mine
    for result in results:
        for done in result:
            yield from done


_NUMBER = 4  # bytes an item's number takes in the queue
_PIPE_HOLDS = 65536  # what a pipe holds before a write blocks (Linux, macOS)


def _start(function: Callable[[T], R], share: list[T]) -> tuple[int, int]:
    import pickle  # before the fork: the worker needs it too

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        os.close(read_end)
        try:
            payload = pickle.dumps((True, [function(item) for item in share]))
        except BaseException as error:
            payload = pickled_error(error)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_end)
    return pid, read_end


def _collect(worker: tuple[int, int]) -> list[R]:
    import pickle  # imported when workers are: a small scan needs none

    pid, read_end = worker
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not payload:
        raise RuntimeError(f"a worker process died (status {status})")
    ok, value = pickle.loads(payload)
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def pickled_error(error: BaseException) -> bytes:
    """`error` for the parent, pickled; an error that cannot be, named in a RuntimeError."""
    import pickle

    try:
        return pickle.dumps((False, error))
    except Exception:
        return pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")))


def kill_group(pid: int) -> None:
    """Kill the process group that child `pid` leads (git and its helpers with it), or the
    child alone if it had no time to make one."""
    import contextlib
    import signal

    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def within(
    seconds: float, function: Callable[[], int], folder: str
) -> tuple[int, bytes, bytes] | None:
    """`function()` in a forked child with `seconds` to finish: its exit code and what it
    wrote to stdout and stderr, or None when time ran out.

    The child leads a process group of its own, so the git processes and workers it starts
    are killed with it when time runs out, and it writes to files in `folder` (temporary
    files go there too), so a scan cut short leaves neither half a report on the terminal
    nor files behind once the caller removes `folder`."""
    import contextlib
    import tempfile
    import time

    outputs = (os.path.join(folder, "stdout"), os.path.join(folder, "stderr"))
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 2
        try:
            os.setpgid(0, 0)
            for fd, path in zip((1, 2), outputs, strict=True):
                handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(handle, fd)
                os.close(handle)
            # sys.stdout may not be file descriptor 1 (a test's capture): write to the files
            sys.stdout, sys.stderr = (
                os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
                for fd in (1, 2)
            )
            tempfile.tempdir = folder
            code = function()
        except BaseException as error:  # the caller's function reports its own failures
            os.write(2, f"tokscan: internal error: {type(error).__name__}\n".encode())
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.setpgid(pid, pid)  # also here: the timer may run out before the child does it
    deadline = time.monotonic() + seconds
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            kill_group(pid)
            os.waitpid(pid, 0)
            return None
        time.sleep(min(left, 0.005))
    written = []
    for path in outputs:
        try:
            with open(path, "rb") as kept:
                written.append(kept.read())
        except OSError:
            written.append(b"")
    return os.waitstatus_to_exitcode(status), written[0], written[1]

