"""Cutting a stream of bytes into overlapping chunks, so large inputs scan in bounded memory.

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

from tokscan import key as keyformat
from tokscan.model import Chunk, Origin

CHUNK_SIZE = 4 << 20
OVERLAP = keyformat.KEY_LENGTH + 1


def stream_chunks(
    read: Callable[[int], bytes],
    origin: Origin,
    head: bytes = b"",
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Chunk]:
    """Chunks of everything `read` returns, after `head` (bytes already read)."""
    chunk_size = max(chunk_size, 4 * (OVERLAP + keyformat.LOOKBEHIND))
    line, column, report_from = 1, 1, 0
    data = head or read(chunk_size)
    while True:
        more = read(chunk_size)
        if not more:
            yield Chunk(data, origin, line, column, report_from)
            return
        if len(data) < chunk_size:  # a short read: fill the chunk before cutting it
            data += more
            continue
        cut = data.rfind(b"\n", report_from) + 1
        if cut > report_from:
            keep = cut
        else:  # a line longer than a chunk
            cut = len(data) - OVERLAP
            keep = _context_start(data, cut - keyformat.LOOKBEHIND)
        yield Chunk(data, origin, line, column, report_from, report_until=cut)
        line, column = advance(data[:keep], line, column)
        report_from = cut - keep
        data = data[keep:] + more


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
