"""Reading `git diff -U0` output: the lines a change adds, as chunks to scan.

Used by `tokscan staged` (index against HEAD) and by `tokscan ci` (the pragmas a range
adds). Added lines are numbered as in the new version of each file; deleted lines, context
and headers are never scanned. It is on the pre-commit hook's hot path: it imports nothing
heavy, and builds chunks (which need the data model) only for added text that holds the
needles (the key prefix and its encoded forms: `keyformat.may_hold_key`), unless a caller
wants something else.
"""

from __future__ import annotations

import io
import os

from tokscan import git
from tokscan.keyformat import may_hold_key

TYPE_CHECKING = False  # typing itself costs an import on the hook's fast path
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import IO

    from tokscan.model import Chunk, Origin
    from tokscan.sources.stream import Chunker

# What every diff tokscan parses looks like: no context (whatever diff.interHunkContext
# says), renames paired, fixed prefixes, root-relative paths, no submodules or deletions,
# and no drivers from the repository.
DIFF_OPTIONS = (
    "-U0",
    "--inter-hunk-context=0",
    "-M",
    "--no-relative",
    "--ignore-submodules=all",
    "--diff-filter=d",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    *git.DIFF_SAFETY,
)
BINARY_HEADER = b"\nBinary files "  # a diff line that only a file git calls binary starts
_LINE_LIMIT = 1 << 20  # longer diff lines are read in pieces
_RUN_LIMIT = 4 << 20  # added text is scanned in runs of at most about this many bytes


class DiffScanner:
    """Turns `git diff --cached -U0` output into chunks of added lines.

    A run is a stretch of consecutive added lines in the new file; it becomes one chunk
    (or several, through a Chunker, when one line is longer than `_RUN_LIMIT`).
    """

    def __init__(self, wanted: Callable[[bytes], bool] = may_hold_key) -> None:
        self.wanted = wanted  # only runs of added lines it wants become chunks
        self.binary_files = 0
        self.bytes_added = 0
        self.files = 0
        self._path: str | None = None
        self._old_left = self._new_left = 0
        self._next_line = 0
        self._run: list[bytes] = []
        self._run_size = 0
        self._run_line = 0
        self._chunker: Chunker | None = None

    def chunks(self, diff: Joined | IO[bytes]) -> Iterator[Chunk]:
        continued: bytes | None = None  # the sign of a line read in pieces, if one is open
        for piece in iter(lambda: diff.readline(_LINE_LIMIT), b""):
            whole = piece.endswith(b"\n")
            if continued is not None:  # the rest of a line longer than _LINE_LIMIT
                if continued == b"+":
                    yield from self._add(piece, whole)
                continued = None if whole else continued
                continue
            sign = piece[:1]
            if not whole:
                continued = sign
            if self._new_left or self._old_left:
                if sign == b"+":
                    self._new_left -= 1
                    yield from self._add(piece[1:], whole)
                    continue
                if sign == b"-":
                    self._old_left -= 1
                    continue
                if sign == b" ":  # context (a config's diff.interHunkContext): not added
                    self._old_left -= 1
                    self._new_left -= 1
                    yield from self._end_run()
                    self._next_line += 1
                    continue
                if sign == b"\\":  # "\ No newline at end of file"
                    continue
            yield from self._end_run()
            self._header(piece)
        yield from self._end_run()

    def _header(self, line: bytes) -> None:
        if line.startswith(b"diff --git "):
            self._path = None
            self.files += 1
        elif line.startswith(b"+++ "):
            name = line[4:].rstrip(b"\n")
            if name.endswith(b"\t"):  # git marks names containing spaces with a tab
                name = name[:-1]
            name = unquote(name)
            self._path = os.fsdecode(name[2:]) if name.startswith(b"b/") else None
        elif line.startswith(b"@@ "):
            old, new = line.split(b" ", 3)[1:3]
            self._old_left = _count(old)
            self._new_left = _count(new)
            self._next_line = int(new[1:].split(b",")[0])
        elif line.startswith(b"Binary files "):
            self.binary_files += 1

    def _add(self, content: bytes, whole: bool) -> Iterator[Chunk]:
        if self._path is None:
            return
        self.bytes_added += len(content)
        if not self._run and self._chunker is None:
            self._run_line = self._next_line
        if whole:
            self._next_line += 1
        if self._chunker is not None:
            yield from self._chunker.feed(content)
            return
        self._run.append(content)
        self._run_size += len(content)
        if self._run_size >= _RUN_LIMIT:
            if whole:  # cut between lines: the next run starts on a fresh line
                yield from self._end_run()
            else:  # one very long line: stream it through a Chunker
                from tokscan.sources.stream import Chunker

                self._chunker = Chunker(self._origin(), line=self._run_line)
                yield from self._chunker.feed(b"".join(self._run))
                self._run, self._run_size = [], 0

    def _end_run(self) -> Iterator[Chunk]:
        if self._chunker is not None:
            yield from self._chunker.finish()
            self._chunker = None
        elif self._run:
            data = b"".join(self._run)
            if self.wanted(data):
                from tokscan.model import Chunk

                yield Chunk(data, self._origin(), line=self._run_line)
        self._run, self._run_size = [], 0

    def _origin(self) -> Origin:
        from tokscan.model import Origin, printable_path

        assert self._path is not None
        return Origin(printable_path(self._path))


class Joined:
    """Lines from bytes already read, then from the rest of the stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = io.BytesIO(head)
        self._rest = rest

    def readline(self, limit: int) -> bytes:
        piece = self._head.readline(limit)
        if piece.endswith(b"\n") or len(piece) >= limit:
            return piece
        return piece + self._rest.readline(limit - len(piece))


def _count(spec: bytes) -> int:
    """The line count of a hunk range such as `+12,3` (an omitted count means 1)."""
    _, _, count = spec.partition(b",")
    return int(count) if count else 1


_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}


def unquote(name: bytes) -> bytes:
    """A path as git prints it in a diff header: C-style quoted when it has special bytes."""
    if not (name.startswith(b'"') and name.endswith(b'"') and len(name) >= 2):
        return name
    body = name[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        byte = body[i]
        if byte != 0x5C or i + 1 >= len(body):
            out.append(byte)
            i += 1
            continue
        escape = body[i + 1 : i + 2]
        if escape in _ESCAPES:
            out.append(_ESCAPES[escape])
            i += 2
        elif body[i + 1 : i + 4].isdigit():
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            out.append(byte)
            i += 1
    return bytes(out)
