"""Streams of bytes (files, blobs, stdin): cut into overlapping chunks and scanned, in
bounded memory.

A chunk is cut after its last newline: no key spans a newline, so every line, with its
`tokscan:allow` pragma, lies whole in one chunk and the next chunk starts a fresh line.
Only a line longer than a chunk is cut inside: that chunk ends `OVERLAP` bytes early (a key
starting there could run past the end, and the byte after a key decides whether it is one),
and the next chunk starts `LOOKBEHIND` bytes before that point (the bytes before a key
decide whether it is one). Chunks carry the line and column of their first byte, so
locations are the same as for a file read whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tokscan import detect, keyformat
from tokscan.model import Chunk, Origin, Outcome

CHUNK_SIZE = 4 << 20
BINARY_SNIFF = 8000  # git's rule: a NUL in the first 8000 bytes makes a file binary
OVERLAP = keyformat.KEY_LENGTH + 1
_MIN_CHUNK = 4 * (OVERLAP + keyformat.LOOKBEHIND)


class Chunker:
    """Collects fed bytes and hands out chunks of about `chunk_size` bytes."""

    def __init__(
        self, origin: Origin, line: int = 1, column: int = 1, chunk_size: int = CHUNK_SIZE
    ) -> None:
        self.origin = origin
        self.chunk_size = max(chunk_size, _MIN_CHUNK)
        self._line, self._column = line, column
        self._parts: list[bytes] = []
        self._size = 0
        self._report_from = 0  # bytes at the front that an earlier chunk already covered

    def feed(self, data: bytes) -> Iterator[Chunk]:
        self._parts.append(data)
        self._size += len(data)
        while self._size >= self.chunk_size + OVERLAP:
            yield self._cut()

    def finish(self) -> Iterator[Chunk]:
        data = self._join()
        if len(data) > self._report_from:
            yield Chunk(data, self.origin, self._line, self._column, self._report_from)
        self._parts, self._size = [], 0

    def _join(self) -> bytes:
        data = b"".join(self._parts) if len(self._parts) != 1 else self._parts[0]
        self._parts = [data]
        return data

    def _cut(self) -> Chunk:
        data = self._join()
        cut = data.rfind(b"\n", self._report_from) + 1
        if cut > self._report_from:
            keep = cut
        else:  # a line longer than a chunk
            cut = len(data) - OVERLAP
            keep = _context_start(data, cut - keyformat.LOOKBEHIND)
        chunk = Chunk(data, self.origin, self._line, self._column, self._report_from, cut)
        self._line, self._column = advance(data[:keep], self._line, self._column)
        self._report_from = cut - keep
        self._parts = [data[keep:]]
        self._size = len(data) - keep
        return chunk


def stream_chunks(
    read: Callable[[int], bytes],
    origin: Origin,
    head: bytes = b"",
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Chunk]:
    """Chunks of everything `read` returns, after `head` (bytes already read)."""
    chunker = Chunker(origin, chunk_size=chunk_size)
    if head:
        yield from chunker.feed(head)
    while block := read(chunker.chunk_size):
        yield from chunker.feed(block)
    yield from chunker.finish()


def advance(consumed: bytes, line: int, column: int) -> tuple[int, int]:
    """The line and column just after `consumed`, which started at (`line`, `column`)."""
    newlines = consumed.count(b"\n")
    if newlines:
        tail = consumed[consumed.rfind(b"\n") + 1 :]
        return line + newlines, 1 + _chars(tail)
    return line, column + _chars(consumed)


def _chars(data: bytes) -> int:
    return len(data.decode("utf-8", "surrogateescape"))


def _context_start(data: bytes, pos: int) -> int:
    """Where to start the next chunk, at or before `pos`: not inside a UTF-8 sequence, and
    leaving behind an even number of a run of backslashes, because the run's parity decides
    whether a letter before a key ends an escape (`\\\\ntm-` is not an escape; `\\\\\\ntm-` is)."""
    pos = _char_start(data, pos)
    run = 0
    while pos - run > 0 and data[pos - run - 1] == 0x5C:
        run += 1
    return pos - run % 2


def _char_start(data: bytes, pos: int) -> int:
    """`pos`, moved back so that it does not split a UTF-8 sequence."""
    for _ in range(3):
        if pos <= 0 or data[pos] & 0xC0 != 0x80:
            break
        pos -= 1
    return max(pos, 0)


def scan_stream(
    origin: Origin, read: Callable[[int], bytes], size_hint: int, binary: bool, head: bytes = b""
) -> Outcome:
    """Read a whole stream (a file, a blob, stdin) after `head`, in bounded memory, and find
    the keys in it; binary content (a NUL in the first 8000 bytes) is skipped."""
    # Read one byte more than the expected size, so a small file needs a single read.
    want = min(size_hint + 1, CHUNK_SIZE)
    if len(head) < want:
        head += _read_full(read, want - len(head))
    if not binary and b"\0" in head[:BINARY_SNIFF]:
        return Outcome(origin, size=0, skipped="binary")
    outcome = Outcome(origin)
    if len(head) < min(size_hint + 1, CHUNK_SIZE):
        outcome.size = len(head)
        outcome.candidates = list(detect.find(Chunk(head, origin)))
        return outcome
    total = 0

    def counting_read(n: int) -> bytes:
        nonlocal total
        block = _read_full(read, n)
        total += len(block)
        return block

    for chunk in stream_chunks(counting_read, origin, head=head):
        outcome.candidates.extend(detect.find(chunk))
    outcome.size = total + len(head)
    return outcome


def _read_full(read: Callable[[int], bytes], size: int) -> bytes:
    """Up to `size` bytes; fewer only at the end of the input (pipes return short reads)."""
    block = read(size)
    if len(block) >= size or not block:
        return block
    parts = [block]
    got = len(block)
    while got < size:
        more = read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)
