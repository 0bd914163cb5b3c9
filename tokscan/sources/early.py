"""`tokscan scan`'s git questions, asked before its imports: where the work tree's top is
and which files git knows under the current folder. The two git processes run while
Python imports the scanner (10-15 ms of the whole run on a tree of thousands of files),
and the scan takes their answers when it gets to listing files (sources/files.py).

Only for the default scan (`tokscan scan` with no path: the current folder), and only
where os.posix_spawnp exists (POSIX); elsewhere the scan asks git as it always did.
"""

from __future__ import annotations

import os

from tokscan.git import process


class Listing:
    """`git rev-parse --show-toplevel` and `git ls-files` of the current folder, running.

    Started with posix_spawn and read through pipes, without `subprocess` (7 ms to import,
    and nothing else on the default scan's way needs it)."""

    def __init__(self, all_files: bool) -> None:
        self.folder = os.getcwd()
        self.all_files = all_files
        args = ["ls-files", "-z", "--cached", "--others", "--full-name"]
        if not all_files:
            args.append("--exclude-standard")
        self._top = _spawn(("rev-parse", "--show-toplevel"), errors=False)
        self._files = _spawn(tuple(args), errors=True)

    def toplevel(self) -> str | None:
        """The work tree's top, as `git rev-parse --show-toplevel` says; None outside one."""
        if self._top is None:
            return None
        output, _, code = self._top.finish()
        return os.fsdecode(output.rstrip(b"\n")) if code == 0 else None

    def files(self) -> tuple[bytes, list[str]] | None:
        """What `git ls-files -z` wrote (paths from the top) and its warnings, one a line;
        None when it failed."""
        if self._files is None:
            return None
        output, errors, code = self._files.finish()
        if code != 0:
            return None
        return output, errors.decode("utf-8", "replace").splitlines()

    def close(self) -> None:
        """Wait for what was not asked for (the scan took another way)."""
        for started in (self._top, self._files):
            if started is not None:
                started.finish()


class _Running:
    """A git process, its output pipe and (maybe) its error pipe."""

    def __init__(self, pid: int, output: int, errors: int | None) -> None:
        self.pid, self._output, self._errors = pid, output, errors
        self._result: tuple[bytes, bytes, int] | None = None

    def finish(self) -> tuple[bytes, bytes, int]:
        """Everything it wrote to stdout and stderr, and its exit code (once waited for)."""
        if self._result is None:
            import select

            chunks: dict[int, list[bytes]] = {self._output: []}
            if self._errors is not None:
                chunks[self._errors] = []
            open_fds = list(chunks)
            while open_fds:  # both pipes drained together: neither can fill and block git
                ready, _, _ = select.select(open_fds, [], [])
                for fd in ready:
                    block = os.read(fd, 1 << 20)
                    if block:
                        chunks[fd].append(block)
                    else:
                        open_fds.remove(fd)
                        os.close(fd)
            _, status = os.waitpid(self.pid, 0)
            errors = b"".join(chunks[self._errors]) if self._errors is not None else b""
            output = b"".join(chunks[self._output])
            self._result = (output, errors, os.waitstatus_to_exitcode(status))
        return self._result


def _spawn(args: tuple[str, ...], errors: bool) -> _Running | None:
    """git `args` in the current folder, or None when git cannot be started (the scan
    then asks again the usual way, and says what is wrong)."""
    output_read, output_write = os.pipe()
    errors_read, errors_write = os.pipe() if errors else (None, os.open(os.devnull, os.O_WRONLY))
    actions = [
        (os.POSIX_SPAWN_DUP2, output_write, 1),
        (os.POSIX_SPAWN_DUP2, errors_write, 2),
        (os.POSIX_SPAWN_CLOSE, output_read),
        (os.POSIX_SPAWN_CLOSE, output_write),
        (os.POSIX_SPAWN_CLOSE, errors_write),
    ]
    if errors_read is not None:
        actions.append((os.POSIX_SPAWN_CLOSE, errors_read))
    argv = process.command(".", *args)
    try:
        pid = os.posix_spawnp(argv[0], argv, process.environment(), file_actions=actions)
    except OSError:
        os.close(output_read)
        if errors_read is not None:
            os.close(errors_read)
        return None
    finally:
        os.close(output_write)
        os.close(errors_write)
    return _Running(pid, output_read, errors_read)
