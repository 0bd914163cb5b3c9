"""Reading git's object database: `git cat-file --batch` output, fast and in bounded memory.

`git cat-file --batch` writes, for each object, a header line `<oid> <type> <size>` (or
`<oid> missing`), the object's bytes and a newline. `BatchStream` reads that output in
large blocks into one reusable buffer and lets the caller look at each object where it lies
in the buffer, without copying it: per object that is a few microseconds of Python, so one
process keeps up with git's decompression (reading object by object through a file object
costs about twice as much). Objects larger than the buffer are read in pieces.

`ObjectReader` asks one long-running `git cat-file --batch` for objects one at a time, for
the few objects a scan needs on demand. `tree_files` lists the files of a tree.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, NamedTuple

from tokscan import git
from tokscan.errors import TokscanError

BUFFER_SIZE = 4 << 20
_PIPE_SIZE = 1 << 20
_F_SETPIPE_SZ = 1031  # Linux; fewer, larger reads from git


class Header(NamedTuple):
    oid: bytes  # hex
    kind: bytes  # b"blob", b"tree", b"commit", b"tag", or b"missing"
    size: int  # -1 when missing


def grow_pipe(fd: int) -> None:
    """Ask for a larger pipe buffer (Linux only; harmless where it is refused)."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_SIZE)


class BatchStream:
    """The output of `git cat-file --batch`, object by object.

    Call `header()`, then either `body()` (when `fits(size)`) to get the object's span in
    `self.buffer`, valid until the next call, or `reader(size)` for a large object; then
    the next `header()`.
    """

    def __init__(self, fd: int, buffer_size: int = BUFFER_SIZE) -> None:
        self.fd = fd
        self.buffer = bytearray(buffer_size)
        self._view = memoryview(self.buffer)
        self._start = 0  # first unread byte
        self._end = 0  # end of the bytes read so far
        self._eof = False

    @property
    def capacity(self) -> int:
        return len(self.buffer)

    def header(self) -> Header | None:
        """The next object's header, or None at the end of the output."""
        while True:
            newline = self.buffer.find(b"\n", self._start, self._end)
            if newline >= 0:
                break
            if not self._fill():
                if self._start != self._end:
                    raise TokscanError("git cat-file output ended in the middle of a header")
                return None
        line = bytes(self._view[self._start : newline])
        self._start = newline + 1
        parts = line.split(b" ")
        if len(parts) == 2 and parts[1] == b"missing":
            return Header(parts[0], b"missing", -1)
        if len(parts) != 3 or not parts[2].isdigit():
            raise TokscanError(f"unexpected git cat-file output: {line[:100]!r}")
        return Header(parts[0], parts[1], int(parts[2]))

    def whole_objects(self) -> list[tuple[Header, int, int]]:
        """Every object that lies whole in the buffer now, with its span in `self.buffer`
        (valid until the next call that reads), all consumed; reads nothing. It stops
        before an object that is only partly read and before a header it cannot parse (for
        `header()` to raise on), so it may return none: then go on object by object. One
        call for many small objects lets the caller search them all at once."""
        found: list[tuple[Header, int, int]] = []
        buffer, pos, end = self.buffer, self._start, self._end
        while True:
            newline = buffer.find(b"\n", pos, end)
            if newline < 0:
                break
            parts = bytes(self._view[pos:newline]).split(b" ")
            if len(parts) == 2 and parts[1] == b"missing":
                found.append((Header(parts[0], b"missing", -1), newline + 1, newline + 1))
                pos = newline + 1
                continue
            if len(parts) != 3 or not parts[2].isdigit():
                break
            size = int(parts[2])
            if newline + 1 + size + 1 > end:
                break
            found.append((Header(parts[0], parts[1], size), newline + 1, newline + 1 + size))
            pos = newline + 1 + size + 1  # and the newline after the object
        self._start = pos
        return found

    def more(self) -> bool:
        """Read more after the unread bytes (moved to the buffer's start first when little
        room is left), so that `whole_objects` can answer for a larger stretch; False at
        the end of the output, or when the buffer is full of one object's start. It waits
        for half a megabyte or the end: only for output that runs to its end by itself
        (a `--batch` fed from a file), never for one answering requests."""
        if len(self.buffer) - self._end < _PIPE_SIZE:
            self._compact()
        if self._end == len(self.buffer):
            return False
        # a few reads' worth at once: each search call and header pass costs microseconds
        wanted = min(len(self.buffer), self._end + _PIPE_SIZE // 2)
        read = False
        while self._end < wanted and self._fill():
            read = True
        return read

    def fits(self, size: int) -> bool:
        return size + 1 <= len(self.buffer)

    def body(self, size: int) -> tuple[int, int]:
        """The span of the current object (which must fit) in `self.buffer`."""
        if len(self.buffer) - self._start < size + 1:
            self._compact()
        while self._end - self._start < size + 1:
            if not self._fill():
                raise TokscanError("git cat-file output ended in the middle of an object")
        start = self._start
        self._start = start + size + 1  # and the newline after it
        return start, start + size

    def reader(self, size: int) -> Callable[[int], bytes]:
        """A `read(n)` for the current (large) object; it must be read to its end."""
        remaining = size
        if size == 0:
            self._skip_newline()

        def read(n: int) -> bytes:
            nonlocal remaining
            if remaining <= 0:
                return b""
            if self._start == self._end:
                self._start = self._end = 0
                if not self._fill():
                    raise TokscanError("git cat-file output ended in the middle of an object")
            take = min(n, remaining, self._end - self._start)
            block = bytes(self._view[self._start : self._start + take])
            self._start += take
            remaining -= take
            if remaining == 0:
                self._skip_newline()
            return block

        return read

    def _skip_newline(self) -> None:
        if self._start == self._end and not self._fill():
            raise TokscanError("git cat-file output ended in the middle of an object")
        self._start += 1

    def _compact(self) -> None:
        if self._start:
            pending = self._end - self._start
            self._view[:pending] = self._view[self._start : self._end]
            self._start, self._end = 0, pending

    def _fill(self) -> bool:
        """Read more output; False at the end."""
        if self._eof:
            return False
        if self._end == len(self.buffer):
            self._compact()
            if self._end == len(self.buffer):
                raise TokscanError("git cat-file header too long")
        count = os.readv(self.fd, [self._view[self._end :]])
        if count == 0:
            self._eof = True
            return False
        self._end += count
        return True


class ObjectReader:
    """One `git cat-file --batch` that answers requests one object at a time."""

    def __init__(self, root: Path | str, *, names: bool = False) -> None:
        """`names=True`: requests may be any object name, `:0:<path>` included, so they are
        sent NUL-terminated (a path may hold a newline)."""
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as git)
        self._end = b"\0" if names else b"\n"
        args = ("cat-file", "--batch", "-z") if names else ("cat-file", "--batch")
        self._process = git.popen(root, *args, stdin=subprocess.PIPE, stderr=self._errors)
        assert self._process.stdout is not None
        self.stream = BatchStream(self._process.stdout.fileno(), 1 << 20)

    def request(self, oid: str) -> Header:
        """Ask for an object; read its body from `self.stream` before the next request."""
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(os.fsencode(oid) + self._end)
            stdin.flush()
        except BrokenPipeError:
            raise TokscanError(f"git cat-file stopped: {self.errors()}") from None
        header = self.stream.header()
        if header is None:
            raise TokscanError(f"git cat-file stopped: {self.errors()}")
        return header

    def read(self, oid: str) -> bytes | None:
        """A whole (small) object, or None when it is missing."""
        header = self.request(oid)
        if header.kind == b"missing":
            return None
        if self.stream.fits(header.size):
            start, end = self.stream.body(header.size)
            return bytes(self.stream.buffer[start:end])
        read = self.stream.reader(header.size)
        return b"".join(iter(lambda: read(1 << 20), b""))

    def head(self, oid: str, size: int) -> bytes | None:
        """An object's first `size` bytes (the rest is read and dropped), or None when it is
        missing."""
        header = self.request(oid)
        if header.kind == b"missing":
            return None
        read = self.stream.reader(header.size)
        first = bytearray()
        while len(first) < size:
            block = read(size - len(first))
            if not block:
                break
            first += block
        while read(1 << 20):
            pass
        return bytes(first)

    def errors(self) -> str:
        return read_errors(self._errors)

    def close(self) -> None:
        process = self._process
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        with contextlib.suppress(OSError):
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._errors.close()

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def tree_files(
    root: Path | str, tree: str, pathspecs: Sequence[str] = ()
) -> list[tuple[bytes, bytes]]:
    """(path, blob id) of every file in `tree` (a tree or a commit), at any depth, with
    paths from its top, or only of those that `pathspecs` match. Submodules are not
    files; a tree that is not here (a shallow clone's edge) has none."""
    output = git.run(
        root, "ls-tree", "-r", "-z", "--full-tree", tree, "--", *pathspecs, check=False
    )
    files = []
    for entry in output.split(b"\0"):
        meta, tab, path = entry.partition(b"\t")
        fields = meta.split(b" ")  # <mode> SP <type> SP <object> TAB <path>
        if tab and len(fields) == 3 and fields[1] == b"blob":
            files.append((path, fields[2]))
    return files


def read_errors(errors: IO[bytes]) -> str:
    """What a git process wrote to its stderr file, as one line for a message (git may quote
    an argument, which could be a key, so anything key-shaped is redacted)."""
    from tokscan import keyformat

    errors.seek(0)
    text = keyformat.redact_all(errors.read().decode("utf-8", "replace"))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(dict.fromkeys(lines)) or "no message"
